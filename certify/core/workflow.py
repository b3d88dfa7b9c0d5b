"""The certification workflow's states and allowed transitions, as a plain table.

After ISO/IEC 17065: application → application review → assignment (with conflict-of-interest
declarations) → evaluation → review and decision. ``tests/core/test_workflow.py`` walks every
allowed and every forbidden (state, action) pair.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class AppState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED_TO_APPLICANT = "returned_to_applicant"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    IN_AUDIT = "in_audit"
    AUDIT_SUBMITTED = "audit_submitted"
    RETURNED_TO_AUDITOR = "returned_to_auditor"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]

    @property
    def next_for_applicant(self) -> str:
        """What happens next, told to the applicant in plain words."""
        return APPLICANT_NEXT[self]


STATE_LABELS: Mapping[AppState, str] = {
    AppState.DRAFT: "Draft",
    AppState.SUBMITTED: "Submitted, awaiting review",
    AppState.RETURNED_TO_APPLICANT: "Returned to the applicant",
    AppState.ACCEPTED: "Accepted, awaiting assignment",
    AppState.ASSIGNED: "Assigned, awaiting conflict-of-interest declarations",
    AppState.IN_AUDIT: "Audit in progress",
    AppState.AUDIT_SUBMITTED: "Audit submitted, awaiting decision",
    AppState.RETURNED_TO_AUDITOR: "Returned to the auditor",
    AppState.DECIDED: "Decided",
    AppState.WITHDRAWN: "Withdrawn",
}


APPLICANT_NEXT: Mapping[AppState, str] = {
    AppState.DRAFT: "Complete the scope and the self-assessment, upload evidence, then submit.",
    AppState.SUBMITTED: (
        "The certification body is reviewing your application; you will be told when it is "
        "accepted or returned to you."
    ),
    AppState.RETURNED_TO_APPLICANT: "Make the changes asked for, then submit again.",
    AppState.ACCEPTED: "Accepted. An auditor and a reviewer will be assigned to your case.",
    AppState.ASSIGNED: (
        "An auditor and a reviewer are assigned; the audit starts once both have declared that "
        "they have no conflict of interest."
    ),
    AppState.IN_AUDIT: "The audit is under way; your auditor will arrange the visit with you.",
    AppState.AUDIT_SUBMITTED: "The audit is finished; a reviewer will now decide.",
    AppState.RETURNED_TO_AUDITOR: "The reviewer asked the auditor for more; the audit goes on.",
    AppState.DECIDED: "Decided: read your audit report for the outcome and any non-conformities.",
    AppState.WITHDRAWN: "Withdrawn: nothing more happens with this application.",
}


class Action(enum.StrEnum):
    SUBMIT = "submit"
    RETURN_TO_APPLICANT = "return_to_applicant"
    ACCEPT = "accept"
    ASSIGN = "assign"
    RELEASE = "release"  # a declared conflict sends the case back for reassignment
    START_AUDIT = "start_audit"  # both assignees declared no conflict
    SUBMIT_AUDIT = "submit_audit"
    RETURN_TO_AUDITOR = "return_to_auditor"
    RESUME_AUDIT = "resume_audit"
    DECIDE = "decide"
    WITHDRAW = "withdraw"
    #: an upheld appeal against a refusal: the case goes back for a new decision (issue 19)
    REOPEN_ON_APPEAL = "reopen_on_appeal"


class Party(enum.StrEnum):
    """Who may take an action (checked by the web side against the case)."""

    APPLICANT = "applicant"
    ADMIN = "admin"
    AUDITOR = "auditor"  # the case's assigned auditor
    REVIEWER = "reviewer"  # the case's assigned reviewer
    SYSTEM = "system"


#: No step of the applicant's, the admin's or the assignees' leaves these (an upheld appeal
#: against a refusal reopens a decided case: ``REOPEN_ON_APPEAL``).
FINAL_STATES = frozenset({AppState.DECIDED, AppState.WITHDRAWN})

#: (from state, action) → (to state, who may take it)
TRANSITIONS: Mapping[tuple[AppState, Action], tuple[AppState, frozenset[Party]]] = {
    (AppState.DRAFT, Action.SUBMIT): (AppState.SUBMITTED, frozenset({Party.APPLICANT})),
    (AppState.RETURNED_TO_APPLICANT, Action.SUBMIT): (
        AppState.SUBMITTED,
        frozenset({Party.APPLICANT}),
    ),
    (AppState.SUBMITTED, Action.RETURN_TO_APPLICANT): (
        AppState.RETURNED_TO_APPLICANT,
        frozenset({Party.ADMIN}),
    ),
    (AppState.SUBMITTED, Action.ACCEPT): (AppState.ACCEPTED, frozenset({Party.ADMIN})),
    (AppState.ACCEPTED, Action.ASSIGN): (AppState.ASSIGNED, frozenset({Party.ADMIN})),
    (AppState.ASSIGNED, Action.RELEASE): (
        AppState.ACCEPTED,
        frozenset({Party.ADMIN, Party.AUDITOR, Party.REVIEWER}),
    ),
    (AppState.ASSIGNED, Action.START_AUDIT): (AppState.IN_AUDIT, frozenset({Party.SYSTEM})),
    (AppState.IN_AUDIT, Action.SUBMIT_AUDIT): (
        AppState.AUDIT_SUBMITTED,
        frozenset({Party.AUDITOR}),
    ),
    (AppState.AUDIT_SUBMITTED, Action.RETURN_TO_AUDITOR): (
        AppState.RETURNED_TO_AUDITOR,
        frozenset({Party.REVIEWER}),
    ),
    (AppState.RETURNED_TO_AUDITOR, Action.RESUME_AUDIT): (
        AppState.IN_AUDIT,
        frozenset({Party.AUDITOR}),
    ),
    (AppState.AUDIT_SUBMITTED, Action.DECIDE): (AppState.DECIDED, frozenset({Party.REVIEWER})),
    # The one way out of a decision: an upheld appeal against a refusal sends the case back
    # to review, where a reviewer who took no part makes a new decision (the refusal stays
    # on record). Only the appeal's remedy (the system) takes it; the caller checks that
    # the decision was a refusal.
    (AppState.DECIDED, Action.REOPEN_ON_APPEAL): (
        AppState.AUDIT_SUBMITTED,
        frozenset({Party.SYSTEM}),
    ),
    **{
        (state, Action.WITHDRAW): (AppState.WITHDRAWN, frozenset({Party.APPLICANT, Party.ADMIN}))
        for state in AppState
        if state not in FINAL_STATES
    },
}


class TransitionError(ValueError):
    """The action is not allowed from this state, or not for this party."""


def next_state(state: AppState, action: Action, party: Party) -> AppState:
    """The state *action* by *party* leads to from *state*.

    Raises:
        TransitionError: with a message a person understands.
    """
    entry = TRANSITIONS.get((AppState(state), Action(action)))
    if entry is None:
        raise TransitionError(
            f"This case is now '{AppState(state).label}', so that step "
            f"({Action(action).value.replace('_', ' ')}) is not possible. Reload the page to see "
            "what can be done next."
        )
    target, parties = entry
    if party not in parties:
        raise TransitionError(
            f"Only the {' or '.join(sorted(p.value for p in parties))} may do that."
        )
    return target


def allowed_actions(state: AppState, party: Party) -> list[Action]:
    """The actions *party* may take from *state*, in table order."""
    return [a for (s, a), (_t, ps) in TRANSITIONS.items() if s == state and party in ps]
