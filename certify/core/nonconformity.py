"""Non-conformities after the decision: the corrective-action loop and its deadlines, as tables.

An NC found in an audit is followed up until the auditor verifies it closed (ISO/IEC 17065
7.11 and the corrective-action loops of SA8000, FLOCERT and B Lab)::

    open ──plan──► plan_submitted ──accept──► plan_accepted ──evidence──► evidence_submitted
                      │    ▲                      ▲                            │      │
               return │    │ plan                 └────────return evidence─────┘      │ verify
                      ▼    │                                                          ▼
                   plan_returned                                                   closed

Two states lie *over* the loop, set by deadlines rather than by a step of the loop:
``overdue`` (the due date passed and the holder has not done its part; set by the scheduler)
and ``escalated`` (the certificate is suspended because of it: a critical NC at once, a major
one past its due date). The loop's position is kept beside them (:attr:`Position.stage`), so a
late plan or evidence, or an auditor's pending review, carries on from where it stood; the next
step of the loop leaves the overlay behind (an escalated NC stays tied to its suspension by the
caller's records, not by this state). ``closed`` is final.

:func:`next_position` is the one check; ``tests/core/test_nonconformity.py`` walks every
(position, action, party).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from certify.core.workflow import Party


class NcState(enum.StrEnum):
    """The stored states of a non-conformity (DESIGN.md, "Additions in turn 2")."""

    OPEN = "open"
    PLAN_SUBMITTED = "plan_submitted"
    PLAN_RETURNED = "plan_returned"
    PLAN_ACCEPTED = "plan_accepted"
    EVIDENCE_SUBMITTED = "evidence_submitted"
    CLOSED = "closed"
    OVERDUE = "overdue"
    ESCALATED = "escalated"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS: Mapping[NcState, str] = MappingProxyType(
    {
        NcState.OPEN: "Open: corrective-action plan needed",
        NcState.PLAN_SUBMITTED: "Plan submitted, awaiting the auditor",
        NcState.PLAN_RETURNED: "Plan returned for changes",
        NcState.PLAN_ACCEPTED: "Plan accepted: evidence of closure needed",
        NcState.EVIDENCE_SUBMITTED: "Evidence submitted, awaiting verification",
        NcState.CLOSED: "Closed (verified)",
        NcState.OVERDUE: "Overdue",
        NcState.ESCALATED: "Escalated: the certificate is suspended",
    }
)

#: The corrective-action loop's states; ``overdue`` and ``escalated`` lie over one of these.
LOOP_STATES = frozenset(
    {
        NcState.OPEN,
        NcState.PLAN_SUBMITTED,
        NcState.PLAN_RETURNED,
        NcState.PLAN_ACCEPTED,
        NcState.EVIDENCE_SUBMITTED,
        NcState.CLOSED,
    }
)
OVERLAYS = frozenset({NcState.OVERDUE, NcState.ESCALATED})


class NcAction(enum.StrEnum):
    SUBMIT_PLAN = "submit_plan"
    ACCEPT_PLAN = "accept_plan"
    RETURN_PLAN = "return_plan"
    SUBMIT_EVIDENCE = "submit_evidence"
    VERIFY_CLOSURE = "verify_closure"
    RETURN_EVIDENCE = "return_evidence"
    #: the auditor saw it corrected during the audit itself (before any decision)
    CLOSE_IN_AUDIT = "close_in_audit"
    EXTEND_DEADLINE = "extend_deadline"
    MARK_OVERDUE = "mark_overdue"
    ESCALATE = "escalate"
    #: an upheld appeal changed the grade (and so the due date) (issue 19)
    REGRADE = "regrade"
    #: an upheld appeal found the non-conformity should not have been raised (issue 19)
    ANNUL = "annul"


_S, _A, _P = NcState, NcAction, Party

#: The loop: (loop state, action) → (loop state after, who may take it). ``applicant`` is the
#: holder's members; ``auditor`` the case's follow-up auditor.
LOOP: Mapping[tuple[NcState, NcAction], tuple[NcState, frozenset[Party]]] = MappingProxyType(
    {
        (_S.OPEN, _A.SUBMIT_PLAN): (_S.PLAN_SUBMITTED, frozenset({_P.APPLICANT})),
        (_S.PLAN_RETURNED, _A.SUBMIT_PLAN): (_S.PLAN_SUBMITTED, frozenset({_P.APPLICANT})),
        (_S.PLAN_SUBMITTED, _A.ACCEPT_PLAN): (_S.PLAN_ACCEPTED, frozenset({_P.AUDITOR})),
        (_S.PLAN_SUBMITTED, _A.RETURN_PLAN): (_S.PLAN_RETURNED, frozenset({_P.AUDITOR})),
        (_S.PLAN_ACCEPTED, _A.SUBMIT_EVIDENCE): (
            _S.EVIDENCE_SUBMITTED,
            frozenset({_P.APPLICANT}),
        ),
        (_S.EVIDENCE_SUBMITTED, _A.VERIFY_CLOSURE): (_S.CLOSED, frozenset({_P.AUDITOR})),
        (_S.EVIDENCE_SUBMITTED, _A.RETURN_EVIDENCE): (_S.PLAN_ACCEPTED, frozenset({_P.AUDITOR})),
        (_S.OPEN, _A.CLOSE_IN_AUDIT): (_S.CLOSED, frozenset({_P.AUDITOR})),
    }
)

#: Loop states the scheduler marks ``overdue`` once the due date passed: the holder's turn, or
#: a plan still under review (a plan is not a closure). Evidence awaiting verification is not:
#: the holder has done all it can.
MARKABLE_OVERDUE = frozenset({_S.OPEN, _S.PLAN_SUBMITTED, _S.PLAN_RETURNED, _S.PLAN_ACCEPTED})
#: Who may mark overdue, escalate, extend a deadline.
MARKERS = frozenset({_P.SYSTEM})
ESCALATORS = frozenset({_P.SYSTEM, _P.ADMIN})
EXTENDERS = frozenset({_P.ADMIN})
#: Regrading and annulling are an upheld appeal's remedy (the system): the appeal's own
#: checks say who decided it; nobody regrades or annuls a non-conformity by hand.
ANNULLERS = frozenset({_P.SYSTEM})


class NcTransitionError(ValueError):
    """The action is not possible from this position, or not for this party."""


@dataclass(frozen=True)
class Position:
    """Where a non-conformity stands: its stored ``status`` and the loop state ``stage``
    (equal to the status unless the status is ``overdue`` or ``escalated``)."""

    status: NcState
    stage: NcState

    @classmethod
    def of(cls, status: str, stage: str | None = None) -> Position:
        """The position of stored values (*stage* None: the status itself).

        Raises:
            ValueError: an unknown state, a loop status with a different stage, or an overlay
                whose stage is not a loop state.
        """
        s = NcState(status)
        g = NcState(stage) if stage is not None else s
        if s in LOOP_STATES and g is not s:
            raise ValueError(f"a {s} non-conformity has no separate stage ({g})")
        if s in OVERLAYS and (g not in LOOP_STATES or g is NcState.CLOSED):
            raise ValueError(f"an {s} non-conformity needs an open loop stage, not {g}")
        return cls(s, g)

    @property
    def stored_stage(self) -> str | None:
        """What to store as the stage: None unless an overlay hides it."""
        return self.stage.value if self.status in OVERLAYS else None

    @property
    def closed(self) -> bool:
        return self.status is NcState.CLOSED


def all_positions() -> list[Position]:
    """Every possible position (the loop states, and each overlay over each open loop state)."""
    loop = sorted(LOOP_STATES)
    over = [Position(o, s) for o in sorted(OVERLAYS) for s in loop if s is not NcState.CLOSED]
    return [Position(s, s) for s in loop] + over


def _refuse_party(parties: frozenset[Party]) -> NcTransitionError:
    return NcTransitionError(
        f"Only the {' or '.join(sorted(p.value for p in parties))} may do that."
    )


def _impossible(position: Position, action: NcAction) -> NcTransitionError:
    return NcTransitionError(
        f"This non-conformity is now '{position.status.label}', so that step "
        f"({action.value.replace('_', ' ')}) is not possible. Reload the page to see what "
        "can be done next."
    )


def next_position(position: Position, action: NcAction, party: Party) -> Position:
    """The position *action* by *party* leads to.

    - ``mark_overdue`` (system): from a :data:`MARKABLE_OVERDUE` loop state, not over another
      overlay; the loop state is kept under ``overdue``.
    - ``escalate`` (system, admin): from any open position not already escalated.
    - ``extend_deadline`` (admin): from any open position not escalated; an ``overdue``
      non-conformity returns to its loop state.
    - ``regrade`` (system, an upheld appeal): from any open position; the due date is new, so
      an ``overdue`` one returns to its loop state; an ``escalated`` one stays escalated (its
      suspension is lifted through the lifecycle, not here).
    - ``annul`` (system, an upheld appeal): from any open position, overlays too; closed.
    - every loop step: resolved on the loop state (under an overlay too); the overlay is left
      behind.

    Raises:
        NcTransitionError: with a message a person understands.
    """
    status, stage = position.status, position.stage
    if action is NcAction.MARK_OVERDUE:
        if status in OVERLAYS or stage not in MARKABLE_OVERDUE:
            raise _impossible(position, action)
        if party not in MARKERS:
            raise _refuse_party(MARKERS)
        return Position(NcState.OVERDUE, stage)
    if action is NcAction.ESCALATE:
        if status is NcState.ESCALATED or stage is NcState.CLOSED:
            raise _impossible(position, action)
        if party not in ESCALATORS:
            raise _refuse_party(ESCALATORS)
        return Position(NcState.ESCALATED, stage)
    if action is NcAction.EXTEND_DEADLINE:
        if status is NcState.ESCALATED or stage is NcState.CLOSED:
            raise _impossible(position, action)
        if party not in EXTENDERS:
            raise _refuse_party(EXTENDERS)
        return Position(stage, stage)
    if action in (NcAction.REGRADE, NcAction.ANNUL):
        if stage is NcState.CLOSED:
            raise _impossible(position, action)
        if party not in ANNULLERS:
            raise _refuse_party(ANNULLERS)
        if action is NcAction.ANNUL:
            return Position(NcState.CLOSED, NcState.CLOSED)
        return position if status is NcState.ESCALATED else Position(stage, stage)
    entry = LOOP.get((stage, action))
    if entry is None or (action is NcAction.CLOSE_IN_AUDIT and status in OVERLAYS):
        raise _impossible(position, action)
    target, parties = entry
    if party not in parties:
        raise _refuse_party(parties)
    return Position(target, target)


def allowed_actions(position: Position, party: Party) -> list[NcAction]:
    """The actions *party* may take from *position*, in :class:`NcAction` order."""
    allowed = []
    for action in NcAction:
        try:
            next_position(position, action, party)
        except NcTransitionError:
            continue
        allowed.append(action)
    return allowed


#: What the loop waits for in each loop state: (who, what), for dashboards and notices.
NEXT_STEP: Mapping[NcState, tuple[Party, str]] = MappingProxyType(
    {
        _S.OPEN: (_P.APPLICANT, "submit a corrective-action plan"),
        _S.PLAN_RETURNED: (_P.APPLICANT, "revise the corrective-action plan and submit it again"),
        _S.PLAN_SUBMITTED: (_P.AUDITOR, "review the corrective-action plan"),
        _S.PLAN_ACCEPTED: (_P.APPLICANT, "carry out the plan and upload evidence of closure"),
        _S.EVIDENCE_SUBMITTED: (_P.AUDITOR, "verify the evidence of closure"),
    }
)


def next_step(position: Position) -> tuple[Party, str] | None:
    """Who acts next and what they do (None when closed)."""
    return NEXT_STEP.get(position.stage)


# --------------------------------------------------------------------------- deadlines

#: Reminders before a due date, in days (ascending).
REMINDER_DAYS = (7, 30)


def reminder_due(
    due_on: dt.date, today: dt.date, days: tuple[int, ...] = REMINDER_DAYS
) -> int | None:
    """Which reminder applies *today* for *due_on*: the smallest of *days* that is at least the
    days left (so 20 days left → the 30-day reminder, 5 → the 7-day one); None when the due
    date is further away than every reminder, or already passed."""
    left = (due_on - today).days
    if left < 0:
        return None
    for threshold in sorted(days):
        if left <= threshold:
            return threshold
    return None


def regraded_due_on(grade_due_on: dt.date, today: dt.date, minimum_days: int) -> dt.date:
    """The due date of a non-conformity whose grade changed: *grade_due_on* (the new grade's
    deadline under the rubric, counted from the day it was raised), but never sooner than
    *minimum_days* from *today*, so a regrade never leaves the holder no time to act."""
    return max(grade_due_on, today + dt.timedelta(days=minimum_days))


def past_due(due_on: dt.date, today: dt.date) -> bool:
    """The due date is over: *today* is a later day."""
    return today > due_on


#: The rubric's grade consequences (``nonconformities.grades[].consequence``).
SUSPEND_IMMEDIATELY = "suspend_immediately"
SUSPEND_AFTER_DEADLINE = "suspend_after_deadline"
REVIEW_AT_NEXT_SURVEILLANCE = "review_at_next_surveillance"
