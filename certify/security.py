"""Security baseline: CSRF protection, the characters accepted from outside, and the headers
every response carries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from certify.core.strict_json import JsonInputError, parse_json
from certify.core.text import text_problem

csrf = CSRFProtect()

# No inline script or style anywhere (so an injected <script> cannot run), no framing by other
# sites (clickjacking), forms may only post back to us, and nothing is loaded from elsewhere:
# the registry must keep working, and stay trustworthy, with no CDN.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _set_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # for browsers that ignore frame-ancestors
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    # Pages with personal or case data must not be kept by shared caches; public documents
    # (certificates, keys, standards) set their own caching.
    if "Cache-Control" not in headers and response.mimetype == "text/html":
        headers["Cache-Control"] = "no-store" if request.cookies else "no-cache"
    return response


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON value (keys included), with where it is."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield where, key
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _strings(item, f"{where}[{position}]")


def _inputs() -> Iterator[tuple[str, str]]:
    for key, value in request.args.items(multi=True):
        yield f"the parameter {key!r}", key + value
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            yield f"the field {key!r}", key + value
        for key, upload in request.files.items(multi=True):
            yield f"the name of the file in {key!r}", key + (upload.filename or "")
    elif request.is_json and request.content_length:
        try:
            body = parse_json(request.get_data(cache=True))
        except JsonInputError:
            return  # not JSON: the view says so in its own words
        yield from _strings(body, "the JSON body")


def refuse_control_characters() -> None:
    """Before any work, refuse text no field may hold: control characters other than tab and
    line breaks, and invisible format characters (:mod:`certify.core.text`), in query
    parameters, form fields, file names and JSON bodies (400), and in the path (404: no such
    page). PostgreSQL cannot store NUL at all; the rest can spoof names or a terminal. Forms
    refuse tab and line breaks in single-line fields (:mod:`certify.forms`)."""
    if request.routing_exception is not None:
        return  # no such page (404) or method (405): that answer comes first
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and text_problem(value) is not None:
            abort(404)
    for where, value in _inputs():
        problem = text_problem(value)
        if problem is not None:
            abort(400, f"Nothing was saved: {where} was refused. {problem}")


def trust_proxies(app: Flask) -> None:
    """Believe ``TRUSTED_PROXIES`` reverse proxies about the client (Werkzeug's ``ProxyFix``).

    With *n* hops, ``request.remote_addr`` is the address the n-th proxy from the app saw
    (the right-most *n* entries of ``X-Forwarded-For``; anything a client prepends is ignored),
    and ``X-Forwarded-Proto``/``-Host`` set the scheme and host, so ``request.is_secure`` is
    true behind an https proxy and HSTS is sent. With 0 (the default) these headers are
    ignored: believing them without a proxy that overwrites them would let any client choose
    its own address and dodge the rate limits and the sign-in throttles.
    """
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:
        wrapped = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
        app.wsgi_app = wrapped  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    """Enable CSRF protection on every form, the character check on every request and the
    headers on every response; believe the configured proxies."""
    trust_proxies(app)
    csrf.init_app(app)
    app.before_request(refuse_control_characters)
    app.after_request(_set_headers)
