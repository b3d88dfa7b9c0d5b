"""Stored rubric versions: the canonical JSON of every published version of a standard."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certify.db import Base


class RubricVersion(Base):
    """One published version of a standard, as it was published.

    ``canonical`` holds the RFC 8785 bytes whose SHA-256 is ``sha256`` (the same hash the lock
    file records and certificates name); the rubric is rebuilt from these bytes, never from
    re-read columns. Rows are never changed or deleted (database triggers refuse it): a change
    to a standard is a new version.
    """

    __tablename__ = "rubric_version"
    __table_args__ = (UniqueConstraint("standard_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[bytes] = mapped_column(LargeBinary)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    published_at: Mapped[dt.datetime]

    @property
    def key(self) -> str:
        """``<id>@<version>``, as in the lock file."""
        return f"{self.standard_id}@{self.version}"

    def __repr__(self) -> str:
        return f"<RubricVersion {self.key} {self.sha256[:12]}>"
