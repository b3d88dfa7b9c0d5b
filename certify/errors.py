"""Error pages for people and JSON errors under /api/."""

from __future__ import annotations

import logging
import re

from flask import Flask, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from certify.db import discard_session

log = logging.getLogger(__name__)

FRIENDLY = {
    400: "The request could not be understood. Check what you entered and try again.",
    401: "Please sign in to continue.",
    403: "You do not have permission to see this page. If you think you should, ask the "
    "certification body.",
    404: "There is nothing at this address. Check it for typing mistakes, or start again "
    "from the home page.",
    405: "This address does not accept that kind of request.",
    413: "What you sent is too large. Make the file smaller and try again.",
    429: "Too many requests in a short time. Wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged; please try again later.",
}


def _code_name(exc: HTTPException) -> str:
    return _snake(exc.name or "error")


def wants_json() -> bool:
    """True for API routes, which always answer errors in JSON."""
    return request.path.startswith("/api/")


def render_error(
    status: int,
    title: str,
    message: str,
    code: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> ResponseReturnValue:
    """The error answer: the error page for people, ``{"error": {"code", "message"}}`` under
    ``/api/``."""
    if wants_json():
        body = {"error": {"code": code or _snake(title), "message": message}}
        return jsonify(body), status, headers or []
    page = render_template("errors/error.html", status=status, title=title, message=message)
    return page, status, headers or []


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "error"


def _render(exc: HTTPException, message: str | None = None) -> ResponseReturnValue:
    status = exc.code or 500
    message = message or FRIENDLY.get(status) or exc.description or "Error"
    # Keep what tells the client how to go on (Allow, Retry-After), not Werkzeug's HTML type.
    kept = [(k, v) for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")]
    return render_error(status, exc.name or "Error", message, _code_name(exc), kept)


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        return _render(
            exc,
            "This form expired or did not come from this site, so nothing was saved. Go back, "
            "reload the page and submit it again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        # Specific messages passed to abort(…, description) are meant for the user; the
        # generic Werkzeug texts are replaced by ours.
        custom = exc.description if exc.description != type(exc).description else None
        return _render(exc, custom)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, request.path)
        # The request's session may be the thing that failed (a database error leaves it
        # needing a rollback): end its transaction before the page, whose navigation reads
        # the signed-in user, is rendered.
        discard_session()
        g.pop("_current_user", None)  # read again, on a fresh session, by the page's navigation
        try:
            return _render(InternalServerError())
        except Exception:  # the page itself failed: still answer, with the usual headers
            log.exception("rendering the error page failed")
            return FRIENDLY[500], 500, {"Content-Type": "text/plain; charset=utf-8"}
