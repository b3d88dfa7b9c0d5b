"""The audit report (page and signed PDF) and each non-conformity's page, with the steps of
its follow-up: the ISSP's plan and evidence, the auditor's review and verification, the
admin's extension and suspension. Access is checked before any work: the role on the route,
then the case (``get_application_or_404``: another organisation's or another auditor's case is
a 404), then who may act on it (403)."""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from certify.accounts.access import current_user, roles_required
from certify.accounts.models import Role, User
from certify.accounts.reauth import fresh_second_factor
from certify.applications.access import get_application_or_404, is_applicant, is_followup_auditor
from certify.applications.forms import ConfirmForm, NonConformityForm
from certify.applications.models import Application, NonConformity
from certify.applications.web import evidence_store, rubric_of
from certify.certificates.keys import KeyStoreError
from certify.core.nonconformity import NcAction, Position, allowed_actions
from certify.core.workflow import AppState, Party
from certify.db import db_session
from certify.errors import render_error
from certify.followup import deadlines, loop
from certify.followup.forms import (
    EvidenceForm,
    ExtendForm,
    FollowupAuditorForm,
    PlanForm,
    PlanReviewForm,
    VerificationForm,
)
from certify.followup.records import FOLLOWED_UP, certificate_for
from certify.followup.report import ReportUnavailable, build_report, signed_report_pdf
from certify.notifications.audiences import staff_with
from certify.transaction import attempt

bp = Blueprint("followup", __name__)
ANYONE_ON_A_CASE = (Role.ISSP, Role.ADMIN, Role.AUDITOR, Role.REVIEWER)


@bp.errorhandler(KeyStoreError)
def _keys_missing(error: KeyStoreError) -> Any:
    # The operator's problem, not the visitor's: say so without details, log the cause.
    current_app.logger.error("key store unavailable for an audit report: %s", error)
    return render_error(
        503, "Not available", "The registry cannot sign audit reports right now. Try later."
    )


def me() -> User:
    user = current_user()
    assert user is not None  # the route's access rule guarantees one
    return user


def decided_case(public_id: str) -> Application:
    """A decided case the signed-in user may see (404 for anyone else, or before the
    decision: the ISSP sees its audit only once it is decided)."""
    application = get_application_or_404(public_id)
    if application.app_state is not AppState.DECIDED:
        abort(404)
    return application


def nonconformity_of(application: Application, nc_id: str) -> NonConformity:
    nc = db_session().scalar(
        select(NonConformity).where(
            NonConformity.public_id == nc_id, NonConformity.application_id == application.id
        )
    )
    if nc is None:
        abort(404)
    return nc


def parties(user: User, application: Application) -> set[Party]:
    """The parts *user* may play in the case's follow-up."""
    found = set()
    if is_applicant(user, application):
        found.add(Party.APPLICANT)
    if is_followup_auditor(user, application):
        found.add(Party.AUDITOR)
    if user.has_role(Role.ADMIN):
        found.add(Party.ADMIN)
    return found


def _acting(public_id: str, nc_id: str, party: Party) -> tuple[Application, NonConformity]:
    application = decided_case(public_id)
    if party not in parties(me(), application):
        abort(403)
    return application, nonconformity_of(application, nc_id)


def _back(application: Application, nc: NonConformity) -> Any:
    return redirect(
        url_for("followup.nonconformity", public_id=application.public_id, nc_id=nc.public_id)
    )


# --------------------------------------------------------------------------- the report


@bp.get("/applications/<public_id>/report")
@roles_required(*ANYONE_ON_A_CASE)
def report(public_id: str) -> Any:
    return _report_page(decided_case(public_id))


def _nc_form(application: Application) -> NonConformityForm:
    form = NonConformityForm(prefix="nc")
    form.criterion.choices = [("", "Choose the criterion")] + [
        (c.id, f"{c.id} {c.title}") for c in rubric_of(application).criteria
    ]
    return form


def _auditor_form() -> FollowupAuditorForm:
    form = FollowupAuditorForm()
    form.auditor.choices = [("", "Choose an auditor")] + [
        (u.public_id, u.full_name) for u in _auditors()
    ]
    return form


