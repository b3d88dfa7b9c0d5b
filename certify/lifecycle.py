"""The certificate lifecycle, in the order it happens: the one place to read it, and to add to it.

Three processes touch more than one feature: issuing a certificate, changing its status, and
rotating the registry's keys. Each is a plain list of steps below, read top to bottom; each
step is a function of the feature it belongs to, taking one context object. The operations
here run the lists; views, commands and other operations call these, never the steps.

All of it runs in the caller's transaction: operations flush, and the request (or command)
commits once (:mod:`certify.transaction`). A new lifecycle event (a corrective action closing,
a surveillance decision...) gets a list here, next to these.

Escalating a non-conformity (``ESCALATE_NONCONFORMITY``) suspends the certificate it
concerns through ``CHANGE_STATUS``; a suspension that rests on non-conformities is lifted only
once each is verified closed (a step of ``CHANGE_STATUS``).

``expired`` follows from the certificate's date (see :mod:`certify.core.certificate_status`);
the daily duty records it for an active certificate past its date through ``CHANGE_STATUS``
(:func:`expire_certificate`: the history's row, the log entry, the holder's message; the
status column and the status lists stay as they are).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy.orm import Session

from certify import clock, signals
from certify.certificates import issuance, notices, pdf, rotation
from certify.certificates import operations as status
from certify.certificates.issuance import IssuanceContext, IssuanceError
from certify.certificates.keys import KeyStore, KeyStoreError, get_keystore
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.certificates.operations import StatusChange
from certify.core.actor import Actor
from certify.core.credentials.urls import normalise_public_url
from certify.core.rubric.model import Rubric
from certify.core.scoring.engine import score
from certify.core.scoring.results import NOT_CERTIFIED, ScoreResult
from certify.core.workflow import Party
from certify.followup import escalation
from certify.followup.escalation import Escalation
from certify.registry.search import index_new_certificate
from certify.translog import steps as log

logger = logging.getLogger(__name__)

C = TypeVar("C")

# --------------------------------------------------------------------------- the lists


def supersede_earlier(ctx: IssuanceContext) -> None:
    """Issuance step: the organisation's earlier certificate of the standard (active or
    suspended, not expired) is superseded by the new one."""
    assert ctx.certificate is not None
    for old in issuance.earlier_certificates(ctx):
        supersede_certificate(ctx.session, old, ctx.certificate, ctx.actor, now=ctx.now)
        ctx.superseded.append(old)


def announce_issued(ctx: IssuanceContext) -> None:
    """Issuance step: optional listeners (clients watching the holder) hear of it, in the
    same transaction, so what they are sent commits or rolls back with the certificate."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    signals.certificate_issued.send(app, session=ctx.session, certificate=ctx.certificate)


