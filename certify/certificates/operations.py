"""Certificate lifecycle: suspend, reinstate, withdraw, supersede; and finding by serial.

Each operation takes the actor, changes the status, records a ``certificate_status_change``
row and an audit event, updates the status lists (re-signing them) and flushes; the caller
commits. Issued bytes (snapshot, credential) are never touched.

Status-list bits: suspension sets the suspension bit, reinstatement clears it; withdrawal
sets the revocation bit (and clears a suspension bit: the certificate is withdrawn, not
suspended). Superseding on renewal leaves both bits alone: a set bit tells every generic
verifier "revoked" or "suspended", which a renewal is not; the registry's own verification
reports ``superseded`` and names the successor.

:func:`record_key_rotation` records a ``keys rotate`` in the audit trail and lets other
features (the transparency log) act in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

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
from certify.core.serial import SerialError, normalise_serial
from certify.db import utcnow
from certify.operations import OperationError

MAX_REASON = 4000


class CertificateError(OperationError):
    """A lifecycle change was refused; nothing was written."""


def find_certificate(session: Session, text: str, prefix: str) -> Certificate | None:
    """The certificate whose serial *text* is, as typed (any case, spaces, O for 0...);
    None when it is not a serial or no certificate has it."""
    try:
        serial = normalise_serial(text, prefix)
    except SerialError:
        return None
    return session.scalar(select(Certificate).where(Certificate.serial == serial))


def _keys() -> KeyStore:
    try:
        return get_keystore()
    except KeyStoreError as exc:
        raise CertificateError(f"cannot sign the status lists: {exc}") from exc


def _check_reason(category: str | None, reason: str | None, category_required: bool) -> str:
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


def _change(
    session: Session,
    certificate: Certificate,
    actor: Actor,
    new_status: CertificateStatus,
    action: str,
    *,
    category: str | None,
    reason: str,
    now: dt.datetime,
    suspended_until: dt.datetime | None = None,
    extra: dict | None = None,
) -> CertificateStatusChange:
    previous = certificate.status
    certificate.status = new_status.value
    certificate.status_changed_at = now
    certificate.suspended_until = suspended_until
    change = CertificateStatusChange(
        certificate_id=certificate.id,
        changed_at=now,
        actor=str(actor),
        previous_status=previous,
        new_status=new_status.value,
        reason_category=category,
        reason=reason,
        suspended_until=suspended_until,
    )
    session.add(change)
    after: dict = {"status": new_status.value}
    if suspended_until is not None:
        after["suspended_until"] = suspended_until.isoformat()
    after.update(extra or {})
    record_event(
        session,
        actor,
        action,
        "certificate",
        certificate.serial,
        reason=reason,
        reason_category=category,
        before={"status": previous},
        after=after,
        now=now,
    )
    # The public transparency log, in the same transaction (the reason text stays private).
    from certify.translog.operations import log_status_change

    log_status_change(
        session,
        certificate.serial,
        new_status.value,
        category=category,
        credential_hash=certificate.credential_sha256,
        now=now,
    )
    session.flush()
    return change


def suspend_certificate(
    session: Session,
    certificate: Certificate,
    actor: Actor,
    category: str,
    reason: str,
    until: dt.datetime | None = None,
    *,
    now: dt.datetime | None = None,
) -> CertificateStatusChange:
    """Suspend an active certificate until *until* (default and maximum: the standard's
    ``max_suspension_months`` from now); sets its suspension bit.

    Raises:
        CertificateError: not active (or expired), bad category or reason, *until* not in
            the allowed window.
    """
    from certify.standards.operations import get_rubric

    now = now or utcnow()
    text = _check_reason(category, reason, category_required=True)
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
            f"a suspension lasts at most {months} months (until {latest:%d %b %Y})",
            field="until",
        )
    keys = _keys()
    statuslists.set_bit(
        session, certificate.suspension_list, certificate.suspension_index, True, keys, now
    )
    return _change(
        session,
        certificate,
        actor,
        CertificateStatus.SUSPENDED,
        "certificate.suspended",
        category=category,
        reason=text,
        now=now,
        suspended_until=until,
    )


def reinstate_certificate(
    session: Session,
    certificate: Certificate,
    actor: Actor,
    reason: str,
    category: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> CertificateStatusChange:
    """Lift a suspension: the certificate is active again; clears its suspension bit.

    Raises:
        CertificateError: not suspended, or a bad reason.
    """
    now = now or utcnow()
    text = _check_reason(category, reason, category_required=False)
    if certificate.status != CertificateStatus.SUSPENDED.value:
        raise CertificateError(
            f"only a suspended certificate can be reinstated; this one is "
            f"{certificate.status_at(now).value}"
        )
    keys = _keys()
    statuslists.set_bit(
        session, certificate.suspension_list, certificate.suspension_index, False, keys, now
    )
    return _change(
        session,
        certificate,
        actor,
        CertificateStatus.ACTIVE,
        "certificate.reinstated",
        category=category,
        reason=text,
        now=now,
    )


def withdraw_certificate(
    session: Session,
    certificate: Certificate,
    actor: Actor,
    category: str,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> CertificateStatusChange:
    """Withdraw a certificate for good: sets its revocation bit (and clears its suspension
    bit). Active, suspended and superseded certificates can be withdrawn.

    Raises:
        CertificateError: already withdrawn, bad category or reason.
    """
    now = now or utcnow()
    text = _check_reason(category, reason, category_required=True)
    if certificate.status == CertificateStatus.WITHDRAWN.value:
        raise CertificateError("this certificate is already withdrawn")
    keys = _keys()
    statuslists.set_bit(
        session, certificate.revocation_list, certificate.revocation_index, True, keys, now
    )
    statuslists.set_bit(
        session, certificate.suspension_list, certificate.suspension_index, False, keys, now
    )
    return _change(
        session,
        certificate,
        actor,
        CertificateStatus.WITHDRAWN,
        "certificate.withdrawn",
        category=category,
        reason=text,
        now=now,
    )


def lapsed_suspensions(session: Session, now: dt.datetime | None = None) -> list[Certificate]:
    """Suspended certificates whose suspension ended (``suspended_until`` passed) without a
    reinstatement, oldest first."""
    now = now or utcnow()
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


def withdraw_lapsed_suspension(
    session: Session, certificate: Certificate, actor: Actor, *, now: dt.datetime | None = None
) -> CertificateStatusChange:
    """Withdraw *certificate* because its suspension ended without reinstatement (ISRPS 1.0:
    a suspension lasts at most six months, then the certificate is withdrawn). The reason
    category is the suspension's own; the reason says when the suspension ended.

    Raises:
        CertificateError: the certificate is not suspended, or its suspension has not ended.
    """
    now = now or utcnow()
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
    return withdraw_certificate(session, certificate, actor, category, reason, now=now)


def supersede_certificate(
    session: Session,
    certificate: Certificate,
    successor: Certificate,
    actor: Actor,
    *,
    now: dt.datetime | None = None,
) -> CertificateStatusChange:
    """Mark *certificate* superseded by *successor* (a renewal). Status lists unchanged.

    Raises:
        CertificateError: it is withdrawn or already superseded.
    """
    now = now or utcnow()
    if certificate.status in (CertificateStatus.WITHDRAWN.value, CertificateStatus.SUPERSEDED):
        raise CertificateError(f"a {certificate.status} certificate cannot be superseded")
    certificate.superseded_by_id = successor.id
    return _change(
        session,
        certificate,
        actor,
        CertificateStatus.SUPERSEDED,
        "certificate.superseded",
        category="administrative",
        reason=f"renewed: superseded by {successor.serial}",
        now=now,
        extra={"superseded_by": successor.serial},
    )


#: ``app.extensions`` key: callables ``(session, keys, now)`` run in the transaction that
#: records a key rotation (the transparency log adds one to announce the new keys at once).
KEY_ROTATION_STEPS = "certify.key_rotation_steps"


def record_key_rotation(
    session: Session, rotated: dict[str, Any], actor: Actor, now: dt.datetime | None = None
) -> KeyStore:
    """Record a rotation made by :func:`certify.certificates.keys.rotate_keys` in the caller's
    transaction: a ``keys.rotated`` audit event naming the new credential key and
    document-signing certificate, then every registered key-rotation step. Flushes, never
    commits. Returns the key store now in use.

    Raises:
        KeyStoreError: the rotated keys cannot be loaded.
    """
    now = now or utcnow()
    keys = get_keystore()
    signing = keys.current_signing_cert
    record_event(
        session,
        actor,
        "keys.rotated",
        "keys",
        keys.current_credential_key.id,
        after={
            "credential_key": rotated["credential_key"],
            "signing_cert": rotated["signing_cert"],
            "signing_cert_fingerprint": signing.fingerprint,
        },
        now=now,
    )
    for step in current_app.extensions.get(KEY_ROTATION_STEPS, ()):
        step(session, keys, now)
    session.flush()
    return keys
