"""Complaints (concerns anyone raises about a certified ISSP), appeals (an ISSP against a
decision about it), the entries written on them and their attached files.

A complainant's name and contact live only in :class:`Complaint`'s ``complainant_*`` columns:
pages, mails and exports for anyone but the handler never read them (``can_see_identity``).
The tracking code is never stored, only its SHA-256 (``code_sha256``).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certify import clock
from certify.accounts.models import Organisation, User
from certify.applications.models import Application, NonConformity
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.db import Base, PublicId, new_public_id


class Complaint(Base):
    """One concern about one ISSP: what happened, who (optionally) raised it, who handles it
    and what came of it."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint(
            "state IN ('received', 'assigned', 'acknowledged', 'decided')", name="state_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    #: SHA-256 of the tracking code given to the complainant (the code is never stored)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    #: personal data: shown to the handler only (and the ISSP only with written consent)
    complainant_name: Mapped[str | None] = mapped_column(String(200))
    complainant_contact: Mapped[str | None] = mapped_column(String(254))
    consent_to_share: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="received", index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    acknowledge_by: Mapped[dt.datetime]
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[dt.datetime | None]
    acknowledged_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    #: the reminders of the deadline for closing (COMPLAINT_CLOSE_DAYS), each sent once
    close_reminded_at: Mapped[dt.datetime | None]
    close_overdue_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_reasons: Mapped[str | None] = mapped_column(Text)
    #: a founded outcome's follow-up: the non-conformity it opened, if any
    nonconformity_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id"))
    #: when the personal data (contact, text, files) may be erased; set at the decision
    retain_until: Mapped[dt.datetime | None]
    erased_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation] = relationship()
    certificate: Mapped[Certificate | None] = relationship()
    handler: Mapped[User | None] = relationship()
    nonconformity: Mapped[NonConformity | None] = relationship()
    entries: Mapped[list[ComplaintEntry]] = relationship(
        back_populates="complaint", order_by="ComplaintEntry.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="complaint", order_by="Attachment.id"
    )

    def __repr__(self) -> str:
        return f"<Complaint {self.public_id} {self.state}>"

    @property
    def is_open(self) -> bool:
        return self.state != "decided"

    def can_see_identity(self, user: User | None) -> bool:
        """Only the handler sees who raised the complaint and how to reach them."""
        return user is not None and self.handler_id == user.id


class ComplaintEntry(Base):
    """Something written on a complaint: the handler's investigation ``note`` (staff only),
    ``information`` the complainant added with the tracking code, or a ``message`` the handler
    sends the complainant (shown on the tracking page)."""

    __tablename__ = "complaint_entry"
    __table_args__ = (
        CheckConstraint("kind IN ('note', 'information', 'message')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    complaint: Mapped[Complaint] = relationship(back_populates="entries")
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ComplaintEntry {self.public_id} {self.kind}>"


class Appeal(Base):
    """An ISSP's appeal against a decision about it, decided by someone who took no part in
    that decision (``involved``: the public ids of those who did, recorded when lodged)."""

    __tablename__ = "appeal"
    __table_args__ = (
        CheckConstraint("state IN ('lodged', 'assigned', 'decided')", name="state_known"),
        CheckConstraint(
            "subject IN ('refusal', 'suspension', 'withdrawal', 'nc_grade')", name="subject_known"
        ),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'dismissed')", name="outcome_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    subject: Mapped[str] = mapped_column(String(20))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    status_change_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_status_change.id"))
    nonconformity_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id"))
    #: when the appealed decision was made (the appeal window counts from it)
    decision_at: Mapped[dt.datetime]
    involved_json: Mapped[str] = mapped_column("involved", Text, default="[]")
    grounds: Mapped[str] = mapped_column(Text)
    lodged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    lodged_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    state: Mapped[str] = mapped_column(String(20), default="lodged", index=True)
    decider_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))
    reasons: Mapped[str | None] = mapped_column(Text)
    #: what the upheld appeal changed (a reinstatement, a new decision to take)
    remedy: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation] = relationship()
    application: Mapped[Application | None] = relationship()
    certificate: Mapped[Certificate | None] = relationship()
    status_change: Mapped[CertificateStatusChange | None] = relationship()
    nonconformity: Mapped[NonConformity | None] = relationship()
    lodged_by: Mapped[User] = relationship(foreign_keys=[lodged_by_id])
    decider: Mapped[User | None] = relationship(foreign_keys=[decider_id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="appeal", order_by="Attachment.id"
    )

    def __repr__(self) -> str:
        return f"<Appeal {self.public_id} {self.subject} {self.state}>"

    @property
    def involved(self) -> list[str]:
        return list(json.loads(self.involved_json or "[]"))


class Attachment(Base):
    """A file sent with a complaint (by the complainant) or an appeal (by the ISSP): the bytes
    live once in the evidence store under ``sha256``, checked like every evidence file."""

    __tablename__ = "complaint_attachment"
    __table_args__ = (
        CheckConstraint("(complaint_id IS NULL) <> (appeal_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    warnings_json: Mapped[str | None] = mapped_column("warnings", Text)
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    complaint: Mapped[Complaint | None] = relationship(back_populates="attachments")
    appeal: Mapped[Appeal | None] = relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<Attachment {self.public_id} {self.filename!r}>"

    @property
    def warnings(self) -> list[str]:
        return json.loads(self.warnings_json) if self.warnings_json else []
