"""What an upheld appeal against a non-conformity's grade changes (issue 19): the grade, and
with it the due date, or the non-conformity itself when the appeal found it should not have
been raised. Both move the non-conformity through the table of
:mod:`certify.core.nonconformity` (``regrade``, ``annul``), so the audit trail keeps the
before and after with the appeal's reasons; neither commits."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import User
from certify.applications.models import NonConformity
from certify.applications.nonconformities import default_due_date
from certify.core.actor import Actor
from certify.core.nonconformity import NcAction, regraded_due_on
from certify.core.rubric.model import Rubric
from certify.core.workflow import Party
from certify.followup import notices
from certify.followup.loop import MAX_TEXT, offer_reinstatement
from certify.followup.records import lock_nonconformity, move
from certify.operations import OperationError


def _require_open(nc: NonConformity) -> None:
    if nc.is_closed:
        raise OperationError(
            "This non-conformity is closed already: there is no grade left to change.",
            code="closed",
        )


def regrade_nonconformity(
    session: Session,
    nc: NonConformity,
    rubric: Rubric,
    new_grade: str,
    decider: User,
    reasons: str,
    appeal_id: str,
) -> str:
    """Give *nc* the less severe *new_grade* an upheld appeal decided, and the due date that
    grade has under the pinned *rubric*, counted from the day it was raised, but never
    sooner than ``NC_REGRADE_MIN_DAYS`` from today (:func:`regraded_due_on`). An overdue
    non-conformity is no longer overdue (its due date is new) and a proposed suspension
    lapses; an escalated one stays escalated (the suspension is lifted through the lifecycle).
    The holder and the follow-up auditor are told. Returns what changed, in words.

    Raises:
        OperationError: closed already, or a grade the rubric does not have or that is not
            less severe (an appeal does not worsen the decision appealed).
    """
    lock_nonconformity(session, nc)
    _require_open(nc)
    order = [g.id for g in rubric.grades]  # the rubric lists its grades most severe first
    if new_grade not in order or order.index(new_grade) <= order.index(nc.grade):
        raise OperationError(
            "Choose a grade less severe than the one appealed, or annul the non-conformity.",
            field="new_grade",
        )
    today = clock.today()
    minimum = int(current_app.config["NC_REGRADE_MIN_DAYS"])
    raised_on = nc.created_at.date()
    due = regraded_due_on(default_due_date(rubric, new_grade, raised_on), today, minimum)
    before_grade, before_due = nc.grade, nc.due_on
    nc.grade, nc.due_on = new_grade, due
    nc.suspension_proposed_at = None
    move(
        session, nc, NcAction.REGRADE, Party.SYSTEM, Actor.user(decider.public_id),
        reason=reasons[:MAX_TEXT],
        extra={
            "grade": new_grade, "was_grade": before_grade, "due_on": due.isoformat(),
            "was_due_on": before_due.isoformat(), "appeal": appeal_id,
        },
    )  # fmt: skip
    for tell in (notices.tell_holder, notices.tell_auditor):
        tell(session, "nonconformity.regraded", nc, reason=reasons[:MAX_TEXT])
    return (
        f"Non-conformity on {nc.criterion_id} regraded from {before_grade} to {new_grade}; "
        f"now due {due:%-d %b %Y} (was {before_due:%-d %b %Y})."
    )


def annul_nonconformity(
    session: Session, nc: NonConformity, decider: User, reasons: str, appeal_id: str
) -> str:
    """Close *nc* because an upheld appeal found it should not have been raised; the
    closure note names the appeal and its reasons. When a suspension rested on it and every
    other non-conformity it rests on is closed, the admins are told that the certificate may
    be reinstated. Returns what changed, in words.

    Raises:
        OperationError: closed already.
    """
    lock_nonconformity(session, nc)
    _require_open(nc)
    move(
        session, nc, NcAction.ANNUL, Party.SYSTEM, Actor.user(decider.public_id),
        reason=reasons[:MAX_TEXT], extra={"appeal": appeal_id},
    )  # fmt: skip
    nc.closed_at, nc.closed_by_id = clock.now(), decider.id
    nc.closure_note = f"Annulled on appeal {appeal_id}: {reasons}"[:MAX_TEXT]
    session.flush()
    offer_reinstatement(session, nc)
    return f"Non-conformity on {nc.criterion_id} annulled (closed)."
