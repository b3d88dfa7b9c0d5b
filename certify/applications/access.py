"""Who may see and change an application; ``get_application_or_404``."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from sqlalchemy import select

from certify.accounts.access import current_user
from certify.accounts.models import Role, User
from certify.applications.assignment import assignee_role, has_declared_no_conflict
from certify.applications.models import Application, Evidence
from certify.db import db_session


def is_applicant(user: User, application: Application) -> bool:
    return user.has_role(Role.ISSP) and user.organisation_id == application.organisation_id


def is_followup_auditor(user: User, application: Application) -> bool:
    """*user* follows the case's non-conformities up: the auditor the admin named for it, or
    else the case's own auditor (an active user holding the auditor role either way)."""
    named = application.followup_auditor_id or application.auditor_id
    return (
        named is not None
        and user.id == named
        and user.is_active
        and user.has_role(Role.AUDITOR)
        and (
            application.followup_auditor_id is not None
            or has_declared_no_conflict(application, user)
        )
    )


def can_view(user: User, application: Application) -> bool:
    """Admins; the applicant's members; an assignee only after declaring no conflict; the
    auditor named to follow the case's non-conformities up."""
    if user.has_role(Role.ADMIN) or is_applicant(user, application):
        return True
    return has_declared_no_conflict(application, user) or is_followup_auditor(user, application)


def get_application_or_404(public_id: str, *, allow_undeclared: bool = False) -> Application:
    """The application the signed-in user may see; 404 for anyone else (ids reveal nothing).

    With *allow_undeclared*, an assignee who has not declared yet gets it too (the declaration
    page is the only place that uses this).
    """
    application = db_session().scalar(select(Application).where(Application.public_id == public_id))
    user = current_user()
    if application is None or user is None:
        abort(404)
    if can_view(user, application):
        return application
    if assignee_role(application, user) is not None:
        if allow_undeclared:
            return application
        # Assigned but not declared yet: the case's pages wait for the declaration, and say so
        # (rather than a bare "not found" for a case the person was just told about).
        flash("Declare first whether you have a conflict of interest with this case.", "info")
        abort(redirect(url_for("applications.declaration", public_id=public_id)))
    abort(404)


def get_evidence_or_404(application: Application, public_id: str) -> Evidence:
    """Evidence of *application* (whose access was already checked) by its public id. The
    auditor's own evidence is staff-only: 404 for anyone else, as if it did not exist."""
    evidence = db_session().scalar(
        select(Evidence).where(
            Evidence.public_id == public_id, Evidence.application_id == application.id
        )
    )
    if evidence is None:
        abort(404)
    if evidence.by_auditor:
        user = current_user()
        if user is None or not user.is_staff:
            abort(404)
    return evidence
