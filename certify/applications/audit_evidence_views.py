"""The auditor's own evidence on a case (blueprint ``applications``): photos and notes taken
at the audit, uploaded through the evidence store and marked as auditor evidence. Staff on
the case see the list; only the case's auditor uploads, while the case is open. The holder
never sees these files (working papers, like the auditor's private notes): the holder's
pages leave them out and their download answers 404 to anyone but staff."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from certify.accounts.access import roles_required
from certify.accounts.models import Role
from certify.applications.access import get_application_or_404
from certify.applications.evidence import add_auditor_evidence
from certify.applications.forms import EvidenceForm
from certify.applications.web import bp, evidence_store, me, rubric_of
from certify.core.workflow import FINAL_STATES
from certify.db import db_session
from certify.transaction import attempt


@bp.route("/applications/<public_id>/audit-evidence", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.AUDITOR, Role.REVIEWER)
def audit_evidence(public_id: str) -> Any:
    case = get_application_or_404(public_id)  # staff on the case, conflicts declared
    rubric = rubric_of(case)
    user = me()
    can_upload = case.auditor_id == user.id and case.app_state not in FINAL_STATES
    form = EvidenceForm()
    form.criterion.choices = [("", "The case as a whole")] + [
        (c.id, f"{c.id} {c.title}") for c in rubric.criteria
    ]
    status = 200
    if request.method == "POST":
        if not can_upload:
            abort(403)
        if form.validate_on_submit():
            upload = form.file.data
            with attempt(form) as done:
                add_auditor_evidence(
                    db_session(), case, user, evidence_store(), upload.stream,
                    upload.filename or "evidence", form.criterion.data or None,
                    form.description.data, rubric,
                )  # fmt: skip
            if done:
                flash("Auditor evidence uploaded.", "success")
                return redirect(url_for("applications.audit_evidence", public_id=public_id))
        status = 400
    return render_template(
        "applications/audit_evidence.html",
        application=case,
        rows=[e for e in case.evidence if e.by_auditor],
        form=form,
        can_upload=can_upload,
    ), status
