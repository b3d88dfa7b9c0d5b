"""The tasks the worker runs: delivering the outbox, and the daily duties."""

from __future__ import annotations

from huey import crontab

from certify.jobs.duties import run_daily_duties
from certify.jobs.engine import app_task, huey
from certify.notifications.delivery import deliver_due


@huey.task(retries=3, retry_delay=10)
@app_task
def deliver_notifications() -> int:
    """Send what is due in the outbox (asked for after each commit that wrote to it)."""
    return deliver_due()


@huey.periodic_task(crontab(minute="*"))
@app_task
def deliver_notifications_every_minute() -> int:
    """The safety net: retries, expired leases, and any commit whose job request was lost."""
    return deliver_due()


@huey.periodic_task(crontab(minute="15", hour="2"))
@huey.lock_task("daily-duties")
@app_task
def daily_duties() -> dict[str, str]:
    """Once a day at 02:15 UTC (one worker at a time: the lock; each duty is idempotent)."""
    return run_daily_duties()
