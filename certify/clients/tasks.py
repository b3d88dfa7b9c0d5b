"""The worker's webhook tasks: send at once after a commit, and a periodic safety net."""

from __future__ import annotations

from huey import crontab

from certify.clients.delivery import deliver_due_webhooks
from certify.jobs.engine import app_task, huey


@huey.task(retries=3, retry_delay=10)
@app_task
def deliver_webhooks() -> int:
    """Send what is due (asked for after each commit that wrote deliveries)."""
    return deliver_due_webhooks()


@huey.periodic_task(crontab(minute="*"))
@app_task
def deliver_webhooks_every_minute() -> int:
    """Retries, expired leases, and any commit whose job request was lost."""
    return deliver_due_webhooks()
