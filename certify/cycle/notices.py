"""Who hears about the cycle: the holder's members and the admins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from certify.accounts.models import Role
from certify.applications.models import Application
from certify.certificates.models import Certificate
from certify.notifications.audiences import organisation_members, staff_with
from certify.notifications.operations import notify, path_for


def _context(case: Application, certificate: Certificate) -> dict[str, object]:
    return {
        "serial": certificate.serial,
        "organisation": certificate.holder_name,
        "audit_type": case.audit_type.replace("_", " "),
        "due": f"{case.due_on:%-d %b %Y}" if case.due_on else "not fixed",
        "valid_until": f"{certificate.valid_until:%-d %b %Y}",
    }


def case_opened(session: Session, case: Application, certificate: Certificate) -> None:
    """The holder's members and the admins: a cycle case is open, awaiting assignment."""
    context = _context(case, certificate)
    notify(
        session,
        "cycle.case_opened",
        organisation_members(session, case.organisation_id),
        context=context,
        link=path_for("cycle.mine"),
    )
    notify(
        session,
        "cycle.case_opened",
        staff_with(session, Role.ADMIN),
        context=context,
        link=path_for("applications.assign", public_id=case.public_id),
    )


def surveillance_reminder(
    session: Session,
    certificate: Certificate,
    due: dt.date,
    days: int,
    case: Application | None,
) -> None:
    """The holder's members and the admins: the surveillance due on *due* (in *days* days)
    is not decided yet; what happens next."""
    context = {
        "serial": certificate.serial,
        "organisation": certificate.holder_name,
        "due": f"{due:%-d %b %Y}",
        "days": days,
        "case_open": case is not None,
        "assigned": case is not None and case.auditor_id is not None,
    }
    notify(
        session,
        "cycle.surveillance_reminder",
        organisation_members(session, certificate.organisation_id),
        context=context,
        link=path_for("cycle.mine"),
    )
    notify(
        session,
        "cycle.surveillance_reminder",
        staff_with(session, Role.ADMIN),
        context=context,
        link=path_for("cycle.admin_calendar"),
    )


def surveillance_overdue(
    session: Session, certificate: Certificate, due: str, suspended: bool
) -> None:
    """The admins (and, when the scheduler suspended, the holder through the status change):
    the surveillance due on *due* was not decided within the grace period."""
    notify(
        session,
        "cycle.surveillance_overdue",
        staff_with(session, Role.ADMIN),
        context={
            "serial": certificate.serial,
            "organisation": certificate.holder_name,
            "due": due,
            "suspended": suspended,
        },
        link=path_for("cycle.admin_calendar"),
    )
