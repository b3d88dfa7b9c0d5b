"""A certificate's history as the log tells it, with inclusion proofs (the status API)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.core.tlog import merkle
from certify.core.tlog.entry import LogEvent, parse_log_entry
from certify.translog.models import LogEntry
from certify.translog.store import _run_plans, latest_checkpoint, log_size

# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryItem:
    index: int
    entry: bytes
    parsed: Any
    proof: list[bytes]


@dataclass(frozen=True)
class History:
    """A serial's log entries up to the current checkpoint, each with its inclusion proof."""

    size: int
    root: bytes
    checkpoint: str
    items: list[HistoryItem]

    def status_at(self, at: dt.datetime, expires_after: dt.datetime | None) -> str:
        """The status the log says the certificate had at *at*: ``active``, ``suspended``,
        ``withdrawn``, ``superseded``, ``expired``, or ``not_issued`` (before its issuance).

        Log times are whole seconds, so *at* counts to the second: the answer is the status
        after every entry logged in *at*'s second or before (the log's order decides within
        a second)."""
        at = at.astimezone(dt.UTC).replace(microsecond=0)
        status = "not_issued"
        effective: dt.datetime | None = None
        for item in self.items:
            # The log's order is authoritative; an entry never takes effect before the one
            # logged ahead of it (times are whole seconds, an issue time is rounded up;
            # entries logged before issue 20 may run backwards).
            effective = item.parsed.time if effective is None else max(effective, item.parsed.time)
            if effective > at:
                break
            status = {
                LogEvent.ISSUED: "active",
                LogEvent.SUSPENDED: "suspended",
                LogEvent.REINSTATED: "active",
                LogEvent.WITHDRAWN: "withdrawn",
                LogEvent.SUPERSEDED: "superseded",
                LogEvent.EXPIRED: "expired",
            }.get(item.parsed.event, status)
        if status == "active" and expires_after is not None and at >= expires_after:
            return "expired"
        return status


def certificate_history(session: Session, serial: str) -> History:
    """Every entry naming *serial* in the current tree, with proofs: two queries for the
    entries and the head, one for every node all the proofs need."""
    size = log_size(session)
    rows = session.scalars(
        select(LogEntry)
        .where(LogEntry.serial == serial, LogEntry.idx < size)
        .order_by(LogEntry.idx)
    ).all()
    checkpoint = latest_checkpoint(session)
    if not size:
        return History(0, merkle.EMPTY_ROOT, checkpoint, [])
    plans = [merkle.plan_inclusion(row.idx, size) for row in rows]
    results = _run_plans(session, merkle.plan_root(size), *plans)
    items = [
        HistoryItem(row.idx, bytes(row.entry), parse_log_entry(bytes(row.entry)), proof)
        for row, proof in zip(rows, results[1:], strict=True)
    ]
    return History(size, results[0][0], checkpoint, items)
