"""What the follow-up's operations share: locking a non-conformity, moving it through the
table of :mod:`certify.core.nonconformity` with its audit event, and finding the certificate
and suspension it concerns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.applications.models import Application, NonConformity
from certify.applications.operations import lock_application
from certify.audit.operations import record_event
from certify.certificates.models import Certificate, CertificateStatus, CertificateStatusChange
from certify.core.actor import Actor
from certify.core.nonconformity import NcAction, NcTransitionError, Position, next_position
from certify.core.workflow import Party
from certify.operations import OperationError

#: Certificate statuses under which a case's non-conformities are followed up.
FOLLOWED_UP = (CertificateStatus.ACTIVE.value, CertificateStatus.SUSPENDED.value)


def lock_nonconformity(session: Session, nc: NonConformity) -> NonConformity:
    """Lock the case's row, then the non-conformity's (that order everywhere, before the
    certificate's and the audit head), and forget what the session read before: the checks
    that follow see the non-conformity as it is now, so a double click cannot act twice."""
    lock_application(session, nc.application)
    session.execute(select(NonConformity.id).where(NonConformity.id == nc.id).with_for_update())
    session.expire_all()
    return nc


def certificate_for(session: Session, application: Application) -> Certificate | None:
    """The certificate issued on *application*'s decision (None when none was)."""
    return session.scalar(
        select(Certificate)
        .where(Certificate.application_id == application.id)
        .order_by(Certificate.id.desc())
        .limit(1)
    )


def current_suspension(
    session: Session, certificate: Certificate
) -> CertificateStatusChange | None:
    """The status change that suspended *certificate*, while it is suspended (else None)."""
    if certificate.status != CertificateStatus.SUSPENDED.value:
        return None
    return session.scalar(
        select(CertificateStatusChange)
        .where(
            CertificateStatusChange.certificate_id == certificate.id,
            CertificateStatusChange.new_status == CertificateStatus.SUSPENDED.value,
        )
        .order_by(CertificateStatusChange.id.desc())
        .limit(1)
    )


def require_followed_up(session: Session, application: Application) -> Certificate:
    """The case was certified and its certificate is active or suspended: its
    non-conformities are followed up. Returns the certificate.

    Raises:
        OperationError: otherwise (refused, withdrawn, superseded: nothing to follow up).
    """
    certificate = certificate_for(session, application)
    if certificate is None or certificate.status not in FOLLOWED_UP:
        raise OperationError(
            "This case has no active or suspended certificate, so its non-conformities are "
            "no longer followed up.",
            code="not_followed_up",
        )
    return certificate


def move(
    session: Session,
    nc: NonConformity,
    action: NcAction,
    party: Party,
    actor: Actor,
    *,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Position:
    """Move *nc* by *action* of *party* (the table decides), flush, and record the audit event
    ``nonconformity.<action>`` on the case. Call with the non-conformity locked.

    Raises:
        OperationError: the table does not allow it, with a message for people.
    """
    before = nc.position
    try:
        after = next_position(before, action, party)
    except NcTransitionError as exc:
        raise OperationError(str(exc), code="invalid_transition") from exc
    nc.status, nc.stage = after.status.value, after.stored_stage
    session.flush()
    record_event(
        session,
        actor,
        f"nonconformity.{action.value}",
        "application",
        nc.application.public_id,
        reason=reason,
        before={
            "nonconformity": nc.public_id,
            "status": before.status.value,
            "stage": before.stored_stage,
        },
        after={"status": after.status.value, "stage": after.stored_stage, **(extra or {})},
        now=now or clock.now(),
    )
    return after
