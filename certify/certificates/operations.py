"""Certificate status changes: the parts that belong to the certificates feature.

A change is described by a :class:`StatusChange` (made by one of the ``prepare_*`` functions,
which check the request against the certificate as it is now) and carried out by the steps
listed in :data:`certify.lifecycle.CHANGE_STATUS`: the table check under the row lock, the
status-list bits, the status-change row, the audit event, then the transparency log entry.
Callers use :mod:`certify.lifecycle` (``suspend_certificate`` ...), which locks the row first.

Issued bytes (snapshot, credential) are never touched; only the lifecycle columns move.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.audit.operations import record_event
from certify.certificates import statuslists
from certify.certificates.issuance import add_months
from certify.certificates.keys import KeyStore, KeyStoreError, get_keystore
from certify.certificates.models import (
    REASON_CATEGORIES,
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
)
from certify.core.actor import Actor
from certify.core.certificate_status import STATUS_BITS, StatusTransitionError, check_transition
from certify.operations import OperationError

MAX_REASON = 4000


class CertificateError(OperationError):
    """A lifecycle change was refused; nothing was written."""


@dataclass
class StatusChange:
    """One change of one certificate's status, shared by the steps that carry it out."""

    session: Session
    certificate: Certificate
    actor: Actor
    new_status: CertificateStatus
    #: the audit action, e.g. ``certificate.suspended``
    action: str
    category: str | None
    reason: str
    now: dt.datetime
    suspended_until: dt.datetime | None = None
    #: more audit detail (``superseded_by``)
    extra: dict[str, Any] = field(default_factory=dict)
    #: set by the steps
    previous_status: str | None = None
    record: CertificateStatusChange | None = None


def lock_certificate(session: Session, certificate: Certificate) -> Certificate:
    """Lock *certificate*'s row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's writers
    already hold the database's write lock) and forget what the session read before, so the
    change is checked against the certificate as it is now.

    Two requests changing one certificate at once then run one after the other, and the
    second sees what the first did: a double click, or a withdrawal racing a suspension,
    cannot both take effect. Pending changes are flushed first, never lost.
    """
    session.execute(
        select(Certificate.id).where(Certificate.id == certificate.id).with_for_update()
    )
    session.expire_all()
    return certificate


def _keys() -> KeyStore:
    try:
        return get_keystore()
    except KeyStoreError as exc:
        raise CertificateError(f"cannot sign the status lists: {exc}") from exc


def check_reason(category: str | None, reason: str | None, category_required: bool) -> str:
    """The reason text, stripped.

    Raises:
        CertificateError: a missing or unknown category, or a missing or too long reason.
    """
    if category is None and category_required:
        raise CertificateError("choose a reason category", field="category")
    if category is not None and category not in REASON_CATEGORIES:
        raise CertificateError(
            f"unknown reason category {category!r}; one of: {', '.join(REASON_CATEGORIES)}",
            field="category",
        )
    text = (reason or "").strip()
    if not text:
        raise CertificateError("write the reason", field="reason")
    if len(text) > MAX_REASON:
        raise CertificateError(f"the reason is longer than {MAX_REASON} characters", "reason")
    return text


# --------------------------------------------------------------------------- preparing a change


def prepare_suspension(
    session: Session,
    certificate: Certificate,
    actor: Actor,
    category: str,
    reason: str,
    until: dt.datetime | None,
    now: dt.datetime,
) -> StatusChange:
    """Suspend an active certificate until *until* (default and maximum: the standard's
    ``max_suspension_months`` from now); sets its suspension bit.

    Raises:
        CertificateError: not active (or expired), bad category or reason, *until* not in
            the allowed window.
    """
    from certify.standards.operations import get_rubric

    text = check_reason(category, reason, category_required=True)
    if certificate.status_at(now) is not CertificateStatus.ACTIVE:
        raise CertificateError(
            f"only an active certificate can be suspended; this one is "
            f"{certificate.status_at(now).value}"
        )
    rubric = get_rubric(certificate.standard_id, certificate.standard_version, session=session)
    months = rubric.max_suspension_months
    latest = dt.datetime.combine(
        add_months(now.astimezone(dt.UTC).date(), months), now.timetz(), tzinfo=dt.UTC
    )
    if until is None:
        until = latest
    if until.tzinfo is None:
        raise CertificateError("the end of the suspension needs a time zone", field="until")
    if until <= now:
        raise CertificateError("the suspension must end in the future", field="until")
    if until > latest:
        raise CertificateError(
            f"a suspension lasts at most {months} months (until {latest.day} {latest:%b %Y})",
            field="until",
        )
    return StatusChange(
        session,
        certificate,
        actor,
        CertificateStatus.SUSPENDED,
        "certificate.suspended",
        category,
        text,
        now,
        suspended_until=until,
    )


