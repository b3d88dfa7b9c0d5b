"""My sessions: where I am signed in (browser, address, last seen), and revoking any of them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from sqlalchemy import select

from certify import clock
from certify.accounts.access import actor_of, current_session, current_user, login_required
from certify.accounts.forms import ActionForm
from certify.accounts.models import SessionEnd, UserSession
from certify.accounts.sessions import end_other_sessions, end_session, standing_sessions
from certify.audit.operations import record_event
from certify.core.useragent import describe_browser
from certify.db import db_session

bp = Blueprint("sessions", __name__)


@bp.get("/account/sessions")
@login_required
def index() -> Any:
    user = current_user()
    assert user is not None
    rows = standing_sessions(db_session(), user)
    return render_template(
        "accounts/sessions.html",
        rows=[(row, describe_browser(row.user_agent)) for row in rows],
        current=current_session(),
        form=ActionForm(),
        now=clock.now(),
    )


@bp.post("/account/sessions/<public_id>/revoke")
@login_required
def revoke(public_id: str) -> Any:
    user = current_user()
    assert user is not None
    if not ActionForm().validate_on_submit():
        abort(400)
    db = db_session()
    record = db.scalar(
        select(UserSession).where(
            UserSession.public_id == public_id,
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
        )
    )
    if record is None:
        abort(404)
    end_session(db, record, SessionEnd.REVOKED)
    record_event(
        db, actor_of(user), "session.revoked", "user", user.public_id, after={"session": public_id}
    )
    this = current_session()
    if this is not None and record.id == this.id:
        session.clear()
        flash("This session is revoked: you are signed out.", "info")
        return redirect(url_for("accounts.login"))
    flash("That session is revoked: its browser is signed out.", "success")
    return redirect(url_for("sessions.index"))


@bp.post("/account/sessions/revoke-others")
@login_required
def revoke_others() -> Any:
    user = current_user()
    assert user is not None
    if not ActionForm().validate_on_submit():
        abort(400)
    db = db_session()
    ended = end_other_sessions(db, user, current_session(), SessionEnd.REVOKED)
    record_event(
        db, actor_of(user), "session.revoked_others", "user", user.public_id, after={"ended": ended}
    )
    flash(
        f"Signed out everywhere else ({ended} session{'' if ended == 1 else 's'} revoked).",
        "success",
    )
    return redirect(url_for("sessions.index"))
