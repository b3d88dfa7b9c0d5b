"""Applications: the admin's review and assignment, the assignees' declarations of conflicts
of interest, the conflict registers, and the dashboard panels."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select

from certify import clock
from certify.accounts.access import roles_required
from certify.accounts.models import Organisation, Role, User, UserRole
from certify.applications.access import (
    get_application_or_404,
)
from certify.applications.assignment import (
    add_register_entry,
    assign_case,
    assignee_role,
    conflicts_on_record,
    declare_conflict,
)
from certify.applications.forms import (
    AssignForm,
    ConfirmForm,
    DeclarationForm,
    NewReviewerForm,
    ReasonForm,
    RegisterEntryForm,
)
from certify.applications.models import Application, ConflictRegisterEntry, NonConformity
from certify.applications.operations import accept_application, return_to_applicant
from certify.applications.queue import (
    OPEN,
    auditor_workload,
    case_queue,
    organisation_list,
    state_choices,
)
from certify.applications.redecision import awaits_reviewer, name_new_reviewer, took_part
from certify.applications.web import bp, me
from certify.core.workflow import FINAL_STATES, AppState
from certify.db import db_session
from certify.registry.search import FilterError, parse_page
from certify.transaction import attempt

# -- admin --------------------------------------------------------------------------------------


@bp.get("/admin/applications")
@roles_required(Role.ADMIN)
def queue() -> Any:
    text = request.args.get("q", "").strip()[:200]
    state = request.args.get("state", OPEN)
    problems = []
    if state not in dict(state_choices()):
        problems.append("Choose a state from the list.")
        state = OPEN
    try:
        page = parse_page(request.args.get("page")) or 1
    except FilterError as exc:
        problems.append(str(exc))
        page = 1
    result = case_queue(db_session(), text=text, state=state, page=page)
    return render_template(
        "applications/queue.html",
        result=result,
        text=text,
        state=state,
        states=state_choices(),
        problems=problems,
        args={k: v for k, v in (("q", text), ("state", state)) if v},
        now=clock.now(),
    ), 400 if problems else 200


@bp.get("/admin/organisations")
@roles_required(Role.ADMIN)
def organisations() -> Any:
    text = request.args.get("q", "").strip()[:200]
    try:
        page, problem = parse_page(request.args.get("page")) or 1, None
    except FilterError as exc:
        page, problem = 1, str(exc)
    result = organisation_list(db_session(), text=text, page=page)
    return render_template(
        "applications/organisations.html",
        result=result,
        text=text,
        problem=problem,
        args={"q": text} if text else {},
        now=clock.now(),
    ), 400 if problem else 200


@bp.post("/applications/<public_id>/accept")
@roles_required(Role.ADMIN)
def accept(public_id: str) -> Any:
    application = get_application_or_404(public_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        accept_application(db_session(), application, me())
    if not done:
        return redirect(url_for("applications.show", public_id=public_id))
    flash("Application accepted. Next: assign an auditor and a reviewer.", "success")
    return redirect(url_for("applications.assign", public_id=public_id))


@bp.post("/applications/<public_id>/return")
@roles_required(Role.ADMIN)
def return_view(public_id: str) -> Any:
    application = get_application_or_404(public_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Write what the applicant needs to change.", "error")
        return redirect(url_for("applications.show", public_id=public_id))
    with attempt() as done:
        return_to_applicant(db_session(), application, me(), form.reason.data)
    if done:
        flash("Returned to the applicant with your reason.", "success")
    return redirect(url_for("applications.show", public_id=public_id))


def _staff_with(role: Role) -> list[User]:
    return list(
        db_session().scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role == role.value, User.is_active)
            .order_by(User.full_name)
        )
    )


@bp.route("/applications/<public_id>/assign", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def assign(public_id: str) -> Any:
    application = get_application_or_404(public_id)
    form = AssignForm()
    auditors, reviewers = _staff_with(Role.AUDITOR), _staff_with(Role.REVIEWER)
    on_record = conflicts_on_record(db_session(), application, clock.now().date())

    def choice(user: User) -> tuple[str, str]:
        flag = " (conflict on record: cannot be chosen)" if user.id in on_record else ""
        return user.public_id, user.full_name + flag

    form.auditor.choices = [("", "Choose an auditor")] + [choice(u) for u in auditors]
    form.reviewer.choices = [("", "Choose a reviewer")] + [choice(u) for u in reviewers]
    staff = {u.id: u for u in auditors + reviewers}
    conflicts = [
        (staff[user_id], entry)
        for user_id, entries in on_record.items()
        if user_id in staff
        for entry in entries
    ]
    if form.validate_on_submit():
        people = {u.public_id: u for u in auditors + reviewers}
        auditor, reviewer = people.get(form.auditor.data), people.get(form.reviewer.data)
        if auditor is None or reviewer is None:
            abort(400)
        with attempt(form) as done:
            assign_case(db_session(), application, me(), auditor, reviewer, clock.now().date())
        if done:
            flash(
                f"Assigned: {auditor.full_name} (auditor) and {reviewer.full_name} (reviewer). "
                "Each must now declare any conflict of interest.",
                "success",
            )
            return redirect(url_for("applications.show", public_id=public_id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "applications/assign.html",
        application=application,
        form=form,
        conflicts=conflicts,
        workload=auditor_workload(db_session()),
    ), status


@bp.route("/applications/<public_id>/new-reviewer", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_reviewer(public_id: str) -> Any:
    application = get_application_or_404(public_id)
    session = db_session()
    reviewers = _staff_with(Role.REVIEWER)
    form = NewReviewerForm()
    form.reviewer.choices = [("", "Choose a reviewer")] + [
        (u.public_id, u.full_name + (" (took part: cannot be chosen)"
                                     if took_part(session, application, u) else ""))
        for u in reviewers
    ]  # fmt: skip
    if form.validate_on_submit():
        reviewer = next(u for u in reviewers if u.public_id == form.reviewer.data)
        with attempt(form) as done:
            name_new_reviewer(session, application, me(), reviewer)
        if done:
            flash(f"{reviewer.full_name} reviews the case for a new decision and is told.",
                  "success")  # fmt: skip
            return redirect(url_for("applications.show", public_id=public_id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "applications/new_reviewer.html", application=application, form=form,
        waiting=awaits_reviewer(application),
    ), status  # fmt: skip


# -- assignees ----------------------------------------------------------------------------------


@bp.route("/applications/<public_id>/declaration", methods=["GET", "POST"])
@roles_required(Role.AUDITOR, Role.REVIEWER)
def declaration(public_id: str) -> Any:
    user = me()
    application = get_application_or_404(public_id, allow_undeclared=True)
    role = assignee_role(application, user)
    if role is None:
        abort(404)
    existing = application.current_declaration(user, role)
    form = DeclarationForm()
    if existing is None and form.validate_on_submit():
        with attempt(form) as done:
            declare_conflict(
                db_session(),
                application,
                user,
                form.has_conflict.data == "yes",
                form.statement.data or "",
            )
        if done:
            if form.has_conflict.data == "yes":
                flash("Thank you. The case goes back to the admin for reassignment.", "success")
                return redirect(url_for("accounts.dashboard"))
            flash("Declaration recorded. You can now see the case.", "success")
            return redirect(url_for("applications.show", public_id=public_id))
    status = 400 if request.method == "POST" and existing is None else 200
    # Before declaring, an assignee learns only who the applicant is: nothing of the case.
    return render_template(
        "applications/declaration.html",
        application=application,
        form=form,
        role=role,
        existing=existing,
    ), status


@bp.route("/conflicts", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.AUDITOR, Role.REVIEWER)
def register() -> Any:
    user = me()
    form = RegisterEntryForm()
    orgs = db_session().scalars(select(Organisation).order_by(Organisation.legal_name)).all()
    form.organisation.choices = [("", "Not on this registry")] + [
        (o.public_id, o.legal_name) for o in orgs
    ]
    if form.validate_on_submit():
        org = next((o for o in orgs if o.public_id == form.organisation.data), None)
        name = org.legal_name if org else (form.organisation_name.data or "").strip()
        if not name:
            form.organisation_name.errors = ["Choose an organisation or type its name."]
        else:
            with attempt(form) as done:
                add_register_entry(
                    db_session(),
                    user,
                    organisation_name=name,
                    organisation_id=org.id if org else None,
                    relationship=form.relationship.data,
                    started_on=form.started_on.data,
                    ended_on=form.ended_on.data,
                )
            if done:
                flash("Added to your conflict-of-interest register.", "success")
                return redirect(url_for("applications.register"))
    entries = (
        db_session()
        .scalars(
            select(ConflictRegisterEntry)
            .where(ConflictRegisterEntry.user_id == user.id)
            .order_by(ConflictRegisterEntry.created_at)
        )
        .all()
    )
    status = 400 if request.method == "POST" else 200
    return render_template("applications/register.html", form=form, entries=entries), status


# -- dashboards ---------------------------------------------------------------------------------


def dashboard_context(_app: Any, user: User) -> dict[str, Any]:
    s = db_session()
    context: dict[str, Any] = {}
    if user.has_role(Role.ISSP) and user.organisation_id:
        context["my_applications"] = s.scalars(
            select(Application)
            .where(Application.organisation_id == user.organisation_id)
            .order_by(Application.created_at.desc())
        ).all()
    if user.has_role(Role.ADMIN):
        context["pipeline"] = dict(
            s.execute(select(Application.state, func.count()).group_by(Application.state)).all()
        )
        context["awaiting_admin"] = s.scalars(
            select(Application)
            .where(Application.state.in_([AppState.SUBMITTED.value, AppState.ACCEPTED.value]))
            .order_by(Application.submitted_at)
        ).all()
        context["overdue"] = s.execute(
            select(NonConformity, Application)
            .join(Application)
            .where(NonConformity.status != "closed", NonConformity.due_on < clock.now().date())
            .order_by(NonConformity.due_on)
        ).all()
        context["AppState"] = AppState
    if user.has_role(Role.AUDITOR, Role.REVIEWER):
        cases = s.scalars(
            select(Application).where(
                (Application.auditor_id == user.id) | (Application.reviewer_id == user.id),
                Application.state.not_in([st.value for st in FINAL_STATES]),
            )
        ).all()
        context["my_cases"] = [(a, assignee_role(a, user), _next_step(a, user)) for a in cases]
    return context


def _next_step(application: Application, user: User) -> str | None:
    """What the assignee *user* should do next on this case, in words."""
    role = assignee_role(application, user)
    state = application.app_state
    if state == AppState.ASSIGNED and application.current_declaration(user, role or "") is None:
        return "declare any conflict of interest"
    if role == "auditor" and state in (AppState.IN_AUDIT, AppState.RETURNED_TO_AUDITOR):
        due = [
            nc.due_on
            for nc in db_session().scalars(
                select(NonConformity).where(
                    NonConformity.application_id == application.id,
                    NonConformity.status != "closed",
                )
            )
        ]
        return "complete and submit the audit" + (
            f" (earliest non-conformity due {min(due)})" if due else ""
        )
    if role == "reviewer" and state == AppState.AUDIT_SUBMITTED:
        return "review and decide"
    return None
