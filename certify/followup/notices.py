"""Who hears of each step of a non-conformity's follow-up, and what they are told.

Every step tells the next party: a plan or evidence goes to the follow-up auditor, the
auditor's answer to the ISSP's members, a proposal or a closure that frees a suspended
certificate to the admins. Messages are written in the step's transaction (the outbox).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from certify.accounts.models import Role, User
from certify.applications.models import Application, NonConformity
from certify.notifications.audiences import organisation_members, staff_with
from certify.notifications.operations import notify, path_for


def nc_link(nc: NonConformity) -> str:
    return path_for(
        "followup.nonconformity", public_id=nc.application.public_id, nc_id=nc.public_id
    )


def describe(nc: NonConformity, **extra: Any) -> dict[str, Any]:
    """The values every non-conformity message shows."""
    return {
        "organisation": nc.application.organisation.legal_name,
        "grade": nc.grade,
        "criterion": nc.criterion_id,
        "description": nc.description,
        "required_action": nc.corrective_action,
        "due": f"{nc.due_on:%-d %b %Y}",
        **extra,
    }


def holder(session: Session, application: Application) -> list[User]:
    return organisation_members(session, application.organisation_id)


def followup_auditor(application: Application) -> list[User]:
    person = application.followup_auditor or application.auditor
    return [person] if person is not None else []


def admins(session: Session) -> list[User]:
    return staff_with(session, Role.ADMIN)


def tell(
    session: Session,
    kind: str,
    nc: NonConformity,
    recipients: Iterable[User],
    **extra: Any,
) -> None:
    """Write *kind* about *nc* to *recipients*, linking to the non-conformity's page."""
    people = list(recipients)
    if people:
        notify(session, kind, people, context=describe(nc, **extra), link=nc_link(nc))


def tell_holder(session: Session, kind: str, nc: NonConformity, **extra: Any) -> None:
    tell(session, kind, nc, holder(session, nc.application), **extra)


def tell_auditor(session: Session, kind: str, nc: NonConformity, **extra: Any) -> None:
    tell(session, kind, nc, followup_auditor(nc.application), **extra)


def tell_admins(session: Session, kind: str, nc: NonConformity, **extra: Any) -> None:
    tell(session, kind, nc, admins(session), **extra)
