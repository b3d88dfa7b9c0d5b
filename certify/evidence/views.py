"""Early erasure of evidence: the ISSP's request (with a reason) and the staff review page
where an admin or reviewer approves or refuses it (with a note). Issue 24, item 5."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from certify import clock
from certify.accounts.access import roles_required
from certify.accounts.models import Role
from certify.applications.access import get_evidence_or_404
from certify.applications.web import applicant_application, evidence_store, me
from certify.db import db_session
from certify.evidence.erasure import MAX_REASON, decide_erasure, request_erasure
from certify.evidence.models import PENDING, ErasureRequest
from certify.forms import Form
from certify.transaction import attempt

bp = Blueprint("evidence", __name__)


class ErasureRequestForm(Form):
    reason = TextAreaField(
        "Why should this file be erased before its time?",
        validators=[InputRequired("Write the reason."), Length(max=MAX_REASON)],
    )


class ErasureDecisionForm(Form):
    note = TextAreaField(
        "Reason for your decision",
        validators=[InputRequired("Write the reason for your decision."), Length(max=4000)],
    )


@bp.route("/applications/<public_id>/evidence/<evidence_id>/erasure", methods=["GET", "POST"])
@roles_required(Role.ISSP)
def request_erasure_view(public_id: str, evidence_id: str) -> Any:
    """The ISSP asks for a file to be erased early; staff review the request."""
    application = applicant_application(public_id)
    item = get_evidence_or_404(application, evidence_id)
    form = ErasureRequestForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            request_erasure(db_session(), item, me(), form.reason.data or "")
        if done:
            flash(
                "Your request was sent. An admin or reviewer will decide; you will see the "
                "outcome on the evidence page.",
                "success",
            )
            return redirect(url_for("applications.evidence", public_id=public_id))
    return render_template(
        "evidence/erasure_request.html", application=application, item=item, form=form
    )


@bp.get("/erasure-requests")
@roles_required(Role.ADMIN, Role.REVIEWER)
def erasure_requests() -> Any:
    """Pending requests first, then the most recent decisions."""
    session = db_session()
    pending = session.scalars(
        select(ErasureRequest)
        .where(ErasureRequest.status == PENDING)
        .order_by(ErasureRequest.requested_at)
    ).all()
    decided = session.scalars(
        select(ErasureRequest)
        .where(ErasureRequest.status != PENDING)
        .order_by(ErasureRequest.decided_at.desc())
        .limit(50)
    ).all()
    return render_template(
        "evidence/erasure_requests.html",
        pending=pending,
        decided=decided,
        form=ErasureDecisionForm(),
    )


@bp.post("/erasure-requests/<request_id>")
@roles_required(Role.ADMIN, Role.REVIEWER)
def decide_erasure_view(request_id: str) -> Any:
    """Approve (the file is erased at once) or refuse, with a note."""
    session = db_session()
    request_row = session.scalar(
        select(ErasureRequest).where(ErasureRequest.public_id == request_id)
    )
    if request_row is None:
        abort(404)
    form = ErasureDecisionForm()
    approve = request.form.get("decision") == "approve"
    if request.form.get("decision") not in ("approve", "refuse"):
        abort(400)
    if form.validate_on_submit():
        with attempt(form) as done:
            decide_erasure(
                session,
                evidence_store(),
                request_row,
                me(),
                approve=approve,
                note=form.note.data or "",
                now=clock.now(),
            )
        if done:
            flash("The file was erased." if approve else "The request was refused.", "success")
    else:
        flash("Write the reason for your decision.", "error")
    return redirect(url_for("evidence.erasure_requests"))
