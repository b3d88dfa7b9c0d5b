"""Transparency-log tables: entries, stored subtree hashes, signed checkpoints and the head.

Every row except the head is append-only (database triggers refuse UPDATE and DELETE, see
migration 0008); ``log verify`` rebuilds the tree from the entries, so a trigger dropped by an
administrator does not make tampering invisible.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from certify.db import Base


class LogEntry(Base):
    """One leaf: its canonical JSON bytes (``core.tlog.entry.log_entry``) and RFC 9162 leaf hash.

    ``serial`` and ``event`` repeat what the bytes say so a certificate's history is one
    indexed query; ``log verify`` checks they agree with the bytes.
    """

    __tablename__ = "log_entry"
    __table_args__ = (CheckConstraint("idx >= 0", name="idx_non_negative"),)

    # The position is the key, so two entries can never claim one index.
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Indexed: key announcements are looked up by event before every issuance.
    event: Mapped[str] = mapped_column(String(40), index=True)
    serial: Mapped[str | None] = mapped_column(String(64), index=True)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<LogEntry #{self.idx} {self.event} {self.serial}>"


class LogNode(Base):
    """The hash of a complete perfect subtree: ``(level, idx)`` covers leaves
    ``[idx * 2**level, (idx + 1) * 2**level)``; level 0 repeats the leaf hashes."""

    __tablename__ = "log_node"
    __table_args__ = (CheckConstraint("level >= 0 AND idx >= 0", name="position_valid"),)

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<LogNode ({self.level}, {self.idx})>"


class LogCheckpoint(Base):
    """The signed checkpoint (C2SP signed note) made right after the log reached ``size``."""

    __tablename__ = "log_checkpoint"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<LogCheckpoint {self.size}>"


class LogHead(Base):
    """The log's size (one row, id 1). Every append updates it first, which serialises
    appends: PostgreSQL holds the row lock until commit; SQLite writers hold the write lock.

    ``origin`` is fixed by the first append (from ``PUBLIC_URL`` then) and never derived
    again; ``last_time`` is the newest entry's time, so entry times never run backwards."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str | None] = mapped_column(String(255))
    #: RFC 3339 UTC, whole seconds (``2026-01-02T03:04:05Z``): compares as text
    last_time: Mapped[str | None] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"<LogHead {self.size}>"
