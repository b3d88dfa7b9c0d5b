"""Rate limits on the public endpoints (search, the API, verification), per client address.

One :data:`limiter` (Flask-Limiter) for the whole app. Its storage comes from
``RATELIMIT_STORAGE_URI``: ``memory://`` is right for one server process; with several
workers or servers use a shared store (``redis://host:6379/0``) so that they count together.
``RATELIMIT_ENABLED`` switches every limit off (tests, benchmarks).

Apply a limit to a view with :func:`public_limit`, naming the kind of endpoint; the rate
comes from the configuration key ``RATELIMIT_<KIND>`` (e.g. ``RATELIMIT_VERIFY``)::

    from certify.ratelimit import public_limit

    @bp.post("/verify")
    @public_limit("verify")
    @public
    def verify(): ...

A client over its limit gets 429 with ``Retry-After`` (seconds): the JSON error shape under
``/api/``, the friendly error page elsewhere (``certify.errors``).

The client address is ``request.remote_addr``. Behind a reverse proxy, set
``TRUSTED_PROXIES`` to the number of proxies (``certify.security.trust_proxies``) so it is the
real client's address, not the proxy's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, jsonify, render_template
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

F = TypeVar("F", bound=Callable[..., Any])

#: Default rates per kind of endpoint; each can be overridden by ``RATELIMIT_<KIND>``.
DEFAULT_RATES = {
    "search": "120/minute",
    "api": "300/minute",
    "verify": "30/minute",
    # asking for password-reset mail and using its link: a few tries, not a mail cannon
    "password_reset": "10/hour",
    # raising a concern, and opening one by its tracking code (certify.complaints): a person
    # needs a few; hundreds from one address are a flood (or someone guessing codes)
    "concern": "10/hour",
    "concern_track": "30/hour",
}

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def rate_for(kind: str) -> str:
    """The configured rate for *kind* (``search``, ``api``, ``verify`` or any other key)."""
    return str(current_app.config.get(f"RATELIMIT_{kind.upper()}") or DEFAULT_RATES[kind])


def public_limit(kind: str) -> Callable[[F], F]:
    """A decorator limiting a view to ``RATELIMIT_<KIND>`` requests per client address.

    Views of the same *kind* share one budget per client (a shared limit), so a client cannot
    multiply its rate by spreading requests over several routes.
    """
    if kind not in DEFAULT_RATES:
        DEFAULT_RATES[kind] = "60/minute"
    shared = limiter.shared_limit(lambda: rate_for(kind), scope=kind)

    def decorate(view: F) -> F:
        limited = shared(view)

        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            # With limits off (benchmarks, tests) skip Flask-Limiter's wrapper entirely: it
            # costs about 0.1 ms per request even when disabled.
            if limiter.enabled:
                return limited(*args, **kwargs)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def too_many_requests(error: RateLimitExceeded) -> tuple[Response | str, int]:
    """429: the JSON error shape under /api/, the friendly page elsewhere. Flask-Limiter adds
    ``Retry-After`` (seconds) and the ``X-RateLimit-*`` headers after this."""
    from certify.errors import FRIENDLY, wants_json

    message = FRIENDLY[429]
    if wants_json():
        return jsonify({"error": {"code": "too_many_requests", "message": message}}), 429
    page = render_template("errors/error.html", status=429, title=error.name, message=message)
    return page, 429


def init_app(app: Flask) -> None:
    """Attach the limiter to *app* with its configured storage (idempotent per app)."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # One limiter object serves the process (the decorators need it at import time); it takes
    # its settings (enabled, storage) from the app it was last attached to. A server runs one
    # app per process, so that is the app.
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    # Tests build many apps in one process: start each with empty counters. Only in memory:
    # a shared store (Redis) holds every server's counters, and a server starting must not
    # wipe them (that would hand every client a fresh budget at each restart).
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if app.config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory://"):
        limiter.reset()
