"""Who hears of a complaint or an appeal, and what they are told.

Messages never carry the complaint's text or the complainant's identity: staff follow the
link to read it where access is checked; the complainant's mail names only the tracking page
(never the code, which only they hold). The ISSP hears of a complaint only through its
outcome's consequences (a non-conformity, a suspension), never of the complaint itself.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from certify.accounts.models import Role
from certify.complaints.models import Appeal, Complaint
from certify.core import labels
from certify.notifications.audiences import organisation_members, staff_with
from certify.notifications.operations import notify, path_for


def _complaint_link(complaint: Complaint) -> str:
    return path_for("complaints.show", public_id=complaint.public_id)


def _about(complaint: Complaint, **extra: object) -> dict[str, object]:
    return {
        "organisation": complaint.organisation.legal_name,
        "category": labels.label(labels.COMPLAINT_CATEGORIES, complaint.category),
        "reference": complaint.public_id[:8],
        "acknowledge_by": f"{complaint.acknowledge_by:%-d %b %Y}",
        **extra,
    }


def tell_admins_received(session: Session, complaint: Complaint) -> None:
    people = staff_with(session, Role.ADMIN)
    if people:
        notify(
            session, "complaint.received", people, context=_about(complaint),
            link=_complaint_link(complaint),
        )  # fmt: skip


def tell_handler(session: Session, complaint: Complaint, kind: str, **extra: object) -> None:
    if complaint.handler is not None:
        notify(
            session, kind, [complaint.handler], context=_about(complaint, **extra),
            link=_complaint_link(complaint),
        )  # fmt: skip


def tell_admins(session: Session, complaint: Complaint, kind: str, **extra: object) -> None:
    people = staff_with(session, Role.ADMIN)
    if people:
        notify(
            session, kind, people, context=_about(complaint, **extra),
            link=_complaint_link(complaint),
        )  # fmt: skip


def tell_complainant(session: Session, complaint: Complaint, kind: str) -> None:
    """Write to the complainant's address, when they gave one (the message links to the
    tracking page, where their code opens the complaint)."""
    if complaint.complainant_contact:
        notify(
            session, kind, [complaint.complainant_contact],
            context={
                "organisation": complaint.organisation.legal_name,
                "state": labels.label(labels.COMPLAINT_STATES, complaint.state),
            },
            link=path_for("complaints.track"),
        )  # fmt: skip


def _appeal_link(appeal: Appeal) -> str:
    return path_for("complaints.appeal", public_id=appeal.public_id)


def _appeal_about(appeal: Appeal, **extra: object) -> dict[str, object]:
    return {
        "organisation": appeal.organisation.legal_name,
        "subject": labels.label(labels.APPEAL_SUBJECTS, appeal.subject),
        **extra,
    }


def tell_appeal(session: Session, appeal: Appeal, kind: str, audience: str) -> None:
    """Tell the admins, the decider or the ISSP's members about *appeal*."""
    if audience == "admins":
        people = staff_with(session, Role.ADMIN)
    elif audience == "decider":
        people = [appeal.decider] if appeal.decider else []
    else:
        people = organisation_members(session, appeal.organisation_id)
    if people:
        notify(
            session, kind, people,
            context=_appeal_about(
                appeal,
                outcome=labels.label(labels.APPEAL_OUTCOMES, appeal.outcome),
            ),
            link=_appeal_link(appeal),
        )  # fmt: skip
