"""Dangerous actions need a fresh second factor; staff who must hold one enrol before anything.

:func:`fresh_second_factor` guards a view that can hurt people if a stolen session or a
walked-away-from screen used it: deciding a case, suspending, reinstating or withdrawing a
certificate, confirming an overdue suspension, extending a deadline, creating staff (who get
roles), removing a second factor. Its unsafe requests (POST) go through only when this session
showed a second factor within ``REAUTH_MINUTES``; otherwise nothing is done and the person is
sent to ``/account/reauth``, then back to the page they came from to submit again.
``tests/web/test_reauth.py`` lists every guarded endpoint and fails for a view that calls one of
:data:`DANGEROUS_OPERATIONS` unguarded.

:func:`enrolment_gate` runs before every request: a signed-in person whose role must hold a
second factor (``SECOND_FACTOR_ROLES``) and who has none may only enrol one (or sign out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, url_for

from certify import clock
from certify.accounts.access import current_session, current_user, is_safe_next
from certify.accounts.factors import has_second_factor, must_hold_second_factor
from certify.core.second_factor import is_fresh
from certify.db import db_session

F = TypeVar("F", bound=Callable[..., Any])

#: Operations a view may call only behind :func:`fresh_second_factor` (by function name).
DANGEROUS_OPERATIONS = frozenset(
    {
        "decide_case",
        "suspend_certificate",
        "reinstate_certificate",
        "withdraw_certificate",
        "confirm_suspension",
        "extend_deadline",
        "create_staff_user",
        "rotate_keys",
        "remove_totp",
        "remove_passkey",
        "new_recovery_codes",
    }
)

#: What a person who must enrol a second factor may still reach.
ENROLMENT_ENDPOINTS = frozenset(
    {
        "static",
        "accounts.logout",
        "security.index",
        "security.totp",
        "security.passkey_options",
        "security.passkey_add",
        "security.recovery_codes",
        "sessions.index",
        "sessions.revoke",
        "sessions.revoke_others",
    }
)

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def reauth_window() -> dt.timedelta:
    return dt.timedelta(minutes=float(current_app.config["REAUTH_MINUTES"]))


def has_fresh_second_factor() -> bool:
    """Whether this session showed a second factor within ``REAUTH_MINUTES``."""
    record = current_session()
    return record is not None and is_fresh(record.second_factor_at, clock.now(), reauth_window())


def return_path() -> str:
    """Where to come back to after showing a second factor: the page the request came from
    when it is on this site, else this request's path (for a GET) or the dashboard."""
    referrer = urlsplit(request.referrer or "")
    ours = {request.host, urlsplit(str(current_app.config["PUBLIC_URL"])).netloc}
    if referrer.netloc in ours:
        path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
        if is_safe_next(path):
            return path
    return request.full_path.rstrip("?") if request.method in _SAFE_METHODS else "/dashboard"


def ask_for_second_factor() -> Any:
    """Send the person to show a second factor, then back (nothing was done)."""
    flash(
        "This action needs you to confirm it is you with your second factor (at most "
        f"{current_app.config['REAUTH_MINUTES']} minutes ago). Nothing was changed: confirm, "
        "then submit again.",
        "info",
    )
    return redirect(url_for("security.reauth", next=return_path()), code=303)


def fresh_second_factor(view: F) -> F:
    """Unsafe requests to *view* need a second factor shown within ``REAUTH_MINUTES``.

    Put it under the access decorator, so that access is refused before a second factor is
    asked for."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if request.method not in _SAFE_METHODS and not has_fresh_second_factor():
            return ask_for_second_factor()
        return view(*args, **kwargs)

    guarded.requires_fresh_second_factor = True  # type: ignore[attr-defined]
    return guarded  # type: ignore[return-value]


def needs_enrolment() -> bool:
    """Whether the signed-in person must enrol a second factor before anything else (only
    looked up while this session has shown none)."""
    if "_certify_needs_enrolment" not in g:
        user, record = current_user(), current_session()
        g._certify_needs_enrolment = (
            user is not None
            and record is not None
            and record.second_factor_at is None
            and must_hold_second_factor(user)
            and not has_second_factor(db_session(), user)
        )
    return bool(g._certify_needs_enrolment)


def enrolment_gate() -> Any:
    """Before each request: someone who must enrol a second factor is sent to do so."""
    if request.endpoint in ENROLMENT_ENDPOINTS or request.endpoint is None:
        return None
    if not needs_enrolment():
        return None
    if request.path.startswith("/api/"):
        return None  # the API has its own authentication
    flash(
        "Your role needs a second factor. Set up an authenticator app or a passkey to continue.",
        "info",
    )
    return redirect(url_for("security.index"), code=303)
