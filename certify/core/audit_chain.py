"""The audit trail's hash chain: canonical event bytes, hashes and chain verification.

Each event's canonical bytes (RFC 8785 JSON) include its position and the previous event's
hash, so changing, removing or reordering any event breaks every later link; the chain head
(length and last hash, kept beside the events) catches removal of the newest events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from certify.core.canonical import canonical_json

GENESIS_HASH = "0" * 64
FORMAT_VERSION = 1


@dataclass(frozen=True)
class EventFields:
    """The recorded fields of one audit event, as stored in its row."""

    seq: int
    occurred_at: dt.datetime
    actor: str
    action: str
    subject_type: str | None
    subject_id: str | None
    reason_category: str | None
    reason: str | None
    before: str | None  # canonical JSON text, or None
    after: str | None
    prev_hash: str


@dataclass(frozen=True)
class StoredEvent:
    """A stored event: its fields plus the canonical bytes and hash stored with it."""

    fields: EventFields
    canonical: bytes
    hash: str


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`: ``ok``, how many events were checked, the problem."""

    ok: bool
    checked: int
    problem: str | None = None
    event_seq: int | None = None


def format_time(value: dt.datetime) -> str:
    """RFC 3339 UTC with microseconds, e.g. ``2026-11-28T04:05:06.123456Z``.

    Raises:
        ValueError: for a naive datetime.
    """
    if value.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_bytes(fields: EventFields) -> bytes:
    """The canonical bytes of an event: what its hash covers."""
    return canonical_json(
        {
            "v": FORMAT_VERSION,
            "seq": fields.seq,
            "time": format_time(fields.occurred_at),
            "actor": fields.actor,
            "action": fields.action,
            "subject": {"type": fields.subject_type, "id": fields.subject_id},
            "reason": {"category": fields.reason_category, "text": fields.reason},
            "before": fields.before,
            "after": fields.after,
            "prev": fields.prev_hash,
        }
    )


def event_hash(data: bytes) -> str:
    """Hex SHA-256 of an event's canonical bytes."""
    return hashlib.sha256(data).hexdigest()


def verify_chain(
    events: Iterable[StoredEvent], head_length: int | None, head_hash: str | None
) -> ChainReport:
    """Check a chain of events given in ``seq`` order, and the recorded head.

    For every event: its stored canonical bytes equal the bytes rebuilt from its columns, its
    hash is the SHA-256 of those bytes, its ``seq`` follows the previous one and its
    ``prev_hash`` is the previous event's hash. Finally the head must name the last event.
    Returns the first problem found, naming the event.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in events:
        f = event.fields
        where = f"event #{f.seq} ({f.action}, {f.occurred_at:%Y-%m-%d %H:%M:%S} UTC)"
        if f.seq != expected_seq:
            missing = f"#{expected_seq}" if f.seq > expected_seq else "a duplicate"
            return ChainReport(
                False,
                checked,
                f"{where}: expected event #{expected_seq}; {missing} is missing or out of order",
                f.seq,
            )
        if f.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                f"{where}: previous-hash link is broken (an earlier event was changed or removed)",
                f.seq,
            )
        try:
            rebuilt = event_bytes(f)
        except ValueError as exc:
            return ChainReport(False, checked, f"{where}: unreadable fields ({exc})", f.seq)
        if rebuilt != bytes(event.canonical):
            return ChainReport(
                False,
                checked,
                f"{where}: stored columns differ from the hashed canonical bytes",
                f.seq,
            )
        if event_hash(rebuilt) != event.hash:
            return ChainReport(
                False, checked, f"{where}: hash does not match its canonical bytes", f.seq
            )
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    if head_length is None or head_hash is None:
        return ChainReport(False, checked, "the chain head record is missing")
    if head_length != checked or head_hash != expected_prev:
        return ChainReport(
            False,
            checked,
            f"the chain head names {head_length} event(s) ending in {head_hash[:12]}…, but "
            f"{checked} event(s) ending in {expected_prev[:12]}… are stored: the newest "
            "event(s) were removed or the head was altered",
        )
    return ChainReport(True, checked)
