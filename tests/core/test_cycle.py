"""The cycle's rules as plain data: audit types, the surveillance subset, the site sample,
and the dates the scheduler acts on."""

from __future__ import annotations

import datetime as dt

import pytest

from certify.core.cycle import (
    AuditType,
    NcMark,
    SiteInfo,
    opens_on,
    overdue_after,
    propose_sample,
    recertification_opens_on,
    sample_size,
    surveillance_subset,
)
from certify.core.rubric.loading import load_rubric_text
from tests.core.rubric_fixtures import SCHEMA, isrps, isrps_text

TODAY = dt.date(2027, 6, 1)
GATES = ["IH-1", "IH-6", "TC-3", "FW-1", "FW-4", "FW-5", "GT-3"]


def test_only_initial_recertification_and_scope_extension_issue_a_certificate() -> None:
    assert {t for t in AuditType if t.issues_certificate} == {
        AuditType.INITIAL,
        AuditType.RECERTIFICATION,
        AuditType.SCOPE_EXTENSION,
    }


def test_a_surveillance_of_isrps_1_0_assesses_every_gate_and_nothing_else_without_ncs() -> None:
    assert surveillance_subset(isrps(), [], TODAY) == GATES


def test_open_and_recently_closed_nonconformities_join_the_subset_old_ones_do_not() -> None:
    marks = [
        NcMark("FW-7", None),  # open
        NcMark("GT-2", TODAY - dt.timedelta(days=365)),  # closed a year ago: still in
        NcMark("IH-4", TODAY - dt.timedelta(days=366)),  # closed longer ago: out
    ]
    chosen = surveillance_subset(isrps(), marks, TODAY, added=["TC-2", "NOPE-9"])
    assert set(chosen) == {*GATES, "FW-7", "GT-2", "TC-2"}
    assert "IH-4" not in chosen and "NOPE-9" not in chosen
    order = [c.id for c in isrps().criteria]
    assert chosen == sorted(chosen, key=order.index)  # rubric order


def test_a_section_marked_for_every_visit_is_assessed_whole() -> None:
    text = isrps_text().replace("  - id: GT\n", "  - id: GT\n    every_visit: true\n", 1)
    assert "every_visit: true" in text
    marked = load_rubric_text(text, schema=SCHEMA)
    assert marked.sha256 != isrps().sha256  # a marking is new content: a new version
    chosen = surveillance_subset(marked, [], TODAY)
    assert {"GT-1", "GT-2", "GT-4", "GT-5"} <= set(chosen)
    assert "IH-2" not in chosen


def test_the_every_visit_marking_must_be_a_boolean() -> None:
    text = isrps_text().replace("  - id: GT\n", "  - id: GT\n    every_visit: often\n", 1)
    with pytest.raises(Exception, match=r"every_visit|often"):
        load_rubric_text(text, schema=SCHEMA)


@pytest.mark.parametrize(
    ("sites", "visits"),
    [(0, 0), (1, 1), (2, 2), (3, 2), (4, 2), (5, 3), (9, 3), (10, 4), (100, 10)],
)
def test_the_sample_is_the_square_root_rounded_up(sites: int, visits: int) -> None:
    assert sample_size(sites) == visits


def test_a_negative_number_of_sites_is_refused() -> None:
    with pytest.raises(ValueError):
        sample_size(-1)


def test_the_sample_always_holds_high_risk_and_new_sites_and_rotates_the_rest() -> None:
    sites = [SiteInfo(f"s{i}") for i in range(9)] + [SiteInfo("new", must_visit=True)]
    first = propose_sample(sites)
    assert len(first) == 4 and "new" in first
    later = propose_sample(sites, rotation=3)
    assert "new" in later and set(first) != set(later)
    crowded = [SiteInfo(f"risk{i}", must_visit=True) for i in range(5)]
    assert propose_sample(crowded) == [s.id for s in crowded]  # never drops a must-visit site


def test_the_scheduler_dates() -> None:
    due = dt.date(2027, 3, 1)
    assert opens_on(due, 90) == dt.date(2026, 12, 1)
    assert overdue_after(due, 30) == dt.date(2027, 3, 31)
    assert recertification_opens_on(dt.date(2028, 8, 31), 6) == dt.date(2028, 2, 29)
    assert recertification_opens_on(dt.date(2028, 3, 15), 6) == dt.date(2027, 9, 15)
