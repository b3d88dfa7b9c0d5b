"""Security baseline: CSRF protection and the headers every response carries."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

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


def init_app(app: Flask) -> None:
    """Enable CSRF protection on every form and the headers on every response."""
    csrf.init_app(app)
    app.after_request(_set_headers)
