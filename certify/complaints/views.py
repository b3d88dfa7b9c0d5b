"""The staff's complaint pages (the list, one complaint, its handling) and the appeal pages
(the ISSP's, the admin's, the decider's). Access is checked before any work: the role on the
route, then the complaint or appeal (``get_*_or_404``), then who may act (in the operation:
a direct POST by someone not impartial is refused like the form)."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from sqlalchemy import select

from certify.accounts.access import roles_required
from certify.accounts.forms import choices
from certify.accounts.models import Role
from certify.complaints import appeals, handling
from certify.complaints.forms import (
    AcknowledgeForm,
    AppealDecisionForm,
    AppealForm,
    DeciderForm,
    HandlerForm,
    NoteForm,
    OutcomeForm,
)
from certify.complaints.impartiality import candidates, decider_problem, handler_problem
from certify.complaints.models import Appeal, Attachment, Complaint
from certify.complaints.web import (
    bp,
    get_appeal_or_404,
    get_complaint_or_404,
    me,
    no_store,
    uploads,
)
from certify.core.complaints import close_by
from certify.db import db_session
from certify.followup.deadlines import Finding
from certify.storage.setup import evidence_store
from certify.transaction import attempt

STAFF = (Role.ADMIN, Role.AUDITOR, Role.REVIEWER)


@bp.get("/complaints")
@roles_required(*STAFF)
def index() -> Any:
    user = me()
    statement = select(Complaint).order_by(Complaint.received_at.desc())
    if not user.has_role(Role.ADMIN):
        statement = statement.where(Complaint.handler_id == user.id)
    return no_store(
        render_template("complaints/index.html", complaints=db_session().scalars(statement).all())
    )


def _handler_form(complaint: Complaint) -> HandlerForm:
    form = HandlerForm(prefix="assign")
    session = db_session()
    form.handler.choices = choices([("", "Choose a handler")] + [
        (u.public_id, u.full_name + (" (not impartial)" if handler_problem(session, complaint, u)
                                     else ""))
        for u in candidates(session)
    ])  # fmt: skip
    return form


def _outcome_form(complaint: Complaint) -> OutcomeForm:
    form = OutcomeForm(prefix="outcome")
    form.criterion.choices = choices(
        [("", "Choose a criterion"), *handling.nonconformity_choices(db_session(), complaint)]
    )
    return form


def _show(complaint: Complaint, status: int = 200, **forms: Any) -> Any:
    user = me()
    page = render_template(
        "complaints/show.html",
        complaint=complaint,
        close_by=close_by(complaint.received_at, int(current_app.config["COMPLAINT_CLOSE_DAYS"])),
        show_identity=complaint.can_see_identity(user),
        is_handler=complaint.handler_id == user.id,
        is_admin=user.has_role(Role.ADMIN),
        handler_form=forms.get("handler_form") or _handler_form(complaint),
        ack_form=forms.get("ack_form") or AcknowledgeForm(prefix="ack"),
        note_form=forms.get("note_form") or NoteForm(prefix="note"),
        outcome_form=forms.get("outcome_form") or _outcome_form(complaint),
    )
    return no_store(page, status)


@bp.get("/complaints/<public_id>")
@roles_required(*STAFF)
def show(public_id: str) -> Any:
    return _show(get_complaint_or_404(public_id))


def _back(complaint: Complaint) -> Any:
    return redirect(url_for("complaints.show", public_id=complaint.public_id))


@bp.post("/complaints/<public_id>/handler")
@roles_required(Role.ADMIN)
def assign(public_id: str) -> Any:
    complaint = get_complaint_or_404(public_id)
    form = _handler_form(complaint)
    if form.validate_on_submit():
        handler = next(u for u in candidates(db_session()) if u.public_id == form.handler.data)
        with attempt(form) as done:
            handling.assign_handler(db_session(), complaint, me(), handler)
        if done:
            flash(f"{handler.full_name} handles this concern and is told.", "success")
            return _back(complaint)
    return _show(complaint, 400, handler_form=form)


@bp.post("/complaints/<public_id>/acknowledge")
@roles_required(*STAFF)
def acknowledge(public_id: str) -> Any:
    complaint = get_complaint_or_404(public_id)
    form = AcknowledgeForm(prefix="ack")
    if form.validate_on_submit():
        with attempt(form) as done:
            handling.acknowledge_complaint(db_session(), complaint, me(), form.message.data)
        if done:
            flash("Acknowledged.", "success")
            return _back(complaint)
    return _show(complaint, 400, ack_form=form)


@bp.post("/complaints/<public_id>/notes")
@roles_required(*STAFF)
def add_note(public_id: str) -> Any:
    complaint = get_complaint_or_404(public_id)
    form = NoteForm(prefix="note")
    if form.validate_on_submit():
        with attempt(form) as done:
            handling.add_note(
                db_session(), complaint, me(), form.text.data or "",
                to_complainant=bool(form.to_complainant.data),
            )  # fmt: skip
        if done:
            flash("Saved.", "success")
            return _back(complaint)
    return _show(complaint, 400, note_form=form)


@bp.post("/complaints/<public_id>/outcome")
@roles_required(*STAFF)
def decide(public_id: str) -> Any:
    complaint = get_complaint_or_404(public_id)
    form = _outcome_form(complaint)
    if form.validate_on_submit():
        finding = Finding(
            form.grade.data or "", form.criterion.data or "", form.description.data or "",
            form.corrective_action.data or "",
        )  # fmt: skip
        with attempt(form) as done:
            handling.decide_complaint(
                db_session(), complaint, me(), form.outcome.data or "", form.reasons.data or "",
                finding if any(astuple(finding)) else None,
            )  # fmt: skip
        if done:
            flash("Outcome recorded; whoever must act on it is told.", "success")
            return _back(complaint)
    return _show(complaint, 400, outcome_form=form)


def _download(item: Attachment) -> Any:
    store = evidence_store()
    if not store.exists(item.sha256):
        abort(404, "The stored file is missing. Please tell the certification body.")
    response = send_file(
        store.open(item.sha256), mimetype=item.mime.split(";", 1)[0], as_attachment=True,
        download_name=item.filename, max_age=0, conditional=False, etag=False,
    )  # fmt: skip
    # Never rendered by the browser: downloaded, never sniffed, sandboxed (as evidence is).
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _attachment(owner: Complaint | Appeal, file_id: str) -> Attachment:
    item = next((a for a in owner.attachments if a.public_id == file_id), None)
    if item is None:
        abort(404)
    return item


@bp.get("/complaints/<public_id>/files/<file_id>")
@roles_required(*STAFF)
def complaint_file(public_id: str, file_id: str) -> Any:
    return _download(_attachment(get_complaint_or_404(public_id), file_id))


# --------------------------------------------------------------------------- appeals


@bp.get("/appeals")
@roles_required(Role.ADMIN, Role.AUDITOR, Role.REVIEWER, Role.ISSP)
def appeals_index() -> Any:
    user = me()
    statement = select(Appeal).order_by(Appeal.lodged_at.desc())
    if user.has_role(Role.ISSP):
        statement = statement.where(Appeal.organisation_id == user.organisation_id)
    elif not user.has_role(Role.ADMIN):
        statement = statement.where(Appeal.decider_id == user.id)
    found = db_session().scalars(statement).all()
    return render_template("complaints/appeals.html", appeals=found)


def _appeal_form() -> AppealForm:
    form = AppealForm()
    user = me()
    options = appeals.appealable_decisions(db_session(), user.organisation_id or 0)
    form.decision.choices = choices(
        [(a.key, f"{a.label} (appeal by {a.deadline:%-d %b %Y})") for a in options]
    )
    return form


@bp.get("/appeals/new")
@roles_required(Role.ISSP)
def new_appeal() -> Any:
    return render_template("complaints/appeal_new.html", form=_appeal_form())


@bp.post("/appeals/new")
@roles_required(Role.ISSP)
def lodge() -> Any:
    form = _appeal_form()
    if form.validate_on_submit():
        with attempt(form) as done:
            appeal = appeals.lodge_appeal(
                db_session(), me(), form.decision.data or "", form.grounds.data or "",
                evidence_store(), uploads(form.files.name),
            )  # fmt: skip
        if done:
            flash("Your appeal is lodged. Someone who took no part in the decision decides it.",
                  "success")  # fmt: skip
            return redirect(url_for("complaints.appeal", public_id=appeal.public_id))
    return render_template("complaints/appeal_new.html", form=form), 400


def _decider_form(appeal: Appeal) -> DeciderForm:
    form = DeciderForm(prefix="assign")
    session = db_session()
    form.decider.choices = choices([("", "Choose who decides")] + [
        (u.public_id, u.full_name + (" (took part or has a conflict)"
                                     if decider_problem(session, appeal, u) else ""))
        for u in candidates(session)
    ])  # fmt: skip
    return form


def _appeal_page(appeal: Appeal, status: int = 200, **forms: Any) -> Any:
    user = me()
    return render_template(
        "complaints/appeal.html",
        appeal=appeal,
        is_admin=user.has_role(Role.ADMIN),
        is_decider=appeal.decider_id == user.id,
        decider_form=forms.get("decider_form") or _decider_form(appeal),
        decision_form=forms.get("decision_form") or AppealDecisionForm(prefix="decide"),
    ), status


@bp.get("/appeals/<public_id>")
@roles_required(Role.ADMIN, Role.AUDITOR, Role.REVIEWER, Role.ISSP)
def appeal(public_id: str) -> Any:
    return _appeal_page(get_appeal_or_404(public_id))


@bp.post("/appeals/<public_id>/decider")
@roles_required(Role.ADMIN)
def assign_decider(public_id: str) -> Any:
    item = get_appeal_or_404(public_id)
    form = _decider_form(item)
    if form.validate_on_submit():
        decider = next(u for u in candidates(db_session()) if u.public_id == form.decider.data)
        with attempt(form) as done:
            appeals.assign_decider(db_session(), item, me(), decider)
        if done:
            flash(f"{decider.full_name} decides this appeal and is told.", "success")
            return redirect(url_for("complaints.appeal", public_id=public_id))
    return _appeal_page(item, 400, decider_form=form)


@bp.post("/appeals/<public_id>/decision")
@roles_required(*STAFF)
def decide_appeal(public_id: str) -> Any:
    item = get_appeal_or_404(public_id)
    form = AppealDecisionForm(prefix="decide")
    if form.validate_on_submit():
        with attempt(form) as done:
            appeals.decide_appeal(
                db_session(), item, me(), form.outcome.data or "", form.reasons.data or "",
                form.new_grade.data or "",
            )  # fmt: skip
        if done:
            flash("Appeal decided; the organisation is told.", "success")
            return redirect(url_for("complaints.appeal", public_id=public_id))
    return _appeal_page(item, 400, decision_form=form)


@bp.get("/appeals/<public_id>/files/<file_id>")
@roles_required(Role.ADMIN, Role.AUDITOR, Role.REVIEWER, Role.ISSP)
def appeal_file(public_id: str, file_id: str) -> Any:
    return _download(_attachment(get_appeal_or_404(public_id), file_id))
