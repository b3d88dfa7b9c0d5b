"""The scheduled duties: time-driven work, run by the scheduler as ``system:scheduler``.

:data:`DAILY` lists what runs once a day, in order: lapsed suspensions, expiries recorded,
non-conformity deadlines (reminders, then overdue marks with a proposed or automatic
suspension), expiry reminders, the cycle (cases opened, reminders, overdue surveillance),
complaints, the evidence sweep and erasure. Each duty is idempotent on its own: the status
and non-conformity tables refuse a second withdrawal, expiry or mark, and a :class:`JobMark`
(a unique row) records each reminder and overdue mark, so running a duty twice, or on two
workers at once, changes nothing more than once. Each item is its own transaction: one
failure does not undo or block the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Sequence

from flask import current_app
from sqlalchemy import select

from certify import clock, lifecycle
from certify.applications.models import NonConformity
from certify.certificates.models import Certificate, CertificateStatus
from certify.certificates.operations import lapsed_suspensions, unrecorded_expiries
from certify.core.actor import Actor
from certify.core.nonconformity import REMINDER_DAYS, reminder_due
from certify.db import get_db
from certify.followup import deadlines
from certify.followup import queries as followup_queries
from certify.jobs.marks import once
from certify.operations import OperationError

log = logging.getLogger(__name__)

SCHEDULER = Actor.system("scheduler")
#: Reminders before a certificate's expiry, in days.
EXPIRY_WARNINGS = (90, 30)


def withdraw_lapsed_suspensions(now: dt.datetime) -> str:
    """Withdraw every certificate whose suspension ended without reinstatement."""
    with get_db().new_session() as session:
        due = [c.id for c in lapsed_suspensions(session, now)]
        session.rollback()
    withdrawn = 0
    for certificate_id in due:
        with get_db().new_session() as session:
            certificate = session.get(Certificate, certificate_id)
            try:
                assert certificate is not None
                lifecycle.withdraw_lapsed_suspension(session, certificate, SCHEDULER, now=now)
                session.commit()
                withdrawn += 1
            except OperationError as exc:  # done meanwhile (another worker), or reinstated
                session.rollback()
                log.info("lapsed suspension of %s not withdrawn: %s", certificate_id, exc)
    return f"{withdrawn} withdrawn"


def record_expiries(now: dt.datetime) -> str:
    """Record the expiry of every active certificate past its last valid day and not renewed
    (the log entry, the history, the holder's message). Idempotent: a recorded expiry is
    refused a second time (``prepare_expiry``)."""
    with get_db().new_session() as session:
        due = [c.id for c in unrecorded_expiries(session, now)]
        session.rollback()
    expired = 0
    for certificate_id in due:
        with get_db().new_session() as session:
            certificate = session.get(Certificate, certificate_id)
            try:
                assert certificate is not None
                lifecycle.expire_certificate(session, certificate, SCHEDULER, now=now)
                session.commit()
                expired += 1
            except OperationError as exc:  # recorded meanwhile (another worker)
                session.rollback()
                log.info("expiry of %s not recorded: %s", certificate_id, exc)
    return f"{expired} expired"


def remind_nonconformity_deadlines(now: dt.datetime) -> str:
    """Remind the holder 30 and 7 days before a non-conformity's due date (once each, per
    due date: an extended deadline is reminded again)."""
    today, sent = now.date(), 0
    with get_db().new_session() as session:
        for nc in followup_queries.reminder_candidates(session, today, max(REMINDER_DAYS)):
            days = reminder_due(nc.due_on, today)
            key = f"{nc.public_id}:{nc.due_on.isoformat()}"
            if days is not None and once(session, f"nc_reminder:{days}", key):
                deadlines.send_reminder(session, nc, days, SCHEDULER, now)
                sent += 1
        session.commit()
    return f"{sent} reminder(s)"


def act_on_overdue_nonconformities(now: dt.datetime) -> str:
    """Mark overdue each followed-up non-conformity past its due date (once per due date);
    for a grade the rubric suspends after its deadline (major), propose the suspension to the
    admins or, with ``NC_OVERDUE_ACTION = "suspend"``, suspend the certificate. Each is its
    own transaction; a second run, or a second worker, finds the mark and does nothing."""
    action = str(current_app.config["NC_OVERDUE_ACTION"])
    with get_db().new_session() as session:
        due = followup_queries.overdue_candidates(session, now.date())
        session.rollback()
    done: Counter[str] = Counter()
    for nc_id in due:
        with get_db().new_session() as session:
            nc = session.get(NonConformity, nc_id)
            assert nc is not None
            try:
                if not once(session, "nc_overdue", f"{nc.public_id}:{nc.due_on.isoformat()}"):
                    session.rollback()
                    continue
                done[deadlines.mark_overdue(session, nc, SCHEDULER, now, action)] += 1
                session.commit()
            except OperationError as exc:  # closed or escalated meanwhile, no longer followed up
                session.rollback()
                log.info("overdue non-conformity %s left alone: %s", nc_id, exc)
    return ", ".join(f"{n} {what}" for what, n in sorted(done.items())) or "none overdue"


def warn_expiring_certificates(now: dt.datetime) -> str:
    """Tell each holder 90 and 30 days before its certificate expires (once each)."""
    from certify.certificates.notices import notify_expiring

    sent = 0
    for days in EXPIRY_WARNINGS:
        horizon = now + dt.timedelta(days=days)
        with get_db().new_session() as session:
            soon = session.scalars(
                select(Certificate).where(
                    Certificate.status == CertificateStatus.ACTIVE.value,
                    Certificate.valid_until > now,
                    Certificate.valid_until <= horizon,
                )
            ).all()
            for certificate in soon:
                if once(session, f"expiry_warning:{days}", certificate.serial):
                    notify_expiring(session, certificate, days)
                    sent += 1
            session.commit()
    return f"{sent} reminder(s)"


def sweep_evidence(now: dt.datetime) -> str:
    """Remove what crashed uploads left in the evidence store."""
    from certify.applications.web import evidence_store
    from certify.evidence.operations import sweep_evidence_store

    with get_db().new_session() as session:
        sweep = sweep_evidence_store(session, evidence_store(), SCHEDULER, now=now)
        session.commit()
    return f"{len(sweep.orphans)} file(s) and {sweep.temp_files} temporary file(s) removed"


def erase_expired_evidence(now: dt.datetime) -> str:
    """Erase the evidence whose retention ran out (crypto-shredding; issue 24). Idempotent:
    an erased row is never due again; the lock on daily duties keeps one worker at it."""
    from certify.applications.web import evidence_store
    from certify.evidence.erasure import erase_due_evidence

    schedule = dict(current_app.config["EVIDENCE_RETENTION_YEARS"])
    with get_db().new_session() as session:
        rows, files = erase_due_evidence(
            session, evidence_store(), SCHEDULER, now=now, schedule=schedule
        )
        session.commit()
    return f"{rows} evidence file(s) erased, {files} data key(s) destroyed"


def open_due_cycle_cases(now: dt.datetime) -> str:
    """Open the surveillance and recertification cases that are due (certify.cycle)."""
    from certify.cycle.schedule import open_due_cases

    return open_due_cases(now)


def remind_surveillance(now: dt.datetime) -> str:
    """Remind the holders and the admins of coming surveillance (certify.cycle)."""
    from certify.cycle import schedule

    return schedule.remind_surveillance(now)


def act_on_overdue_surveillance(now: dt.datetime) -> str:
    """Propose (or make) the suspension of certificates whose surveillance is overdue."""
    from certify.cycle import schedule

    return schedule.act_on_overdue_surveillance(now)


def complaint_deadlines(now: dt.datetime) -> str:
    """Remind of complaints not acknowledged in time and of those to decide (the deadline for
    closing nears or passed); erase those past their retention."""
    from certify.applications.web import evidence_store
    from certify.complaints.duties import (
        erase_expired_complaints,
        remind_complaints_to_close,
        remind_unacknowledged_complaints,
    )

    reminded = remind_unacknowledged_complaints(now)
    to_close = remind_complaints_to_close(now)
    return f"{reminded}, {to_close}, {erase_expired_complaints(now, evidence_store())}"


#: Once a day, in this order.
DAILY: Sequence[Callable[[dt.datetime], str]] = (
    withdraw_lapsed_suspensions,
    record_expiries,
    remind_nonconformity_deadlines,
    act_on_overdue_nonconformities,
    warn_expiring_certificates,
    open_due_cycle_cases,
    remind_surveillance,
    act_on_overdue_surveillance,
    complaint_deadlines,
    sweep_evidence,
    erase_expired_evidence,
)


def run_daily_duties(now: dt.datetime | None = None) -> dict[str, str]:
    """Run :data:`DAILY` (each duty for itself: one failing does not stop the next) and mark
    the day done for each; returns what each did. Needs an app context."""
    now = now or clock.now()
    results: dict[str, str] = {}
    for duty in DAILY:
        try:
            results[duty.__name__] = duty(now)
        except Exception as exc:  # the next duties still run; the log and status show it
            log.exception("daily duty %s failed", duty.__name__)
            results[duty.__name__] = f"failed: {type(exc).__name__}"
        with get_db().new_session() as session:
            once(
                session,
                f"daily:{duty.__name__}",
                f"{now:%Y-%m-%dT%H:%M:%S}",
                results[duty.__name__],
            )
            session.commit()
    return results
