"""The registry's search tables: a narrow copy of each certificate (``registry_entry``) and
its search terms (``registry_term``), with the indexes that keep searching, counting, sorting
and the feed fast at 100,000 certificates.

Both are written in the issuance transaction by the ``registry_terms`` issuance step (and by
migration 0009 for certificates issued before it). Terms come from the immutable record and
never go stale; the entry's status follows the certificate's through a database trigger.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from certify.certificates.models import CertificateStatusChange
from certify.db import Base


class RegistryTerm(Base):
    """A lower-case search term and the certificate it belongs to: ``kind`` ``w`` for a word
    of the holder's name, ``s`` for the serial written without separators (kept apart so a
    serial's prefix ``ISR`` does not match every certificate). Prefix searches are index
    range scans on (kind, term)."""

    __tablename__ = "registry_term"
    __table_args__ = (
        Index("ix_registry_term_certificate_id", "certificate_id"),
        # covering: a text search counts and sorts its matches by name from this index alone
        Index(
            "ix_registry_term_listing", "kind", "term", "holder_name", "serial", "certificate_id"
        ),
    )

    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), primary_key=True)
    # copies of the immutable record, for sorting matches by name without other reads
    holder_name: Mapped[str] = mapped_column(String(200))
    serial: Mapped[str] = mapped_column(String(40))

    def __repr__(self) -> str:
        return f"<RegistryTerm {self.term!r} -> {self.certificate_id}>"


class RegistryEntry(Base):
    """A narrow copy of what the registry lists and filters on, one row per certificate.

    The certificate rows are wide (the record and the signed credential live in them), so
    scanning them to filter, count and sort thousands of matches is slow; these rows are
    small. The record columns are copied at issuance and never change; ``status`` and
    ``suspended_until`` follow the certificate's through database triggers (migration 0009)
    in the same transaction, so the registry is never behind the certificate.
    """

    __tablename__ = "registry_entry"
    __table_args__ = (
        # Each carries the columns its filters test, so counting never reads rows.
        Index("ix_registry_entry_name", "holder_name", "serial"),
        Index(
            "ix_registry_entry_country",
            "holder_country",
            "status",
            "holder_name",
            "serial",
            "valid_until",
        ),
        Index("ix_registry_entry_status", "status", "holder_name", "serial", "valid_until"),
        Index(
            "ix_registry_entry_standard",
            "standard_id",
            "standard_version",
            "level",
            "status",
            "valid_until",
        ),
    )

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_country: Mapped[str] = mapped_column(String(2))
    standard_id: Mapped[str] = mapped_column(String(100))
    standard_version: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[dt.datetime]
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    suspended_until: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<RegistryEntry {self.serial} {self.status}>"


# The feed lists status changes newest first.
Index("ix_registry_status_change_changed_at", CertificateStatusChange.changed_at)
