"""The auditor's assessment pages and the reviewer's review and decision (blueprint
``applications``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from certify import clock
from certify.accounts.access import roles_required
from certify.accounts.models import Role
from certify.accounts.reauth import fresh_second_factor
from certify.applications.access import get_application_or_404
from certify.applications.assessment import (
    CriterionInput,
    StaleSave,
    all_nonconformities,
    assessment_editable,
    audit_answers,
    current_score,
    decide_case,
    preview_section,
    save_assessment_section,
    section_versions,
    submit_assessment,
)
from certify.applications.assignment import assignee_role
from certify.applications.forms import (
    CloseNonConformityForm,
    ConfirmForm,
    DecisionForm,
    NonConformityForm,
    assessment_form_class,
    assessment_inputs,
    criterion_field_names,
    fill_assessment_form,
)
from certify.applications.models import Application, NonConformity
from certify.applications.nonconformities import add_nonconformity, close_nonconformity
from certify.applications.web import bp, me, rubric_of
from certify.core.rubric.model import Rubric
from certify.core.scoring.answers import AnswerError
from certify.core.scoring.results import ScoreResult
from certify.cycle.operations import visit_criteria
from certify.db import db_session
from certify.transaction import attempt


def _auditor_case(public_id: str) -> Application:
    application = get_application_or_404(public_id)  # declared-no-conflict assignees only
    if assignee_role(application, me()) != "auditor":
        abort(404)
    return application


def _reviewer_case(public_id: str) -> Application:
    application = get_application_or_404(public_id)
    if assignee_role(application, me()) != "reviewer":
        abort(404)
    return application


def _progress(application: Application, rubric: Rubric) -> dict[str, Any]:
    answered = set(audit_answers(db_session(), application))
    per_section = [
        {
            "section": s,
            "answered": sum(1 for c in s.criteria if c.id in answered),
            "total": len(s.criteria),
        }
        for s in rubric.sections
    ]
    done, total = len(answered), len(rubric.criteria)
    return {
        "sections": per_section,
        "done": done,
        "total": total,
        "step": (done * 20 // total) * 5 if total else 0,
    }


def _nc_form(rubric: Rubric) -> NonConformityForm:
    form = NonConformityForm(prefix="nc")
    form.criterion.choices = [("", "Choose the criterion")] + [
        (c.id, f"{c.id} {c.title}") for c in rubric.criteria
    ]
    return form


@bp.get("/applications/<public_id>/assessment")
@roles_required(Role.AUDITOR)
def assessment(public_id: str) -> Any:
    application = _auditor_case(public_id)
    rubric = rubric_of(application)
    return render_template(
        "applications/assessment.html",
        application=application,
        rubric=rubric,
        progress=_progress(application, rubric),
        result=current_score(db_session(), application, rubric),
        nonconformities=all_nonconformities(db_session(), application),
        nc_form=_nc_form(rubric),
        close_form=CloseNonConformityForm(prefix="close"),
        confirm=ConfirmForm(),
        visit=visit_criteria(db_session(), application, rubric),
    )


@dataclass
class _SectionPage:
    """What the auditor's section page shows besides the form."""

    stored: dict[str, Any]
    version: int
    criterion_errors: dict[str, list[str]] = field(default_factory=dict)
    stale: StaleSave | None = None
    result: ScoreResult | None = None
    status: int = 200

    def refuse(self, details: list[tuple[str, str]]) -> None:
        for where, message in details:
            self.criterion_errors.setdefault(where, []).append(message)
        self.status = 400


@bp.route("/applications/<public_id>/assessment/<section_id>", methods=["GET", "POST"])
@roles_required(Role.AUDITOR)
def assessment_section(public_id: str, section_id: str) -> Any:
    application = _auditor_case(public_id)
    rubric = rubric_of(application)
    sec = next((s for s in rubric.sections if s.id == section_id), None)
    if sec is None:
        abort(404)
    evidence_choices = [(e.public_id, e.filename) for e in application.evidence]
    form = assessment_form_class(rubric, sec, evidence_choices)()
    session = db_session()
    versions = section_versions(session, application)
    page = _SectionPage(
        audit_answers(session, application),
        versions[section_id].version if section_id in versions else 0,
    )
    if request.method == "GET" or not assessment_editable(application):
        fill_assessment_form(form, sec, page.stored, page.version)
        if request.method == "POST":  # submitted meanwhile: say so, change nothing
            flash("The audit was submitted: it can no longer be changed.", "error")
            page.status = 409
    elif not form.validate_on_submit():
        page.status = 400
    elif request.form.get("action") == "preview":
        # Score with what is typed, save nothing: the live preview without JavaScript.
        try:
            page.result = preview_section(session, application, rubric, sec, _inputs(form, sec))
        except AnswerError as exc:
            page.refuse([(p.criterion, p.message) for p in exc.problems])
    else:
        with attempt(shown_by_page=(StaleSave,)) as done:
            save_assessment_section(
                session, application, me(), rubric, section_id, _inputs(form, sec),
                int(form["version"].data),
            )  # fmt: skip
        if done:
            flash(f"Section {sec.id} saved; the score is updated.", "success")
            return redirect(request.path)
        _after_refused_save(page, done.error, form, session, application)
    return _render_section(application, rubric, sec, form, page)


