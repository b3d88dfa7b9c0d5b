"""The scheduler's complaint duties (run daily from :data:`certify.jobs.duties.DAILY`):
reminders for complaints not acknowledged in time and for those to decide (the deadline for
closing), and the erasure of a decided complaint's personal data once its retention period
is over. Each is idempotent on its own columns (``reminded_at``, ``close_reminded_at``,
``close_overdue_at``, ``erased_at``), so a second run, or two workers, change nothing
twice."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.audit.operations import record_event
from certify.complaints import notices
from certify.complaints.attachments import referenced
from certify.complaints.models import Complaint
from certify.complaints.raising import lock_complaint, step
from certify.core.actor import Actor
from certify.core.complaints import (
    CLOSE_DUE_SOON,
    CLOSE_OVERDUE,
    ComplaintAction,
    Party,
    close_by,
    close_reminder,
)
from certify.db import get_db

log = logging.getLogger(__name__)
SCHEDULER = Actor.system("scheduler")
ERASED = "[erased after the retention period]"


def remind_unacknowledged_complaints(now: dt.datetime) -> str:
    """Tell the handler (or, with none yet, the admins) once when a complaint's
    acknowledgement is overdue."""
    with get_db().new_session() as session:
        due = list(
            session.scalars(
                select(Complaint.id).where(
                    Complaint.state.in_(("received", "assigned")),
                    Complaint.acknowledge_by < now,
                    Complaint.reminded_at.is_(None),
                )
            )
        )
        session.rollback()
    sent = 0
    for complaint_id in due:
        with get_db().new_session() as session:
            complaint = session.get(Complaint, complaint_id)
            assert complaint is not None
            lock_complaint(session, complaint)
            if complaint.reminded_at is not None or complaint.state not in ("received", "assigned"):
                session.rollback()
                continue
            complaint.reminded_at = now
            if complaint.handler is not None:
                notices.tell_handler(session, complaint, "complaint.reminder")
            else:
                notices.tell_admins(session, complaint, "complaint.reminder")
            record_event(
                session, SCHEDULER, "complaint.reminder_sent", "complaint", complaint.public_id,
                now=now,
            )  # fmt: skip
            session.commit()
            sent += 1
    return f"{sent} reminder(s)"


def remind_complaints_to_close(now: dt.datetime) -> str:
    """Remind of the deadline for closing (deciding) an open complaint, ``COMPLAINT_CLOSE_DAYS``
    after receipt: the handler ``COMPLAINT_CLOSE_WARN_DAYS`` before it, then the handler and
    the admins once it passed (the admins alone while there is no handler). Each reminder is
    sent once (``close_reminded_at``, ``close_overdue_at``); nothing the statistics read
    changes."""
    days = int(current_app.config["COMPLAINT_CLOSE_DAYS"])
    warn = int(current_app.config["COMPLAINT_CLOSE_WARN_DAYS"])
    soon = now + dt.timedelta(days=warn)
    with get_db().new_session() as session:
        due = list(
            session.scalars(
                select(Complaint.id).where(
                    Complaint.state != "decided",
                    Complaint.close_overdue_at.is_(None),
                    Complaint.received_at <= soon - dt.timedelta(days=days),
                )
            )
        )
        session.rollback()
    sent = 0
    for complaint_id in due:
        with get_db().new_session() as session:
            complaint = session.get(Complaint, complaint_id)
            assert complaint is not None
            lock_complaint(session, complaint)
            deadline = close_by(complaint.received_at, days)
            sent_at = {
                CLOSE_DUE_SOON: complaint.close_reminded_at,
                CLOSE_OVERDUE: complaint.close_overdue_at,
            }
            already = [name for name, at in sent_at.items() if at is not None]
            which = close_reminder(deadline, now, warn, already) if complaint.is_open else None
            if which is None:  # another worker was first, or it was decided meanwhile
                session.rollback()
                continue
            step(complaint, ComplaintAction.REMIND_CLOSE, Party.SYSTEM)
            _send_close_reminder(session, complaint, which, deadline, now)
            session.commit()
            sent += 1
    return f"{sent} reminder(s) to decide"


def _send_close_reminder(
    session: Session, complaint: Complaint, which: str, deadline: dt.datetime, now: dt.datetime
) -> None:
    overdue = which == CLOSE_OVERDUE
    if overdue:
        complaint.close_overdue_at = now
    else:
        complaint.close_reminded_at = now
    extra = {"close_by": f"{deadline:%-d %b %Y}", "overdue": overdue}
    if complaint.handler is not None:
        notices.tell_handler(session, complaint, "complaint.close_reminder", **extra)
    if overdue or complaint.handler is None:
        notices.tell_admins(session, complaint, "complaint.close_reminder", **extra)
    record_event(
        session, SCHEDULER, "complaint.close_reminder_sent", "complaint", complaint.public_id,
        after={"reminder": which, "close_by": deadline.isoformat()}, now=now,
    )  # fmt: skip


def erase_expired_complaints(now: dt.datetime, store: Any = None) -> str:
    """Erase the complainant's identity, the text, the entries and the files of complaints
    whose retention period ended; the outcome, dates and category stay (the statistics)."""
    with get_db().new_session() as session:
        due = list(
            session.scalars(
                select(Complaint.id).where(
                    Complaint.retain_until < now, Complaint.erased_at.is_(None)
                )
            )
        )
        session.rollback()
    erased = 0
    for complaint_id in due:
        with get_db().new_session() as session:
            complaint = session.get(Complaint, complaint_id)
            assert complaint is not None
            lock_complaint(session, complaint)
            if complaint.erased_at is not None:  # another worker was first
                session.rollback()
                continue
            digests = _erase(session, complaint, now)
            session.commit()
            erased += 1
            if store is not None:
                for digest in digests:
                    if not referenced(session, digest):
                        store.delete(digest)
    return f"{erased} complaint(s) erased"


def _erase(session: Session, complaint: Complaint, now: dt.datetime) -> list[str]:
    complaint.complainant_name = complaint.complainant_contact = None
    complaint.description = ERASED
    complaint.outcome_reasons = ERASED
    for entry in complaint.entries:
        entry.text = ERASED
    digests = [a.sha256 for a in complaint.attachments]
    for attachment in list(complaint.attachments):
        session.delete(attachment)
    complaint.erased_at = now
    session.flush()
    record_event(
        session, SCHEDULER, "complaint.erased", "complaint", complaint.public_id,
        after={"files": len(digests)}, now=now,
    )  # fmt: skip
    return digests
