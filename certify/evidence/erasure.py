"""Erasing evidence: by the retention schedule (the daily job) or on an ISSP's request
approved by an admin or reviewer (issue 24, item 5).

Erasure is crypto-shredding: the file's data key is destroyed in the store
(:meth:`certify.storage.encrypted.EncryptedBackend.shred`), so the ciphertext, and any copy
of it, is noise. The evidence row stays, with ``erased_at`` and ``erasure_reason`` set and its
file name and description cleared; an ``evidence.erased`` audit event records that a file was
erased and why, never its name or content. The audit chain is only appended to, so ``audit
verify`` still passes.

Order, so an interruption never leaves a half-erased file: the rows are marked and the events
recorded (flushed, not committed); then every digest no unerased row names any more is
shredded; then the caller commits. If the commit fails, the next run marks the rows again
(shredding twice changes nothing). A digest another, unerased row still names (the same bytes
uploaded for another case) is kept until that row is erased too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.accounts.models import Role, User
from certify.applications.models import Evidence
from certify.audit.operations import record_event
from certify.certificates.models import Certificate
from certify.core import retention
from certify.core.actor import Actor
from certify.evidence.models import APPROVED, PENDING, REFUSED, ErasureRequest
from certify.evidence.store import EvidenceStore
from certify.operations import OperationError

ERASED_NAME = "(erased)"
RETENTION = "retention"
REQUEST = "request"
MAX_REASON = 2000


def mark_erased(
    session: Session, evidence: Evidence, actor: Actor, reason: str, now: dt.datetime
) -> None:
    """Mark *evidence* erased and record it (flushes). Shredding is :func:`shred_unused`."""
    evidence.erased_at = now
    evidence.erasure_reason = reason
    evidence.filename = ERASED_NAME
    evidence.description = None
    evidence.warnings_json = None
    session.flush()
    record_event(
        session,
        actor,
        "evidence.erased",
        "application",
        evidence.application.public_id,
        reason_category=reason,
        after={"evidence": evidence.public_id, "reason": reason},
        now=now,
    )


def shred_unused(session: Session, store: EvidenceStore, digests: Iterable[str]) -> int:
    """Destroy the data key (and ciphertext) of each digest no unerased row names; return
    how many were shredded."""
    shredded = 0
    for digest in sorted(set(digests)):
        live = session.scalar(
            select(func.count())
            .select_from(Evidence)
            .where(Evidence.sha256 == digest, Evidence.erased_at.is_(None))
        )
        if not live and store.shred(digest):
            shredded += 1
    return shredded


def _cycle_ends(session: Session) -> dict[int, dt.datetime]:
    rows = session.execute(
        select(Certificate.application_id, func.max(Certificate.valid_until)).group_by(
            Certificate.application_id
        )
    )
    return {application_id: until for application_id, until in rows}


def due_for_erasure(
    session: Session, now: dt.datetime, schedule: Mapping[str, int]
) -> list[Evidence]:
    """Unerased evidence whose retention has run out at *now*."""
    ends = _cycle_ends(session)
    rows = session.scalars(
        select(Evidence).where(Evidence.erased_at.is_(None)).order_by(Evidence.id)
    )
    return [
        row
        for row in rows
        if retention.is_due(
            now,
            retention.retention_kind(row.nonconformity_id),
            row.uploaded_at,
            ends.get(row.application_id),
            schedule,
        )
    ]


def erase_due_evidence(
    session: Session,
    store: EvidenceStore,
    actor: Actor,
    *,
    now: dt.datetime,
    schedule: Mapping[str, int],
) -> tuple[int, int]:
    """Erase every file whose retention ran out; return (rows erased, files shredded).
    Flushes, shreds, never commits (see the module's docstring for the order)."""
    due = due_for_erasure(session, now, schedule)
    for row in due:
        mark_erased(session, row, actor, RETENTION, now)
    # also what an earlier run marked but could not shred (a failure after its commit)
    marked = session.scalars(select(Evidence.sha256).where(Evidence.erased_at.is_not(None)))
    return len(due), shred_unused(session, store, marked)


# -- early erasure on request -----------------------------------------------------------------


def _actor(user: User) -> Actor:
    return Actor.user(user.public_id)


def request_erasure(
    session: Session, evidence: Evidence, user: User, reason: str
) -> ErasureRequest:
    """An ISSP member asks to erase *evidence* before its retention ends (flushes)."""
    reason = reason.strip()
    if not reason:
        raise OperationError("Please say why the file should be erased.")
    if len(reason) > MAX_REASON:
        raise OperationError(f"Please keep the reason under {MAX_REASON} characters.")
    if evidence.erased_at is not None:
        raise OperationError("This file is already erased.")
    pending = session.scalar(
        select(ErasureRequest).where(
            ErasureRequest.evidence_id == evidence.id, ErasureRequest.status == PENDING
        )
    )
    if pending is not None:
        raise OperationError("An erasure of this file was already requested; it awaits review.")
    request = ErasureRequest(evidence=evidence, reason=reason, requested_by=user)
    session.add(request)
    session.flush()
    record_event(
        session,
        _actor(user),
        "evidence.erasure_requested",
        "application",
        evidence.application.public_id,
        after={"evidence": evidence.public_id, "request": request.public_id},
    )
    return request


def decide_erasure(
    session: Session,
    store: EvidenceStore,
    request: ErasureRequest,
    user: User,
    *,
    approve: bool,
    note: str,
    now: dt.datetime,
) -> None:
    """An admin or reviewer approves (the file is erased at once) or refuses a request; the
    note is required either way. Flushes and, when approved, shreds (the caller commits)."""
    if not user.has_role(Role.ADMIN, Role.REVIEWER):
        raise OperationError("Only an admin or a reviewer decides erasure requests.")
    note = note.strip()
    if not note:
        raise OperationError("Please give the reason for your decision.")
    if request.status != PENDING:
        raise OperationError("This request was already decided.")
    request.status = APPROVED if approve else REFUSED
    request.decided_by = user
    request.decided_at = now
    request.decision_note = note
    session.flush()
    evidence = request.evidence
    record_event(
        session,
        _actor(user),
        "evidence.erasure_decided",
        "application",
        evidence.application.public_id,
        reason_category=request.status,
        after={"request": request.public_id, "decision": request.status},
        now=now,
    )
    if approve and evidence.erased_at is None:
        mark_erased(session, evidence, _actor(user), REQUEST, now)
        shred_unused(session, store, [evidence.sha256])
