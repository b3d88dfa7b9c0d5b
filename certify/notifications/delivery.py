"""Delivering the outbox: at least once, never twice by our doing, and nothing lost.

A worker *claims* a due row with one conditional UPDATE (pending and due, or sending with an
expired lease) and commits the claim before it talks to the mail server, so two workers can
never send one row at once. It then sends and records the result in a second short
transaction. If the worker dies mid-delivery, the lease runs out and another worker takes the
row over; the message keeps its Message-ID, so if the first attempt had in fact been accepted
the receiver sees the same message twice at worst and can drop it (RFC 5322 §3.6.4). A failed
attempt is retried with growing delays; after the last one the row is ``failed`` and the admin
sees it with a resend button.

Transports: ``MAIL_SERVER`` set: SMTP (STARTTLS with ``MAIL_STARTTLS``, implicit TLS with
``MAIL_TLS``, login when ``MAIL_USERNAME`` is set); not set (the default, for development):
each message is written to ``instance/mail/`` as an ``.eml`` file, named by its Message-ID so a
repeated delivery overwrites rather than duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from certify import clock
from certify.db import get_db
from certify.notifications.models import DeliveryStatus, Notification

log = logging.getLogger(__name__)

#: Delays before the second, third... attempt; after the last, the message is ``failed``.
RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


class PermanentFailure(Exception):
    """The server refused the message for good (an unknown recipient): do not retry."""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass
class FileTransport:
    """Development: each message becomes ``<folder>/<message id>.eml``."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("@", "_at_").replace("/", "_")
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(message.as_bytes())
        os.replace(temp, self.folder / f"{name}.eml")  # atomic: a reader never sees half


@dataclass
class SmtpTransport:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool
    starttls: bool
    timeout: float

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                raise PermanentFailure(f"the recipient was refused: {exc.recipients}") from exc


def transport_for(config: Any, instance_path: str) -> Transport:
    """The transport the settings describe (see the module docstring)."""
    if not config.get("MAIL_SERVER"):
        return FileTransport(Path(config.get("MAIL_DIR") or os.path.join(instance_path, "mail")))
    return SmtpTransport(
        host=str(config["MAIL_SERVER"]),
        port=int(config.get("MAIL_PORT") or 25),
        username=config.get("MAIL_USERNAME") or None,
        password=config.get("MAIL_PASSWORD") or None,
        tls=bool(config.get("MAIL_TLS")),
        starttls=bool(config.get("MAIL_STARTTLS")),
        timeout=float(config.get("MAIL_TIMEOUT") or 20),
    )


def build_message(row: Notification, config: Any) -> EmailMessage:
    """The e-mail of *row*: plain text and HTML alternatives, its stable Message-ID, and a
    ``List-Unsubscribe`` address when the kind is optional."""
    message = EmailMessage()
    message["From"] = str(config["MAIL_FROM"])
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id or make_msgid()
    message["Auto-Submitted"] = "auto-generated"
    if row.optional:
        preferences = str(config["PUBLIC_URL"]).rstrip("/") + "/notifications#preferences"
        message["List-Unsubscribe"] = f"<{preferences}>"
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    return message


def _due(now: dt.datetime) -> Any:
    return or_(
        (Notification.status == DeliveryStatus.PENDING.value)
        & (Notification.next_attempt_at <= now),
        (Notification.status == DeliveryStatus.SENDING.value) & (Notification.lease_until < now),
    )


def claim(session: Session, notification_id: int, now: dt.datetime, lease: dt.timedelta) -> bool:
    """Take the row for this worker if it is due: one conditional UPDATE, so of two workers
    only one can win. Does not commit."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, _due(now))
        .values(
            status=DeliveryStatus.SENDING.value,
            lease_until=now + lease,
            attempts=Notification.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def deliver_due(limit: int = 200) -> int:
    """Send every due message (at most *limit*); returns how many were sent. Each row is
    claimed, sent and recorded in transactions of its own; needs an app context."""
    app = current_app
    transport = transport_for(app.config, app.instance_path)
    lease = dt.timedelta(seconds=float(app.config.get("MAIL_LEASE_SECONDS") or 300))
    sent = 0
    with get_db().new_session() as session:
        ids = session.scalars(
            select(Notification.id).where(_due(clock.now())).order_by(Notification.id).limit(limit)
        ).all()
        session.rollback()
        for notification_id in ids:
            sent += deliver_one(session, notification_id, transport, app.config, lease)
    return sent


def deliver_one(
    session: Session,
    notification_id: int,
    transport: Transport,
    config: Any,
    lease: dt.timedelta,
) -> int:
    """Claim, send and record one message; 1 if it was sent now, else 0.

    The claim is committed before the mail server is contacted (no transaction, and so no
    database lock, is held while talking to it); the outcome is a second short transaction.
    """
    if not claim(session, notification_id, clock.now(), lease):
        session.rollback()
        return 0
    row = session.get(Notification, notification_id, populate_existing=True)
    assert row is not None
    message = build_message(row, config)
    session.commit()
    try:
        transport.send(message)
    except PermanentFailure as exc:
        _record_failure(row, str(exc), permanent=True)
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        _record_failure(row, f"{type(exc).__name__}: {exc}", permanent=False)
    else:
        row.status, row.sent_at, row.lease_until = DeliveryStatus.SENT.value, clock.now(), None
        row.last_error = None
    session.commit()
    return int(row.status == DeliveryStatus.SENT.value)


def _record_failure(row: Notification, error: str, *, permanent: bool) -> None:
    log.warning("delivery of %s to %s failed: %s", row.message_id, row.to_address, error)
    row.last_error, row.lease_until = error[:2000], None
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.status = DeliveryStatus.FAILED.value
        return
    row.status = DeliveryStatus.PENDING.value
    row.next_attempt_at = clock.now() + RETRY_DELAYS[row.attempts - 1]
