"""Applications: the ISSP's side, the admin's review and assignment, declarations, registers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import func, select

from certify.accounts.access import current_user, roles_required
from certify.accounts.models import Organisation, Role, User, UserRole
from certify.applications.access import (
    can_view,
    get_application_or_404,
    get_evidence_or_404,
    is_applicant,
)
from certify.applications.forms import (
    AssignForm,
    ConfirmForm,
    DeclarationForm,
    EvidenceForm,
    ReasonForm,
    RegisterEntryForm,
    ScopeForm,
    criterion_field_names,
    fill_section_form,
    section_answers,
    section_form_class,
)
from certify.applications.models import Application, ConflictRegisterEntry, NonConformity
from certify.applications.operations import (
    ScopeData,
    accept_application,
    add_evidence,
    add_register_entry,
    assign_case,
    assignee_role,
    declare_conflict,
    missing_answers,
    remove_evidence,
    return_to_applicant,
    save_scope,
    save_section_answers,
    scope_complete,
    start_application,
    submit_application,
    withdraw_application,
)
from certify.audit.models import AuditEvent
from certify.core.rubric.model import Rubric
from certify.core.workflow import FINAL_STATES, AppState
from certify.db import db_session, utcnow
from certify.evidence.store import EvidenceError, EvidenceStore
from certify.operations import OperationError
from certify.standards.operations import get_rubric, newest_rubric_in_effect

bp = Blueprint("applications", __name__)


def evidence_store() -> EvidenceStore:
    app = current_app
    store = app.extensions.get("certify.evidence_store")
    if store is None:
        store = EvidenceStore(
            Path(app.config["EVIDENCE_DIR"]), int(float(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)
        )
        app.extensions["certify.evidence_store"] = store
    return store


def rubric_of(application: Application) -> Rubric:
    """The pinned rubric; refuses to go on if what is published no longer has the pinned hash."""
    rubric = get_rubric(application.standard_id, application.standard_version)
    if rubric.sha256 != application.standard_sha256:
        abort(500, "The standard this application is pinned to no longer matches its hash.")
    return rubric


def _me() -> User:
    user = current_user()
    assert user is not None  # the route's access rule guarantees it
    return user


def _applicant_application(public_id: str) -> Application:
    application = get_application_or_404(public_id)
    if not is_applicant(_me(), application):
        abort(404)
    return application


def _fail(error: OperationError, form: Any = None) -> None:
    db_session().rollback()
    field = getattr(form, error.field, None) if (form is not None and error.field) else None
    if field is not None:
        field.errors = [*list(field.errors), error.message]
    else:
        flash(error.message, "error")


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
    ids = {e.actor.split(":", 1)[1] for e in events if e.actor.startswith("user:")}
    names = (
        dict(
            db_session()
            .execute(select(User.public_id, User.full_name).where(User.public_id.in_(ids)))
            .all()
        )
        if ids
        else {}
    )
    rows = []
    for e in events:
        kind, _, ident = e.actor.partition(":")
        who = (
            names.get(ident, "a former user")
            if kind == "user"
            else ("certify" if kind == "system" else "an administrator (command line)")
        )
        rows.append(
            {
                "at": e.occurred_at,
                "action": e.action.removeprefix("application.").replace("_", " "),
                "who": who,
                "reason": e.reason,
            }
        )
    return rows


# -- ISSP ---------------------------------------------------------------------------------------


@bp.get("/applications")
@roles_required(Role.ISSP)
def index() -> Any:
    user = _me()
    applications = (
        db_session()
        .scalars(
            select(Application)
            .where(Application.organisation_id == user.organisation_id)
            .order_by(Application.created_at.desc())
        )
        .all()
    )
    return render_template("applications/index.html", applications=applications, form=ConfirmForm())


@bp.post("/applications/new")
@roles_required(Role.ISSP)
def start() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = _me()
    try:
        rubric = newest_rubric_in_effect(utcnow().date())
        application = start_application(db_session(), user, rubric)
    except (OperationError, ValueError) as error:
        _fail(error if isinstance(error, OperationError) else OperationError(str(error)))
        return redirect(url_for("applications.index"))
    db_session().commit()
    flash(
        f"Application started against {application.standard_id.upper()} "
        f"{application.standard_version}. Begin with the scope.",
        "success",
    )
    return redirect(url_for("applications.scope", public_id=application.public_id))


@bp.get("/applications/<public_id>")
@roles_required(Role.ISSP, Role.ADMIN, Role.AUDITOR, Role.REVIEWER)
def show(public_id: str) -> Any:
    user = _me()
    application = get_application_or_404(public_id, allow_undeclared=True)
    if not can_view(user, application):
        return redirect(url_for("applications.declaration", public_id=public_id))
    rubric = rubric_of(application)
    return render_template(
        "applications/show.html",
        application=application,
        rubric=rubric,
        progress=section_progress(application, rubric),
        scope_done=scope_complete(application),
        missing=missing_answers(application, rubric),
        history=history(application),
        applicant=is_applicant(user, application),
        confirm=ConfirmForm(),
        reason_form=ReasonForm(),
        answers=application.answer_map(),
        AppState=AppState,
        role_in_case=assignee_role(application, user),
    )


@bp.route("/applications/<public_id>/scope", methods=["GET", "POST"])
@roles_required(Role.ISSP)
def scope(public_id: str) -> Any:
    application = _applicant_application(public_id)
    form = ScopeForm()
    form.sites.choices = [
        (s.public_id, f"{s.name}, {s.address}") for s in application.organisation.sites
    ]
    if request.method == "GET":
        form.services.data = application.services
        form.headcount.data = application.headcount
        form.impact_headcount.data = application.impact_headcount
        form.impact_groups.data = application.groups
        form.sites.data = application.scope_site_ids
        form.contact_name.data = application.contact_name
        form.contact_email.data = application.contact_email
        form.contact_phone.data = application.contact_phone
    elif form.validate_on_submit():
        try:
            save_scope(
                db_session(),
                application,
                _me(),
                ScopeData(
                    services=form.services.data,
                    headcount=form.headcount.data,
                    impact_headcount=form.impact_headcount.data,
                    impact_groups=form.impact_groups.data,
                    contact_name=form.contact_name.data,
                    contact_email=form.contact_email.data,
                    contact_phone=form.contact_phone.data,
                    site_ids=form.sites.data,
                ),
            )
        except OperationError as error:
            _fail(error, form)
        else:
            db_session().commit()
            flash("Scope saved. Next: the self-assessment.", "success")
            rubric = rubric_of(application)
            return redirect(
                url_for(
                    "applications.section", public_id=public_id, section_id=rubric.sections[0].id
                )
            )
    status = 400 if request.method == "POST" else 200
    return render_template("applications/scope.html", application=application, form=form), status


@bp.route("/applications/<public_id>/self-assessment/<section_id>", methods=["GET", "POST"])
@roles_required(Role.ISSP)
def section(public_id: str, section_id: str) -> Any:
    application = _applicant_application(public_id)
    rubric = rubric_of(application)
    sections = {s.id: s for s in rubric.sections}
    if section_id not in sections:
        abort(404)
    sec = sections[section_id]
    form = section_form_class(rubric, sec)()
    criterion_errors: dict[str, list[str]] = {}
    if request.method == "GET":
        fill_section_form(form, sec, application.answer_map())
    elif form.validate_on_submit():
        try:
            save_section_answers(
                db_session(), application, _me(), rubric, section_id, section_answers(form, sec)
            )
        except OperationError as error:
            _fail(error)
            for where, message in error.details:
                criterion_errors.setdefault(where, []).append(message)
        else:
            db_session().commit()
            order = [s.id for s in rubric.sections]
            nxt = order.index(section_id) + 1
            flash(f"Section {sec.id} saved.", "success")
            if request.form.get("next") == "stay" or nxt >= len(order):
                return redirect(url_for("applications.show", public_id=public_id))
            return redirect(
                url_for("applications.section", public_id=public_id, section_id=order[nxt])
            )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "applications/section.html",
        application=application,
        rubric=rubric,
        section=sec,
        form=form,
        names={c.id: criterion_field_names(c) for c in sec.criteria},
        criterion_errors=criterion_errors,
        progress=section_progress(application, rubric),
    ), status


@bp.route("/applications/<public_id>/evidence", methods=["GET", "POST"])
@roles_required(Role.ISSP)
def evidence(public_id: str) -> Any:
    application = _applicant_application(public_id)
    rubric = rubric_of(application)
    form = EvidenceForm()
    form.criterion.choices = [("", "The application as a whole")] + [
        (c.id, f"{c.id} {c.title}") for c in rubric.criteria
    ]
    if form.validate_on_submit():
        upload = form.file.data
        try:
            add_evidence(
                db_session(),
                application,
                _me(),
                evidence_store(),
                upload.stream,
                upload.filename or "evidence",
                form.criterion.data or None,
                form.description.data,
                rubric,
            )
        except EvidenceError as error:
            _fail(OperationError(str(error), field="file"), form)
        except OperationError as error:
            _fail(error, form)
        else:
            db_session().commit()
            flash("File uploaded.", "success")
            return redirect(url_for("applications.evidence", public_id=public_id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "applications/evidence.html",
        application=application,
        form=form,
        confirm=ConfirmForm(),
        rubric=rubric,
    ), status


@bp.post("/applications/<public_id>/evidence/<evidence_id>/remove")
@roles_required(Role.ISSP)
def remove_evidence_view(public_id: str, evidence_id: str) -> Any:
    application = _applicant_application(public_id)
    item = get_evidence_or_404(application, evidence_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        remove_evidence(db_session(), item, _me())
    except OperationError as error:
        _fail(error)
    else:
        db_session().commit()
        flash("File removed from the application.", "success")
    return redirect(url_for("applications.evidence", public_id=public_id))


@bp.get("/applications/<public_id>/evidence/<evidence_id>")
@roles_required(Role.ISSP, Role.ADMIN, Role.AUDITOR, Role.REVIEWER)
def download_evidence(public_id: str, evidence_id: str) -> Any:
    application = get_application_or_404(public_id)
    item = get_evidence_or_404(application, evidence_id)
    store = evidence_store()
    if not store.exists(item.sha256):
        abort(404, "The stored file is missing. Please tell the certification body.")
    response = send_file(
        store.open(item.sha256),
        mimetype=item.mime,
        as_attachment=True,
        download_name=item.filename,
        max_age=0,
        conditional=False,
        etag=False,
    )
    # Evidence is never rendered by the browser: downloaded as attachment, never sniffed,
    # never framed, and sandboxed should a browser open it anyway.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/applications/<public_id>/submit")
@roles_required(Role.ISSP)
def submit(public_id: str) -> Any:
    application = _applicant_application(public_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        submit_application(db_session(), application, _me(), rubric_of(application))
    except OperationError as error:
        _fail(error)
    else:
        db_session().commit()
        flash(
            "Application submitted. The certification body will review it; you will see its "
            "progress here.",
            "success",
        )
    return redirect(url_for("applications.show", public_id=public_id))


@bp.post("/applications/<public_id>/withdraw")
@roles_required(Role.ISSP, Role.ADMIN)
def withdraw(public_id: str) -> Any:
    application = get_application_or_404(public_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Say why the application is withdrawn.", "error")
        return redirect(url_for("applications.show", public_id=public_id))
    try:
        withdraw_application(db_session(), application, _me(), form.reason.data)
    except OperationError as error:
        _fail(error)
    else:
        db_session().commit()
        flash("Application withdrawn.", "success")
    return redirect(url_for("applications.show", public_id=public_id))


# -- admin --------------------------------------------------------------------------------------


@bp.get("/admin/applications")
@roles_required(Role.ADMIN)
def queue() -> Any:
    rows = db_session().scalars(select(Application).order_by(Application.updated_at)).all()
    by_state: dict[str, list[Application]] = {}
    for a in rows:
        by_state.setdefault(a.state, []).append(a)
    return render_template("applications/queue.html", by_state=by_state, AppState=AppState)


@bp.post("/applications/<public_id>/accept")
@roles_required(Role.ADMIN)
def accept(public_id: str) -> Any:
    application = get_application_or_404(public_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        accept_application(db_session(), application, _me())
    except OperationError as error:
        _fail(error)
        return redirect(url_for("applications.show", public_id=public_id))
    db_session().commit()
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
    try:
        return_to_applicant(db_session(), application, _me(), form.reason.data)
    except OperationError as error:
        _fail(error)
    else:
        db_session().commit()
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
    form.auditor.choices = [("", "Choose an auditor")] + [
        (u.public_id, u.full_name) for u in auditors
    ]
    form.reviewer.choices = [("", "Choose a reviewer")] + [
        (u.public_id, u.full_name) for u in reviewers
    ]
    if form.validate_on_submit():
        people = {u.public_id: u for u in auditors + reviewers}
        auditor, reviewer = people.get(form.auditor.data), people.get(form.reviewer.data)
        if auditor is None or reviewer is None:
            abort(400)
        try:
            assign_case(db_session(), application, _me(), auditor, reviewer, utcnow().date())
        except OperationError as error:
            _fail(error, form)
        else:
            db_session().commit()
            flash(
                f"Assigned: {auditor.full_name} (auditor) and {reviewer.full_name} (reviewer). "
                "Each must now declare any conflict of interest.",
                "success",
            )
            return redirect(url_for("applications.show", public_id=public_id))
    status = 400 if request.method == "POST" else 200
    return render_template("applications/assign.html", application=application, form=form), status


# -- assignees ----------------------------------------------------------------------------------


@bp.route("/applications/<public_id>/declaration", methods=["GET", "POST"])
@roles_required(Role.AUDITOR, Role.REVIEWER)
def declaration(public_id: str) -> Any:
    user = _me()
    application = get_application_or_404(public_id, allow_undeclared=True)
    role = assignee_role(application, user)
    if role is None:
        abort(404)
    existing = application.current_declaration(user, role)
    form = DeclarationForm()
    if existing is None and form.validate_on_submit():
        try:
            declare_conflict(
                db_session(),
                application,
                user,
                form.has_conflict.data == "yes",
                form.statement.data or "",
            )
        except OperationError as error:
            _fail(error, form)
        else:
            db_session().commit()
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
    user = _me()
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
            try:
                add_register_entry(
                    db_session(),
                    user,
                    organisation_name=name,
                    organisation_id=org.id if org else None,
                    relationship=form.relationship.data,
                    started_on=form.started_on.data,
                    ended_on=form.ended_on.data,
                )
            except OperationError as error:
                _fail(error, form)
            else:
                db_session().commit()
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


def dashboard_context(user: User) -> dict[str, Any]:
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
            .where(NonConformity.status == "open", NonConformity.due_on < utcnow().date())
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
                    NonConformity.status == "open",
                )
            )
        ]
        return "complete and submit the audit" + (
            f" (earliest non-conformity due {min(due)})" if due else ""
        )
    if role == "reviewer" and state == AppState.AUDIT_SUBMITTED:
        return "review and decide"
    return None


def init_app(app: Flask) -> None:
    from certify.applications import assessment_views  # noqa: F401 - registers its routes
    from certify.templating import add_nav_link

    app.register_blueprint(bp)
    add_nav_link(app, "applications.index", "Applications", roles=["issp"])
    add_nav_link(app, "applications.queue", "Applications", roles=["admin"])
    add_nav_link(
        app, "applications.register", "Conflict register", roles=["admin", "auditor", "reviewer"]
    )
    app.extensions.setdefault("certify.dashboard_providers", []).append(dashboard_context)
