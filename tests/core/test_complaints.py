"""The complaint and appeal tables, tracking codes, windows and statistics (no app)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from certify.core import labels
from certify.core.complaints import (
    APPEAL_OUTCOMES,
    APPEAL_SUBJECTS,
    APPEAL_TABLE,
    CATEGORIES,
    COMPLAINT_OUTCOMES,
    COMPLAINT_TABLE,
    AppealAction,
    AppealFacts,
    AppealState,
    ComplaintAction,
    ComplaintFacts,
    ComplaintState,
    Party,
    TransitionRefused,
    close_by,
    close_reminder,
    code_digest,
    next_appeal_state,
    next_complaint_state,
    normalise_code,
    retain_until,
    tracking_code,
    within_appeal_window,
    year_statistics,
)

T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("state", "action", "party"),
    list(itertools.product(ComplaintState, ComplaintAction, Party)),
)
def test_every_complaint_step_follows_the_table(state, action, party) -> None:
    entry = COMPLAINT_TABLE.get((state, action))
    if entry is not None and party in entry[1]:
        assert next_complaint_state(state, action, party) is entry[0]
    else:
        with pytest.raises(TransitionRefused):
            next_complaint_state(state, action, party)


@pytest.mark.parametrize(
    ("state", "action", "party"), list(itertools.product(AppealState, AppealAction, Party))
)
def test_every_appeal_step_follows_the_table(state, action, party) -> None:
    entry = APPEAL_TABLE.get((state, action))
    if entry is not None and party in entry[1]:
        assert next_appeal_state(state, action, party) is entry[0]
    else:
        with pytest.raises(TransitionRefused):
            next_appeal_state(state, action, party)


def test_a_decided_complaint_or_appeal_is_final() -> None:
    assert not [k for k in COMPLAINT_TABLE if k[0] is ComplaintState.DECIDED]
    assert not [k for k in APPEAL_TABLE if k[0] is AppealState.DECIDED]


def test_the_complainant_only_adds_information() -> None:
    theirs = {a for (s, a), (_, who) in COMPLAINT_TABLE.items() if Party.COMPLAINANT in who}
    assert theirs == {ComplaintAction.ADD_INFORMATION}


def test_tracking_codes_are_read_in_any_spelling() -> None:
    code = tracking_code(bytes(range(1, 11)))
    assert len(code) == 19 and code.count("-") == 3
    assert normalise_code(code.lower().replace("-", "")) == code
    assert normalise_code(code.replace("0", "o").replace("1", "l")) == code
    assert normalise_code("too short") is None
    assert normalise_code("UUUU-UUUU-UUUU-UUUU") is None  # U is not in the alphabet
    assert code_digest(code) != code and len(code_digest(code)) == 64
    with pytest.raises(ValueError):
        tracking_code(b"short")


def test_the_appeal_window_and_the_retention() -> None:
    assert within_appeal_window(T0, 30, T0 + dt.timedelta(days=30))
    assert not within_appeal_window(T0, 30, T0 + dt.timedelta(days=30, seconds=1))
    assert within_appeal_window(T0, 30, T0 - dt.timedelta(seconds=1))  # recorded a moment late
    leap = dt.datetime(2028, 2, 29, tzinfo=dt.UTC)
    assert retain_until(leap, 6) == dt.datetime(2034, 2, 28, tzinfo=dt.UTC)


def test_yearly_statistics_count_and_time_without_people() -> None:
    day = dt.timedelta(days=1)
    complaints = [
        ComplaintFacts("wages", T0, T0 + 2 * day, T0 + 10 * day, "unfounded"),
        ComplaintFacts("wages", T0, T0 + 4 * day, None, None),
        ComplaintFacts("fraud", T0, None, None, None),
        ComplaintFacts("fraud", T0.replace(year=2025), None, None, None),
    ]
    appeals = [
        AppealFacts("suspension", T0, "upheld"),
        AppealFacts("refusal", T0, None),
        AppealFacts("refusal", T0.replace(year=2025), "dismissed"),
    ]
    stats = year_statistics(2026, complaints, appeals)
    assert stats.received == 3 and stats.open == 2
    assert stats.by_category["wages"] == 2 and stats.by_category["fraud"] == 1
    assert stats.by_category["discrimination"] == 0
    assert stats.median_days_to_acknowledge == 3.0
    assert stats.median_days_to_close == 10.0
    assert stats.by_outcome == {"unfounded": 1}
    assert (stats.appeals, stats.appeals_upheld, stats.appeals_open) == (2, 1, 1)


def test_every_identifier_has_a_label() -> None:
    assert set(labels.COMPLAINT_CATEGORIES) == set(CATEGORIES)
    assert set(labels.COMPLAINT_OUTCOMES) == set(COMPLAINT_OUTCOMES)
    assert set(labels.COMPLAINT_STATES) == {s.value for s in ComplaintState}
    assert set(labels.APPEAL_STATES) == {s.value for s in AppealState}
    assert set(labels.APPEAL_SUBJECTS) == set(APPEAL_SUBJECTS)
    assert set(labels.APPEAL_OUTCOMES) == set(APPEAL_OUTCOMES)


def test_the_deadline_for_closing_and_its_two_reminders_each_once() -> None:
    deadline = close_by(T0, 90)
    assert deadline == T0 + dt.timedelta(days=90)
    early = deadline - dt.timedelta(days=20)
    soon = deadline - dt.timedelta(days=5)
    late = deadline + dt.timedelta(hours=1)
    assert close_reminder(deadline, early, 14) is None
    assert close_reminder(deadline, soon, 14) == "due_soon"
    assert close_reminder(deadline, soon, 14, ["due_soon"]) is None
    assert close_reminder(deadline, late, 14, ["due_soon"]) == "overdue"
    assert close_reminder(deadline, late, 14, ["due_soon", "overdue"]) is None
    # found overdue first: the overdue reminder only, and no warning afterwards
    assert close_reminder(deadline, late, 14) == "overdue"
    assert close_reminder(deadline, soon, 14, ["overdue"]) is None


def test_close_reminders_are_the_systems_on_open_complaints_only() -> None:
    for state in ComplaintState:
        if state is ComplaintState.DECIDED:
            with pytest.raises(TransitionRefused):
                next_complaint_state(state, ComplaintAction.REMIND_CLOSE, Party.SYSTEM)
        else:
            assert next_complaint_state(state, ComplaintAction.REMIND_CLOSE, Party.SYSTEM) is state
