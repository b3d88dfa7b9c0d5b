"""``GET /registry/<serial>/badge.svg``: the live status as an image, cacheable for minutes."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, url_for
from werkzeug.wrappers import Response as BaseResponse

from certify import clock
from certify.access import public
from certify.certificates.queries import certificate_by_serial
from certify.core.clients.badge import render_badge
from certify.core.serial import SerialError, normalise_serial
from certify.db import db_session
from certify.ratelimit import public_limit

bp = Blueprint("badge", __name__)

#: Seconds a badge may be cached: a suspension shows on embedding sites within this time.
MAX_AGE = 300


@bp.get("/registry/<serial>/badge.svg")
@public_limit("api")
@public
def badge(serial: str) -> BaseResponse:
    prefix = str(current_app.config["SERIAL_PREFIX"])
    try:
        canonical = normalise_serial(serial, prefix)
    except SerialError:
        canonical = None
    if canonical is not None and canonical != serial:
        return redirect(url_for("badge.badge", serial=canonical), code=301)
    certificate = certificate_by_serial(db_session(), canonical) if canonical else None
    now = clock.now()
    status = certificate.status_at(now).value if certificate else "unknown"
    body = render_badge(
        str(current_app.config["REGISTRY_NAME"]), status, serial[:40], f"{now:%-d %b %Y}"
    )
    response = Response(body, status=200 if certificate else 404, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    # embeddable anywhere as an image; nothing in it runs (no script, no external resource)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
