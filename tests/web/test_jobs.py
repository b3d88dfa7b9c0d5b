"""The job engine with real stores (a SQLite file, the Redis server on this machine) and real
workers, on a database of the test's own (real commits).

The workers are the production command (``flask --app certify jobs worker``) in processes of
their own, so a test can kill one with SIGKILL in the middle of a delivery.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from certify import create_app, lifecycle
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.core.actor import Actor
from certify.db import get_db
from certify.jobs.duties import run_daily_duties
from certify.notifications.models import DeliveryStatus, Notification
from certify.notifications.operations import notify
from tests.mail_server import MailServer
from tests.web.conftest import make_test_config

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/{db}"


def _redis_url(worker_id: str) -> str:
    # one Redis database per pytest worker, so parallel runs never share a queue
    db = 13 if worker_id == "master" else 14 + int(worker_id.removeprefix("gw")) % 2
    return REDIS_URL.format(db=db)


@pytest.fixture(params=["sqlite", "redis"])
def jobs_url(request, tmp_path, worker_id) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/jobs.sqlite3"
        return
    import redis

    url = _redis_url(worker_id)
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


class Live:
    """An app on a database of the test's own, its settings shared with worker processes."""

    def __init__(self, database_url: str, instance: Path, **settings: Any) -> None:
        self.settings = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "PUBLIC_URL": "http://registry.test",
            "MAIL_LEASE_SECONDS": 2,
            **settings,
        }
        self.instance = instance
        self.app = create_app(make_test_config(database_url, str(instance), **self.settings))
        self.workers: list[subprocess.Popen[bytes]] = []

    def session(self) -> Any:
        return get_db(self.app).new_session()

    def env(self) -> dict[str, str]:
        env = dict(os.environ, CERTIFY_INSTANCE_PATH=str(self.instance))
        for key, value in self.settings.items():
            env[f"CERTIFY_{key}"] = str(value)
        return env

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "certify", "jobs", "worker", "--workers", "1"],
            cwd=ROOT,
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(10)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
        get_db(self.app).engine.dispose()

    def notify(self, address: str) -> str:
        with self.app.test_request_context(), get_db(self.app).new_session() as session:
            row = notify(
                session,
                "certificate.expiring",
                [address],
                context={
                    "serial": "ISR-TEST",
                    "organisation": "Kibera Works",
                    "days": 30,
                    "valid_until": "6 Jan 2027",
                },
            )[0]
            session.commit()  # the delivery job is enqueued after this commit
            return row.public_id

    def status(self, public_id: str) -> Notification:
        with get_db(self.app).new_session() as session:
            row = session.scalar(select(Notification).where(Notification.public_id == public_id))
            assert row is not None
            session.expunge(row)
            return row


@pytest.fixture
def live_jobs(fresh_database_url, tmp_path, jobs_url) -> Iterator[Live]:
    live = Live(fresh_database_url, tmp_path / "instance", JOBS_URL=jobs_url)
    yield live
    live.stop()


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_delivers_what_a_commit_asked_for(live_jobs) -> None:
    server = MailServer().start()
    try:
        live_jobs.settings.update(server.config())
        live_jobs.app.config.update(server.config())
        public_id = live_jobs.notify("ops@kibera.example")
        assert live_jobs.status(public_id).status == DeliveryStatus.PENDING.value
        live_jobs.start_worker()
        assert _wait(lambda: len(server.messages) == 1)
        assert _wait(lambda: live_jobs.status(public_id).status == DeliveryStatus.SENT.value)
        time.sleep(1)
        assert len(server.messages) == 1
        assert server.messages[0]["Message-ID"] == live_jobs.status(public_id).message_id
    finally:
        server.stop()


def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_once(live_jobs) -> None:
    server = MailServer().start()
    try:
        live_jobs.settings.update(server.config())
        live_jobs.app.config.update(server.config())
        server.hold()  # the server stops in the middle of the conversation
        first = live_jobs.start_worker()
        public_id = live_jobs.notify("ops@kibera.example")
        assert server.handler.conversation_started.wait(30)
        first.send_signal(signal.SIGKILL)  # the worker dies mid-delivery
        first.wait()
        assert live_jobs.status(public_id).status == DeliveryStatus.SENDING.value
        server.release()
        live_jobs.start_worker()
        time.sleep(2.5)  # the dead worker's lease runs out
        with live_jobs.app.app_context():
            from certify.jobs.tasks import deliver_notifications

            deliver_notifications()  # what the every-minute sweep would do
        assert _wait(lambda: live_jobs.status(public_id).status == DeliveryStatus.SENT.value)
        time.sleep(1)
        assert len(server.messages) == 1
        assert live_jobs.status(public_id).attempts == 2
    finally:
        server.stop()


