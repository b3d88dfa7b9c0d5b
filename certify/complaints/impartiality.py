"""Who may handle a complaint or decide an appeal: the same impartiality rules as assignment.

A complaint's handler is never the auditor, the follow-up auditor or the reviewer of the
ISSP's current cycle (its latest application), and has no conflict in their register with the
ISSP (:func:`certify.applications.assignment.register_conflicts`, the same look-back). An
appeal's decider took no part in the decision appealed (the people recorded on the appeal
when it was lodged) and has no registered conflict either. Checked when the admin assigns and
again when the handler or decider acts, so a direct POST cannot get round the form.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import Role, User
from certify.applications.assignment import register_conflicts
from certify.applications.models import Application
from certify.complaints.models import Appeal, Complaint
from certify.notifications.audiences import staff_with

#: Who may handle complaints and decide appeals: certification-body staff.
HANDLER_ROLES = (Role.ADMIN, Role.AUDITOR, Role.REVIEWER)


def current_cycle(session: Session, organisation_id: int) -> Application | None:
    """The ISSP's latest application: the cycle whose people may not handle a complaint."""
    return session.scalar(
        select(Application)
        .where(Application.organisation_id == organisation_id)
        .order_by(Application.created_at.desc(), Application.id.desc())
        .limit(1)
    )


def _conflict(session: Session, user: User, application: Application | None) -> str | None:
    if application is None:
        return None
    entries = register_conflicts(session, user, application, clock.today())
    if entries:
        return (
            f"{user.full_name} has a conflict of interest on record with "
            f"{entries[0].organisation_name} ('{entries[0].relationship_text}')."
        )
    return None


def handler_problem(session: Session, complaint: Complaint, user: User) -> str | None:
    """Why *user* may not handle *complaint*, or None when they may."""
    if not user.is_active or not any(user.has_role(r) for r in HANDLER_ROLES):
        return "Choose an active member of the certification body's staff."
    application = current_cycle(session, complaint.organisation_id)
    if application is not None:
        involved = {
            application.auditor_id: "auditor",
            application.followup_auditor_id: "follow-up auditor",
            application.reviewer_id: "reviewer",
        }
        if user.id in involved:
            return (
                f"{user.full_name} is the {involved[user.id]} of this organisation's current "
                "cycle: a complaint is handled by someone not involved. Choose someone else."
            )
    return _conflict(session, user, application)


def decider_problem(session: Session, appeal: Appeal, user: User) -> str | None:
    """Why *user* may not decide *appeal*, or None when they may."""
    if not user.is_active or not any(user.has_role(r) for r in HANDLER_ROLES):
        return "Choose an active member of the certification body's staff."
    if user.public_id in appeal.involved:
        return (
            f"{user.full_name} took part in the decision appealed: an appeal is decided by "
            "someone who did not. Choose someone else."
        )
    return _conflict(session, user, appeal.application)


def candidates(session: Session) -> list[User]:
    """Every active staff member who might handle or decide (each checked separately)."""
    seen: dict[int, User] = {}
    for role in HANDLER_ROLES:
        for user in staff_with(session, role):
            seen.setdefault(user.id, user)
    return sorted(seen.values(), key=lambda u: u.full_name)
