"""Clients' records: what they watch, where their webhooks go, what was sent, their API tokens.

A watch names a certificate or an organisation (a renewal is a new certificate with a new
serial: watching the organisation follows renewals). Webhook
deliveries are an outbox like the mail outbox: written in the transaction of the change they
report, sent after it commits, retried with back-off, kept as the delivery log.
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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certify import clock
from certify.accounts.models import Organisation, User
from certify.certificates.models import Certificate
from certify.db import Base, PublicId, new_public_id


class Watch(Base):
    """One client watching one certificate or one organisation (exactly one of the two)."""

    __tablename__ = "client_watch"
    __table_args__ = (
        CheckConstraint(
            "(certificate_id IS NULL) <> (organisation_id IS NULL)", name="one_subject"
        ),
        UniqueConstraint("user_id", "certificate_id"),
        UniqueConstraint("user_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    user: Mapped[User] = relationship()
    certificate: Mapped[Certificate | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    def __repr__(self) -> str:
        return f"<Watch {self.public_id} cert={self.certificate_id} org={self.organisation_id}>"


class WebhookEndpoint(Base):
    """A client's webhook: where events go and the secrets that sign them. After a rotation
    the previous secret also signs until ``previous_until`` (receivers switch at leisure)."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    # The receiver needs the secret itself to check signatures, and so do we to make them: it
    # cannot be hashed. It is shown once to its owner, never in logs or audit events.
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_until: Mapped[dt.datetime | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.public_id} {self.url!r}>"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(Base):
    """One event for one endpoint: the signed body, each attempt's outcome (the log)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'delivered', 'failed')", name="status_known"
        ),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the Standard Webhooks message id: the same on every attempt, so receivers drop repeats
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    lease_until: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)

    endpoint: Mapped[WebhookEndpoint] = relationship()

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.msg_id} {self.event_type} {self.status}>"


class ApiToken(Base):
    """A client's API token: only its SHA-256 is stored; scoped; revocable."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: space-separated scopes: ``read`` (watches, deliveries), ``write`` (change them)
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.public_id} {self.name!r} revoked={self.revoked_at is not None}>"