# --------------------------------------------------------------------------- daily duties


@pytest.fixture
def live(fresh_database_url, tmp_path) -> Iterator[Live]:
    live = Live(fresh_database_url, tmp_path / "instance", JOBS_URL="immediate")
    yield live
    live.stop()


def _lapsed_certificates(live: Live, count: int) -> list[str]:
    """*count* certificates suspended, their suspension over by the time the duties run."""
    from tests.web.test_concurrency import _certificate

    with live.app.app_context():
        serials = [_certificate(live)[0] for _ in range(count)]
    with live.app.app_context(), get_db(live.app).new_session() as session:
        for serial in serials:
            certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
            lifecycle.suspend_certificate(
                session, certificate, Actor.cli("t"), "major_nonconformity", "Late wages",
                until=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
            )  # fmt: skip
        session.commit()
    return serials


def _withdrawals(live: Live) -> int:
    with get_db(live.app).new_session() as session:
        return session.scalar(
            select(func.count())
            .select_from(CertificateStatusChange)
            .where(CertificateStatusChange.new_status == "withdrawn")
        )


def test_the_daily_duties_withdraw_once_however_often_they_run(live) -> None:
    _lapsed_certificates(live, 2)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    with live.app.app_context():
        first = run_daily_duties(later)
        again = run_daily_duties(later)
    assert first["withdraw_lapsed_suspensions"] == "2 withdrawn"
    assert again["withdraw_lapsed_suspensions"] == "0 withdrawn"
    assert _withdrawals(live) == 2
    with get_db(live.app).new_session() as session:
        actors = set(
            session.scalars(
                select(CertificateStatusChange.actor).where(
                    CertificateStatusChange.new_status == "withdrawn"
                )
            )
        )
    assert actors == {"system:scheduler"}
    result = live.app.test_cli_runner().invoke(args=["log", "verify"])
    assert result.exit_code == 0, result.output


def test_two_workers_running_the_duties_at_once_withdraw_once(live) -> None:
    _lapsed_certificates(live, 3)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    barrier = threading.Barrier(2)
    results: list[dict[str, str]] = []

    def worker() -> None:
        with live.app.app_context():
            barrier.wait()
            results.append(run_daily_duties(later))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert _withdrawals(live) == 3
    done = sorted(int(r["withdraw_lapsed_suspensions"].split()[0]) for r in results)
    assert sum(done) == 3  # every certificate withdrawn by exactly one of them


def test_expiry_reminders_go_once_at_90_and_30_days(live) -> None:
    from tests.web.test_concurrency import _certificate

    with live.app.app_context():
        serial = _certificate(live)[0]
    with get_db(live.app).new_session() as session:
        until = session.scalar(select(Certificate.valid_until).where(Certificate.serial == serial))
    with live.app.app_context():
        run_daily_duties(until - dt.timedelta(days=100))
        run_daily_duties(until - dt.timedelta(days=89))
        run_daily_duties(until - dt.timedelta(days=80))
        run_daily_duties(until - dt.timedelta(days=29))
        run_daily_duties(until - dt.timedelta(days=20))
    with get_db(live.app).new_session() as session:
        subjects = sorted(
            session.scalars(
                select(Notification.subject).where(Notification.kind == "certificate.expiring")
            )
        )
    assert subjects == [
        f"Certificate {serial} expires in 30 days",
        f"Certificate {serial} expires in 90 days",
    ]


def test_jobs_status_shows_the_queue_the_outbox_and_the_duties(live) -> None:
    with live.app.app_context():
        run_daily_duties()
    result = live.app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0, result.output
    assert "queue: immediate" in result.output
    assert "outbox: 0 waiting" in result.output
    assert "daily duty withdraw_lapsed_suspensions" in result.output


# --------------------------------------------------------------------------- non-conformities