def prepare_reinstatement(
    session: Session,
    certificate: Certificate,
    actor: Actor,
    reason: str,
    category: str | None,
    now: dt.datetime,
) -> StatusChange:
    """Lift a suspension: the certificate is active again; clears its suspension bit.

    Raises:
        CertificateError: not suspended, or a bad reason.
    """
    text = check_reason(category, reason, category_required=False)
    if certificate.status != CertificateStatus.SUSPENDED.value:
        raise CertificateError(
            f"only a suspended certificate can be reinstated; this one is "
            f"{certificate.status_at(now).value}"
        )
    return StatusChange(
        session,
        certificate,
        actor,
        CertificateStatus.ACTIVE,
        "certificate.reinstated",
        category,
        text,
        now,
    )


def prepare_withdrawal(
    session: Session,
    certificate: Certificate,
    actor: Actor,
    category: str,
    reason: str,
    now: dt.datetime,
) -> StatusChange:
    """Withdraw a certificate for good: sets its revocation bit (and clears its suspension
    bit). Active, suspended and superseded certificates can be withdrawn.

    Raises:
        CertificateError: already withdrawn, bad category or reason.
    """
    text = check_reason(category, reason, category_required=True)
    if certificate.status == CertificateStatus.WITHDRAWN.value:
        raise CertificateError("this certificate is already withdrawn")
    return StatusChange(
        session,
        certificate,
        actor,
        CertificateStatus.WITHDRAWN,
        "certificate.withdrawn",
        category,
        text,
        now,
    )


def prepare_lapsed_withdrawal(
    session: Session, certificate: Certificate, actor: Actor, now: dt.datetime
) -> StatusChange:
    """Withdraw *certificate* because its suspension ended without reinstatement (ISRPS 1.0:
    a suspension lasts at most six months, then the certificate is withdrawn). The reason
    category is the suspension's own; the reason says when the suspension ended.

    Raises:
        CertificateError: the certificate is not suspended, or its suspension has not ended.
    """
    until = certificate.suspended_until
    if certificate.status != CertificateStatus.SUSPENDED.value or until is None or until >= now:
        raise CertificateError("this certificate is not under a suspension that has ended")
    suspension = session.scalars(
        select(CertificateStatusChange)
        .where(
            CertificateStatusChange.certificate_id == certificate.id,
            CertificateStatusChange.new_status == CertificateStatus.SUSPENDED.value,
        )
        .order_by(CertificateStatusChange.changed_at.desc(), CertificateStatusChange.id.desc())
        .limit(1)
    ).first()
    category = (suspension.reason_category if suspension else None) or "administrative"
    reason = (
        f"The suspension ended on {until:%Y-%m-%d} without reinstatement: "
        "the certificate is withdrawn."
    )
    return prepare_withdrawal(session, certificate, actor, category, reason, now)


def prepare_supersession(
    session: Session,
    certificate: Certificate,
    successor: Certificate,
    actor: Actor,
    now: dt.datetime,
) -> StatusChange:
    """Mark *certificate* superseded by *successor* (a renewal). Status lists unchanged.

    Raises:
        CertificateError: it is withdrawn or already superseded.
    """
    if certificate.status in (CertificateStatus.WITHDRAWN, CertificateStatus.SUPERSEDED):
        raise CertificateError(f"a {certificate.status} certificate cannot be superseded")
    certificate.superseded_by_id = successor.id
    return StatusChange(
        session,
        certificate,
        actor,
        CertificateStatus.SUPERSEDED,
        "certificate.superseded",
        "administrative",
        f"renewed: superseded by {successor.serial}",
        now,
        extra={"superseded_by": successor.serial},
    )


def prepare_expiry(
    session: Session, certificate: Certificate, actor: Actor, now: dt.datetime
) -> StatusChange:
    """Record that an active certificate reached the end of its last valid day unrenewed.
    The status column stays as it is (``expired`` follows from the date); the change is
    the history's row, the audit event, the log entry and the holder's message. Status
    lists unchanged.

    Raises:
        CertificateError: not active, not yet past its date, or its expiry already recorded.
    """
    if certificate.status != CertificateStatus.ACTIVE.value or now < certificate.expires_after:
        raise CertificateError(
            f"only an active certificate past its date expires; this one is "
            f"{certificate.status_at(now).value}"
        )
    if expiry_recorded(session, certificate):
        raise CertificateError("this certificate's expiry is already recorded")
    return StatusChange(
        session,
        certificate,
        actor,
        CertificateStatus.EXPIRED,
        "certificate.expired",
        None,
        f"valid until {certificate.valid_until:%Y-%m-%d}, not renewed",
        now,
    )


