"""Recording audit events. Every operation that changes state calls :func:`record_event`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from certify import clock
from certify.audit.models import AuditEvent, AuditHead
from certify.core.actor import Actor
from certify.core.audit_chain import (
    ChainReport,
    EventFields,
    StoredEvent,
    event_bytes,
    event_hash,
    verify_chain,
)
from certify.core.canonical import canonical_json


def _json_text(value: Any) -> str | None:
    return None if value is None else canonical_json(value).decode("utf-8")


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str | None = None,
    subject_id: str | None = None,
    *,
    reason: str | None = None,
    reason_category: str | None = None,
    before: Any = None,
    after: Any = None,
    now: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event to the audit chain inside the caller's transaction and flush.

    *before* and *after* are JSON-able values (stored as canonical JSON text). The head row is
    updated first so concurrent appends wait for each other instead of forking the chain.
    """
    # Take the lock as it reads: an UPDATE holds PostgreSQL's row lock until commit, so the
    # length and head it returns are this transaction's to extend.
    # The head row is never loaded as an object, so plain SQL on the session's connection
    # (no ORM bookkeeping) is all it needs.
    connection = session.connection()
    head = connection.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(length=AuditHead.length + 1)
        .returning(AuditHead.length, AuditHead.head_hash)
    ).one()
    fields = EventFields(
        seq=head.length,
        occurred_at=(now or clock.now()).astimezone(dt.UTC),
        actor=str(actor),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        reason_category=reason_category,
        reason=reason,
        before=_json_text(before),
        after=_json_text(after),
        prev_hash=head.head_hash,
    )
    data = event_bytes(fields)
    digest = event_hash(data)
    event = AuditEvent(
        seq=fields.seq,
        occurred_at=fields.occurred_at,
        actor=fields.actor,
        action=fields.action,
        subject_type=fields.subject_type,
        subject_id=fields.subject_id,
        reason_category=fields.reason_category,
        reason=fields.reason,
        before=fields.before,
        after=fields.after,
        prev_hash=fields.prev_hash,
        canonical=data,
        hash=digest,
    )
    session.add(event)
    session.flush()
    connection.execute(update(AuditHead).where(AuditHead.id == 1).values(head_hash=digest))
    return event


def _stored_events(session: Session, batch: int = 1000) -> Iterator[StoredEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield StoredEvent(
                fields=EventFields(
                    seq=row.seq,
                    occurred_at=row.occurred_at,
                    actor=row.actor,
                    action=row.action,
                    subject_type=row.subject_type,
                    subject_id=row.subject_id,
                    reason_category=row.reason_category,
                    reason=row.reason,
                    before=row.before,
                    after=row.after,
                    prev_hash=row.prev_hash,
                ),
                # A tampered SQLite row may hold text where bytes belong.
                canonical=row.canonical
                if isinstance(row.canonical, bytes)
                else str(row.canonical).encode("utf-8"),
                hash=row.hash,
            )
        last = rows[-1].seq
        session.expunge_all()


def verify_audit_chain(session: Session) -> ChainReport:
    """Check the whole stored chain and its head (see ``core.audit_chain.verify_chain``)."""
    # read as a row, never an object: record_event moves the head with plain SQL
    head = session.execute(
        select(AuditHead.length, AuditHead.head_hash).where(AuditHead.id == 1)
    ).one_or_none()
    length, head_hash = (head.length, head.head_hash) if head else (None, None)
    checked: list[int] = []

    def tracked() -> Iterator[StoredEvent]:
        for event in _stored_events(session):
            checked.append(event.fields.seq)
            yield event

    try:
        return verify_chain(tracked(), length, head_hash)
    except (ValueError, TypeError, OverflowError) as exc:
        # A row so damaged that it cannot even be read back (e.g. an impossible date).
        after = f"after event #{checked[-1]}" if checked else "at the first event"
        return ChainReport(False, len(checked), f"unreadable audit row {after}: {exc}")
