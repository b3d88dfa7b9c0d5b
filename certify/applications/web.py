"""What the application pages share: the blueprint, the signed-in user, the pinned rubric,
the evidence store and the case history shown on several pages.

The pages are in ``views`` (the applicant's), ``case_views`` (the admin's review and
assignment, the assignees' declarations, the conflict registers) and ``assessment_views``
(the auditor's assessment and the reviewer's decision), all on this one blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app
from sqlalchemy import select

from certify.accounts.access import current_user
from certify.accounts.models import User
from certify.accounts.people import actor_names
from certify.applications.access import (
    get_application_or_404,
    is_applicant,
)
from certify.applications.models import Application
from certify.audit.models import AuditEvent
from certify.core import labels
from certify.core.agreement import Agreement
from certify.core.rubric.model import Rubric
from certify.db import db_session
from certify.evidence.store import EvidenceStore
from certify.standards.operations import get_rubric
from certify.storage import setup

bp = Blueprint("applications", __name__)


def evidence_store() -> EvidenceStore:
    """The app's evidence store (the configured backend), made on first use."""
    return setup.evidence_store()


def rubric_of(application: Application) -> Rubric:
    """The pinned rubric; refuses to go on if what is published no longer has the pinned hash."""
    rubric = get_rubric(application.standard_id, application.standard_version)
    if rubric.sha256 != application.standard_sha256:
        abort(500, "The standard this application is pinned to no longer matches its hash.")
    return rubric


def agreement() -> Agreement:
    """The attestation and certification agreement an applicant accepts on submitting."""
    config = current_app.config
    return Agreement(
        version=str(config["AGREEMENT_VERSION"]),
        title=str(config["AGREEMENT_TITLE"]),
        text=str(config["AGREEMENT_TEXT"]),
        attestation=str(config["SUBMISSION_ATTESTATION"]),
    )


def me() -> User:
    """The signed-in user (the route's access rule guarantees one)."""
    user = current_user()
    assert user is not None
    return user


def applicant_application(public_id: str) -> Application:
    """The signed-in ISSP member's own application (404 for anyone else's)."""
    application = get_application_or_404(public_id)
    if not is_applicant(me(), application):
        abort(404)
    return application


def section_progress(application: Application, rubric: Rubric) -> list[dict[str, Any]]:
    answered = set(application.answer_map())
    return [
        {
            "section": s,
            "answered": sum(1 for c in s.criteria if c.id in answered),
            "total": len(s.criteria),
        }
        for s in rubric.sections
    ]


def history(application: Application) -> list[dict[str, Any]]:
    events = (
        db_session()
        .scalars(
            select(AuditEvent)
            .where(
                AuditEvent.subject_type == "application",
                AuditEvent.subject_id == application.public_id,
            )
            .order_by(AuditEvent.seq)
        )
        .all()
    )
    names = actor_names(db_session(), (e.actor for e in events))
    return [
        {
            "at": e.occurred_at,
            "action": labels.event(e.action),
            "who": names[e.actor],
            "reason": e.reason,
        }
        for e in events
    ]
