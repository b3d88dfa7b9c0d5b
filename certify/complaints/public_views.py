"""The pages anyone uses without an account: raise a concern, follow it with the tracking
code, add information; and the yearly statistics. Rate-limited per client address; the
tracking code travels only in POST bodies (never in a URL, so never in a log or a Referer)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request

from certify import clock
from certify.access import public
from certify.accounts.forms import choices
from certify.complaints import raising
from certify.complaints.forms import ConcernForm, InformationForm, TrackForm
from certify.complaints.models import Complaint
from certify.complaints.statistics import available_years, statistics_for
from certify.complaints.web import bp, no_store, uploads
from certify.db import db_session
from certify.ratelimit import public_limit
from certify.storage.setup import evidence_store
from certify.transaction import attempt


def _concern_form() -> ConcernForm:
    form = ConcernForm()
    form.organisation.choices = choices(
        [("", "Choose the organisation")]
        + [(o.public_id, o.legal_name) for o in raising.concern_subjects(db_session())]
    )
    return form


def _serial() -> str | None:
    value = request.values.get("serial", "")[:40].strip()
    return value or None


@bp.get("/concerns/new")
@public
def new() -> Any:
    form = _concern_form()
    certificate = raising.certificate_by_serial(db_session(), _serial())
    if certificate is not None and not form.organisation.data:
        form.organisation.data = certificate.organisation.public_id
    return _new_page(form, certificate)


def _new_page(form: ConcernForm, certificate: Any, status: int = 200) -> Any:
    page = render_template(
        "complaints/new.html", form=form, certificate=certificate, serial=_serial()
    )
    return no_store(page, status)


@bp.post("/concerns/new")
@public_limit("concern")
@public
def create() -> Any:
    form = _concern_form()
    certificate = raising.certificate_by_serial(db_session(), _serial())
    if form.website.data:
        # The honeypot was filled: a bot. Nothing is stored; a person never sees this.
        abort(400, "This form could not be accepted. If you are a person, leave the last "
              "field empty and send it again.")  # fmt: skip
    if form.validate_on_submit():
        data = raising.ConcernData(
            organisation_id=form.organisation.data or "",
            category=form.category.data or "",
            description=form.description.data or "",
            name=form.name.data or "",
            contact=form.contact.data or "",
            consent_to_share=bool(form.consent_to_share.data),
            serial=_serial(),
        )
        with attempt(form) as done:
            complaint, code = raising.raise_complaint(
                db_session(), data, evidence_store(), uploads(form.files.name)
            )
        if done:
            page = render_template("complaints/received.html", complaint=complaint, code=code)
            return no_store(page, 201)
    return _new_page(form, certificate, 400)


@bp.get("/concerns/track")
@public
def track() -> Any:
    return no_store(render_template("complaints/track.html", form=TrackForm()))


def _status_page(complaint: Complaint, code: str, form: InformationForm | None = None,
                 status: int = 200) -> Any:  # fmt: skip
    info = form or InformationForm(formdata=None, code=code)
    info.code.data = code
    page = render_template(
        "complaints/status.html",
        complaint=complaint,
        entries=[e for e in complaint.entries if e.kind in ("information", "message")],
        form=info,
    )
    return no_store(page, status)


@bp.post("/concerns/track")
@public_limit("concern_track")
@public
def open_by_code() -> Any:
    form = TrackForm()
    if form.validate_on_submit():
        complaint = raising.find_by_code(db_session(), form.code.data or "")
        if complaint is not None:
            return _status_page(complaint, raising.normalise(form.code.data or ""))
        form.code.errors = [
            "No concern has this tracking code. Check it letter by letter (0 and O, 1 and I "
            "are read alike)."
        ]
    page = render_template("complaints/track.html", form=form)
    return no_store(page, 404 if form.code.data else 400)


@bp.post("/concerns/track/information")
@public_limit("concern_track")
@public
def add_information() -> Any:
    form = InformationForm()
    complaint = raising.find_by_code(db_session(), form.code.data or "")
    if complaint is None:
        abort(404)
    code = raising.normalise(form.code.data or "")
    if form.validate_on_submit():
        with attempt(form) as done:
            raising.add_information(
                db_session(), complaint, form.text.data or "", evidence_store(),
                uploads(form.files.name),
            )  # fmt: skip
        if done:
            page = _status_page(complaint, code)
            return page
    return _status_page(complaint, code, form, 400)


@bp.get("/concerns/statistics")
@public
def statistics() -> Any:
    session = db_session()
    years = available_years(session)
    try:
        year = int(request.args.get("year", "") or clock.now().year)
    except ValueError:
        abort(400, "The year must be a number, such as 2026.")
    if not 1900 <= year <= 9999:
        abort(400, "Choose a year between 1900 and 9999.")
    return render_template(
        "complaints/statistics.html", stats=statistics_for(session, year), years=years
    )
