"""Public documents (credentials, status lists, DID document, key export, root certificate,
log key) and the admin pages for the certificate lifecycle.

Public documents are served as stored bytes, never re-serialised, with an ETag, a cache
lifetime and ``Access-Control-Allow-Origin: *`` so verifiers running in a browser can fetch
them. A credential never changes, so it may be cached for long; status lists and key
documents change, so they are cached briefly.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from certify.access import public
from certify.accounts.access import actor_of, current_user, roles_required
from certify.accounts.forms import choices
from certify.accounts.models import Role, User
from certify.certificates import operations, statuslists
from certify.certificates.keys import KeyStoreError, get_keystore
from certify.certificates.models import REASON_CATEGORIES, Certificate, CertificateStatus
from certify.certificates.serials import canonical_serial, redirect_to_canonical
from certify.core.canonical import sha256_hex
from certify.db import db_session, utcnow
from certify.operations import OperationError

bp = Blueprint("certificates", __name__)

#: Status lists and key documents: short, so a change reaches verifiers within minutes.
SHORT_CACHE = "public, max-age=300"
#: A credential's bytes never change once issued.
LONG_CACHE = "public, max-age=86400, immutable"
CREDENTIAL_TYPES = ("application/json", "application/vc", "application/vc+ld+json")

CATEGORY_CHOICES = choices((c, c.replace("_", " ").capitalize()) for c in REASON_CATEGORIES)


@bp.errorhandler(KeyStoreError)
def _keys_missing(error: KeyStoreError) -> Response:
    # The operator's problem, not the visitor's: say so without details, log the cause.
    current_app.logger.error("key store unavailable: %s", error)
    return Response(
        "The registry's signing keys are not available right now.", 503, mimetype="text/plain"
    )


def _document(data: bytes, mimetype: str, cache: str, etag: str | None = None) -> BaseResponse:
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = cache
    # Public, read-only documents: any origin may read them (no credentials are involved).
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(etag or sha256_hex(data))
    return response.make_conditional(request)


@bp.get("/certificates/<serial>.json")
@public
def credential(serial: str) -> BaseResponse:
    moved = redirect_to_canonical("certificates.credential", serial)
    if moved is not None:
        return moved
    certificate = db_session().scalar(select(Certificate).where(Certificate.serial == serial))
    if certificate is None:
        abort(404)
    # The same bytes whatever the type: JSON for browsers and tools, the VC media type
    # (application/vc, IANA 2024) for clients that ask for it.
    mimetype = request.accept_mimetypes.best_match(CREDENTIAL_TYPES, "application/json")
    response = _document(
        certificate.credential, mimetype, LONG_CACHE, etag=certificate.credential_sha256
    )
    response.vary.add("Accept")
    return response


@bp.get("/status/<purpose>/<list_id>")
@public
def status_list(purpose: str, list_id: str) -> BaseResponse:
    found = statuslists.get_list(db_session(), purpose, list_id)
    if found is None:
        abort(404)
    return _document(
        found.credential, "application/json", SHORT_CACHE, etag=found.credential_sha256
    )


@bp.get("/.well-known/did.json")
@public
def did_json() -> BaseResponse:
    document = get_keystore().did_document(current_app.config["PUBLIC_URL"])
    return _document(_json(document), "application/json", SHORT_CACHE)


@bp.get("/.well-known/certify/keys.json")
@public
def keys_json() -> BaseResponse:
    export = get_keystore().export(current_app.config["PUBLIC_URL"])
    return _document(_json(export), "application/json", SHORT_CACHE)


@bp.get("/.well-known/certify/root.pem")
@public
def root_pem() -> BaseResponse:
    return _document(get_keystore().root_pem, "application/x-pem-file", SHORT_CACHE)


@bp.get("/.well-known/certify/log.pub")
@public
def log_pub() -> BaseResponse:
    text = get_keystore().log_verifier_key(current_app.config["PUBLIC_URL"]) + "\n"
    return _document(text.encode("ascii"), "text/plain", SHORT_CACHE)


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2).encode("utf-8") + b"\n"


# --------------------------------------------------------------------------- admin


class SuspendForm(FlaskForm):
    category = SelectField("Reason category", choices=CATEGORY_CHOICES)
    reason = TextAreaField(
        "Reason", validators=[InputRequired("Write the reason."), Length(max=4000)]
    )
    until = DateField(
        "Suspended until (UTC)",
        validators=[Optional()],
        description="Leave empty for the longest suspension the standard allows.",
    )


class ReinstateForm(FlaskForm):
    reason = TextAreaField(
        "Reason", validators=[InputRequired("Write the reason."), Length(max=4000)]
    )


class WithdrawForm(FlaskForm):
    category = SelectField("Reason category", choices=CATEGORY_CHOICES)
    reason = TextAreaField(
        "Reason", validators=[InputRequired("Write the reason."), Length(max=4000)]
    )


def get_certificate_or_404(serial: str) -> Certificate:
    canonical = canonical_serial(serial)
    if canonical is None:
        abort(404)
    certificate = db_session().scalar(select(Certificate).where(Certificate.serial == canonical))
    if certificate is None:
        abort(404)
    return certificate


@bp.get("/admin/certificates")
@roles_required(Role.ADMIN)
def admin_index() -> str:
    certificates = db_session().scalars(select(Certificate).order_by(Certificate.issued_at.desc()))
    return render_template(
        "certificates/admin_index.html", certificates=list(certificates), now=utcnow()
    )


def _forms() -> dict[str, FlaskForm]:
    return {
        "suspend_form": SuspendForm(prefix="suspend"),
        "reinstate_form": ReinstateForm(prefix="reinstate"),
        "withdraw_form": WithdrawForm(prefix="withdraw"),
    }


def _show(certificate: Certificate, forms: dict[str, FlaskForm], status: int = 200) -> Any:
    return (
        render_template(
            "certificates/admin_show.html",
            certificate=certificate,
            snapshot=certificate.snapshot_data,
            status=certificate.current_status,
            now=utcnow(),
            **forms,
        ),
        status,
    )


@bp.get("/admin/certificates/<serial>")
@roles_required(Role.ADMIN)
def admin_show(serial: str) -> Any:
    certificate = get_certificate_or_404(serial)
    if certificate.serial != serial:
        return redirect(url_for("certificates.admin_show", serial=certificate.serial))
    return _show(certificate, _forms())


def _act(serial: str, name: str) -> Any:
    certificate = get_certificate_or_404(serial)
    forms = _forms()
    form = forms[f"{name}_form"]
    if not form.validate_on_submit():
        return _show(certificate, forms, 400)
    user = current_user()
    assert user is not None
    session = db_session()
    try:
        if name == "suspend":
            until = None
            if form.until.data:
                # The end of the chosen day, UTC.
                until = dt.datetime.combine(form.until.data, dt.time(23, 59, 59), tzinfo=dt.UTC)
            operations.suspend_certificate(
                session,
                certificate,
                actor_of(user),
                form.category.data,
                form.reason.data,
                until,
            )
        elif name == "reinstate":
            operations.reinstate_certificate(session, certificate, actor_of(user), form.reason.data)
        else:
            operations.withdraw_certificate(
                session, certificate, actor_of(user), form.category.data, form.reason.data
            )
    except OperationError as error:
        session.rollback()
        target = getattr(form, error.field, None) if error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            flash(error.message, "error")
        return _show(get_certificate_or_404(serial), forms, 400)
    session.commit()
    flash(f"Certificate {certificate.serial} is now {certificate.status}.", "success")
    return redirect(url_for("certificates.admin_show", serial=certificate.serial))


@bp.post("/admin/certificates/<serial>/suspend")
@roles_required(Role.ADMIN)
def admin_suspend(serial: str) -> Any:
    return _act(serial, "suspend")


@bp.post("/admin/certificates/<serial>/reinstate")
@roles_required(Role.ADMIN)
def admin_reinstate(serial: str) -> Any:
    return _act(serial, "reinstate")


@bp.post("/admin/certificates/<serial>/withdraw")
@roles_required(Role.ADMIN)
def admin_withdraw(serial: str) -> Any:
    return _act(serial, "withdraw")


# --------------------------------------------------------------------------- dashboard


def dashboard_context(user: User) -> dict[str, Any]:
    """Admins: ``lapsed_suspensions``, suspended certificates whose suspension ended (to
    withdraw or reinstate). ISSP members: ``my_certificates``, their organisation's
    certificates, newest first, as ``(certificate, current status)`` pairs."""
    if user.has_role(Role.ADMIN):
        return {"lapsed_suspensions": operations.lapsed_suspensions(db_session())}
    if not user.has_role(Role.ISSP) or user.organisation_id is None:
        return {}
    now = utcnow()
    certificates = db_session().scalars(
        select(Certificate)
        .where(Certificate.organisation_id == user.organisation_id)
        .order_by(Certificate.issued_at.desc())
    )
    return {"my_certificates": [(c, c.status_at(now)) for c in certificates]}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.extensions.setdefault("certify.dashboard_providers", []).append(dashboard_context)
    app.jinja_env.globals.setdefault("CertificateStatus", CertificateStatus)
