"""The scheduled duties: time-driven work, run by the scheduler as ``system:scheduler``.

:data:`DAILY` lists what runs once a day, in order; the next issues add their deadlines here
(corrective-action reminders, surveillance windows...). Each duty is idempotent on its own:
the status table refuses a second withdrawal of one certificate, and a :class:`JobMark` (a
unique row) records each reminder sent, so running a duty twice, or on two workers at once,
changes nothing more than once. Each item is its own transaction: one failure does not undo
or block the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certify import clock, lifecycle
from certify.certificates.models import Certificate, CertificateStatus
from certify.certificates.operations import lapsed_suspensions
from certify.core.actor import Actor
from certify.db import get_db
from certify.jobs.models import JobMark
from certify.operations import OperationError

log = logging.getLogger(__name__)

SCHEDULER = Actor.system("scheduler")
#: Reminders before a certificate's expiry, in days.
EXPIRY_WARNINGS = (90, 30)


def once(session: Session, name: str, key: str, summary: str | None = None) -> bool:
    """Record that duty *name* was done for *key*; False when it already was (by anyone).

    Runs in a savepoint: a duplicate leaves the caller's transaction usable.
    """
    savepoint = session.begin_nested()
    try:
        session.add(JobMark(name=name, key=key, summary=summary, done_at=clock.now()))
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


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


#: Once a day, in this order.
DAILY: Sequence[Callable[[dt.datetime], str]] = (
    withdraw_lapsed_suspensions,
    warn_expiring_certificates,
    sweep_evidence,
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