def expiry_recorded(session: Session, certificate: Certificate) -> bool:
    """Whether *certificate*'s expiry is in its status history."""
    return (
        session.scalar(
            select(CertificateStatusChange.id)
            .where(
                CertificateStatusChange.certificate_id == certificate.id,
                CertificateStatusChange.new_status == CertificateStatus.EXPIRED.value,
            )
            .limit(1)
        )
        is not None
    )


def unrecorded_expiries(session: Session, now: dt.datetime) -> list[Certificate]:
    """Active certificates past their last valid day whose expiry is not recorded yet,
    oldest first."""
    recorded = select(CertificateStatusChange.certificate_id).where(
        CertificateStatusChange.new_status == CertificateStatus.EXPIRED.value
    )
    rows = session.scalars(
        select(Certificate)
        .where(
            Certificate.status == CertificateStatus.ACTIVE.value,
            Certificate.valid_until < now,
            Certificate.id.not_in(recorded),
        )
        .order_by(Certificate.valid_until, Certificate.id)
    )
    return [c for c in rows if now >= c.expires_after]


def lapsed_suspensions(session: Session, now: dt.datetime | None = None) -> list[Certificate]:
    """Suspended certificates whose suspension ended (``suspended_until`` passed) without a
    reinstatement, oldest first."""
    now = now or clock.now()
    return list(
        session.scalars(
            select(Certificate)
            .where(
                Certificate.status == CertificateStatus.SUSPENDED.value,
                Certificate.suspended_until.is_not(None),
                Certificate.suspended_until < now,
            )
            .order_by(Certificate.suspended_until, Certificate.id)
        )
    )


# --------------------------------------------------------------------------- the steps


def check_status_transition(change: StatusChange) -> None:
    """The state table allows the change from the status stored now (read under the lock).

    Raises:
        CertificateError: it does not (a withdrawn certificate stays withdrawn).
    """
    change.previous_status = change.certificate.status
    try:
        check_transition(CertificateStatus(change.previous_status), change.new_status)
    except StatusTransitionError as exc:
        raise CertificateError(str(exc), code="invalid_transition") from exc


def update_status_lists(change: StatusChange) -> None:
    """Set or clear the certificate's status-list bits (re-signing the lists)."""
    bits = STATUS_BITS[change.new_status]
    if not bits:
        return
    keys, certificate = _keys(), change.certificate
    lists = {
        "revocation": (certificate.revocation_list, certificate.revocation_index),
        "suspension": (certificate.suspension_list, certificate.suspension_index),
    }
    for purpose, value in bits.items():
        status_list, index = lists[purpose]
        statuslists.set_bit(change.session, status_list, index, value, keys, change.now)


def record_status_change(change: StatusChange) -> None:
    """Move the lifecycle columns and add the ``certificate_status_change`` row."""
    certificate = change.certificate
    if change.new_status is not CertificateStatus.EXPIRED:  # expired follows from the date
        certificate.status = change.new_status.value
    certificate.status_changed_at = change.now
    certificate.suspended_until = change.suspended_until
    change.record = CertificateStatusChange(
        certificate_id=certificate.id,
        changed_at=change.now,
        actor=str(change.actor),
        previous_status=change.previous_status,
        new_status=change.new_status.value,
        reason_category=change.category,
        reason=change.reason,
        suspended_until=change.suspended_until,
    )
    change.session.add(change.record)
    change.session.flush()


def audit_status_change(change: StatusChange) -> None:
    """The audit event (the reason text stays private to the audit trail)."""
    after: dict[str, Any] = {"status": change.new_status.value}
    if change.suspended_until is not None:
        after["suspended_until"] = change.suspended_until.isoformat()
    after.update(change.extra)
    record_event(
        change.session,
        change.actor,
        change.action,
        "certificate",
        change.certificate.serial,
        reason=change.reason,
        reason_category=change.category,
        before={"status": change.previous_status},
        after=after,
        now=change.now,
    )


def audit_key_rotation(
    session: Session, rotated: dict[str, Any], keys: KeyStore, actor: Actor, now: dt.datetime
) -> None:
    """The ``keys.rotated`` audit event naming the new credential key and signing certificate."""
    record_event(
        session,
        actor,
        "keys.rotated",
        "keys",
        keys.current_credential_key.id,
        after={
            "credential_key": rotated["credential_key"],
            "signing_cert": rotated["signing_cert"],
            "signing_cert_fingerprint": keys.current_signing_cert.fingerprint,
        },
        now=now,
    )
