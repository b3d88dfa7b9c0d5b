"""What the jobs remember in the database: which once-only duties were done."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certify import clock
from certify.db import Base


class JobMark(Base):
    """A duty done once for a key: ``("daily:withdraw_lapsed", "2026-12-05")`` or
    ``("expiry_warning:90", "<serial>")``. The unique pair is what makes a duty idempotent when
    it runs twice, or on two workers at once: the second insert fails."""

    __tablename__ = "job_mark"
    __table_args__ = (UniqueConstraint("name", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    done_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: what the duty did, for `jobs status` and the admin
    summary: Mapped[str | None] = mapped_column(String(500))

    def __repr__(self) -> str:
        return f"<JobMark {self.name} {self.key}>"
