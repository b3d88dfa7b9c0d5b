"""Sending webhooks: at least once, signed (Standard Webhooks), retried with back-off, logged.

A worker claims a due delivery with one conditional UPDATE and commits the claim before it
connects, as the mail outbox does (:mod:`certify.notifications.delivery`). Every attempt checks
the endpoint's address again under the SSRF policy and connects to the address it checked
(never to a second look-up), follows no redirect, and waits at most ``WEBHOOK_TIMEOUT``
seconds. A 2xx answer is delivered; anything else is retried after the delays of
:data:`certify.core.clients.webhooks.RETRY_DELAYS`, then ``failed`` (kept in the log).
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import socket
import ssl
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from certify import clock
from certify.clients.models import DeliveryState, WebhookDelivery
from certify.clients.operations import checked_target, secrets_in_use
from certify.core.clients import webhooks
from certify.core.clients.addresses import Target, TargetRefused
from certify.db import get_db

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
USER_AGENT = "certify-webhooks/1"


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to the address that was checked, whatever DNS says now."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is checked against the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, address: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
    """POST *body* to *target* at *address*; the answer's status code."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target.host, address, target.port, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # a little of the answer; the rest is not ours to wait for
        return int(response.status)
    finally:
        connection.close()


def _due(now: dt.datetime) -> Any:
    return or_(
        (WebhookDelivery.status == DeliveryState.PENDING.value)
        & (WebhookDelivery.next_attempt_at <= now),
        (WebhookDelivery.status == DeliveryState.SENDING.value)
        & (WebhookDelivery.lease_until < now),
    )


def claim(session: Session, delivery_id: int, now: dt.datetime) -> bool:
    """Take the delivery if it is due (one conditional UPDATE: one worker wins)."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, _due(now))
        .values(
            status=DeliveryState.SENDING.value,
            lease_until=now + LEASE,
            attempts=WebhookDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def deliver_due_webhooks(limit: int = 200) -> int:
    """Send every due delivery (at most *limit*); how many were delivered. Needs an app
    context; each delivery is claimed, sent and recorded in transactions of its own."""
    delivered = 0
    with get_db().new_session() as session:
        ids = session.scalars(
            select(WebhookDelivery.id)
            .where(_due(clock.now()))
            .order_by(WebhookDelivery.id)
            .limit(limit)
        ).all()
        session.rollback()
        for delivery_id in ids:
            delivered += deliver_one(session, delivery_id)
    return delivered


def deliver_one(session: Session, delivery_id: int) -> int:
    """Claim, send and record one delivery; 1 if it was delivered now."""
    if not claim(session, delivery_id, clock.now()):
        session.rollback()
        return 0
    row = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    assert row is not None
    endpoint = row.endpoint
    url, body, msg_id = endpoint.url, bytes(row.payload), row.msg_id
    signing = secrets_in_use(endpoint)
    session.commit()
    timeout = float(current_app.config["WEBHOOK_TIMEOUT"])
    code: int | None = None
    try:
        target, addresses = checked_target(url)
        headers = webhooks.signed_headers(signing, msg_id, int(clock.now().timestamp()), body)
        headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT})
        code = post(target, str(addresses[0]), headers, body, timeout)
        error = None if 200 <= code < 300 else f"the receiver answered {code}"
    except TargetRefused as exc:
        error = f"refused: {exc}"
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
    row.last_status_code, row.lease_until = code, None
    if error is None:
        row.status, row.delivered_at, row.last_error = (
            DeliveryState.DELIVERED.value,
            clock.now(),
            None,
        )
    else:
        log.warning("webhook %s to %s failed: %s", msg_id, url, error)
        row.last_error = error[:2000]
        delay = webhooks.retry_delay(row.attempts)
        if delay is None:
            row.status = DeliveryState.FAILED.value
        else:
            row.status, row.next_attempt_at = DeliveryState.PENDING.value, clock.now() + delay
    session.commit()
    return int(error is None)
