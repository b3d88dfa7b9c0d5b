"""``log verify``: the whole log rebuilt from its entries and checked against everything.

The tree is rebuilt from the entries and compared with the stored subtree hashes, every
checkpoint's signature, origin and root are checked, then the log is reconciled with the
certificates, their status changes (which must follow the status table of
:mod:`certify.core.certificate_status`) and the key store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.core.certificate_status import history_problems
from certify.core.tlog import merkle
from certify.core.tlog.checkpoint import parse_checkpoint
from certify.core.tlog.entry import LogEvent, parse_log_entry
from certify.core.tlog.errors import LogEntryError, NoteError
from certify.core.tlog.note import open_note
from certify.translog.models import LogCheckpoint, LogEntry, LogNode
from certify.translog.store import STATUS_EVENTS, fetch_nodes, log_size

# --------------------------------------------------------------------------- the audit


@dataclass
class LogReport:
    ok: bool
    entries: int = 0
    checkpoints: int = 0
    problem: str | None = None


class _Broken(Exception):
    pass


class _Frontier:
    """The right edge of the tree being rebuilt: its perfect subtrees, largest first."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []
        self.size = 0

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; return the ``(level, idx, hash)`` nodes it completes."""
        index = self.size
        level, current = 0, leaf
        made = [(0, index, leaf)]
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            current = merkle.node_hash(left, current)
            level += 1
            made.append((level, index >> level, current))
        self.stack.append((level, current))
        self.size += 1
        return made

    def root(self) -> bytes:
        if not self.stack:
            return merkle.EMPTY_ROOT
        acc = self.stack[-1][1]
        for _, digest in reversed(self.stack[:-1]):
            acc = merkle.node_hash(digest, acc)
        return acc


def _expected_node_count(size: int) -> int:
    # Every complete node: size leaves, size // 2 pairs, size // 4 ... = 2n - popcount(n).
    return 2 * size - bin(size).count("1")


def verify_log(
    session: Session,
    verifier_key: str,
    origin: str,
    *,
    keys: Any = None,
    progress: Callable[[int], None] | None = None,
    batch: int = 2000,
) -> LogReport:
    """Audit the whole log and return a report naming the first problem found.

    Rebuilds the tree from the entries (each entry's bytes must be a valid canonical entry
    at its index, its leaf hash, event and serial columns must agree with them); compares
    every stored subtree hash with the rebuilt one; checks every stored checkpoint's
    signature with *verifier_key*, its origin and its root against the rebuilt tree (so
    consecutive checkpoints are consistent: they are prefixes of one tree); checks the head;
    then reconciles the log with the certificates, their status changes (each certificate's
    logged history must follow the status table, and end in its stored status) and *keys*
    (a ``KeyStore``, optional). *progress* is called with the number of entries done.
    """
    report = LogReport(ok=True)
    audit = _TreeAudit(session, verifier_key, origin, batch, report)
    try:
        audit.run(progress)
        _reconcile(session, audit.by_serial, audit.key_entries, keys)
    except _Broken as exc:
        report.ok = False
        report.problem = str(exc)
    return report


class _TreeAudit:
    """Rebuilds the tree entry by entry, checking nodes and checkpoints as it goes."""

    def __init__(
        self, session: Session, verifier_key: str, origin: str, batch: int, report: LogReport
    ) -> None:
        self.session, self.verifier_key, self.origin = session, verifier_key, origin
        self.batch, self.report = batch, report
        self.frontier = _Frontier()
        self.by_serial: dict[str, list[Any]] = {}
        self.key_entries: set[tuple[str, str]] = set()
        self.checkpoints = _checkpoint_rows(session, batch)
        self.pending = next(self.checkpoints, None)
        self.last_checkpoint_size = 0

    def run(self, progress: Callable[[int], None] | None) -> None:
        head_size = log_size(self.session)
        while rows := self._next_rows():
            made: dict[merkle.NodeKey, bytes] = {}
            for row in rows:
                made.update(self._entry(row))
            self._compare_nodes(made)
            self.report.entries = self.frontier.size
            if progress is not None:
                progress(len(rows))
            self.session.expunge_all()
        self._check_end(head_size)

    def _next_rows(self) -> Sequence[Any]:
        return self.session.execute(
            select(
                LogEntry.idx, LogEntry.event, LogEntry.serial, LogEntry.entry, LogEntry.leaf_hash
            )
            .where(LogEntry.idx >= self.frontier.size)
            .order_by(LogEntry.idx)
            .limit(self.batch)
        ).all()

    def _entry(self, row: Any) -> dict[merkle.NodeKey, bytes]:
        expected = self.frontier.size
        if row.idx != expected:
            raise _Broken(f"entry #{expected} is missing (the next stored entry is #{row.idx})")
        data = bytes(row.entry if isinstance(row.entry, bytes) else str(row.entry).encode())
        try:
            parsed = parse_log_entry(data)
        except LogEntryError as exc:
            raise _Broken(f"entry #{row.idx} is not a valid log entry: {exc}") from None
        if parsed.index != row.idx:
            raise _Broken(f"entry #{row.idx} says it is entry #{parsed.index}")
        leaf = merkle.leaf_hash(data)
        if bytes(row.leaf_hash) != leaf:
            raise _Broken(f"entry #{row.idx}: the stored leaf hash does not match its entry")
        if row.event != parsed.event.value or row.serial != parsed.serial:
            raise _Broken(f"entry #{row.idx}: the event or serial column differs from the entry")
        made = {(level, idx): digest for level, idx, digest in self.frontier.append(leaf)}
        if parsed.serial is not None:
            self.by_serial.setdefault(parsed.serial, []).append(parsed)
        elif parsed.key_id is not None:
            self.key_entries.add((parsed.event.value, parsed.key_id))
        while self.pending is not None and self.pending[0] <= self.frontier.size:
            _check_checkpoint(
                self.pending, self.frontier, self.verifier_key, self.origin,
                self.last_checkpoint_size,
            )  # fmt: skip
            self.last_checkpoint_size = self.pending[0]
            self.report.checkpoints += 1
            self.pending = next(self.checkpoints, None)
        return made

    def _compare_nodes(self, made: dict[merkle.NodeKey, bytes]) -> None:
        stored = fetch_nodes(self.session, sorted(made))
        for key in sorted(made, key=lambda k: (k[1] << k[0], k[0])):
            if key not in stored:
                raise _Broken(f"entry #{key[1] << key[0]}: stored node {key} is missing")
            if stored[key] != made[key]:
                first = key[1] << key[0]
                raise _Broken(f"entry #{first}: stored node {key} does not match the entries")

    def _check_end(self, head_size: int) -> None:
        size = self.frontier.size
        if self.pending is not None:
            raise _Broken(
                f"entry #{size} is missing: the checkpoint at size {self.pending[0]} covers it"
            )
        if head_size != size:
            raise _Broken(
                f"the log head says {head_size} entries but {size} are stored"
                + (" (entries were removed)" if head_size > size else "")
            )
        if size and self.last_checkpoint_size != size:
            raise _Broken(f"no checkpoint was stored for the current size {size}")
        nodes = self.session.scalar(select(func.count()).select_from(LogNode))
        if nodes != _expected_node_count(size):
            raise _Broken(
                f"the log stores {nodes} nodes where {size} entries make "
                f"{_expected_node_count(size)}"
            )


def _checkpoint_rows(session: Session, batch: int) -> Iterator[tuple[int, str]]:
    last = 0
    while True:
        rows = session.execute(
            select(LogCheckpoint.size, LogCheckpoint.note)
            .where(LogCheckpoint.size > last)
            .order_by(LogCheckpoint.size)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield int(row.size), str(row.note)
        last = rows[-1].size


def _check_checkpoint(
    pending: tuple[int, str], frontier: _Frontier, verifier_key: str, origin: str, previous: int
) -> None:
    size, note = pending
    if size != frontier.size:
        raise _Broken(f"checkpoint at size {size}: no such tree size")
    try:
        checkpoint = parse_checkpoint(open_note(note, [verifier_key]))
    except NoteError as exc:
        raise _Broken(f"checkpoint at size {size}: not signed by the log key ({exc})") from None
    if checkpoint.origin != origin:
        raise _Broken(f"checkpoint at size {size}: origin {checkpoint.origin!r}, not {origin!r}")
    if checkpoint.size != size:
        raise _Broken(f"checkpoint at size {size} says size {checkpoint.size}")
    if checkpoint.root_hash != frontier.root():
        detail = "" if not previous else f" (not consistent with the checkpoint at {previous})"
        raise _Broken(f"checkpoint at size {size}: root differs from the entries{detail}")


# --------------------------------------------------------------------------- reconciling

#: The status each logged event leaves a certificate in.
EVENT_STATUS = {
    LogEvent.ISSUED: "active",
    LogEvent.SUSPENDED: "suspended",
    LogEvent.REINSTATED: "active",
    LogEvent.WITHDRAWN: "withdrawn",
    LogEvent.SUPERSEDED: "superseded",
    LogEvent.EXPIRED: "expired",
}


def _reconcile(
    session: Session,
    by_serial: dict[str, list[Any]],
    key_entries: set[tuple[str, str]],
    keys: Any,
) -> None:
    """Every issuance and status change logged, nothing logged that did not happen, every
    history possible under the status table; every key announced."""
    from certify.certificates.models import Certificate

    seen: set[str] = set()
    certificates = session.execute(
        select(
            Certificate.id,
            Certificate.serial,
            Certificate.status,
            Certificate.credential,
            Certificate.credential_sha256,
            Certificate.credential_key_id,
            Certificate.issued_at,
            Certificate.valid_until,
        ).order_by(Certificate.id)
    ).all()
    changes = _status_changes(session)
    for cert in certificates:
        seen.add(cert.serial)
        logged = by_serial.get(cert.serial, [])
        _check_issuance(cert, logged)
        later = [e for e in logged if e.event is not LogEvent.ISSUED]
        _check_changes(cert, later, changes.get(cert.id, []))
        _check_history(cert, logged)
    for serial in sorted(set(by_serial) - seen):
        raise _Broken(
            f"entry #{by_serial[serial][0].index}: names certificate {serial}, which does not exist"
        )
    if keys is not None:
        _check_keys(keys, key_entries)


def _status_changes(session: Session) -> dict[int, list[Any]]:
    from certify.certificates.models import CertificateStatusChange

    changes: dict[int, list[Any]] = {}
    for change in session.execute(
        select(
            CertificateStatusChange.certificate_id,
            CertificateStatusChange.previous_status,
            CertificateStatusChange.new_status,
            CertificateStatusChange.reason_category,
        ).order_by(CertificateStatusChange.id)
    ):
        if change.previous_status is not None:
            changes.setdefault(change.certificate_id, []).append(change)
    return changes


def _check_issuance(cert: Any, logged: list[Any]) -> None:
    issued = [e for e in logged if e.event is LogEvent.ISSUED]
    if len(issued) != 1:
        raise _Broken(f"certificate {cert.serial}: {len(issued)} issuance entries in the log")
    entry = issued[0]
    try:
        credential_index = json.loads(bytes(cert.credential))["transparencyLog"]["index"]
    except (ValueError, KeyError, TypeError):
        credential_index = None
    if credential_index != entry.index:
        raise _Broken(
            f"certificate {cert.serial}: its credential names log entry "
            f"#{credential_index}, the log has its issuance at #{entry.index}"
        )
    if entry.credential_hash != cert.credential_sha256 or entry.key_id != cert.credential_key_id:
        raise _Broken(
            f"entry #{entry.index}: the issuance entry does not match certificate "
            f"{cert.serial}'s credential"
        )
    if entry.time != cert.issued_at.replace(microsecond=0):
        raise _Broken(f"entry #{entry.index}: issuance time differs from {cert.serial}'s")


def _check_changes(cert: Any, recorded_entries: list[Any], changes: list[Any]) -> None:
    actual = [(STATUS_EVENTS.get(c.new_status), c.reason_category) for c in changes]
    recorded = [(e.event, e.reason_category) for e in recorded_entries]
    for position, (want, got) in enumerate(zip(actual, recorded, strict=False)):
        if want != got:
            raise _Broken(
                f"entry #{recorded_entries[position].index}: logs {got[0]} for {cert.serial}, "
                f"but its status change #{position + 1} was {want[0]}"
            )
    if len(actual) > len(recorded):
        raise _Broken(
            f"certificate {cert.serial}: status change #{len(recorded) + 1} "
            f"({actual[len(recorded)][0]}) is not in the log"
        )
    if len(recorded) > len(actual):
        extra = recorded_entries[len(actual)]
        raise _Broken(
            f"entry #{extra.index}: logs a {extra.event} of {cert.serial} that did not happen"
        )


def _check_history(cert: Any, logged: list[Any]) -> None:
    """The logged history follows the status table and ends in the stored status (an
    expiry, never stored, ends it in the status it had before); an expiry is logged only
    once the certificate's last valid day is over."""
    statuses = [EVENT_STATUS[e.event] for e in logged if e.event in EVENT_STATUS]
    problems = history_problems(statuses)
    if problems:
        raise _Broken(
            f"certificate {cert.serial}: its logged history breaks the status table "
            f"({'; '.join(problems)})"
        )
    stored = [s for s in statuses if s != "expired"]
    if stored and stored[-1] != cert.status:
        raise _Broken(
            f"certificate {cert.serial}: stored as {cert.status}, but its logged history "
            f"ends {statuses[-1]}"
        )
    for entry in logged:
        if entry.event is LogEvent.EXPIRED and entry.time <= cert.valid_until.replace(
            microsecond=0
        ):
            raise _Broken(
                f"entry #{entry.index}: logs the expiry of {cert.serial} before the end of "
                f"its validity ({cert.valid_until:%Y-%m-%d})"
            )


def _check_keys(keys: Any, key_entries: set[tuple[str, str]]) -> None:
    known = {(LogEvent.CREDENTIAL_KEY_ADDED.value, k.id) for k in keys.credential_keys}
    known |= {(LogEvent.SIGNING_CERT_ADDED.value, c.fingerprint) for c in keys.signing_certs}
    for event, kid in sorted(known - key_entries):
        raise _Broken(f"key {kid} ({event.replace('_', ' ')}) is not in the log")
    for event, kid in sorted(key_entries - known):
        raise _Broken(f"the log announces key {kid} ({event}), which the key store lacks")
