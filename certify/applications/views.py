"""Applications: the applicant's pages (scope, self-assessment, evidence, submission)."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from certify import clock
from certify.accounts.access import roles_required
from certify.accounts.models import Role
from certify.applications.access import (
    can_view,
    get_application_or_404,
    get_evidence_or_404,
    is_applicant,
)
from certify.applications.assignment import assignee_role
from certify.applications.evidence import (
    add_evidence,
    criteria_without_evidence,
    record_evidence_download,
    remove_evidence,
)
from certify.applications.forms import (
    ConfirmForm,
    EvidenceForm,
    ReasonForm,
    ScopeForm,
    criterion_field_names,
    fill_section_form,
    section_answers,
    section_form_class,
    submit_form,
)
from certify.applications.models import Application
from certify.applications.operations import (
    ScopeData,
    missing_answers,
    rubric_in_effect,
    save_scope,
    save_section_answers,
    scope_complete,
    start_application,
    submit_application,
    withdraw_application,
)
from certify.applications.web import (
    agreement,
    applicant_application,
    bp,
    evidence_store,
    history,
    me,
    rubric_of,
    section_progress,
)
from certify.certificates.queries import certificates_of_application
from certify.core.workflow import AppState
from certify.db import db_session, records
from certify.evidence.store import EvidenceError, EvidenceMissing
from certify.transaction import attempt

log = logging.getLogger(__name__)

# -- ISSP ---------------------------------------------------------------------------------------


@bp.get("/applications")
@roles_required(Role.ISSP)
def index() -> Any:
    user = me()
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
    user = me()
    with attempt() as done:
        application = start_application(db_session(), user, rubric_in_effect(clock.today()))
    if not done:
        return redirect(url_for("applications.index"))
    flash(
        f"Application started against {application.standard_id.upper()} "
        f"{application.standard_version}. Begin with the scope.",
        "success",
    )
    return redirect(url_for("applications.scope", public_id=application.public_id))


@bp.get("/applications/<public_id>")
@roles_required(Role.ISSP, Role.ADMIN, Role.AUDITOR, Role.REVIEWER)
def show(public_id: str) -> Any:
    user = me()
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
        certificates=certificates_of_application(db_session(), application.id),
        without_evidence=criteria_without_evidence(application, rubric),
        agreement=agreement(),
        submit_form=submit_form(agreement()),
    )


@bp.route("/applications/<public_id>/scope", methods=["GET", "POST"])
@roles_required(Role.ISSP)
def scope(public_id: str) -> Any:
    application = applicant_application(public_id)
    form = ScopeForm()
    form.sites.choices = [
        (s.public_id, f"{s.name}, {s.address}")
        for s in application.organisation.sites
        if s.closed_at is None
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
        with attempt(form) as done:
            save_scope(
                db_session(),
                application,
                me(),
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
        if done:
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
    application = applicant_application(public_id)
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
        with attempt() as done:
            save_section_answers(
                db_session(), application, me(), rubric, section_id, section_answers(form, sec)
            )
        if done:
            order = [s.id for s in rubric.sections]
            nxt = order.index(section_id) + 1
            flash(f"Section {sec.id} saved.", "success")
            if request.form.get("next") == "stay" or nxt >= len(order):
                return redirect(url_for("applications.show", public_id=public_id))
            return redirect(
                url_for("applications.section", public_id=public_id, section_id=order[nxt])
            )
        if done.error is not None:
            for where, message in done.error.details:
                criterion_errors.setdefault(where, []).append(message)
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
    application = applicant_application(public_id)
    rubric = rubric_of(application)
    form = EvidenceForm()
    form.criterion.choices = [("", "The application as a whole")] + [
        (c.id, f"{c.id} {c.title}") for c in rubric.criteria
    ]
    if form.validate_on_submit():
        upload = form.file.data
        with attempt(form) as done:
            add_evidence(
                db_session(),
                application,
                me(),
                evidence_store(),
                upload.stream,
                upload.filename or "evidence",
                form.criterion.data or None,
                form.description.data,
                rubric,
            )
        if done:
            flash("File uploaded.", "success")
            return redirect(url_for("applications.evidence", public_id=public_id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "applications/evidence.html",
        application=application,
        form=form,
        rubric=rubric,
    ), status


@bp.get("/applications/<public_id>/evidence/<evidence_id>/remove")
@roles_required(Role.ISSP)
def confirm_remove_evidence(public_id: str, evidence_id: str) -> Any:
    """The confirmation step: removing a file cannot be undone, so it takes a second click."""
    application = applicant_application(public_id)
    item = get_evidence_or_404(application, evidence_id)
    if application.state not in ("draft", "returned_to_applicant"):
        flash("Files can only be removed while the application is with you.", "error")
        return redirect(url_for("applications.evidence", public_id=public_id))
    return render_template(
        "applications/evidence_remove.html",
        application=application,
        item=item,
        form=ConfirmForm(),
    )


@bp.post("/applications/<public_id>/evidence/<evidence_id>/remove")
@roles_required(Role.ISSP)
def remove_evidence_view(public_id: str, evidence_id: str) -> Any:
    application = applicant_application(public_id)
    item = get_evidence_or_404(application, evidence_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("confirmed") != "yes":
        # Not from the confirmation page: show it rather than remove at once.
        return redirect(
            url_for(
                "applications.confirm_remove_evidence",
                public_id=public_id,
                evidence_id=evidence_id,
            )
        )
    with attempt() as done:
        remove_evidence(db_session(), item, me())
    if done:
        flash(f"{item.filename} was removed from the application.", "success")
    return redirect(url_for("applications.evidence", public_id=public_id))


@bp.get("/applications/<public_id>/evidence/<evidence_id>")
@roles_required(Role.ISSP, Role.ADMIN, Role.AUDITOR, Role.REVIEWER)
@records
def download_evidence(public_id: str, evidence_id: str) -> Any:
    application = get_application_or_404(public_id)
    item = get_evidence_or_404(application, evidence_id)
    if item.erased_at is not None:
        abort(410, "This file was erased: its retention ended, or its erasure was approved.")
    store = evidence_store()
    if not store.exists(item.sha256):
        abort(404, "The stored file is missing. Please tell the certification body.")
    try:
        stream = store.open(item.sha256)
    except EvidenceMissing as exc:  # erased between the check and now
        abort(404, exc.message)
    except EvidenceError as exc:  # encrypted under another key-encryption key, or damaged
        log.error("evidence %s cannot be read: %s", item.sha256, exc.message)
        abort(500, "The stored file cannot be read. Please tell the certification body.")
    user = me()
    if user.is_staff:
        # Every download of personal data by staff is in the audit trail: the route is
        # declared @records, so the event commits with the response (certify.transaction)
        # and a failed commit answers 500 before any byte of the file is sent.
        record_evidence_download(db_session(), item, user)
    response = send_file(
        stream,
        # the kind says "text/plain; charset=utf-8"; send_file adds the charset itself
        mimetype=item.mime.split(";", 1)[0],
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
    application = applicant_application(public_id)
    terms = agreement()
    form = submit_form(terms)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for("applications.show", public_id=public_id) + "#submit")
    with attempt() as done:
        submit_application(db_session(), application, me(), rubric_of(application), terms)
    if done:
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
    with attempt() as done:
        withdraw_application(db_session(), application, me(), form.reason.data)
    if done:
        flash("Application withdrawn.", "success")
    return redirect(url_for("applications.show", public_id=public_id))
