"""After a commit that wrote webhook deliveries, ask a worker to send them at once (the
periodic task sends them anyway if that request is lost; a rollback forgets them). The hooks
are the notifications' outbox hooks (:mod:`certify.notifications.wakeup`), with this outbox
registered on them."""

from __future__ import annotations

from typing import Any

from certify.clients.events import WEBHOOK_OUTBOX_KEY
from certify.notifications import wakeup


def _deliver_webhooks() -> Any:
    from certify.clients.tasks import deliver_webhooks

    return deliver_webhooks()


def listen() -> None:
    """Register the webhook outbox and install the shared hooks (idempotent)."""
    wakeup.register(WEBHOOK_OUTBOX_KEY, _deliver_webhooks, "webhook(s)")
    wakeup.listen()
