"""``flask --app certify jobs status | worker | run-daily``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from certify.core.text import for_terminal
from certify.db import get_db


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: the queue, the worker, the daily duties."""


@jobs_group.command("status")
@with_appcontext
def jobs_status() -> None:
    """Show the queue (queued and scheduled jobs), the outbox (waiting and failed messages)
    and the last runs of the daily duties."""
    from certify.jobs.duties import DAILY
    from certify.jobs.engine import huey, store_description
    from certify.jobs.models import JobMark
    from certify.notifications.models import DeliveryStatus, Notification

    click.echo(f"queue: {store_description()}")
    if not huey.immediate:
        click.echo(f"  queued: {huey.pending_count()}  scheduled: {huey.scheduled_count()}")
    with get_db().new_session(writer=False) as session:
        counts = dict(
            session.execute(
                select(Notification.status, func.count()).group_by(Notification.status)
            ).all()
        )
        failed = session.scalars(
            select(Notification)
            .where(Notification.status == DeliveryStatus.FAILED.value)
            .order_by(Notification.id.desc())
            .limit(10)
        ).all()
        runs = session.scalars(
            select(JobMark)
            .where(JobMark.name.like("daily:%"))
            .order_by(JobMark.done_at.desc())
            .limit(len(DAILY))
        ).all()
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    click.echo(
        f"outbox: {waiting} waiting, {counts.get('sent', 0)} sent, "
        f"{counts.get('failed', 0)} failed, {counts.get('skipped', 0)} not wanted by e-mail"
    )
    for row in failed:
        click.echo(f"  failed: {row.kind} to {for_terminal(row.to_address)}: {row.last_error}")
    for run in runs:
        click.echo(f"daily duty {run.name.removeprefix('daily:')} at {run.key}: {run.summary}")
    if not runs:
        click.echo("daily duties: not run yet")


@jobs_group.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
@with_appcontext
def jobs_worker(workers: int) -> None:
    """Run a worker: it delivers the outbox and runs the scheduled duties (periodic tasks).
    Run one per machine, or several against Redis; stop it with Ctrl+C (or SIGTERM)."""
    from certify.jobs.engine import huey, store_description

    if huey.immediate:
        raise click.ClickException("JOBS_URL is 'immediate': tasks run where they are enqueued")
    click.echo(f"worker: {workers} thread(s) on {store_description()}")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


@jobs_group.command("run-daily")
@with_appcontext
def jobs_run_daily() -> None:
    """Run the daily duties now (they are idempotent: running them again changes nothing)."""
    from certify.jobs.duties import run_daily_duties

    for name, summary in run_daily_duties().items():
        click.echo(f"{name}: {summary}")
    current_app.logger.info("daily duties run from the command line")
