"""Walk every (state, action, party) triple of the workflow table."""

from __future__ import annotations

import itertools

import pytest

from certify.core.workflow import (
    FINAL_STATES,
    TRANSITIONS,
    Action,
    AppState,
    Party,
    TransitionError,
    allowed_actions,
    next_state,
)

TRIPLES = list(itertools.product(AppState, Action, Party))


@pytest.mark.parametrize(
    ("state", "action", "party"), TRIPLES, ids=[f"{s}-{a}-{p}" for s, a, p in TRIPLES]
)
def test_every_triple_is_allowed_exactly_when_the_table_says(state, action, party) -> None:
    entry = TRANSITIONS.get((state, action))
    if entry is not None and party in entry[1]:
        assert next_state(state, action, party) == entry[0]
    else:
        with pytest.raises(TransitionError):
            next_state(state, action, party)


def test_the_designed_paths() -> None:
    path = [
        (Action.SUBMIT, Party.APPLICANT, AppState.SUBMITTED),
        (Action.RETURN_TO_APPLICANT, Party.ADMIN, AppState.RETURNED_TO_APPLICANT),
        (Action.SUBMIT, Party.APPLICANT, AppState.SUBMITTED),
        (Action.ACCEPT, Party.ADMIN, AppState.ACCEPTED),
        (Action.ASSIGN, Party.ADMIN, AppState.ASSIGNED),
        (Action.RELEASE, Party.AUDITOR, AppState.ACCEPTED),
        (Action.ASSIGN, Party.ADMIN, AppState.ASSIGNED),
        (Action.START_AUDIT, Party.SYSTEM, AppState.IN_AUDIT),
        (Action.SUBMIT_AUDIT, Party.AUDITOR, AppState.AUDIT_SUBMITTED),
        (Action.RETURN_TO_AUDITOR, Party.REVIEWER, AppState.RETURNED_TO_AUDITOR),
        (Action.RESUME_AUDIT, Party.AUDITOR, AppState.IN_AUDIT),
        (Action.SUBMIT_AUDIT, Party.AUDITOR, AppState.AUDIT_SUBMITTED),
        (Action.DECIDE, Party.REVIEWER, AppState.DECIDED),
    ]
    state = AppState.DRAFT
    for action, party, expected in path:
        state = next_state(state, action, party)
        assert state == expected


def test_withdrawal_from_every_state_before_a_decision() -> None:
    for state in AppState:
        if state in FINAL_STATES:
            with pytest.raises(TransitionError):
                next_state(state, Action.WITHDRAW, Party.APPLICANT)
        else:
            assert next_state(state, Action.WITHDRAW, Party.APPLICANT) == AppState.WITHDRAWN


def test_final_states_allow_nothing_but_an_upheld_appeals_reopening() -> None:
    for state in FINAL_STATES:
        for party in Party:
            want = (
                [Action.REOPEN_ON_APPEAL]
                if (state, party) == (AppState.DECIDED, Party.SYSTEM)
                else []
            )
            assert allowed_actions(state, party) == want


def test_an_upheld_appeal_sends_a_decided_case_back_to_review() -> None:
    assert (
        next_state(AppState.DECIDED, Action.REOPEN_ON_APPEAL, Party.SYSTEM)
        == AppState.AUDIT_SUBMITTED
    )
    for party in (Party.ADMIN, Party.REVIEWER, Party.APPLICANT):
        with pytest.raises(TransitionError):
            next_state(AppState.DECIDED, Action.REOPEN_ON_APPEAL, party)


def test_messages_are_for_people() -> None:
    with pytest.raises(TransitionError, match="Reload the page"):
        next_state(AppState.DECIDED, Action.SUBMIT, Party.APPLICANT)
    with pytest.raises(TransitionError, match="Only the admin"):
        next_state(AppState.SUBMITTED, Action.ACCEPT, Party.APPLICANT)