def _report_page(application: Application, status: int = 200, **forms: Any) -> Any:
    session = db_session()
    try:
        data = build_report(session, application, rubric_of(application))
    except ReportUnavailable:
        abort(404)
    certificate = certificate_for(session, application)
    return render_template(
        "followup/report.html",
        application=application,
        report=data,
        parties=parties(me(), application),
        followed_up=certificate is not None and certificate.status in FOLLOWED_UP,
        nc_form=forms.get("nc_form") or _nc_form(application),
        auditor_form=forms.get("auditor_form") or _auditor_form(),
        Party=Party,
    ), status


def _auditors() -> list[User]:
    return staff_with(db_session(), Role.AUDITOR)


@bp.get("/applications/<public_id>/report.pdf")
@roles_required(*ANYONE_ON_A_CASE)
def report_pdf(public_id: str) -> Any:
    application = decided_case(public_id)
    try:
        data = build_report(db_session(), application, rubric_of(application))
    except ReportUnavailable:
        abort(404)
    response = Response(signed_report_pdf(data), mimetype="application/pdf")
    name = f"audit-report-{application.public_id}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- a non-conformity


@bp.get("/applications/<public_id>/nonconformities/<nc_id>")
@roles_required(*ANYONE_ON_A_CASE)
def nonconformity(public_id: str, nc_id: str) -> Any:
    application = decided_case(public_id)
    return _page(application, nonconformity_of(application, nc_id))


def _page(application: Application, nc: NonConformity, status: int = 200, **forms: Any) -> Any:
    session = db_session()
    position = Position.of(nc.status, nc.stage)
    certificate = certificate_for(session, application)
    # Forms only while the case is followed up: a refused case, or a withdrawn certificate,
    # has nothing left to correct.
    followed_up = certificate is not None and certificate.status in FOLLOWED_UP
    can = {
        action.value
        for party in parties(me(), application)
        for action in allowed_actions(position, party)
        if followed_up
    }
    return (
        render_template(
            "followup/nonconformity.html",
            application=application,
            nc=nc,
            position=position,
            can=can,
            plans=loop.plans_of(session, nc),
            certificate=certificate,
            plan_form=forms.get("plan_form") or PlanForm(prefix="plan"),
            review_form=forms.get("review_form") or PlanReviewForm(prefix="review"),
            evidence_form=forms.get("evidence_form") or EvidenceForm(prefix="evidence"),
            verify_form=forms.get("verify_form") or VerificationForm(prefix="verify"),
            extend_form=forms.get("extend_form") or ExtendForm(prefix="extend"),
            confirm=ConfirmForm(),
            NcAction=NcAction,
        ),
        status,
    )


@bp.post("/applications/<public_id>/nonconformities/<nc_id>/plan")
@roles_required(Role.ISSP)
def submit_plan(public_id: str, nc_id: str) -> Any:
    application, nc = _acting(public_id, nc_id, Party.APPLICANT)
    form = PlanForm(prefix="plan")
    if form.validate_on_submit():
        data = loop.PlanData(
            form.root_cause.data or "",
            form.correction.data or "",
            form.corrective_action.data or "",
            form.owner.data or "",
            form.target_date.data,
        )
        with attempt(form) as done:
            loop.submit_plan(db_session(), nc, me(), data)
        if done:
            flash("Plan submitted. The auditor is told and will review it.", "success")
            return _back(application, nc)
    return _page(application, nc, 400, plan_form=form)


@bp.post("/applications/<public_id>/nonconformities/<nc_id>/plan/review")
@roles_required(Role.AUDITOR)
def review_plan(public_id: str, nc_id: str) -> Any:
    application, nc = _acting(public_id, nc_id, Party.AUDITOR)
    form = PlanReviewForm(prefix="review")
    if form.validate_on_submit():
        accept = form.decision.data == "accept"
        with attempt(form) as done:
            loop.review_plan(db_session(), nc, me(), accept=accept, note=form.note.data)
        if done:
            flash("Plan accepted." if accept else "Plan returned with your reasons.", "success")
            return _back(application, nc)
    return _page(application, nc, 400, review_form=form)


