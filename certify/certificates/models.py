"""Certificates, their status changes and the status lists they sit in.

A certificate is addressed by its serial only; its integer key never leaves the database.
The snapshot and the signed credential are stored as the canonical bytes made at issuance
and never change (database triggers refuse it, see migration 0006); only the lifecycle
columns (status, suspended_until, status_changed_at, superseded_by_id) move.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certify import clock
from certify.accounts.models import Organisation
from certify.core.certificate_status import CertificateStatus
from certify.core.tlog.entry import REASON_CATEGORIES as LOG_REASON_CATEGORIES
from certify.db import Base

#: Why a status changed (DESIGN.md "Public contract"): defined once, in the core.
REASON_CATEGORIES = LOG_REASON_CATEGORIES


class StatusList(Base):
    """One Bitstring Status List (a purpose and a random public id), with its raw bits and
    the signed status-list credential served at ``/status/<purpose>/<list_id>``."""

    __tablename__ = "status_list"
    __table_args__ = (
        UniqueConstraint("purpose", "list_id"),
        CheckConstraint("purpose IN ('revocation', 'suspension')", name="purpose_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    list_id: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    # The signed credential as served, and its SHA-256 (the ETag).
    credential: Mapped[bytes] = mapped_column(LargeBinary)
    credential_sha256: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    def __repr__(self) -> str:
        return f"<StatusList {self.purpose}/{self.list_id}>"


class Certificate(Base):
    """An issued certificate: the immutable record plus its lifecycle status."""

    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("revocation_list_id", "revocation_index"),
        UniqueConstraint("suspension_list_id", "suspension_index"),
        CheckConstraint(
            "status IN ('active', 'suspended', 'withdrawn', 'superseded')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    standard_id: Mapped[str] = mapped_column(String(100))
    standard_version: Mapped[str] = mapped_column(String(40))
    standard_sha256: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(40))
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_country: Mapped[str] = mapped_column(String(2))
    issued_at: Mapped[dt.datetime]
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    public_url: Mapped[str] = mapped_column(String(300))
    # The record: RFC 8785 bytes of the snapshot, and the signed credential as served.
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    credential: Mapped[bytes] = mapped_column(LargeBinary)
    credential_sha256: Mapped[str] = mapped_column(String(64))
    credential_key_id: Mapped[str] = mapped_column(String(16))
    revocation_list_id: Mapped[int] = mapped_column(ForeignKey("status_list.id"))
    revocation_index: Mapped[int] = mapped_column(Integer)
    suspension_list_id: Mapped[int] = mapped_column(ForeignKey("status_list.id"))
    suspension_index: Mapped[int] = mapped_column(Integer)
    # lifecycle
    status: Mapped[str] = mapped_column(String(20), default=CertificateStatus.ACTIVE.value)
    suspended_until: Mapped[dt.datetime | None]
    status_changed_at: Mapped[dt.datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), index=True)

    organisation: Mapped[Organisation] = relationship()
    revocation_list: Mapped[StatusList] = relationship(foreign_keys=[revocation_list_id])
    suspension_list: Mapped[StatusList] = relationship(foreign_keys=[suspension_list_id])
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id])
    changes: Mapped[list[CertificateStatusChange]] = relationship(
        back_populates="certificate", order_by="CertificateStatusChange.id"
    )

    def __repr__(self) -> str:
        return f"<Certificate {self.serial} {self.status}>"

    @property
    def snapshot_data(self) -> dict[str, Any]:
        return json.loads(self.snapshot)

    @property
    def expires_after(self) -> dt.datetime:
        """The first instant the certificate is expired: the end of valid_until's UTC day."""
        day = self.valid_until.astimezone(dt.UTC).date()
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    def status_at(self, now: dt.datetime) -> CertificateStatus:
        """The status at *now*: withdrawn, suspended and superseded as stored, ``expired``
        after the end of valid_until's day (UTC), else active. The order follows the
        verification verdicts (withdrawn, suspended, superseded, expired)."""
        stored = CertificateStatus(self.status)
        if stored is not CertificateStatus.ACTIVE:
            return stored
        return CertificateStatus.EXPIRED if now >= self.expires_after else stored

    @property
    def current_status(self) -> CertificateStatus:
        return self.status_at(clock.now())


class CertificateStatusChange(Base):
    """Who changed a certificate's status, when, from what to what, and why."""

    __tablename__ = "certificate_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    actor: Mapped[str] = mapped_column(String(120))
    previous_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    reason_category: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    suspended_until: Mapped[dt.datetime | None]

    certificate: Mapped[Certificate] = relationship(back_populates="changes")

    def __repr__(self) -> str:
        return f"<CertificateStatusChange {self.previous_status}->{self.new_status}>"
