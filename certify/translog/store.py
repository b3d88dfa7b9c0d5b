"""The transparency log in the database: appends, roots, proofs, checkpoints, entries.

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
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from certify.core.tlog import merkle
from certify.core.tlog.checkpoint import CheckpointSigner, log_origin
from certify.core.tlog.entry import LogEvent, log_entry
from certify.core.tlog.proof import format_tlog_proof
from certify.translog.errors import LogError
from certify.translog.models import LogCheckpoint, LogEntry, LogHead
from certify.translog.writer import Head, Writer

log = logging.getLogger(__name__)

MAX_ENTRIES_PER_PAGE = 1000

#: Stored certificate status -> the log event that records a change *to* it.
STATUS_EVENTS = {
    "suspended": LogEvent.SUSPENDED,
    "active": LogEvent.REINSTATED,
    "withdrawn": LogEvent.WITHDRAWN,
    "superseded": LogEvent.SUPERSEDED,
    "expired": LogEvent.EXPIRED,
}


EARLIER_ISSUANCE = (
    "the log's newest entry is later than this issuance (the servers' clocks disagree by "
    "more than a second); nothing was issued: try again"
)


def entry_time(moment: dt.datetime) -> str:
    """*moment* as a log entry writes it: RFC 3339 UTC, whole seconds (truncated)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_entry_time(text: str) -> dt.datetime:
    """A time as :func:`entry_time` writes it (the log head's own), as an aware UTC datetime.

    ``fromisoformat`` reads that format to the same datetime as ``strptime`` with its
    pattern would, at a hundredth of the cost (it runs at every append).
    """
    return dt.datetime.fromisoformat(text)


def b64(raw: bytes) -> str:
    """Standard base64 (the API's encoding for hashes)."""
    return base64.b64encode(raw).decode("ascii")


# --------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class LogSigner:
    """What signs checkpoints: the log origin (also the note key name) and the log key."""

    origin: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @functools.cached_property
    def _checkpoints(self) -> CheckpointSigner:
        # made on first use and kept with this signer: an append signs with it at once
        return CheckpointSigner(self.origin, self.private_key)

    def sign_checkpoint(self, size: int, root: bytes) -> str:
        return self._checkpoints.sign(size, root)


def stored_origin(session: Session) -> str:
    """The log's origin: fixed by its first append and stored with the head (migration
    0015); before that, the one ``PUBLIC_URL`` gives now. Changing ``PUBLIC_URL`` later
    changes neither the origin nor the log key's name, so old checkpoints keep verifying
    and no second log starts unnoticed."""
    origin = session.scalar(select(LogHead.origin).where(LogHead.id == 1))
    return origin or log_origin(current_app.config["PUBLIC_URL"])


def current_signer(session: Session | None = None) -> LogSigner:
    """The app's log signer under the log's stored origin (needs an application context and
    the key store)."""
    from certify.certificates.keys import get_keystore

    keys = get_keystore()
    return LogSigner(_origin(session), keys.log_private_key)


def current_verifier_key(session: Session | None = None) -> str:
    """The published verifier key (``/.well-known/certify/log.pub``), named by the origin."""
    from certify.certificates.keys import get_keystore

    return get_keystore().log_verifier_key(_origin(session))


def _origin(session: Session | None) -> str:
    """The stored origin, read in *session* or, without one, in a reader session of its own
    closed at once (a session left open here would hold a lock or, in tests, roll back
    work done beside it)."""
    if session is not None:
        return stored_origin(session)
    from certify.db import get_db

    with get_db().new_session(writer=False) as own:
        return stored_origin(own)


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


def lock_head(session: Session, origin: str | None = None) -> Head:
    """Take the log's append lock for the rest of the transaction; return the head (its
    ``size`` is the next index). A log without an origin yet gets *origin* (default: the
    one ``PUBLIC_URL`` gives).

    The audit head is touched first (a no-op update) so every transaction takes the two
    locks in the same order.
    """
    with Writer(session) as writer:
        return writer.lock(origin or log_origin(current_app.config["PUBLIC_URL"]))


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

    The entry's time is *time* in whole seconds, but never earlier than the newest entry's:
    times in the log never run backwards (an issuance's time is its ``validFrom``, rounded
    up; a change in the same second must not be logged before it). An issuance entry's time
    is the credential's, so it must not move: that is refused instead.

    Queries: the two head updates, one select for the nodes, three inserts. *expected_index*
    is an index reserved earlier in this transaction by :func:`lock_head`.

    Raises:
        LogEntryError: the fields do not make a valid entry (see ``core.tlog.entry.log_entry``).
        LogError: the reserved index was taken, or an issuance would be logged before the
            newest entry.
    """
    signer = signer or current_signer(session)
    kind = LogEvent(event)
    wanted_time = entry_time(time)
    with Writer(session) as writer:
        head = writer.bump(signer.origin, wanted_time)
        index = head.size - 1
        if expected_index is not None and index != expected_index:
            raise LogError(
                f"log index {expected_index} was reserved, but the next index is {index}"
            )
        if kind is LogEvent.ISSUED and head.last_time != wanted_time:
            raise LogError(EARLIER_ISSUANCE)
        if head.origin != signer.origin:  # the stored origin names the log, always
            signer = LogSigner(head.origin, signer.private_key)
        time = parse_entry_time(head.last_time or wanted_time)
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
    return (signer or current_signer(session)).sign_checkpoint(0, merkle.EMPTY_ROOT)


def get_entries(session: Session, start: int, end: int) -> list[LogEntry]:
    """Entries with ``start <= index < end``, in order."""
    return list(
        session.scalars(
            select(LogEntry).where(LogEntry.idx >= start, LogEntry.idx < end).order_by(LogEntry.idx)
        )
    )