@bp.post("/applications/<public_id>/nonconformities/<nc_id>/evidence")
@roles_required(Role.ISSP)
def submit_evidence(public_id: str, nc_id: str) -> Any:
    application, nc = _acting(public_id, nc_id, Party.APPLICANT)
    form = EvidenceForm(prefix="evidence")
    if form.validate_on_submit():
        uploads = [
            loop.Upload(cast(BinaryIO, f.stream), f.filename or "evidence")
            for f in request.files.getlist(form.files.name)
            if f and f.filename
        ]
        with attempt(form) as done:
            loop.submit_evidence(
                db_session(), nc, me(), evidence_store(), uploads, form.note.data or ""
            )
        if done:
            flash("Evidence sent. The auditor is told and will verify it.", "success")
            return _back(application, nc)
    return _page(application, nc, 400, evidence_form=form)


@bp.post("/applications/<public_id>/nonconformities/<nc_id>/verification")
@roles_required(Role.AUDITOR)
def verify(public_id: str, nc_id: str) -> Any:
    application, nc = _acting(public_id, nc_id, Party.AUDITOR)
    form = VerificationForm(prefix="verify")
    if form.validate_on_submit():
        verified = form.decision.data == "verify"
        with attempt(form) as done:
            loop.review_evidence(
                db_session(), nc, me(), verified=verified, note=form.note.data or ""
            )
        if done:
            flash(
                "Closure verified: the non-conformity is closed."
                if verified
                else "Evidence returned with your note.",
                "success",
            )
            return _back(application, nc)
    return _page(application, nc, 400, verify_form=form)


@bp.post("/applications/<public_id>/nonconformities/<nc_id>/extend")
@roles_required(Role.ADMIN)
@fresh_second_factor
def extend(public_id: str, nc_id: str) -> Any:
    application, nc = _acting(public_id, nc_id, Party.ADMIN)
    form = ExtendForm(prefix="extend")
    if form.validate_on_submit():
        with attempt(form) as done:
            deadlines.extend_deadline(
                db_session(), nc, me(), form.due_on.data, form.reason.data or ""
            )
        if done:
            flash("Deadline extended.", "success")
            return _back(application, nc)
    return _page(application, nc, 400, extend_form=form)


@bp.post("/applications/<public_id>/nonconformities/<nc_id>/suspend")
@roles_required(Role.ADMIN)
@fresh_second_factor
def confirm_suspension(public_id: str, nc_id: str) -> Any:
    application, nc = _acting(public_id, nc_id, Party.ADMIN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        deadlines.confirm_suspension(db_session(), nc, me())
    if done:
        flash("The certificate is suspended because of this non-conformity.", "success")
    if request.form.get("next") == "list":
        return redirect(url_for("followup.admin_index"))
    return _back(application, nc)


# --------------------------------------------------------------------------- the case


@bp.post("/applications/<public_id>/followup/nonconformities")
@roles_required(Role.AUDITOR)
def raise_nonconformity(public_id: str) -> Any:
    application = decided_case(public_id)
    if Party.AUDITOR not in parties(me(), application):
        abort(403)
    form = _nc_form(application)
    if form.validate_on_submit():
        with attempt(form) as done:
            nc = deadlines.raise_after_decision(
                db_session(), application, me(), rubric_of(application),
                grade=form.grade.data or "", criterion_id=form.criterion.data or "",
                description=form.description.data or "",
                corrective_action=form.corrective_action.data or "", due_on=form.due_on.data,
            )  # fmt: skip
        if done:
            flash("Non-conformity recorded; the organisation is told.", "success")
            return _back(application, nc)
    return _report_page(application, 400, nc_form=form)


@bp.post("/applications/<public_id>/followup/auditor")
@roles_required(Role.ADMIN)
def name_auditor(public_id: str) -> Any:
    application = decided_case(public_id)
    form = _auditor_form()
    if form.validate_on_submit():
        auditor = next(u for u in _auditors() if u.public_id == form.auditor.data)
        with attempt(form) as done:
            deadlines.name_followup_auditor(db_session(), application, me(), auditor)
        if done:
            flash(f"{auditor.full_name} now follows the non-conformities up.", "success")
            return redirect(url_for("followup.report", public_id=public_id))
    return _report_page(application, 400, auditor_form=form)
