"""``/verify``, ``/verify/<serial>`` (the QR target) and ``POST /api/v1/verify``."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from certify import clock
from certify.access import public
from certify.accounts.access import has_session_cookie
from certify.certificates.models import Certificate
from certify.certificates.queries import certificate_by_serial, live_row
from certify.core.serial import SerialError, normalise_serial
from certify.core.verification.model import NotADocument, Verification
from certify.db import db_session, read_only
from certify.ratelimit import public_limit
from certify.security import csrf
from certify.state import app_state
from certify.verify.forms import VerifyForm
from certify.verify.service import (
    looked_up,
    public_summary,
    registry_keys,
    verify_bytes,
    verify_certificate,
)

bp = Blueprint("verify", __name__)

HEADLINES = {
    "valid": "Genuine and valid",
    "suspended": "Suspended",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
    "superseded": "Superseded",
    "tampered": "Altered after signing: do not trust this document",
    "untrusted": "Not issued by this registry",
    "unknown": "No such certificate",
}
CHECK_LABELS = {
    "file_readable": "The file can be read",
    "pdf_signature": "The PDF signature matches the content",
    "pdf_coverage": "Nothing was added or changed after signing",
    "signer_trusted": "Signed by this registry",
    "credential_proof": "The credential inside is signed by this registry",
    "credential_issuer": "The credential names this registry as issuer",
    "record_match": "It matches the registry's record",
    "status": "Its status today",
    "validity_period": "Within its validity period",
    "log_inclusion": "Recorded in the public transparency log",
}


#: Each check in plain words for the page: (what a pass means, what a failure means).
#: The exact technical detail (key ids, digests) stays under "Technical details" and in the API.
PLAIN = {
    "file_readable": ("The file could be read.", "The file could not be read."),
    "pdf_signature": (
        "The document's signature matches its content.",
        "The signature does not match the content: the document was changed.",
    ),
    "pdf_coverage": (
        "Nothing was added or changed after signing.",
        "Something was added or changed after the registry signed it.",
    ),
    "signer_trusted": ("It was signed by this registry.", "It was not signed by this registry."),
    "credential_proof": (
        "The certificate data inside carries this registry's signature.",
        "The certificate data inside is not signed by this registry.",
    ),
    "credential_issuer": (
        "The certificate data names this registry as its issuer.",
        "The certificate data names another issuer.",
    ),
    "record_match": (
        "It matches what the registry holds for this certificate.",
        "It does not match what the registry holds for this certificate.",
    ),
    "status": ("Its status today is valid.", "Its status today is not valid."),
    "validity_period": (
        "Today is within its validity period.",
        "Today is outside its validity period.",
    ),
    "log_inclusion": (
        "It is recorded in the registry's public transparency log.",
        "Its transparency-log record does not check out.",
    ),
}


def _render(
    result: Verification | None, status: int = 200, *, with_form: bool = True, **extra: Any
) -> Any:
    keys = registry_keys()
    form = extra.pop("form", None) or (VerifyForm() if with_form else None)
    return render_template(
        "verify/index.html",
        form=form,
        result=result,
        headline=HEADLINES.get(result.verdict) if result else None,
        labels=CHECK_LABELS,
        plain=PLAIN,
        now=clock.now(),
        registry_url=keys.registry,
        root_fingerprint=keys.root_fingerprint,
        **extra,
    ), status


def _status_code(result: Verification) -> int:
    return 200


@bp.get("/verify")
@public
def index() -> Any:
    return _render(None)


@bp.post("/verify")
@public_limit("verify")
@public
@read_only  # verification reads: it must not queue behind a writer (issue 25)
def submit() -> Any:
    form = VerifyForm()
    if not form.validate_on_submit():
        return _render(None, 400, form=form, error="Enter a serial number or choose a file.")
    upload = form.file.data
    if upload is not None and upload.filename:
        data = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
        if not data:
            return _render(None, 400, form=form, error="The file is empty.")
        try:
            result = verify_bytes(data)
        except NotADocument as exc:
            return _render(None, 400, form=form, error=str(exc))
        return _render(
            result,
            _status_code(result),
            form=form,
            uploaded=upload.filename,
            certificate=_certificate(result.serial),
        )
    typed = (form.serial.data or "").strip()
    if not typed:
        return _render(None, 400, form=form, error="Enter a serial number or choose a file.")
    try:
        serial = normalise_serial(typed, current_app.config["SERIAL_PREFIX"])
    except SerialError as exc:
        return _render(None, 400, form=form, error=str(exc))
    return redirect(url_for("verify.by_serial", serial=serial))


def _certificate(serial: str | None) -> Certificate | None:
    if serial is None:
        return None
    return looked_up(serial) or certificate_by_serial(db_session(), serial)


_STAMP = "\x00checked-at\x00"


@bp.get("/verify/<serial>")
@public_limit("verify")
@public
def by_serial(serial: str) -> Any:
    try:
        canonical = normalise_serial(serial, current_app.config["SERIAL_PREFIX"])
    except SerialError as exc:
        return _render(None, 404, error=f"{serial!r} is not a certificate serial: {exc}")
    if canonical != serial:
        return redirect(url_for("verify.by_serial", serial=canonical), code=301)
    # The QR-code target is the busiest page. Its content follows from the stored (immutable)
    # credential, the live lifecycle columns, the key set and the day, so for anonymous
    # visitors the rendered page is kept per exactly those and only the "checked at" time is
    # filled in per request. The lifecycle columns are read on every request: a status change
    # shows at once.
    live = live_row(serial)
    if live is None:
        return _render(None, 404, unknown_serial=serial)
    now = clock.now()
    keys = registry_keys()
    anonymous = not has_session_cookie() and not session.get("_flashes")
    key = (
        serial,
        live.status,
        live.status_changed_at,
        live.suspended_until,
        live.superseded_by_id,
        now.date(),
        keys.root_fingerprint,
        len(keys.credential_keys),
    )
    cache = app_state().caches.verify_pages
    cached = cache.get(key) if anonymous else None
    if cached is not None:
        return cached.replace(_STAMP, f"{now:%Y-%m-%d %H:%M:%S}")
    certificate = _certificate(serial)
    if certificate is None:
        return _render(None, 404, unknown_serial=serial)
    result = verify_certificate(certificate)
    # no form (and so no session) here; checking another certificate is one link away
    html, status = _render(result, 200, certificate=certificate, with_form=False)
    if anonymous:
        stamp = result.freshness.rsplit(" at ", 1)[-1].removesuffix(" UTC")
        cache.put(key, html.replace(stamp, _STAMP))
    return html, status


@bp.post("/api/v1/verify")
@public_limit("verify")
@csrf.exempt  # an API for machines: no session, no cookies, nothing to forge
@public
@read_only  # verification reads: it must not queue behind a writer (issue 25)
def api_verify() -> Any:
    if request.files.get("file") is not None:
        data = request.files["file"].read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    elif request.mimetype in ("application/json", "application/vc", "application/ld+json"):
        data = request.get_data(cache=False)
    else:
        abort(
            400, "Send the document as multipart form field 'file', or a credential as a JSON body."
        )
    if not data:
        abort(400, "The document is empty.")
    try:
        result = verify_bytes(data)
    except NotADocument as exc:
        abort(400, str(exc))
    certificate = _certificate(result.serial) if result.verdict != "unknown" else None
    body = result.to_dict()
    body["certificate"] = public_summary(certificate) if certificate is not None else None
    return jsonify(body)
