"""Signing in, step by step: after the password, a second factor when the account has one;
then a server-side session (:mod:`certify.accounts.sessions`).

Between the two steps the signed cookie holds only whose password was right and when
(:data:`PENDING_KEY`), for :data:`PENDING_LIFETIME`: no session exists yet, so nothing but the
second-factor page opens. Someone whose role must hold a second factor but has none gets a
session that only reaches the enrolment pages (:func:`certify.accounts.reauth.enrolment_gate`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, request, session, url_for
from sqlalchemy import select

from certify import clock
from certify.accounts.access import is_safe_next
from certify.accounts.factors import has_second_factor, must_hold_second_factor
from certify.accounts.models import User
from certify.accounts.sessions import start_session
from certify.db import db_session

PENDING_KEY = "second_factor_pending"
PENDING_LIFETIME = dt.timedelta(minutes=5)


def landing(next_url: str | None) -> str:
    """Where to go after signing in: *next_url* when it stays on this site, else the dashboard."""
    return (
        next_url
        if next_url is not None and is_safe_next(next_url)
        else url_for("accounts.dashboard")
    )


def open_session(user: User, *, second_factor: bool) -> None:
    """Start a server-side session for *user* (a fresh cookie: nothing from before, such as a
    planted cookie, carries over); *second_factor* says one was shown to open it."""
    session.clear()
    session.permanent = True
    session["sid"] = start_session(
        db_session(),
        user,
        user_agent=request.user_agent.string,
        address=request.remote_addr,
        second_factor=second_factor,
    )


def after_password(user: User, next_url: str | None) -> Any:
    """The answer to a right password: the second-factor step, or a session."""
    if has_second_factor(db_session(), user):
        session.clear()
        session[PENDING_KEY] = {
            "user": user.public_id,
            "at": clock.now().isoformat(),
            "next": next_url or "",
        }
        return redirect(url_for("security.second_factor"))
    open_session(user, second_factor=False)
    if must_hold_second_factor(user):
        flash(
            "Your role needs a second factor. Set up an authenticator app or a passkey now; "
            "until then only this page opens.",
            "info",
        )
        return redirect(url_for("security.index"))
    flash(f"Signed in as {user.email}.", "success")
    return redirect(landing(next_url))


def pending() -> tuple[User, str | None] | None:
    """The person whose password was right moments ago, and where they were going; None when
    nobody is between the two steps (or took too long)."""
    held = session.get(PENDING_KEY)
    if not isinstance(held, dict):
        return None
    try:
        started = dt.datetime.fromisoformat(str(held["at"]))
    except (KeyError, ValueError):
        return None
    if not started <= clock.now() < started + PENDING_LIFETIME:
        return None
    user = db_session().scalar(select(User).where(User.public_id == str(held.get("user"))))
    if user is None or not user.is_active:
        return None
    return user, str(held.get("next") or "") or None


def finish_sign_in(user: User, next_url: str | None) -> str:
    """Open the session once the second factor is shown; returns where to go next."""
    open_session(user, second_factor=True)
    flash(f"Signed in as {user.email}.", "success")
    return landing(next_url)