def announce_status_change(change: StatusChange) -> None:
    """Status-change step: optional listeners (clients watching the certificate or its
    holder) hear of it, in the same transaction."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    signals.certificate_status_changed.send(app, change=change)


#: Issuing a certificate for a decided application, all or nothing.
ISSUE: Sequence[Callable[[IssuanceContext], None]] = (
    issuance.check_decision,  # the application, score and rubric fit together and certify
    issuance.choose_serial,  # a new random serial, unused
    issuance.take_snapshot,  # the immutable record: holder, sites, scope, standard, scores
    issuance.find_certified_since,  # where the chain this certificate continues starts
    issuance.reserve_status_indexes,  # a free index in the revocation and suspension lists
    log.reserve_issuance_entry,  # announce new keys; lock the log; reserve the entry's index
    issuance.make_credential,  # the W3C credential (naming that index), signed
    log.append_issuance_entry,  # the issuance entry, with the credential's hash
    pdf.sign_pdf,  # the PDF: rendered, signed, checked as a verifier would
    issuance.record_certificate,  # the certificate row and its first status change
    index_new_certificate,  # the registry's search terms
    pdf.store_pdf,  # the signed PDF, stored with the certificate
    supersede_earlier,  # the organisation's earlier certificate of the standard: superseded
    issuance.audit_issuance,  # the certificate.issued audit event
    notices.notify_issued,  # the holder's members: the certificate and its PDF
    announce_issued,  # optional listeners: clients watching the holder (certify.clients)
)

#: Changing a certificate's status (suspend, reinstate, withdraw, supersede). The row is
#: locked and the change prepared (checked against the request) before these run.
CHANGE_STATUS: Sequence[Callable[[StatusChange], None]] = (
    status.check_status_transition,  # the state table, against the status stored now
    escalation.check_reinstatement,  # a suspension resting on open non-conformities stays
    status.update_status_lists,  # set or clear the bits; the lists are re-signed
    status.record_status_change,  # the lifecycle columns and the status-change row
    status.audit_status_change,  # the audit event (the reason text stays private)
    log.append_status_entry,  # the public log entry (the reason category only)
    notices.notify_status_change,  # the holder's members: what changed, why, what next
    announce_status_change,  # optional listeners: clients watching it (certify.clients)
)


def suspend_for_nonconformity(ctx: Escalation) -> None:
    """Escalation step: suspend the active certificate through :data:`CHANGE_STATUS` (the
    rubric's reason category, the standard's longest suspension), or, when it is suspended
    already, find the suspension that now rests on this non-conformity too."""
    if ctx.joined:
        ctx.suspension = escalation.current_suspension(ctx.session, ctx.certificate)
        return
    ctx.suspension = change_status(
        status.prepare_suspension(
            ctx.session, ctx.certificate, ctx.actor, ctx.category, ctx.reason, None, ctx.now
        )
    )


#: Escalating a non-conformity: a critical one as it is raised on a certified case, a major
#: one past its due date (the scheduler, or the admin confirming its proposal). The case, the
#: non-conformity and the certificate are locked, in that order, before these run.
ESCALATE_NONCONFORMITY: Sequence[Callable[[Escalation], None]] = (
    escalation.check_escalation,  # the table, the pinned rubric's grade rule, the certificate
    suspend_for_nonconformity,  # CHANGE_STATUS (or the suspension it is already under)
    escalation.record_escalation,  # the non-conformity: escalated, tied to the suspension
    escalation.notify_escalation,  # the holder (a joined suspension), the admins (automatic)
)

#: Recording a key rotation (the new key files are already written by ``rotate_keys``).
ROTATE_KEYS: Sequence[Callable[[Session, dict[str, Any], KeyStore, Actor, dt.datetime], None]] = (
    status.audit_key_rotation,  # the keys.rotated audit event
    log.announce_rotated_keys,  # the new keys, announced in the public log
)


def _run(steps: Iterable[Callable[[C], None]], context: C) -> None:
    for step in steps:
        step(context)


# --------------------------------------------------------------------------- issuing


def issue_certificate(
    session: Session,
    application: Any,
    *,
    score: ScoreResult,
    rubric: Rubric,
    decided_at: dt.datetime,
    actor: Actor,
) -> Certificate:
    """Issue the certificate for a decided application: :data:`ISSUE`, all or nothing, inside
    a savepoint of the caller's transaction (flushes, never commits). Needs an app context.

    Raises:
        IssuanceError: with a message saying what failed; nothing is left behind (no row, no
            status-list change, no log entry, no audit event, no file), and the session stays
            usable.
    """
    try:
        key_store = get_keystore()
    except KeyStoreError as exc:
        raise IssuanceError(f"cannot issue certificates: {exc}") from exc
    config = current_app.config
    ctx = IssuanceContext(
        session=session,
        application=application,
        score=score,
        rubric=rubric,
        decided_at=decided_at,
        actor=actor,
        keys=key_store,
        public_url=normalise_public_url(config["PUBLIC_URL"]),
        issuer_name=str(config["REGISTRY_NAME"]),
        certification_body=issuance.certification_body(config),
        serial_prefix=str(config["SERIAL_PREFIX"]),
        now=clock.now(),
    )
    savepoint = session.begin_nested()
    current: Callable[..., None] | None = None
    started = time.perf_counter()
    try:
        for current in ISSUE:
            current(ctx)
        session.flush()
    except Exception as exc:
        savepoint.rollback()
        _undo(ctx)
        _finished(started, ok=False)
        if isinstance(exc, IssuanceError):
            raise
        name = getattr(current, "__name__", "?")
        logger.exception("certificate issuance failed at step %r", name)
        raise IssuanceError(
            f"the certificate could not be issued (step {name!r} failed: {exc}); "
            "nothing was recorded"
        ) from exc
    savepoint.commit()
    _finished(started, ok=True)
    assert ctx.certificate is not None
    return ctx.certificate


def _finished(started: float, *, ok: bool) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    signals.issuance_finished.send(app, seconds=time.perf_counter() - started, ok=ok)


def _undo(ctx: IssuanceContext) -> None:
    for undo in reversed(ctx.on_failure):
        try:
            undo()
        except Exception:  # keep undoing the rest; the operator sees the log
            logger.exception("undoing a failed issuance step")


def issue_for_application(
    session: Session,
    application: Any,
    *,
    answers: Mapping[str, Any],
    actor: Actor,
    rubric: Rubric | None = None,
    open_nonconformities: Iterable[Any] = (),
    decided_at: dt.datetime | None = None,
) -> Certificate:
    """Score *answers* against the application's pinned rubric and issue through the same
    list (for demo data and scripts). Flushes, never commits.

    Raises:
        IssuanceError: the answers do not certify, or issuance failed.
    """
    if rubric is None:
        from certify.standards.operations import get_rubric

        rubric = get_rubric(application.standard_id, application.standard_version, session=session)
    result = score(rubric, answers, open_nonconformities)
    if result.outcome in (None, NOT_CERTIFIED):
        raise IssuanceError("these answers do not reach a certification level")
    return issue_certificate(
        session,
        application,
        score=result,
        rubric=rubric,
        decided_at=decided_at or clock.now(),
        actor=actor,
    )


# --------------------------------------------------------------------------- status changes


def change_status(change: StatusChange) -> CertificateStatusChange:
    """Carry out a prepared change: :data:`CHANGE_STATUS`. Flushes, never commits."""
    _run(CHANGE_STATUS, change)
    change.session.flush()
    assert change.record is not None
    return change.record


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
    status.lock_certificate(session, certificate)
    now = now or _not_before_last_change(certificate, clock.now())
    return change_status(
        status.prepare_suspension(session, certificate, actor, category, reason, until, now)
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
    status.lock_certificate(session, certificate)
    now = now or _not_before_last_change(certificate, clock.now())
    return change_status(
        status.prepare_reinstatement(session, certificate, actor, reason, category, now)
    )


def reinstate_on_appeal(
    session: Session, certificate: Certificate, actor: Actor, appeal_id: str
) -> CertificateStatusChange:
    """Lift a suspension because an appeal against it was upheld (issue 19): the same
    :data:`CHANGE_STATUS`, the appeal named in the audit event; the decider's reasons stay on
    the appeal (the log's reason is only the appeal's id). ``check_reinstatement`` lets it
    through although non-conformities the suspension rests on are open: the appeal
    overturned the suspension itself.

    Raises:
        CertificateError: not suspended.
    """
    status.lock_certificate(session, certificate)
    now = _not_before_last_change(certificate, clock.now())
    change = status.prepare_reinstatement(
        session, certificate, actor, f"Appeal {appeal_id} upheld.", None, now
    )
    change.extra["appeal"] = appeal_id
    return change_status(change)


def withdraw_certificate(
    session: Session,
    certificate: Certificate,
    actor: Actor,
    category: str,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> CertificateStatusChange:
    """Withdraw a certificate for good: sets its revocation bit, clears its suspension bit.

    Raises:
        CertificateError: already withdrawn, bad category or reason.
    """
    status.lock_certificate(session, certificate)
    now = now or _not_before_last_change(certificate, clock.now())
    return change_status(
        status.prepare_withdrawal(session, certificate, actor, category, reason, now)
    )


def withdraw_lapsed_suspension(
    session: Session, certificate: Certificate, actor: Actor, *, now: dt.datetime | None = None
) -> CertificateStatusChange:
    """Withdraw a certificate whose suspension ended without reinstatement.

    Raises:
        CertificateError: it is not under a suspension that has ended.
    """
    status.lock_certificate(session, certificate)
    now = now or _not_before_last_change(certificate, clock.now())
    return change_status(status.prepare_lapsed_withdrawal(session, certificate, actor, now))


def expire_certificate(
    session: Session, certificate: Certificate, actor: Actor, *, now: dt.datetime | None = None
) -> CertificateStatusChange:
    """Record that an active certificate expired unrenewed: :data:`CHANGE_STATUS` to
    ``expired`` (the status column keeps ``active``: expired follows from the date).

    Raises:
        CertificateError: not active, not past its date, or already recorded.
    """
    status.lock_certificate(session, certificate)
    now = now or _not_before_last_change(certificate, clock.now())
    return change_status(status.prepare_expiry(session, certificate, actor, now))


def _not_before_last_change(certificate: Certificate, now: dt.datetime) -> dt.datetime:
    """*now*, or the certificate's last change when that is later: an issuance takes effect
    at its ``validFrom``, rounded up to the second, so a change within that second (or on a
    server whose clock is a little behind) is recorded at the issuance's time, never before
    it. (A caller's explicit ``now`` is taken as given: a deliberate back-dating.)"""
    last = certificate.status_changed_at or certificate.issued_at
    if last is None or now > last:
        return now
    # a microsecond later: each change still moves status_changed_at (caches key on it)
    return last + dt.timedelta(microseconds=1)


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
    status.lock_certificate(session, certificate)
    now = now or _not_before_last_change(certificate, clock.now())
    return change_status(status.prepare_supersession(session, certificate, successor, actor, now))


def escalate_nonconformity(
    session: Session,
    nonconformity: Any,
    actor: Actor,
    *,
    party: Party = Party.SYSTEM,
    now: dt.datetime | None = None,
) -> CertificateStatusChange:
    """Suspend the certificate because of *nonconformity*: :data:`ESCALATE_NONCONFORMITY`.
    Flushes, never commits. Returns the suspension it now rests on.

    Raises:
        OperationError: the table or the rubric does not allow it now, or the certificate is
            neither active nor suspended.
    """
    now = now or clock.now()
    ctx = escalation.prepare_escalation(session, nonconformity, actor, party, now)
    _run(ESCALATE_NONCONFORMITY, ctx)
    session.flush()
    assert ctx.suspension is not None
    return ctx.suspension


# --------------------------------------------------------------------------- keys


def rotate_keys(
    session: Session,
    actor: Actor,
    *,
    root_key_path: Path | None = None,
    root_passphrase: str | None = None,
    credential_only: bool = False,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Rotate the key files (:func:`certify.certificates.rotation.rotate_keys`), then record the
    rotation: :data:`ROTATE_KEYS`, in the caller's transaction. Returns what was made.

    Raises:
        KeyStoreError: the keys cannot be rotated or loaded afterwards.
    """
    rotated = rotation.rotate_keys(
        root_key_path=root_key_path,
        root_passphrase=root_passphrase,
        credential_only=credential_only,
    )
    record_key_rotation(session, rotated, actor, now=now)
    return rotated


def record_key_rotation(
    session: Session, rotated: dict[str, Any], actor: Actor, *, now: dt.datetime | None = None
) -> KeyStore:
    """Record a rotation already made on disk: :data:`ROTATE_KEYS`. Flushes, never commits.

    Raises:
        KeyStoreError: the rotated keys cannot be loaded.
    """
    now = now or clock.now()
    key_store = get_keystore()
    for step in ROTATE_KEYS:
        step(session, rotated, key_store, actor, now)
    session.flush()
    return key_store
