"""The cycle's pages: the admin's calendar (upcoming and overdue surveillance and
recertification, auditor workload, opening a case), the ISSP's cycle and sites, and each
case's audit plan and worker interviews. Access: the role on the route, then the case
(``get_application_or_404``), then who may act (the operations refuse, 403 or a message)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from certify import clock
from certify.accounts.access import actor_of, current_user, roles_required
from certify.accounts.models import Organisation, Role, Site, User
from certify.applications.access import get_application_or_404, is_applicant
from certify.applications.models import Application
from certify.applications.queue import auditor_workload
from certify.applications.web import rubric_of
from certify.certificates.models import Certificate
from certify.certificates.queries import certified_since, current_certificate
from certify.core.cycle import AuditType
from certify.core.workflow import FINAL_STATES
from certify.cycle import interviews, planning, schedule, sites
from certify.cycle.forms import (
    CloseSiteForm,
    InterviewForm,
    ObjectionAnswerForm,
    ObjectionForm,
    OpenCaseForm,
    PlanForm,
    SiteForm,
)
from certify.cycle.operations import open_cycle_case, visit_criteria
from certify.db import db_session
from certify.transaction import attempt

bp = Blueprint("cycle", __name__)
STAFF_ON_A_CASE = (Role.ADMIN, Role.AUDITOR, Role.REVIEWER)
IDS = re.compile(r"[\s,;]+")


def me() -> User:
    user = current_user()
    assert user is not None  # the route's access rule guarantees one
    return user


def _refused(done: Any) -> int:
    """400 for input the operation found wrong (it names a field), else 409 (refused as the
    case or site stands)."""
    return 400 if done.error is not None and done.error.field else 409


def _ids(text: str | None) -> list[str]:
    return [t.upper() for t in IDS.split(text or "") if t]


# --------------------------------------------------------------------------- the admin


@bp.get("/admin/cycle")
@roles_required(Role.ADMIN)
def admin_calendar() -> Any:
    session, now = db_session(), clock.now()
    today = now.date()
    rows = [schedule.cycle_row(session, c) for c in schedule.in_force(session, now)]
    overdue = [r for r in rows if r.late_after is not None and today > r.late_after]
    by_month: dict[str, list[schedule.CycleRow]] = {}
    for row in sorted((r for r in rows if r.next_due), key=lambda r: r.next_due or today):
        assert row.next_due is not None
        by_month.setdefault(f"{row.next_due:%B %Y}", []).append(row)
    recert = sorted(
        (r for r in rows if (r.recert_opens - today).days <= 365), key=lambda r: r.expires_on
    )
    return render_template(
        "cycle/admin_calendar.html",
        overdue=overdue,
        by_month=by_month,
        recert=recert,
        workload=auditor_workload(session),
        form=OpenCaseForm(),
        today=today,
    )


@bp.post("/admin/cycle/open")
@roles_required(Role.ADMIN)
def admin_open_case() -> Any:
    form = OpenCaseForm()
    if not form.validate_on_submit():
        flash("Choose the certificate and the kind of audit.", "error")
        return redirect(url_for("cycle.admin_calendar")), 400
    session = db_session()
    certificate = session.scalar(select(Certificate).where(Certificate.serial == form.serial.data))
    if certificate is None:
        abort(404)
    row = schedule.cycle_row(session, certificate)
    due = row.next_due if form.audit_type.data == AuditType.SURVEILLANCE.value else None
    with attempt(form) as done:
        case = open_cycle_case(
            session, certificate, form.audit_type.data, actor_of(me()), due_on=due,
            reason=form.reason.data,
        )  # fmt: skip
    if not done:
        return redirect(url_for("cycle.admin_calendar")), _refused(done)
    flash("Case opened. Next: assign an auditor and a reviewer.", "success")
    return redirect(url_for("applications.assign", public_id=case.public_id))


# --------------------------------------------------------------------------- the ISSP


@bp.get("/cycle")
@roles_required(Role.ISSP)
def mine() -> Any:
    session, user = db_session(), me()
    if user.organisation_id is None:
        abort(404)
    certificate = current_certificate(session, user.organisation_id)
    context: dict[str, Any] = {"certificate": certificate}
    if certificate is not None:
        row = schedule.cycle_row(session, certificate)
        case = row.open_case
        covers = None
        if case is not None:
            covers = visit_criteria(session, case, rubric_of(case))
        context.update(
            row=row,
            case=case,
            covers=covers,
            since=certified_since(session, certificate),
            plan=planning.plan_of(session, case) if case is not None else None,
        )
    return render_template("cycle/mine.html", **context)


def _organisation() -> Organisation:
    user = me()
    if user.organisation is None:
        abort(404)
    return user.organisation


@bp.route("/organisation/sites", methods=["GET", "POST"])
@roles_required(Role.ISSP)
def sites_index() -> Any:
    organisation = _organisation()
    form = SiteForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            _site, case = sites.add_site(
                db_session(), organisation, me(), form.name.data, form.address.data,
                form.country.data,
            )  # fmt: skip
        if done:
            flash(
                "Site added."
                + (" A scope-extension audit is open for it." if case is not None else ""),
                "success",
            )
            return redirect(url_for("cycle.sites_index"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "cycle/sites.html", organisation=organisation, form=form, close=CloseSiteForm()
    ), status


@bp.route("/organisation/sites/<site_id>", methods=["GET", "POST"])
@roles_required(Role.ISSP)
def edit_site(site_id: str) -> Any:
    site = _own_site(site_id)
    form = SiteForm(obj=site if request.method == "GET" else None)
    if form.validate_on_submit():
        with attempt(form) as done:
            sites.edit_site(
                db_session(), site, me(), form.name.data, form.address.data, form.country.data
            )
        if done:
            flash("Site changed; the history keeps the earlier details.", "success")
            return redirect(url_for("cycle.sites_index"))
    status = 400 if request.method == "POST" else 200
    return render_template("cycle/site_edit.html", site=site, form=form), status


def _own_site(site_id: str) -> Site:
    """A site of the signed-in member's organisation (404 for anyone else's)."""
    site = next((s for s in _organisation().sites if s.public_id == site_id), None)
    if site is None:
        abort(404)
    return site


@bp.post("/organisation/sites/<site_id>/close")
@roles_required(Role.ISSP)
def close_site(site_id: str) -> Any:
    site = _own_site(site_id)
    form = CloseSiteForm()
    if not form.validate_on_submit():
        flash("Say why the site closes.", "error")
        return redirect(url_for("cycle.sites_index")), 400
    with attempt(form) as done:
        sites.close_site(db_session(), site, me(), form.reason.data)
    if not done:
        return redirect(url_for("cycle.sites_index")), _refused(done)
    flash(f"{site.name} is closed; it leaves the next certificate version.", "success")
    return redirect(url_for("cycle.sites_index"))


# --------------------------------------------------------------------------- each case


def _site_names(case: Application) -> dict[str, Site]:
    return {s.public_id: s for s in case.organisation.sites}


@bp.route("/applications/<public_id>/plan", methods=["GET", "POST"])
@roles_required(Role.ISSP, *STAFF_ON_A_CASE)
def plan(public_id: str) -> Any:
    case = get_application_or_404(public_id)
    session, user = db_session(), me()
    rubric = rubric_of(case)
    current = planning.plan_of(session, case)
    editable = planning.can_plan(user, case) and case.app_state not in FINAL_STATES
    form = PlanForm()
    site_map = _site_names(case)
    form.sites.choices = [(s, site_map[s].name) for s in case.scope_site_ids if s in site_map]
    proposed = planning.proposed_sample(session, case)
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            with attempt(form) as done:
                planning.save_plan(
                    session, case, user, _plan_data(form), {c.id for c in rubric.criteria}
                )
            if done:
                flash("Audit plan saved.", "success")
                return redirect(url_for("cycle.plan", public_id=public_id))
        return _plan_page(case, current, form, proposed, editable), 400
    if current is not None:
        _fill_plan_form(form, current)
    else:
        form.sites.data = proposed
    return _plan_page(case, current, form, proposed, editable)


def _plan_page(
    case: Application, current: Any, form: PlanForm, proposed: list[str], editable: bool
) -> Any:
    session, user = db_session(), me()
    rubric = rubric_of(case)
    return render_template(
        "cycle/plan.html",
        application=case,
        plan=current,
        form=form,
        proposed=proposed,
        editable=editable,
        sites=_site_names(case),
        covers=visit_criteria(session, case, rubric),
        team_roles=planning.TEAM_ROLES,
        is_holder=is_applicant(user, case),
        objection_form=ObjectionForm(),
        answer_form=ObjectionAnswerForm(),
        today=clock.today(),
    )


def _plan_data(form: PlanForm) -> planning.PlanData:
    team = []
    for line in (form.team.data or "").splitlines():
        if line.strip():
            role, _sep, name = line.partition(":")
            team.append((role.strip().lower(), name.strip()))
    return planning.PlanData(
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        auditor_days=form.auditor_days.data,
        mode=form.mode.data,
        announced=bool(form.announced.data),
        team=team,
        site_ids=list(form.sites.data or []),
        sample_reason=form.sample_reason.data or "",
        added_criteria=_ids(form.added_criteria.data),
    )


def _fill_plan_form(form: PlanForm, current: Any) -> None:
    form.starts_on.data, form.ends_on.data = current.starts_on, current.ends_on
    form.auditor_days.data, form.mode.data = current.auditor_days, current.mode
    form.announced.data = current.announced
    form.team.data = "\n".join(f"{m['role']}: {m['name']}" for m in current.team_members)
    form.sites.data = current.sites_visited
    form.sample_reason.data = current.sample_reason
    form.added_criteria.data = ", ".join(current.extra_criteria)


@bp.post("/applications/<public_id>/plan/objection")
@roles_required(Role.ISSP)
def plan_objection(public_id: str) -> Any:
    case = get_application_or_404(public_id)
    form = ObjectionForm()
    if not form.validate_on_submit():
        flash("Say whom you object to and why.", "error")
        return redirect(url_for("cycle.plan", public_id=public_id)), 400
    with attempt(form) as done:
        planning.object_to_plan(db_session(), case, me(), form.objection.data)
    if not done:
        return redirect(url_for("cycle.plan", public_id=public_id)), _refused(done)
    flash("Objection sent: the certification body decides on it before the audit.", "success")
    return redirect(url_for("cycle.plan", public_id=public_id))


@bp.post("/applications/<public_id>/plan/objection/answer")
@roles_required(Role.ADMIN)
def plan_objection_answer(public_id: str) -> Any:
    case = get_application_or_404(public_id)
    form = ObjectionAnswerForm()
    if not form.validate_on_submit():
        flash("Uphold or reject the objection, with an answer.", "error")
        return redirect(url_for("cycle.plan", public_id=public_id)), 400
    with attempt(form) as done:
        planning.answer_objection(db_session(), case, me(), form.outcome.data, form.answer.data)
    if not done:
        return redirect(url_for("cycle.plan", public_id=public_id)), _refused(done)
    flash("Answer recorded.", "success")
    return redirect(url_for("cycle.plan", public_id=public_id))


@bp.route("/applications/<public_id>/interviews", methods=["GET", "POST"])
@roles_required(*STAFF_ON_A_CASE)
def interviews_page(public_id: str) -> Any:
    case = get_application_or_404(public_id)
    session, user = db_session(), me()
    rubric = rubric_of(case)
    form = InterviewForm()
    site_map = _site_names(case)
    form.site.choices = [(s, site_map[s].name) for s in case.scope_site_ids if s in site_map]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            with attempt(form) as done:
                interviews.record_interview(
                    session, case, user, _interview_data(form), {c.id for c in rubric.criteria}
                )
            if done:
                flash("Interview batch recorded.", "success")
                return redirect(url_for("cycle.interviews_page", public_id=public_id))
        status = 400
    elif form.held_on.data is None:
        form.held_on.data = clock.today()
    return render_template(
        "cycle/interviews.html",
        application=case,
        rows=interviews.interviews_of(session, case),
        sites=site_map,
        form=form,
        can_record=case.auditor_id == user.id,
        settings=interviews.SETTINGS,
        places=interviews.PLACES,
        interpreters=interviews.INTERPRETERS,
    ), status


def _interview_data(form: InterviewForm) -> interviews.InterviewData:
    groups: dict[str, int] = {}
    for line in (form.target_groups.data or "").splitlines():
        name, _sep, number = line.rpartition(":")
        if name.strip() and number.strip().isdigit():
            groups[name.strip()] = min(int(number.strip()), interviews.MAX_COUNT)
    return interviews.InterviewData(
        site_id=form.site.data,
        held_on=form.held_on.data or dt.date.min,
        impact=form.impact.data or 0,
        other=form.other.data or 0,
        women=form.women.data or 0,
        men=form.men.data or 0,
        other_gender=form.other_gender.data or 0,
        setting=form.setting.data,
        place=form.place.data,
        language=form.language.data or "",
        interpreter=form.interpreter.data or "none",
        findings=form.findings.data or "",
        criteria=_ids(form.criteria.data),
        target_groups=groups,
    )
