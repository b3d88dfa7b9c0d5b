"""The cycle runs itself: what the scheduler does each day, and what the calendars show.

For each certificate in force: the next surveillance due date not yet covered by a decided
surveillance (from the certificate's own ``surveillanceDue`` dates); a case opens
``SURVEILLANCE_WINDOW_DAYS`` before it; undecided ``SURVEILLANCE_GRACE_DAYS`` after it, the
suspension for ``surveillance_not_done`` is proposed to the admins (or, with
``SURVEILLANCE_OVERDUE_ACTION = "suspend"``, made). A recertification case opens
``RECERTIFICATION_MONTHS`` before expiry. Each duty marks what it did (a :class:`JobMark`),
so a second run, or a second worker, does nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import lifecycle
from certify.applications.models import Application
from certify.audit.operations import record_event
from certify.certificates.models import Certificate, CertificateStatus
from certify.core.actor import Actor
from certify.core.cycle import AuditType, opens_on, overdue_after, recertification_opens_on
from certify.core.workflow import FINAL_STATES
from certify.cycle import notices
from certify.cycle.operations import open_cycle_case
from certify.db import get_db
from certify.jobs.marks import once
from certify.operations import OperationError

log = logging.getLogger(__name__)

SCHEDULER = Actor.system("scheduler")
OVERDUE_ACTIONS = ("propose", "suspend")
#: A reminder this many days before a surveillance is due (the other: the window opening).
REMINDER_DAYS_BEFORE = 30


@dataclass(frozen=True)
class CycleRow:
    """Where a certificate in force stands in its cycle."""

    certificate: Certificate
    next_due: dt.date | None  # the next surveillance not yet decided
    opens: dt.date | None  # when its case opens
    late_after: dt.date | None  # after this day, it is overdue
    recert_opens: dt.date
    open_case: Application | None  # the cycle case in progress, if any

    @property
    def expires_on(self) -> dt.date:
        return self.certificate.valid_until.date()


def _setting(name: str) -> int:
    return int(current_app.config[name])


def in_force(session: Session, now: dt.datetime) -> list[Certificate]:
    """Certificates active or suspended and not expired, by expiry."""
    rows = session.scalars(
        select(Certificate)
        .where(
            Certificate.status.in_(
                [CertificateStatus.ACTIVE.value, CertificateStatus.SUSPENDED.value]
            ),
            Certificate.valid_until >= now - dt.timedelta(days=1),
        )
        .order_by(Certificate.valid_until, Certificate.id)
    ).all()
    return [c for c in rows if c.expires_after > now]


def cycle_row(session: Session, certificate: Certificate) -> CycleRow:
    """Where *certificate* stands: next due date, its window, grace and case."""
    cases = list(
        session.scalars(
            select(Application)
            .where(Application.certificate_id == certificate.id)
            .order_by(Application.id)
        )
    )
    covered = {
        c.due_on
        for c in cases
        if c.audit_type == AuditType.SURVEILLANCE.value
        and c.due_on is not None
        and c.state == "decided"
        and c.decision == "certified"
    }
    due = [dt.date.fromisoformat(d) for d in certificate.snapshot_data.get("surveillanceDue", [])]
    next_due = next((d for d in sorted(due) if d not in covered), None)
    open_case = next((c for c in cases if c.app_state not in FINAL_STATES), None)
    return CycleRow(
        certificate=certificate,
        next_due=next_due,
        opens=opens_on(next_due, _setting("SURVEILLANCE_WINDOW_DAYS")) if next_due else None,
        late_after=(
            overdue_after(next_due, _setting("SURVEILLANCE_GRACE_DAYS")) if next_due else None
        ),
        recert_opens=recertification_opens_on(
            certificate.valid_until.date(), _setting("RECERTIFICATION_MONTHS")
        ),
        open_case=open_case,
    )


def _has_case(
    session: Session, certificate: Certificate, kind: AuditType, due: dt.date | None
) -> bool:
    query = select(Application.id).where(
        Application.certificate_id == certificate.id,
        Application.audit_type == kind.value,
        Application.state != "withdrawn",
    )
    if due is not None:
        query = query.where(Application.due_on == due)
    return session.scalar(query.limit(1)) is not None


def open_due_cases(now: dt.datetime) -> str:
    """Open the surveillance case of each certificate whose next due date is within the
    window, and the recertification case of each within its months before expiry (once:
    never while the holder has a case in progress, never twice for one due date)."""
    today, opened = now.date(), 0
    with get_db().new_session() as session:
        ids = [c.id for c in in_force(session, now)]
        session.rollback()
    for certificate_id in ids:
        with get_db().new_session() as session:
            certificate = session.get(Certificate, certificate_id)
            assert certificate is not None
            row = cycle_row(session, certificate)
            kind, due = _due_kind(session, row, today)
            if kind is None:
                session.rollback()
                continue
            try:
                if not once(session, f"cycle_opened:{kind.value}", f"{certificate.serial}:{due}"):
                    session.rollback()
                    continue
                open_cycle_case(session, certificate, kind, SCHEDULER, due_on=due)
                session.commit()
                opened += 1
            except OperationError as exc:  # a case in progress: tried again tomorrow
                session.rollback()
                log.info("no %s case for %s yet: %s", kind.value, certificate.serial, exc)
    return f"{opened} case(s) opened"


def _due_kind(
    session: Session, row: CycleRow, today: dt.date
) -> tuple[AuditType | None, dt.date | None]:
    """The case the scheduler should open for *row* today, if any (recertification first:
    near expiry it covers the last surveillance too)."""
    if row.open_case is not None:
        return None, None
    cert = row.certificate
    if today >= row.recert_opens and not _has_case(session, cert, AuditType.RECERTIFICATION, None):
        return AuditType.RECERTIFICATION, None
    due = row.next_due
    if (
        due is not None
        and row.opens is not None
        and row.opens <= today < row.recert_opens
        and not _has_case(session, cert, AuditType.SURVEILLANCE, due)
    ):
        return AuditType.SURVEILLANCE, due
    return None, None


def remind_surveillance(now: dt.datetime) -> str:
    """Remind the holder's members and the admins of each coming surveillance not yet
    decided: when its window opens (unless its case opened, whose message said so) and
    :data:`REMINDER_DAYS_BEFORE` days before it is due. Each reminder goes once (a
    :class:`JobMark` per certificate, due date and stage); when the clock passed both stages
    at once, only the later goes."""
    today, sent = now.date(), 0
    with get_db().new_session() as session:
        ids = [c.id for c in in_force(session, now)]
        session.rollback()
    for certificate_id in ids:
        with get_db().new_session() as session:
            certificate = session.get(Certificate, certificate_id)
            assert certificate is not None
            row = cycle_row(session, certificate)
            if _send_reminder(session, row, today):
                sent += 1
            session.commit()
    return f"{sent} reminder(s)"


def _send_reminder(session: Session, row: CycleRow, today: dt.date) -> bool:
    """Mark the stages of *row*'s next surveillance that *today* reached; tell of the
    latest when its mark is new. True when a reminder went."""
    due, opens = row.next_due, row.opens
    if due is None or opens is None or today > due or today >= row.recert_opens:
        return False  # none ahead, overdue (its own duty), or the renewal covers it
    stages = sorted(
        [("window", opens), (f"{REMINDER_DAYS_BEFORE}d", due - dt.timedelta(REMINDER_DAYS_BEFORE))],
        key=lambda stage: stage[1],
    )
    key = f"{row.certificate.serial}:{due}"
    fresh = [
        name
        for name, day in stages
        if day <= today and once(session, f"surveillance_reminder:{name}", key)
    ]
    latest = next((name for name, day in reversed(stages) if day <= today), None)
    if latest is None or latest not in fresh:
        return False
    if latest == "window" and _has_case(session, row.certificate, AuditType.SURVEILLANCE, due):
        return False  # its case opened today: that message is the reminder
    notices.surveillance_reminder(session, row.certificate, due, (due - today).days, row.open_case)
    return True


def act_on_overdue_surveillance(now: dt.datetime) -> str:
    """For each active certificate whose surveillance was not decided by its due date plus
    the grace period: propose its suspension for ``surveillance_not_done`` to the admins
    (an audit event and a message), or suspend it (``SURVEILLANCE_OVERDUE_ACTION``)."""
    action = str(current_app.config["SURVEILLANCE_OVERDUE_ACTION"])
    today, done = now.date(), 0
    with get_db().new_session() as session:
        ids = [c.id for c in in_force(session, now) if c.status == CertificateStatus.ACTIVE.value]
        session.rollback()
    for certificate_id in ids:
        with get_db().new_session() as session:
            certificate = session.get(Certificate, certificate_id)
            assert certificate is not None
            row = cycle_row(session, certificate)
            if row.late_after is None or today <= row.late_after:
                session.rollback()
                continue
            if not once(session, "surveillance_overdue", f"{certificate.serial}:{row.next_due}"):
                session.rollback()
                continue
            try:
                mark_surveillance_overdue(session, row, action, now)
                session.commit()
                done += 1
            except OperationError as exc:
                session.rollback()
                log.info("overdue surveillance of %s left alone: %s", certificate.serial, exc)
    return f"{done} overdue surveillance(s)"


def mark_surveillance_overdue(
    session: Session, row: CycleRow, action: str, now: dt.datetime
) -> None:
    """Record the overdue surveillance of *row*: the proposal (an audit event the admin's
    calendar lists), or the suspension itself; the admins are told either way."""
    certificate, due = row.certificate, str(row.next_due)
    suspended = action == "suspend"
    if suspended:
        lifecycle.suspend_certificate(
            session,
            certificate,
            SCHEDULER,
            "surveillance_not_done",
            f"The surveillance due on {due} was not decided within the grace period.",
            now=now,
        )
    else:
        record_event(
            session,
            SCHEDULER,
            "certificate.suspension_proposed",
            "certificate",
            certificate.serial,
            reason="surveillance_not_done",
            after={"surveillance_due": due},
        )
    notices.surveillance_overdue(session, certificate, due, suspended)
