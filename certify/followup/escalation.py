"""Escalating a non-conformity: the certificate it concerns is suspended because of it.

The steps are listed, in order, in :data:`certify.lifecycle.ESCALATE_NONCONFORMITY`; the
suspension itself goes through :data:`certify.lifecycle.CHANGE_STATUS` like any other (status
lists, the public log with the reason category only, the audit trail, the holder's message).
When the certificate is already suspended, the suspension rests on this non-conformity too.

What may escalate follows the pinned rubric's grade rules: ``suspend_immediately`` (critical)
at once, ``suspend_after_deadline`` (major) once its due date has passed; the others never.

:func:`check_reinstatement` is a step of ``CHANGE_STATUS``: a suspension that rests on
non-conformities is lifted only when each is verified closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.applications.models import NonConformity
from certify.audit.operations import record_event
from certify.certificates.models import Certificate, CertificateStatus, CertificateStatusChange
from certify.certificates.operations import CertificateError, StatusChange, lock_certificate
from certify.core.actor import Actor
from certify.core.nonconformity import (
    SUSPEND_AFTER_DEADLINE,
    SUSPEND_IMMEDIATELY,
    NcAction,
    NcTransitionError,
    next_position,
    past_due,
)
from certify.core.workflow import Party
from certify.followup import notices
from certify.followup.records import certificate_for, current_suspension, lock_nonconformity
from certify.operations import OperationError
from certify.standards.operations import get_rubric

CATEGORIES = {
    SUSPEND_IMMEDIATELY: "critical_nonconformity",
    SUSPEND_AFTER_DEADLINE: "major_nonconformity",
}


@dataclass
class Escalation:
    """One escalation, shared by its steps."""

    session: Session
    nonconformity: NonConformity
    certificate: Certificate
    actor: Actor
    party: Party
    now: dt.datetime
    category: str = ""
    reason: str = ""
    #: the certificate was suspended already: the suspension now rests on this one too
    joined: bool = False
    #: set by the suspension step
    suspension: CertificateStatusChange | None = None


def prepare_escalation(
    session: Session, nc: NonConformity, actor: Actor, party: Party, now: dt.datetime
) -> Escalation:
    """Lock the case, the non-conformity and its certificate (in that order) for escalating.

    Raises:
        OperationError: no certificate was issued on the case.
    """
    lock_nonconformity(session, nc)
    certificate = certificate_for(session, nc.application)
    if certificate is None:
        raise OperationError("No certificate was issued on this case: nothing to suspend.")
    lock_certificate(session, certificate)
    return Escalation(session, nc, certificate, actor, party, now)


def _grade_rule(session: Session, nc: NonConformity) -> str:
    application = nc.application
    rubric = get_rubric(application.standard_id, application.standard_version, session=session)
    return next(g.consequence for g in rubric.grades if g.id == nc.grade)


def check_escalation(ctx: Escalation) -> None:
    """Escalation step: the table allows it, the pinned rubric's grade rule calls for it now,
    and the certificate is active (suspend) or suspended (join the suspension).

    Raises:
        OperationError: with the reason, for people.
    """
    nc = ctx.nonconformity
    try:
        next_position(nc.position, NcAction.ESCALATE, ctx.party)
    except NcTransitionError as exc:
        raise OperationError(str(exc), code="invalid_transition") from exc
    rule = _grade_rule(ctx.session, nc)
    if rule not in CATEGORIES:
        raise OperationError(
            f"A {nc.grade} non-conformity does not suspend the certificate.", code="no_suspension"
        )
    if rule == SUSPEND_AFTER_DEADLINE and not past_due(nc.due_on, ctx.now.date()):
        raise OperationError(
            f"This non-conformity is due on {nc.due_on:%-d %b %Y}: it suspends the certificate "
            "only if it is not closed by then.",
            code="not_due",
        )
    status = ctx.certificate.status_at(ctx.now)
    if status not in (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED):
        raise OperationError(f"The certificate is {status.value}: there is nothing to suspend.")
    ctx.joined = status is CertificateStatus.SUSPENDED
    ctx.category = CATEGORIES[rule]
    when = (
        "critical: it suspends the certificate at once"
        if rule == SUSPEND_IMMEDIATELY
        else f"not closed by its due date, {nc.due_on:%-d %b %Y}"
    )
    ctx.reason = (
        f"{nc.grade.capitalize()} non-conformity on {nc.criterion_id} ({when}): {nc.description}"
    )


def record_escalation(ctx: Escalation) -> None:
    """Escalation step: the non-conformity is escalated and tied to the suspension; the audit
    event names both."""
    nc, suspension = ctx.nonconformity, ctx.suspension
    assert suspension is not None
    before = nc.position
    after = next_position(before, NcAction.ESCALATE, ctx.party)
    nc.status, nc.stage = after.status.value, after.stored_stage
    nc.suspension_id, nc.escalated_at = suspension.id, ctx.now
    ctx.session.flush()
    record_event(
        ctx.session,
        ctx.actor,
        f"nonconformity.{NcAction.ESCALATE.value}",
        "application",
        nc.application.public_id,
        reason=ctx.reason,
        reason_category=ctx.category,
        before={"nonconformity": nc.public_id, "status": before.status.value},
        after={
            "status": after.status.value,
            "stage": after.stored_stage,
            "certificate": ctx.certificate.serial,
            "suspension": "joined" if ctx.joined else "new",
        },
        now=ctx.now,
    )


def notify_escalation(ctx: Escalation) -> None:
    """Escalation step: a new suspension tells the holder through ``CHANGE_STATUS``; a joined
    one is told here. The admins hear of what the scheduler or a rule did on its own."""
    nc = ctx.nonconformity
    extra = {"serial": ctx.certificate.serial, "joined": ctx.joined}
    if ctx.joined:
        notices.tell_holder(ctx.session, "nonconformity.escalated", nc, **extra)
    if ctx.party is Party.SYSTEM:
        notices.tell_admins(ctx.session, "nonconformity.escalated", nc, **extra)


def suspending_nonconformities(
    session: Session, suspension: CertificateStatusChange
) -> list[NonConformity]:
    """The non-conformities a suspension rests on, oldest first."""
    return list(
        session.scalars(
            select(NonConformity)
            .where(NonConformity.suspension_id == suspension.id)
            .order_by(NonConformity.id)
        )
    )


def check_reinstatement(change: StatusChange) -> None:
    """Status-change step: a reinstatement lifts a suspension that rests on non-conformities
    only when each of them is verified closed.

    Raises:
        CertificateError: naming those still open.
    """
    if change.new_status is not CertificateStatus.ACTIVE or "appeal" in change.extra:
        return  # an upheld appeal overturns the suspension itself (certify.complaints)
    suspension = current_suspension(change.session, change.certificate)
    if suspension is None:
        return
    still_open = [
        nc for nc in suspending_nonconformities(change.session, suspension) if not nc.is_closed
    ]
    if still_open:
        names = ", ".join(f"{nc.grade} on {nc.criterion_id}" for nc in still_open)
        raise CertificateError(
            f"The suspension rests on non-conformities not yet verified closed ({names}): "
            "the certificate can be reinstated once the auditor has verified each closed.",
            code="nonconformities_open",
        )
