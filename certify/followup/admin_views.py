"""The admin's list of non-conformities across the registry (filters; suspensions proposed by
the scheduler, confirmed with one click; certificates ready to be reinstated), and the
dashboard panels of the follow-up."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from certify import clock
from certify.accounts.access import roles_required
from certify.accounts.models import Role, User
from certify.applications.forms import ConfirmForm
from certify.certificates.forms import ReinstateForm
from certify.core.nonconformity import NcState
from certify.db import db_session
from certify.followup import queries
from certify.followup.views import bp

STATUS_FILTERS = ("not_closed", "all", *(s.value for s in NcState))
GRADES = ("critical", "major", "minor")


def _filters() -> queries.Filters:
    """The list's filters from the query string; unknown values fall back to the defaults."""
    status = request.args.get("status", "not_closed")
    grade = request.args.get("grade", "")
    return queries.Filters(
        status=status if status in STATUS_FILTERS else "not_closed",
        grade=grade if grade in GRADES else "",
        organisation=request.args.get("organisation", "").strip()[:200],
        overdue=request.args.get("overdue") == "1",
    )


@bp.get("/admin/nonconformities")
@roles_required(Role.ADMIN)
def admin_index() -> Any:
    session, today = db_session(), clock.today()
    filters = _filters()
    return render_template(
        "followup/admin_index.html",
        filters=filters,
        statuses=STATUS_FILTERS,
        grades=GRADES,
        rows=queries.registry_nonconformities(session, filters, today),
        proposals=queries.suspension_proposals(session),
        ready=queries.ready_for_reinstatement(session),
        today=today,
        confirm=ConfirmForm(),
        reinstate_form=ReinstateForm(prefix="reinstate"),
        NcState=NcState,
    )


def dashboard_context(_app: Any, user: User) -> dict[str, Any]:
    """ISSP members: ``nc_asks`` (open non-conformities and the next step) and
    ``suspensions`` (why, until when, what rests on them). Admins: ``nc_counts``, the
    proposals and the certificates ready to reinstate. Auditors: ``nc_waiting`` and
    ``nc_cases`` (the certified cases they follow up)."""
    session, today = db_session(), clock.today()
    context: dict[str, Any] = {}
    if user.has_role(Role.ISSP) and user.organisation_id is not None:
        context["nc_asks"] = queries.holder_asks(session, user.organisation_id, today)
        context["suspensions"] = queries.holder_suspensions(session, user.organisation_id)
    if user.has_role(Role.ADMIN):
        context["nc_counts"] = queries.open_counts(session, today)
        context["nc_proposals"] = queries.suspension_proposals(session)
        context["nc_ready"] = queries.ready_for_reinstatement(session)
    if user.has_role(Role.AUDITOR):
        context["nc_waiting"] = queries.waiting_for_auditor(session, user)
        context["nc_cases"] = queries.followed_up_cases(session, user)
    return context
