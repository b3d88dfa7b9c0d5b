"""Public documents (credentials, status lists, DID document, key export, root certificate,
log key) and the admin pages for the certificate lifecycle.

Public documents are served as stored bytes, never re-serialised, with an ETag, a cache
lifetime and ``Access-Control-Allow-Origin: *`` so verifiers running in a browser can fetch
them. A credential never changes, so it may be cached for long; status lists and key
documents change, so they are cached briefly.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

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
from werkzeug.wrappers import Response as BaseResponse

from certify import clock, lifecycle
from certify.access import public
from certify.accounts.access import actor_of, current_user, roles_required
from certify.accounts.models import Role, User
from certify.accounts.people import actor_names
from certify.accounts.reauth import fresh_second_factor
from certify.certificates import statuslists
from certify.certificates.forms import ReinstateForm, SuspendForm, WithdrawForm
from certify.certificates.keys import KeyStoreError, get_keystore
from certify.certificates.models import Certificate
from certify.certificates.operations import lapsed_suspensions
from certify.certificates.pdf import document_for, pdf_file_name
from certify.certificates.queries import certificate_or_404
from certify.certificates.serials import canonical_serial, redirect_to_canonical
from certify.certificates.timestamps import tsa_roots_pem
from certify.core.canonical import sha256_hex
from certify.core.credentials.context import CONTEXT_MEDIA_TYPE, PUBLISHED_CONTEXTS
from certify.db import db_session
from certify.forms import Form
from certify.transaction import attempt
from certify.translog.store import stored_origin

bp = Blueprint("certificates", __name__)

#: Status lists and key documents: short, so a change reaches verifiers within minutes.
SHORT_CACHE = "public, max-age=300"
#: A credential's bytes never change once issued.
LONG_CACHE = "public, max-age=86400, immutable"
CREDENTIAL_TYPES = (
    "application/json",
    "application/vc",
    "application/vc+ld+json",
    "application/ld+json",
)


@bp.errorhandler(KeyStoreError)
def _keys_missing(error: KeyStoreError) -> Response:
    # The operator's problem, not the visitor's: say so without details, log the cause.
    current_app.logger.error("key store unavailable: %s", error)
    return Response(
        "The registry's signing keys are not available right now.", 503, mimetype="text/plain"
    )


def public_document(
    data: bytes, mimetype: str, cache: str, etag: str | None = None
) -> BaseResponse:
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
    certificate = certificate_or_404(serial)
    # The same bytes whatever the type: JSON for browsers and tools, the VC media type
    # (application/vc, IANA 2024) for clients that ask for it.
    mimetype = request.accept_mimetypes.best_match(CREDENTIAL_TYPES, "application/json")
    response = public_document(
        certificate.credential, mimetype, LONG_CACHE, etag=certificate.credential_sha256
    )
    response.vary.add("Accept")
    return response


@bp.get("/certificates/<serial>")
@public
def credential_id(serial: str) -> BaseResponse:
    # The credential's own id (issue 20): JSON for clients that ask for a credential (or take
    # anything), the registry's page of the certificate for browsers.
    moved = redirect_to_canonical("certificates.credential_id", serial)
    if moved is not None:
        return moved
    certificate = certificate_or_404(serial)
    wanted = request.accept_mimetypes.best_match((*CREDENTIAL_TYPES, "text/html"), "text/html")
    if wanted == "text/html":
        response = redirect(url_for("registry.show", serial=certificate.serial), code=303)
    else:
        response = public_document(
            certificate.credential, wanted, LONG_CACHE, etag=certificate.credential_sha256
        )
    response.vary.add("Accept")
    return response


#: Every published version of certify's JSON-LD context, by file name (certify-v1.jsonld, ...).
_CONTEXTS = {c.path.rsplit("/", 1)[1]: c for c in PUBLISHED_CONTEXTS}


@bp.get("/contexts/<name>")
@public
def jsonld_context(name: str) -> BaseResponse:
    # certify's JSON-LD contexts, byte for byte the copies bundled in the package; credentials
    # pin theirs by its SHA-384 (relatedResource.digestSRI), repeated here for those who fetch
    # it. Every version stays served: credentials issued under v1 name v1 for ever.
    context = _CONTEXTS.get(name)
    if context is None:
        abort(404)
    response = public_document(context.data, CONTEXT_MEDIA_TYPE, LONG_CACHE)
    digest = base64.b64encode(hashlib.sha256(context.data).digest()).decode("ascii")
    response.headers["Content-Digest"] = f"sha-256=:{digest}:"  # RFC 9530
    return response


@bp.get("/certificates/<serial>.pdf")
@public
def certificate_pdf(serial: str) -> BaseResponse:
    moved = redirect_to_canonical("certificates.certificate_pdf", serial)
    if moved is not None:
        return moved
    document = document_for(db_session(), certificate_or_404(serial))
    if document is None:
        abort(404)
    response = public_document(
        document.pdf, "application/pdf", LONG_CACHE, etag=document.pdf_sha256
    )
    # Shown in the browser's PDF viewer; "save" keeps a name that says what it is.
    response.headers["Content-Disposition"] = f'inline; filename="{pdf_file_name(serial)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/status/<purpose>/<list_id>")
@public
def status_list(purpose: str, list_id: str) -> BaseResponse:
    found = statuslists.get_list(db_session(), purpose, list_id)
    if found is None:
        abort(404)
    data, sha256 = statuslists.served_list(found, get_keystore(), clock.now())
    return public_document(data, "application/json", SHORT_CACHE, etag=sha256)


@bp.get("/.well-known/did.json")
@public
def did_json() -> BaseResponse:
    document = get_keystore().did_document(current_app.config["PUBLIC_URL"])
    return public_document(_json(document), "application/json", SHORT_CACHE)


@bp.get("/.well-known/certify/keys.json")
@public
def keys_json() -> BaseResponse:
    origin = stored_origin(db_session())
    export = get_keystore().export(current_app.config["PUBLIC_URL"], origin, tsa_roots_pem())
    return public_document(_json(export), "application/json", SHORT_CACHE)


@bp.get("/.well-known/certify/root.pem")
@public
def root_pem() -> BaseResponse:
    return public_document(get_keystore().root_pem, "application/x-pem-file", SHORT_CACHE)


@bp.get("/.well-known/certify/root.crl")
@public
def root_crl() -> BaseResponse:
    # The address every document-signing certificate names (CRLDistributionPoints); signed
    # by the root when its key is at hand (keys crl), never here. 404 before the first one.
    der = get_keystore().crl
    if der is None:
        abort(404)
    return public_document(der, "application/pkix-crl", SHORT_CACHE)


@bp.get("/.well-known/certify/log.pub")
@public
def log_pub() -> BaseResponse:
    text = get_keystore().log_verifier_key(stored_origin(db_session())) + "\n"
    return public_document(text.encode("ascii"), "text/plain", SHORT_CACHE)


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2).encode("utf-8") + b"\n"


# --------------------------------------------------------------------------- admin


def get_certificate_or_404(serial: str) -> Certificate:
    """The certificate with this serial as typed (any form of it), for the admin pages."""
    canonical = canonical_serial(serial)
    if canonical is None:
        abort(404)
    return certificate_or_404(canonical)


@bp.get("/admin/certificates")
@roles_required(Role.ADMIN)
def admin_index() -> str:
    certificates = db_session().scalars(select(Certificate).order_by(Certificate.issued_at.desc()))
    return render_template(
        "certificates/admin_index.html", certificates=list(certificates), now=clock.now()
    )


def _forms() -> dict[str, Form]:
    return {
        "suspend_form": SuspendForm(prefix="suspend"),
        "reinstate_form": ReinstateForm(prefix="reinstate"),
        "withdraw_form": WithdrawForm(prefix="withdraw"),
    }


def _show(certificate: Certificate, forms: dict[str, Form], status: int = 200) -> Any:
    return (
        render_template(
            "certificates/admin_show.html",
            certificate=certificate,
            snapshot=certificate.snapshot_data,
            status=certificate.current_status,
            now=clock.now(),
            actors=actor_names(db_session(), (ch.actor for ch in certificate.changes)),
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


_DONE = {
    "suspend": "is suspended: the registry, the status list and the log say so now.",
    "reinstate": "is valid again.",
    "withdraw": "is withdrawn for good.",
}


def _act(serial: str, name: str) -> Any:
    certificate = get_certificate_or_404(serial)
    forms = _forms()
    form = forms[f"{name}_form"]
    if not form.validate_on_submit():
        return _show(certificate, forms, 400)
    user = current_user()
    assert user is not None
    session, actor = db_session(), actor_of(user)
    with attempt(form) as done:
        if name == "suspend":
            until = None
            if form.until.data:
                # The end of the chosen day, UTC.
                until = dt.datetime.combine(form.until.data, dt.time(23, 59, 59), tzinfo=dt.UTC)
            lifecycle.suspend_certificate(
                session, certificate, actor, form.category.data, form.reason.data, until
            )
        elif name == "reinstate":
            lifecycle.reinstate_certificate(session, certificate, actor, form.reason.data)
        else:
            lifecycle.withdraw_certificate(
                session, certificate, actor, form.category.data, form.reason.data
            )
    if not done:
        return _show(get_certificate_or_404(serial), forms, 400)
    flash(f"Certificate {certificate.serial} {_DONE[name]}", "success")
    return redirect(url_for("certificates.admin_show", serial=certificate.serial))


@bp.post("/admin/certificates/<serial>/suspend")
@roles_required(Role.ADMIN)
@fresh_second_factor
def admin_suspend(serial: str) -> Any:
    return _act(serial, "suspend")


@bp.post("/admin/certificates/<serial>/reinstate")
@roles_required(Role.ADMIN)
@fresh_second_factor
def admin_reinstate(serial: str) -> Any:
    return _act(serial, "reinstate")


@bp.post("/admin/certificates/<serial>/withdraw")
@roles_required(Role.ADMIN)
@fresh_second_factor
def admin_withdraw(serial: str) -> Any:
    return _act(serial, "withdraw")


# --------------------------------------------------------------------------- dashboard


def dashboard_context(_app: Any, user: User) -> dict[str, Any]:
    """Admins: ``lapsed_suspensions``, suspended certificates whose suspension ended (to
    withdraw or reinstate). ISSP members: ``my_certificates``, their organisation's
    certificates, newest first, as ``(certificate, current status)`` pairs."""
    if user.has_role(Role.ADMIN):
        return {"lapsed_suspensions": lapsed_suspensions(db_session())}
    if not user.has_role(Role.ISSP) or user.organisation_id is None:
        return {}
    now = clock.now()
    certificates = db_session().scalars(
        select(Certificate)
        .where(Certificate.organisation_id == user.organisation_id)
        .order_by(Certificate.issued_at.desc())
    )
    return {"my_certificates": [(c, c.status_at(now)) for c in certificates]}
