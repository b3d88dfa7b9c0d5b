"""Requests to erase an evidence file before its retention ends (issue 24): asked for by the
ISSP, with a reason; decided by an admin or reviewer, with a note."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certify import clock
from certify.accounts.models import User
from certify.applications.models import Evidence
from certify.db import Base, PublicId, new_public_id

PENDING = "pending"
APPROVED = "approved"
REFUSED = "refused"


class ErasureRequest(Base):
    """One request to erase one evidence file early. At most one pending request per file
    (a partial unique index), so a double submission cannot open two reviews."""

    __tablename__ = "erasure_request"
    __table_args__ = (
        Index(
            "uq_erasure_request_pending",
            "evidence_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)

    evidence: Mapped[Evidence] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<ErasureRequest {self.public_id} {self.status}>"