def _inputs(form: Any, section: Any) -> dict[str, CriterionInput]:
    return {
        cid: CriterionInput(v["answer"], v["notes"], v["evidence_refs"], v["private_notes"])
        for cid, v in assessment_inputs(form, section).items()
    }


def _after_refused_save(
    page: _SectionPage, error: Any, form: Any, session: Any, application: Application
) -> None:
    if isinstance(error, StaleSave):
        page.stale, page.status = error, 409
        page.version = error.current.version
        form["version"].data = str(page.version)  # "apply mine" re-posts on top
        page.stored = audit_answers(session, application)
    else:
        page.refuse(error.details)


def _render_section(
    application: Application, rubric: Rubric, sec: Any, form: Any, page: _SectionPage
) -> Any:
    session = db_session()
    return render_template(
        "applications/assessment_section.html",
        application=application,
        rubric=rubric,
        section=sec,
        form=form,
        names={c.id: criterion_field_names(c) for c in sec.criteria},
        criterion_errors=page.criterion_errors,
        stale=page.stale,
        stored=page.stored,
        self_answers=application.answer_map(),
        progress=_progress(application, rubric),
        result=page.result or current_score(session, application, rubric),
        previewing=page.result is not None,
        evidence={e.public_id: e for e in application.evidence},
        editable=assessment_editable(application),
    ), page.status


@bp.post("/applications/<public_id>/nonconformities")
@roles_required(Role.AUDITOR)
def add_nonconformity_view(public_id: str) -> Any:
    application = _auditor_case(public_id)
    rubric = rubric_of(application)
    form = _nc_form(rubric)
    if form.validate_on_submit():
        with attempt() as done:
            add_nonconformity(
                db_session(),
                application,
                me(),
                rubric,
                grade=form.grade.data,
                criterion_id=form.criterion.data,
                description=form.description.data,
                corrective_action=form.corrective_action.data,
                due_on=form.due_on.data,
                today=clock.now().date(),
            )
        if done:
            flash("Non-conformity recorded.", "success")
    else:
        for errors in form.errors.values():
            for e in errors:
                flash(str(e), "error")
    return redirect(url_for("applications.assessment", public_id=public_id) + "#nonconformities")


@bp.post("/applications/<public_id>/nonconformities/<nc_id>/close")
@roles_required(Role.AUDITOR)
def close_nonconformity_view(public_id: str, nc_id: str) -> Any:
    application = _auditor_case(public_id)
    nc = db_session().scalar(
        select(NonConformity).where(
            NonConformity.public_id == nc_id, NonConformity.application_id == application.id
        )
    )
    if nc is None:
        abort(404)
    form = CloseNonConformityForm(prefix="close")
    if form.validate_on_submit():
        with attempt() as done:
            close_nonconformity(db_session(), nc, application, me(), form.note.data)
        if done:
            flash("Non-conformity closed.", "success")
    else:
        flash("Say how it was corrected.", "error")
    return redirect(url_for("applications.assessment", public_id=public_id) + "#nonconformities")


@bp.post("/applications/<public_id>/assessment/submit")
@roles_required(Role.AUDITOR)
def submit_assessment_view(public_id: str) -> Any:
    application = _auditor_case(public_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        submit_assessment(db_session(), application, me(), rubric_of(application))
    if not done:
        return redirect(url_for("applications.assessment", public_id=public_id))
    flash("Audit submitted. The reviewer will decide.", "success")
    return redirect(url_for("accounts.dashboard"))


def _differences(rubric: Rubric, self_answers: dict[str, Any], audit: dict[str, Any]) -> set[str]:
    keys = ("value", "basis", "not_applicable")
    diff = set()
    for c in rubric.criteria:
        mine = {k: (self_answers.get(c.id) or {}).get(k) for k in keys}
        theirs = {k: (audit[c.id].data if c.id in audit else {}).get(k) for k in keys}
        if str(mine) != str(theirs):
            diff.add(c.id)
    return diff


@bp.route("/applications/<public_id>/review", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
@fresh_second_factor
def review(public_id: str) -> Any:
    application = _reviewer_case(public_id)
    rubric = rubric_of(application)
    session = db_session()
    form = DecisionForm()
    if request.method == "POST" and form.validate_on_submit():
        with attempt(form) as done:
            decide_case(
                session,
                application,
                me(),
                rubric,
                outcome=form.outcome.data,
                reasons=form.reasons.data,
            )
        if done:
            flash(
                {
                    "certify": "Decision recorded: certified. The certificate is issued.",
                    "refuse": "Decision recorded: certification refused.",
                    "return": "Returned to the auditor with your reasons.",
                }[form.outcome.data],
                "success",
            )
            # Back to the case, which shows the decision and the certificate just issued.
            return redirect(url_for("applications.show", public_id=public_id))
    audit = audit_answers(session, application)
    result = current_score(session, application, rubric)
    return render_template(
        "applications/review.html",
        application=application,
        rubric=rubric,
        form=form,
        audit=audit,
        self_answers=application.answer_map(),
        result=result,
        submitted=json.loads(application.audit_score) if application.audit_score else None,
        differences=_differences(rubric, application.answer_map(), audit),
        nonconformities=all_nonconformities(session, application),
        evidence={e.public_id: e for e in application.evidence},
    ), 400 if request.method == "POST" else 200
