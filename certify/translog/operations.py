"""The transparency log in the database: appends, roots, proofs, history and the audit.

Appends happen inside the caller's transaction, next to the change they record, and flush
but never commit. Every append first updates the ``log_head`` row, so appends are serialised
(PostgreSQL's row lock, SQLite's write lock) and no two entries can claim one index; the
index is also the entry's primary key. To keep one lock order everywhere (and so no deadlock
between an issuance and a suspension on PostgreSQL), the audit trail's head is touched
first: every transaction takes ``audit_head`` before ``log_head``.

Storage (see ``certify.core.tlog.merkle``): the hash of every complete perfect subtree is a
``log_node`` row keyed ``(level, idx)``. A root of any size, an inclusion proof or a
consistency proof is then one query for the O(log n) nodes its plan names, then O(log n)
hashes; the tree is never rebuilt for a request.

Key changes (new credential keys, new document-signing certificates) are made on disk by
``ensure_keys`` / ``rotate_keys``, outside any database session. They are logged by
:func:`log_key_changes`, a reconciliation run by ``flask init`` and by the issuance pipeline
before every credential is signed, so no certificate is ever signed by a key the log has not
announced; ``log verify`` reports a key that was never logged.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from certify.core.canonical import sha256_hex
from certify.core.tlog import merkle
from certify.core.tlog.checkpoint import format_checkpoint, log_origin, parse_checkpoint
from certify.core.tlog.entry import LogEvent, log_entry, parse_log_entry
from certify.core.tlog.errors import LogEntryError, NoteError
from certify.core.tlog.note import open_note, sign_note
from certify.core.tlog.proof import format_tlog_proof
from certify.translog.models import LogCheckpoint, LogEntry, LogHead, LogNode

log = logging.getLogger(__name__)

MAX_ENTRIES_PER_PAGE = 1000

#: Stored certificate status -> the log event that records a change *to* it.
STATUS_EVENTS = {
    "suspended": LogEvent.SUSPENDED,
    "active": LogEvent.REINSTATED,
    "withdrawn": LogEvent.WITHDRAWN,
    "superseded": LogEvent.SUPERSEDED,
}


class LogError(RuntimeError):
    """The log could not do what was asked (a reserved index was taken, no such size...)."""


def b64(raw: bytes) -> str:
    """Standard base64 (the API's encoding for hashes)."""
    return base64.b64encode(raw).decode("ascii")


# --------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class LogSigner:
    """What signs checkpoints: the log origin (also the note key name) and the log key."""

    origin: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def sign_checkpoint(self, size: int, root: bytes) -> str:
        return sign_note(format_checkpoint(self.origin, size, root), self.origin, self.private_key)


def current_signer() -> LogSigner:
    """The app's log signer (needs an application context and the key store)."""
    from certify.certificates.keys import get_keystore

    keys = get_keystore()
    return LogSigner(log_origin(current_app.config["PUBLIC_URL"]), keys.log_private_key)


def current_verifier_key() -> str:
    """The published verifier key (``/.well-known/certify/log.pub``)."""
    from certify.certificates.keys import get_keystore

    return get_keystore().log_verifier_key(current_app.config["PUBLIC_URL"])


# --------------------------------------------------------------------------- reading nodes


def fetch_nodes(session: Session, keys: Sequence[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    """The stored hashes of *keys*, in one query (missing nodes are simply absent).

    The condition is ``level = L AND idx IN (...)`` per level, joined by OR: both databases
    answer that from the primary key. (SQLite scans the whole table for a row-value
    ``(level, idx) IN (VALUES ...)``, which would make every proof O(n).) The integers are
    written into the SQL text: they come from the Merkle planner and pass through ``int()``,
    so nothing a client sends is ever interpolated; building the same condition as
    SQLAlchemy expressions cost more than the query itself.
    """
    if not keys:
        return {}
    rows = session.execute(text(_nodes_sql(keys)))
    return {(int(row[0]), int(row[1])): bytes(row[2]) for row in rows}


def _nodes_sql(keys: Sequence[merkle.NodeKey]) -> str:
    """The SELECT of :func:`fetch_nodes` for a non-empty *keys* (no parameters)."""
    by_level: dict[int, list[int]] = {}
    for level, index in keys:
        by_level.setdefault(int(level), []).append(int(index))
    condition = " OR ".join(
        f"(level = {level} AND idx IN ({', '.join(str(i) for i in indexes)}))"
        for level, indexes in sorted(by_level.items())
    )
    return f"SELECT level, idx, hash FROM log_node WHERE {condition}"  # noqa: S608 - ints only


def _run_plans(session: Session, *plans: merkle.Plan) -> list[list[bytes]]:
    """Evaluate *plans* from one query for all the nodes they need together."""
    keys = sorted({key for plan in plans for key in merkle.needed_nodes(plan)})
    nodes = fetch_nodes(session, keys)

    def get_node(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise LogError(f"the log's node ({level}, {index}) is missing") from None

    return [merkle.evaluate(plan, get_node) for plan in plans]


def log_size(session: Session) -> int:
    """The number of entries (committed or appended in this transaction)."""
    return int(session.scalar(select(LogHead.size).where(LogHead.id == 1)) or 0)


def root_at(session: Session, size: int) -> bytes:
    """The root hash of the first *size* entries (one query).

    Raises:
        merkle.MerkleError: *size* is negative or not an integer.
    """
    values = _run_plans(session, merkle.plan_root(size))[0]
    return values[0] if values else merkle.EMPTY_ROOT


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    root: bytes
    hashes: list[bytes]


def inclusion_proof(session: Session, index: int, size: int) -> InclusionProof:
    """The inclusion proof of entry *index* in the tree of *size* entries, with that tree's
    root and the leaf hash: one query for the nodes.

    Raises:
        merkle.MerkleError: unless ``0 <= index < size``.
        LogError: *size* is larger than the log.
    """
    plan = merkle.plan_inclusion(index, size)
    if size > log_size(session):
        raise LogError(f"the log has fewer than {size} entries")
    leaf_plan: merkle.Plan = (((0, index),),)
    hashes, root, leaf = _run_plans(session, plan, merkle.plan_root(size), leaf_plan)
    return InclusionProof(index, size, leaf[0], root[0], hashes)


@dataclass(frozen=True)
class ConsistencyProof:
    old: int
    new: int
    old_root: bytes
    new_root: bytes
    hashes: list[bytes]


def consistency_proof(session: Session, old: int, new: int) -> ConsistencyProof:
    """The consistency proof from size *old* to size *new*, with both roots (one query).

    Raises:
        merkle.MerkleError: unless ``0 < old <= new``.
        LogError: *new* is larger than the log.
    """
    plan = merkle.plan_consistency(old, new)
    if new > log_size(session):
        raise LogError(f"the log has fewer than {new} entries")
    hashes, old_root, new_root = _run_plans(
        session, plan, merkle.plan_root(old), merkle.plan_root(new)
    )
    return ConsistencyProof(old, new, old_root[0], new_root[0], hashes)


# --------------------------------------------------------------------------- appending


# An append is six statements that never change shape. They run on the DBAPI cursor of the
# session's own connection (so inside the caller's transaction and savepoint), with the SQL
# written once per parameter style: SQLAlchemy's per-statement execution machinery cost as
# much as all the rest of an append (about 0.8 of 1.7 ms on SQLite), see bench_translog.
_APPEND_SQL = {
    "touch_audit_head": "UPDATE audit_head SET length = length WHERE id = 1",
    "touch_log_head": "UPDATE log_head SET size = size WHERE id = 1 RETURNING size",
    "bump_log_head": "UPDATE log_head SET size = size + 1 WHERE id = 1 RETURNING size",
    "insert_node": "INSERT INTO log_node (level, idx, hash) VALUES (:level, :idx, :hash)",
    "insert_entry": (
        "INSERT INTO log_entry (idx, event, serial, entry, leaf_hash) "
        "VALUES (:idx, :event, :serial, :entry, :leaf_hash)"
    ),
    "insert_checkpoint": "INSERT INTO log_checkpoint (size, note) VALUES (:size, :note)",
}


@functools.cache
def _driver_sql(dialect: str) -> dict[str, str]:
    """The append statements for *dialect*: ``:name`` parameters for SQLite's driver,
    ``%(name)s`` for PostgreSQL's (psycopg).

    Raises:
        LogError: another database.
    """
    if dialect == "sqlite":
        return dict(_APPEND_SQL)
    if dialect == "postgresql":
        return {k: re.sub(r":(\w+)", r"%(\1)s", v) for k, v in _APPEND_SQL.items()}
    raise LogError(f"the transparency log runs on SQLite or PostgreSQL, not {dialect}")


class _Writer:
    """A DBAPI cursor on the session's connection, and the SQL for its dialect."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.sql = _driver_sql(connection.dialect.name)
        self.cursor = connection.connection.cursor()

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cursor.close()

    def lock(self) -> int:
        """Touch the audit head, then take the log head; return the next index."""
        self.cursor.execute(self.sql["touch_audit_head"])
        self.cursor.execute(self.sql["touch_log_head"])
        return self._head_size()

    def bump(self) -> int:
        """Touch the audit head, then grow the log head by one; return the new entry's index."""
        self.cursor.execute(self.sql["touch_audit_head"])
        self.cursor.execute(self.sql["bump_log_head"])
        return self._head_size() - 1

    def _head_size(self) -> int:
        row = self.cursor.fetchone()
        if row is None:
            raise LogError("the log_head row is missing: run 'flask --app certify init'")
        return int(row[0])

    def execute(self, name: str, params: Any) -> None:
        self.cursor.execute(self.sql[name], params)

    def fetch_nodes(self, keys: Sequence[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
        """:func:`fetch_nodes` on this cursor."""
        if not keys:
            return {}
        self.cursor.execute(_nodes_sql(keys))
        return {(int(row[0]), int(row[1])): bytes(row[2]) for row in self.cursor.fetchall()}

    def execute_many(self, name: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.cursor.executemany(self.sql[name], rows)


def lock_head(session: Session) -> int:
    """Take the log's append lock for the rest of the transaction; return the next index.

    The audit head is touched first (a no-op update) so every transaction takes the two
    locks in the same order.
    """
    with _Writer(session) as writer:
        return writer.lock()


@dataclass(frozen=True)
class Appended:
    """What :func:`append_entry` wrote."""

    index: int
    entry: bytes
    leaf_hash: bytes
    root: bytes
    checkpoint: str
    proof: list[bytes]

    @property
    def size(self) -> int:
        return self.index + 1

    def tlog_proof(self) -> str:
        """The C2SP tlog proof of this entry under the checkpoint made by its append."""
        return format_tlog_proof(self.index, self.proof, self.checkpoint)


def append_entry(
    session: Session,
    event: LogEvent | str,
    time: dt.datetime,
    *,
    serial: str | None = None,
    credential_hash: str | None = None,
    reason_category: str | None = None,
    key_id: str | None = None,
    expected_index: int | None = None,
    signer: LogSigner | None = None,
) -> Appended:
    """Append one entry inside the caller's transaction, store the subtree hashes it
    completes and a new signed checkpoint, and flush.

    Queries: the two head updates, one select for the nodes, three inserts. *expected_index*
    is an index reserved earlier in this transaction by :func:`lock_head`.

    Raises:
        LogEntryError: the fields do not make a valid entry (see ``core.tlog.entry.log_entry``).
        LogError: the reserved index was taken.
    """
    signer = signer or current_signer()
    with _Writer(session) as writer:
        index = writer.bump()
        if expected_index is not None and index != expected_index:
            raise LogError(
                f"log index {expected_index} was reserved, but the next index is {index}"
            )
        data = log_entry(index, time, event, serial, credential_hash, reason_category, key_id)
        leaf = merkle.leaf_hash(data)
        new_size = index + 1
        # Everything this append reads: the left siblings it completes nodes with, the old
        # subtrees of the new root, and the new leaf's inclusion path (for the tlog proof).
        root_plan = merkle.plan_root(new_size)
        proof_plan = merkle.plan_inclusion(index, new_size)
        created = {(0, index)}
        level, i = 0, index
        while i & 1:
            level, i = level + 1, i >> 1
            created.add((level, i))
        wanted = set(merkle.append_needed_nodes(index))
        wanted.update(merkle.needed_nodes(root_plan))
        wanted.update(merkle.needed_nodes(proof_plan))
        nodes = writer.fetch_nodes(sorted(wanted - created))
        rows = merkle.nodes_to_store_on_append(index, leaf, merkle.mapping_getter(nodes))
        for lvl, idx, digest in rows:
            nodes[(lvl, idx)] = digest
        root = merkle.evaluate(root_plan, merkle.mapping_getter(nodes))[0]
        proof = merkle.evaluate(proof_plan, merkle.mapping_getter(nodes))
        note = signer.sign_checkpoint(new_size, root)
        kind = LogEvent(event)
        writer.execute_many(
            "insert_node", [{"level": lvl, "idx": idx, "hash": digest} for lvl, idx, digest in rows]
        )
        writer.execute(
            "insert_entry",
            {"idx": index, "event": kind.value, "serial": serial, "entry": data, "leaf_hash": leaf},
        )
        writer.execute("insert_checkpoint", {"size": new_size, "note": note})
    return Appended(index, data, leaf, root, note, proof)


def latest_checkpoint(session: Session, signer: LogSigner | None = None) -> str:
    """The signed checkpoint of the current size (for the empty log, a signed size-0
    checkpoint made on the fly: Ed25519 is deterministic, so it is always the same text)."""
    size = log_size(session)
    if size:
        note = session.scalar(select(LogCheckpoint.note).where(LogCheckpoint.size == size))
        if note is not None:
            return note
        raise LogError(f"no checkpoint stored for size {size}")
    return (signer or current_signer()).sign_checkpoint(0, merkle.EMPTY_ROOT)


def get_entries(session: Session, start: int, end: int) -> list[LogEntry]:
    """Entries with ``start <= index < end``, in order."""
    return list(
        session.scalars(
            select(LogEntry).where(LogEntry.idx >= start, LogEntry.idx < end).order_by(LogEntry.idx)
        )
    )


# --------------------------------------------------------------------------- what gets logged


def log_status_change(
    session: Session,
    serial: str,
    new_status: str,
    *,
    category: str | None,
    credential_hash: str | None,
    now: dt.datetime,
) -> Appended:
    """Log a certificate's change to *new_status* (suspended, active = reinstated,
    withdrawn, superseded). The free-text reason is never logged, only its category.

    Raises:
        LogError: *new_status* is not a status change the log records.
    """
    try:
        event = STATUS_EVENTS[new_status]
    except KeyError:
        raise LogError(f"no log event for a change to {new_status!r}") from None
    return append_entry(
        session,
        event,
        now,
        serial=serial,
        credential_hash=credential_hash,
        reason_category=category,
    )


def log_rotated_keys(session: Session, keys: Any, now: dt.datetime) -> None:
    """The key-rotation step: announce the new keys in the log at once (``keys rotate``)."""
    for appended in log_key_changes(session, keys, now, signer=current_signer()):
        log.info("logged key change at entry #%d", appended.index)


def log_key_changes(
    session: Session, keys: Any, now: dt.datetime, *, signer: LogSigner | None = None
) -> list[Appended]:
    """Append an entry for every credential key and document-signing certificate in *keys*
    (a ``KeyStore``) that the log has not announced yet, oldest first. Idempotent.

    Takes the log lock first, so two processes cannot both log the same key.
    """
    lock_head(session)
    logged = set(
        session.execute(
            select(LogEntry.event, LogEntry.entry).where(
                LogEntry.event.in_(
                    [LogEvent.CREDENTIAL_KEY_ADDED.value, LogEvent.SIGNING_CERT_ADDED.value]
                )
            )
        ).all()
    )
    announced = {(event, json.loads(entry)["key_id"]) for event, entry in logged}
    wanted = [(LogEvent.CREDENTIAL_KEY_ADDED, k.id) for k in keys.credential_keys]
    wanted += [(LogEvent.SIGNING_CERT_ADDED, c.fingerprint) for c in keys.signing_certs]
    appended = []
    for event, kid in wanted:
        if (event.value, kid) not in announced:
            appended.append(append_entry(session, event, now, key_id=kid, signer=signer))
    return appended


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
        ``withdrawn``, ``superseded``, ``expired``, or ``not_issued`` (before its issuance)."""
        status = "not_issued"
        effective: dt.datetime | None = None
        for item in self.items:
            # The log's order is authoritative; an entry never takes effect before the one
            # logged ahead of it (times are whole seconds, an issue time is rounded up).
            effective = item.parsed.time if effective is None else max(effective, item.parsed.time)
            if effective > at:
                break
            status = {
                LogEvent.ISSUED: "active",
                LogEvent.SUSPENDED: "suspended",
                LogEvent.REINSTATED: "active",
                LogEvent.WITHDRAWN: "withdrawn",
                LogEvent.SUPERSEDED: "superseded",
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
    then reconciles the log with the certificates, their status changes and *keys* (a
    ``KeyStore``, optional). *progress* is called with the number of entries done.
    """
    report = LogReport(ok=True)
    try:
        _verify(session, verifier_key, origin, keys, progress, batch, report)
    except _Broken as exc:
        report.ok = False
        report.problem = str(exc)
    return report


def _verify(
    session: Session,
    verifier_key: str,
    origin: str,
    keys: Any,
    progress: Callable[[int], None] | None,
    batch: int,
    report: LogReport,
) -> None:
    head_size = log_size(session)
    frontier = _Frontier()
    by_serial: dict[str, list[Any]] = {}
    key_entries: set[tuple[str, str]] = set()
    checkpoints = _checkpoint_rows(session, batch)
    pending = next(checkpoints, None)
    last_checkpoint_size = 0
    expected = 0
    while True:
        rows = session.execute(
            select(
                LogEntry.idx, LogEntry.event, LogEntry.serial, LogEntry.entry, LogEntry.leaf_hash
            )
            .where(LogEntry.idx >= expected)
            .order_by(LogEntry.idx)
            .limit(batch)
        ).all()
        if not rows:
            break
        made: dict[merkle.NodeKey, bytes] = {}
        for row in rows:
            if row.idx != expected:
                raise _Broken(f"entry #{expected} is missing (the next stored entry is #{row.idx})")
            data = row.entry if isinstance(row.entry, bytes) else str(row.entry).encode()
            data = bytes(data)
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
                raise _Broken(
                    f"entry #{row.idx}: the event or serial column differs from the entry"
                )
            for level, idx, digest in frontier.append(leaf):
                made[(level, idx)] = digest
            if parsed.serial is not None:
                by_serial.setdefault(parsed.serial, []).append(parsed)
            elif parsed.key_id is not None:
                key_entries.add((parsed.event.value, parsed.key_id))
            while pending is not None and pending[0] <= frontier.size:
                _check_checkpoint(pending, frontier, verifier_key, origin, last_checkpoint_size)
                last_checkpoint_size = pending[0]
                report.checkpoints += 1
                pending = next(checkpoints, None)
            expected += 1
        stored = fetch_nodes(session, sorted(made))
        for key in sorted(made, key=lambda k: (k[1] << k[0], k[0])):
            if key not in stored:
                raise _Broken(f"entry #{key[1] << key[0]}: stored node {key} is missing")
            if stored[key] != made[key]:
                first = key[1] << key[0]
                raise _Broken(f"entry #{first}: stored node {key} does not match the entries")
        report.entries = expected
        if progress is not None:
            progress(len(rows))
        session.expunge_all()
    if pending is not None:
        raise _Broken(
            f"entry #{expected} is missing: the checkpoint at size {pending[0]} covers it"
        )
    if head_size != expected:
        raise _Broken(
            f"the log head says {head_size} entries but {expected} are stored"
            + (" (entries were removed)" if head_size > expected else "")
        )
    if expected and last_checkpoint_size != expected:
        raise _Broken(f"no checkpoint was stored for the current size {expected}")
    nodes = session.scalar(select(func.count()).select_from(LogNode))
    if nodes != _expected_node_count(expected):
        raise _Broken(
            f"the log stores {nodes} nodes where {expected} entries make "
            f"{_expected_node_count(expected)}"
        )
    _reconcile(session, by_serial, key_entries, keys)


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


def _reconcile(
    session: Session,
    by_serial: dict[str, list[Any]],
    key_entries: set[tuple[str, str]],
    keys: Any,
) -> None:
    """Every issuance and status change logged, and nothing logged that did not happen."""
    from certify.certificates.models import Certificate, CertificateStatusChange

    seen: set[str] = set()
    certificates = session.execute(
        select(
            Certificate.id,
            Certificate.serial,
            Certificate.credential,
            Certificate.credential_sha256,
            Certificate.credential_key_id,
            Certificate.issued_at,
        ).order_by(Certificate.id)
    ).all()
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
    for cert in certificates:
        seen.add(cert.serial)
        logged = by_serial.get(cert.serial, [])
        issued = [e for e in logged if e.event is LogEvent.ISSUED]
        if len(issued) != 1:
            raise _Broken(f"certificate {cert.serial}: {len(issued)} issuance entries in the log")
        entry = issued[0]
        try:
            document = json.loads(bytes(cert.credential))
            credential_index = document["transparencyLog"]["index"]
        except (ValueError, KeyError, TypeError):
            credential_index = None
        if credential_index != entry.index:
            raise _Broken(
                f"certificate {cert.serial}: its credential names log entry "
                f"#{credential_index}, the log has its issuance at #{entry.index}"
            )
        if (
            entry.credential_hash != cert.credential_sha256
            or entry.key_id != cert.credential_key_id
        ):
            raise _Broken(
                f"entry #{entry.index}: the issuance entry does not match certificate "
                f"{cert.serial}'s credential"
            )
        if entry.time != cert.issued_at.replace(microsecond=0):
            raise _Broken(f"entry #{entry.index}: issuance time differs from {cert.serial}'s")
        actual = [
            (STATUS_EVENTS.get(c.new_status), c.reason_category) for c in changes.get(cert.id, [])
        ]
        recorded = [(e.event, e.reason_category) for e in logged if e.event is not LogEvent.ISSUED]
        for position, (want, got) in enumerate(zip(actual, recorded, strict=False)):
            if want != got:
                index = [e for e in logged if e.event is not LogEvent.ISSUED][position].index
                raise _Broken(
                    f"entry #{index}: logs {got[0]} for {cert.serial}, but its status change "
                    f"#{position + 1} was {want[0]}"
                )
        if len(actual) > len(recorded):
            raise _Broken(
                f"certificate {cert.serial}: status change #{len(recorded) + 1} "
                f"({actual[len(recorded)][0]}) is not in the log"
            )
        if len(recorded) > len(actual):
            extra = [e for e in logged if e.event is not LogEvent.ISSUED][len(actual)]
            raise _Broken(
                f"entry #{extra.index}: logs a {extra.event} of {cert.serial} that did not happen"
            )
    for serial in sorted(set(by_serial) - seen):
        raise _Broken(
            f"entry #{by_serial[serial][0].index}: names certificate {serial}, which does not exist"
        )
    if keys is not None:
        known = {(LogEvent.CREDENTIAL_KEY_ADDED.value, k.id) for k in keys.credential_keys}
        known |= {(LogEvent.SIGNING_CERT_ADDED.value, c.fingerprint) for c in keys.signing_certs}
        for event, kid in sorted(known - key_entries):
            raise _Broken(f"key {kid} ({event.replace('_', ' ')}) is not in the log")
        for event, kid in sorted(key_entries - known):
            raise _Broken(f"the log announces key {kid} ({event}), which the key store lacks")


# --------------------------------------------------------------------------- issuance


def step_log_reserve(ctx: Any) -> None:
    """Issuance step before ``credential``: log any key the log has not announced yet (so
    no credential is signed by an unannounced key), take the append lock (held until the
    transaction ends, so nothing else can append) and reserve the next index for the
    issuance entry; the credential carries it as ``transparencyLog``."""
    signer = LogSigner(log_origin(ctx.public_url), ctx.keys.log_private_key)
    ctx.extra["log_signer"] = signer
    for appended in log_key_changes(ctx.session, ctx.keys, ctx.now, signer=signer):
        log.info("logged key change at entry #%d", appended.index)
    ctx.log_index = lock_head(ctx.session)
    ctx.log_origin = signer.origin


def step_log_append(ctx: Any) -> None:
    """Issuance step right after ``credential``: append the issuance entry at the reserved
    index and keep its C2SP tlog proof (``ctx.log_proof``) for the PDF."""
    assert ctx.credential_bytes is not None and ctx.issued_at is not None
    appended = append_entry(
        ctx.session,
        LogEvent.ISSUED,
        ctx.issued_at,
        serial=ctx.serial,
        credential_hash=sha256_hex(ctx.credential_bytes),
        key_id=ctx.keys.current_credential_key.id,
        expected_index=ctx.log_index,
        signer=ctx.extra.get("log_signer"),
    )
    ctx.extra["log_entry"] = appended
    ctx.log_proof = appended.tlog_proof()
