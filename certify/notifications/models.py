"""Notifications: the outbox of messages to people, and their preferences.

A :class:`Notification` row is written in the same transaction as the change that causes it
(the transactional outbox): a rolled-back change leaves no row, so nothing is sent; a committed
one is delivered by a job, at least once, however often the worker or the mail server fails.
The same row is the person's in-app notification (``/notifications``). Its subject and bodies
are rendered when it is written, so what was sent is what is stored.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certify import clock
from certify.accounts.models import User
from certify.db import Base, PublicId, new_public_id


class DeliveryStatus(enum.StrEnum):
    """Where an e-mail is: waiting, being sent (leased by a worker), sent, given up on, or not
    to be sent at all (the person switched this kind of mail off)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Notification(Base):
    """One message to one person: an e-mail in the outbox and an entry in their list."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("message_id"),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name="status_known"
        ),
        Index("ix_notification_due", "status", "next_attempt_at"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    #: the RFC 5322 Message-ID: every delivery attempt of this row carries the same one, so a
    #: receiver can drop a duplicate after a crash between "accepted" and "recorded as sent"
    message_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    #: the page the message is about (a path on this registry), if any
    link: Mapped[str | None] = mapped_column(String(500))
    #: optional kinds carry a List-Unsubscribe header and can be switched off by the person
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    read_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    #: a worker holds the row until then while it sends; after, another may take it over
    lease_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.public_id} {self.kind} {self.status}>"


class NotificationPreference(Base):
    """A person's choice to receive an optional kind of mail, or not (in-app always shows)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(80))
    email: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<NotificationPreference user={self.user_id} {self.kind} email={self.email}>"
