"""Audit trail tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from certify.db import Base


class AuditEvent(Base):
    """One recorded state change. Rows are never updated or deleted (a trigger refuses it)."""

    __tablename__ = "audit_event"
    __table_args__ = (CheckConstraint("seq > 0", name="seq_positive"),)

    # The position in the chain is the key: every column of the row is then covered by the
    # event's hash (a surrogate id would be a column an attacker could change unnoticed).
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(80), index=True)
    reason_category: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[bytes] = mapped_column(LargeBinary)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"<AuditEvent #{self.seq} {self.action} {self.subject_type}:{self.subject_id}>"


class AuditHead(Base):
    """The chain's head: how many events there are and the last one's hash (one row, id 1).

    Every append first updates this row, which serialises appends: PostgreSQL holds the row
    lock until commit, and SQLite writers already hold the database write lock.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    length: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditHead {self.length} {self.head_hash[:12]}>"
