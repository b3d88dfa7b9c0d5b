"""The non-conformity table: every (position, action, party), the designed paths, deadlines."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from certify.core.nonconformity import (
    NcAction,
    NcState,
    NcTransitionError,
    Position,
    all_positions,
    allowed_actions,
    next_position,
    next_step,
    past_due,
    regraded_due_on,
    reminder_due,
)
from certify.core.workflow import Party

S, A, P = NcState, NcAction, Party
OPEN_LOOP = [S.OPEN, S.PLAN_SUBMITTED, S.PLAN_RETURNED, S.PLAN_ACCEPTED, S.EVIDENCE_SUBMITTED]

#: The loop's steps, written out: (loop state, action, party) → loop state after.
LOOP_STEPS = {
    (S.OPEN, A.SUBMIT_PLAN, P.APPLICANT): S.PLAN_SUBMITTED,
    (S.PLAN_RETURNED, A.SUBMIT_PLAN, P.APPLICANT): S.PLAN_SUBMITTED,
    (S.PLAN_SUBMITTED, A.ACCEPT_PLAN, P.AUDITOR): S.PLAN_ACCEPTED,
    (S.PLAN_SUBMITTED, A.RETURN_PLAN, P.AUDITOR): S.PLAN_RETURNED,
    (S.PLAN_ACCEPTED, A.SUBMIT_EVIDENCE, P.APPLICANT): S.EVIDENCE_SUBMITTED,
    (S.EVIDENCE_SUBMITTED, A.VERIFY_CLOSURE, P.AUDITOR): S.CLOSED,
    (S.EVIDENCE_SUBMITTED, A.RETURN_EVIDENCE, P.AUDITOR): S.PLAN_ACCEPTED,
}


def expected() -> dict[tuple[Position, NcAction, Party], Position]:
    """What the table must allow, built from the rules as DESIGN and the issue state them."""
    allowed: dict[tuple[Position, NcAction, Party], Position] = {}
    for stage in OPEN_LOOP:
        here = Position(stage, stage)
        for (source, action, party), target in LOOP_STEPS.items():
            if source is stage:
                for status in (stage, S.OVERDUE, S.ESCALATED):
                    allowed[(Position.of(status, stage), action, party)] = Position(target, target)
        if stage is S.OPEN:
            allowed[(here, A.CLOSE_IN_AUDIT, P.AUDITOR)] = Position(S.CLOSED, S.CLOSED)
        if stage is not S.EVIDENCE_SUBMITTED:
            allowed[(here, A.MARK_OVERDUE, P.SYSTEM)] = Position(S.OVERDUE, stage)
        for status in (stage, S.OVERDUE):
            for party in (P.SYSTEM, P.ADMIN):
                allowed[(Position.of(status, stage), A.ESCALATE, party)] = Position(
                    S.ESCALATED, stage
                )
            allowed[(Position.of(status, stage), A.EXTEND_DEADLINE, P.ADMIN)] = here
        for status in (stage, S.OVERDUE, S.ESCALATED):
            allowed[(Position.of(status, stage), A.ANNUL, P.SYSTEM)] = Position(S.CLOSED, S.CLOSED)
            allowed[(Position.of(status, stage), A.REGRADE, P.SYSTEM)] = (
                Position.of(status, stage) if status is S.ESCALATED else here
            )
    return allowed


EXPECTED = expected()
TRIPLES = list(itertools.product(all_positions(), NcAction, Party))


@pytest.mark.parametrize(
    ("position", "action", "party"),
    TRIPLES,
    ids=[f"{p.status}/{p.stage}-{a}-{who}" for p, a, who in TRIPLES],
)
def test_every_triple_is_allowed_exactly_as_the_rules_say(position, action, party) -> None:
    want = EXPECTED.get((position, action, party))
    if want is None:
        with pytest.raises(NcTransitionError):
            next_position(position, action, party)
    else:
        assert next_position(position, action, party) == want


def test_the_walk_covers_every_position() -> None:
    assert len(all_positions()) == 6 + 2 * 5
    assert {p.status for p in all_positions()} == set(NcState)


def test_the_corrective_action_loop_with_a_returned_plan() -> None:
    position = Position.of("open")
    for action, party, status in [
        (A.SUBMIT_PLAN, P.APPLICANT, S.PLAN_SUBMITTED),
        (A.RETURN_PLAN, P.AUDITOR, S.PLAN_RETURNED),
        (A.SUBMIT_PLAN, P.APPLICANT, S.PLAN_SUBMITTED),
        (A.ACCEPT_PLAN, P.AUDITOR, S.PLAN_ACCEPTED),
        (A.SUBMIT_EVIDENCE, P.APPLICANT, S.EVIDENCE_SUBMITTED),
        (A.RETURN_EVIDENCE, P.AUDITOR, S.PLAN_ACCEPTED),
        (A.SUBMIT_EVIDENCE, P.APPLICANT, S.EVIDENCE_SUBMITTED),
        (A.VERIFY_CLOSURE, P.AUDITOR, S.CLOSED),
    ]:
        position = next_position(position, action, party)
        assert position.status is status
    assert allowed_actions(position, P.ADMIN) == []
    assert all(allowed_actions(position, party) == [] for party in Party)


def test_an_overdue_plan_under_review_keeps_its_place_and_escalation_keeps_it_too() -> None:
    position = next_position(Position.of("plan_submitted"), A.MARK_OVERDUE, P.SYSTEM)
    assert (position.status, position.stage) == (S.OVERDUE, S.PLAN_SUBMITTED)
    assert position.stored_stage == "plan_submitted"
    escalated = next_position(position, A.ESCALATE, P.ADMIN)
    assert (escalated.status, escalated.stage) == (S.ESCALATED, S.PLAN_SUBMITTED)
    accepted = next_position(escalated, A.ACCEPT_PLAN, P.AUDITOR)
    assert accepted == Position(S.PLAN_ACCEPTED, S.PLAN_ACCEPTED)
    assert accepted.stored_stage is None
    with pytest.raises(NcTransitionError, match="not possible"):
        next_position(escalated, A.EXTEND_DEADLINE, P.ADMIN)  # no extension once suspended


def test_an_extension_lifts_overdue() -> None:
    overdue = Position.of("overdue", "plan_accepted")
    assert next_position(overdue, A.EXTEND_DEADLINE, P.ADMIN) == Position.of("plan_accepted")


def test_messages_are_for_people() -> None:
    with pytest.raises(NcTransitionError, match="Only the auditor"):
        next_position(Position.of("plan_submitted"), A.ACCEPT_PLAN, P.REVIEWER)
    with pytest.raises(NcTransitionError, match="Only the applicant"):
        next_position(Position.of("open"), A.SUBMIT_PLAN, P.AUDITOR)
    with pytest.raises(NcTransitionError, match="Reload the page"):
        next_position(Position.of("closed"), A.SUBMIT_PLAN, P.APPLICANT)


@pytest.mark.parametrize(
    ("status", "stage"),
    [("open", "plan_submitted"), ("overdue", None), ("escalated", "closed"), ("lost", None)],
)
def test_impossible_stored_positions_are_refused(status, stage) -> None:
    with pytest.raises(ValueError):
        Position.of(status, stage)


def test_next_steps_name_who_acts() -> None:
    assert next_step(Position.of("open")) == (P.APPLICANT, "submit a corrective-action plan")
    assert next_step(Position.of("escalated", "evidence_submitted"))[0] is P.AUDITOR
    assert next_step(Position.of("closed")) is None


@pytest.mark.parametrize(
    ("left", "reminder"), [(40, None), (31, None), (30, 30), (8, 30), (7, 7), (0, 7), (-1, None)]
)
def test_reminders_at_30_and_7_days(left, reminder) -> None:
    today = dt.date(2027, 3, 1)
    assert reminder_due(today + dt.timedelta(days=left), today) == reminder


def test_past_due_starts_the_day_after() -> None:
    due = dt.date(2027, 3, 1)
    assert not past_due(due, due)
    assert past_due(due, due + dt.timedelta(days=1))


def test_a_regraded_due_date_follows_the_new_grade_but_leaves_time_to_act() -> None:
    today = dt.date(2026, 6, 1)
    # the new grade's deadline, counted from the raise date, is later than the floor: kept
    assert regraded_due_on(dt.date(2026, 8, 1), today, 14) == dt.date(2026, 8, 1)
    # it has passed (or is too near): never sooner than the minimal period from today
    assert regraded_due_on(dt.date(2026, 5, 1), today, 14) == dt.date(2026, 6, 15)
    assert regraded_due_on(dt.date(2026, 6, 3), today, 14) == dt.date(2026, 6, 15)


def test_an_upheld_appeal_annuls_from_any_open_position() -> None:
    escalated = Position.of("escalated", "plan_accepted")
    assert next_position(escalated, A.ANNUL, P.SYSTEM) == Position.of("closed")
    with pytest.raises(NcTransitionError, match="Only the system"):
        next_position(Position.of("open"), A.ANNUL, P.AUDITOR)
    with pytest.raises(NcTransitionError, match="not possible"):
        next_position(Position.of("closed"), A.ANNUL, P.SYSTEM)
