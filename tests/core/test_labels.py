"""People read labels, never identifiers (issue 21)."""

from __future__ import annotations

import datetime as dt

import pytest

from certify.core import labels
from certify.core.certificate_status import CertificateStatus
from certify.core.tlog.entry import REASON_CATEGORIES
from certify.core.workflow import Action
from certify.templating import format_datetime


def test_every_public_identifier_has_a_label() -> None:
    assert set(labels.REASON_CATEGORIES) == set(REASON_CATEGORIES)
    assert set(labels.STATUSES) == {s.value for s in CertificateStatus}
    for action in Action:
        assert f"application.{action.value}" in labels.EVENTS, action


@pytest.mark.parametrize(
    ("identifier", "shown"),
    [
        ("certified_with_distinction", "Certified with distinction"),
        ("not_certified", "Not certified"),
        ("something_new", "Something new"),
        ("", ""),
        (None, ""),
    ],
)
def test_outcomes_and_unknown_identifiers_read_as_words(identifier, shown) -> None:
    assert labels.outcome(identifier) == shown


def test_events_and_standards() -> None:
    assert labels.event("assessment.section_saved") == "Assessment section saved"
    assert labels.event("nonconformity.plan_submitted") == "Corrective-action plan submitted"
    assert labels.event("something.quite_new") == "Something quite new"
    assert labels.standard("isrps@1.0") == "ISRPS 1.0"


@pytest.mark.parametrize(
    ("value", "with_time", "shown"),
    [
        (dt.datetime(2026, 12, 4, 4, 5, tzinfo=dt.UTC), True, "4 Dec 2026, 04:05 UTC"),
        (
            dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
            True,
            "5 Dec 2026, 02:30 UTC",
        ),
        (dt.datetime(2026, 12, 4, 4, 5, tzinfo=dt.UTC), False, "4 Dec 2026"),
        (dt.date(2029, 12, 4), True, "4 Dec 2029"),
        ("2029-12-04", True, "4 Dec 2029"),
        ("2026-12-04T04:05:00Z", True, "4 Dec 2026, 04:05 UTC"),
        ("not a date", True, "not a date"),
        (None, True, "—"),
    ],
)
def test_one_date_format_for_every_kind_of_date(value, with_time, shown) -> None:
    assert format_datetime(value, with_time) == shown