def _major_nonconformity(live: Live) -> tuple[str, dt.date, str]:
    """A certified case with a major non-conformity raised after the decision: its public
    id, due date and the certificate's serial."""
    from certify.applications.models import Application
    from certify.followup.deadlines import raise_after_decision
    from certify.standards.operations import get_rubric
    from tests.web.test_concurrency import _certificate

    with live.app.app_context():
        serial = _certificate(live)[0]
    with live.app.app_context(), get_db(live.app).new_session() as session:
        certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
        application = session.get(Application, certificate.application_id)
        rubric = get_rubric("isrps", "1.0", session=session)
        nc = raise_after_decision(
            session, application, application.auditor, rubric, grade="major",
            criterion_id="FW-7", description="No grievance log", corrective_action="Keep one",
            due_on=None,
        )  # fmt: skip
        session.commit()
        return nc.public_id, nc.due_on, serial


def _events(live: Live, action: str) -> list[str]:
    from certify.audit.models import AuditEvent

    with get_db(live.app).new_session() as session:
        return list(session.scalars(select(AuditEvent.actor).where(AuditEvent.action == action)))


def _after(due: dt.date, days: int = 1) -> dt.datetime:
    return dt.datetime.combine(due, dt.time(2, 15), tzinfo=dt.UTC) + dt.timedelta(days=days)


def test_an_overdue_major_nonconformity_is_proposed_for_suspension_once(live) -> None:
    _public_id, due, serial = _major_nonconformity(live)
    with live.app.app_context():
        assert run_daily_duties(_after(due, 0))["act_on_overdue_nonconformities"] == "none overdue"
        first = run_daily_duties(_after(due))
        again = run_daily_duties(_after(due, 2))
    assert first["act_on_overdue_nonconformities"] == "1 suspension proposed"
    assert again["act_on_overdue_nonconformities"] == "none overdue"
    assert _events(live, "nonconformity.mark_overdue") == ["system:scheduler"]
    assert _events(live, "nonconformity.suspension_proposed") == ["system:scheduler"]
    with get_db(live.app).new_session() as session:
        assert session.scalar(select(Certificate.status).where(Certificate.serial == serial)) == (
            "active"
        )
        kinds = sorted(session.scalars(select(Notification.kind)))
    assert kinds.count("nonconformity.suspension_proposed") == 1  # the one admin
    assert kinds.count("nonconformity.overdue") == 2  # the member and the auditor


def test_two_workers_past_the_due_date_suspend_exactly_once(live) -> None:
    from certify.applications.models import NonConformity

    live.app.config["NC_OVERDUE_ACTION"] = "suspend"  # the setting: suspend, not propose
    public_id, due, serial = _major_nonconformity(live)
    barrier = threading.Barrier(2)
    results: list[dict[str, str]] = []

    def worker() -> None:
        with live.app.app_context():
            barrier.wait()
            results.append(run_daily_duties(_after(due)))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(r["act_on_overdue_nonconformities"] for r in results) == [
        "1 suspended",
        "none overdue",
    ]
    with live.app.app_context():
        run_daily_duties(_after(due, 3))  # and again, days later: nothing more
    with get_db(live.app).new_session() as session:
        certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
        suspensions = session.scalars(
            select(CertificateStatusChange).where(
                CertificateStatusChange.certificate_id == certificate.id,
                CertificateStatusChange.new_status == "suspended",
            )
        ).all()
        nc = session.scalar(select(NonConformity).where(NonConformity.public_id == public_id))
        told = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "certificate.suspended")
        )
    assert certificate.status == "suspended"
    assert [(s.actor, s.reason_category) for s in suspensions] == [
        ("system:scheduler", "major_nonconformity")
    ]
    assert (nc.status, nc.suspension_id) == ("escalated", suspensions[0].id)
    assert told == 1
    assert _events(live, "nonconformity.escalate") == ["system:scheduler"]
    runner = live.app.test_cli_runner()
    for command in (["log", "verify"], ["audit", "verify"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output


def test_nonconformity_reminders_go_once_at_30_and_7_days(live) -> None:
    _public_id, due, _serial = _major_nonconformity(live)
    with live.app.app_context():
        for days_before in (40, 29, 20, 6, 3, 0):
            run_daily_duties(_after(due, -days_before))
    with get_db(live.app).new_session() as session:
        subjects = sorted(
            session.scalars(
                select(Notification.subject).where(Notification.kind == "nonconformity.due_soon")
            )
        )
    assert subjects == [
        "Non-conformity on FW-7 is due in 30 days or less",
        "Non-conformity on FW-7 is due in 7 days or less",
    ]
    assert _events(live, "nonconformity.reminder_sent") == ["system:scheduler"] * 2
