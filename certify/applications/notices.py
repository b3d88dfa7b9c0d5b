"""Who hears of each step of a case, and what they are told (the workflow's messages).

:func:`after_transition` is called by :func:`certify.applications.operations.transition` for
every state change, in its transaction; :data:`NOTICES` is the table of which actions tell
whom. Actions not in it (the auditor resuming an audit...) tell nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from certify.accounts.models import Role, User
from certify.applications.models import Application
from certify.core.workflow import Action
from certify.notifications.audiences import organisation_members, staff_with
from certify.notifications.operations import notify, path_for

Audience = Callable[[Session, Application], list[User]]


def _applicant(session: Session, application: Application) -> list[User]:
    return organisation_members(session, application.organisation_id)


def _admins(session: Session, application: Application) -> list[User]:
    return staff_with(session, Role.ADMIN)


def _reviewer(session: Session, application: Application) -> list[User]:
    return [application.reviewer] if application.reviewer is not None else []


#: action → (kind, who is told, the page the message links to)
NOTICES: dict[Action, tuple[str, Audience, str]] = {
    Action.SUBMIT: ("application.submitted", _admins, "applications.show"),
    Action.RETURN_TO_APPLICANT: ("application.returned", _applicant, "applications.show"),
    Action.ACCEPT: ("application.accepted", _applicant, "applications.show"),
    Action.SUBMIT_AUDIT: ("audit.submitted", _reviewer, "applications.review"),
    Action.DECIDE: ("application.decided", _applicant, "applications.show"),
}


def after_transition(
    session: Session,
    application: Application,
    action: Action,
    reason: str | None,
    extra: dict[str, Any],
) -> None:
    """Write the messages *action* sends (none for most actions)."""
    if action is Action.ASSIGN:
        notify_assignees(session, application)
        return
    if action not in NOTICES:
        return
    kind, audience, endpoint = NOTICES[action]
    notify(
        session,
        kind,
        audience(session, application),
        context={
            "organisation": application.organisation.legal_name,
            "reason": reason,
            "outcome": str(extra.get("decision", "")).replace("_", " "),
        },
        link=path_for(endpoint, public_id=application.public_id),
    )


def notify_assignees(session: Session, application: Application) -> None:
    """The auditor and the reviewer: a new case, and the declaration asked of each first."""
    for role, person in (("auditor", application.auditor), ("reviewer", application.reviewer)):
        if person is None:
            continue
        notify(
            session,
            "case.assigned",
            [person],
            context={"organisation": application.organisation.legal_name, "role": role},
            link=path_for("applications.declaration", public_id=application.public_id),
        )
