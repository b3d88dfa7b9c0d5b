"""Server-side sessions: signing out ends a session on the server, not only in the browser.

Flask's session is a signed cookie the browser keeps: clearing it at sign-out does nothing to
a copy taken earlier, which stayed valid for hours. So the cookie now holds only a random
token (256 bits) naming a ``user_session`` row, and :func:`find_session` accepts the cookie
only while that row stands: not revoked (sign-out; a password change revokes the user's other
sessions), its user active, seen within ``SESSION_IDLE_MINUTES`` and started within
``SESSION_ABSOLUTE_HOURS``. The row keeps the token's SHA-256 only, with the browser's
description and address for its owner's list of sessions (``/account/sessions``), where any
one of them, or all the others, can be revoked.

Cost: one lookup by a unique index per request that asks who is signed in (the user's roles
come with it). ``last_seen_at`` is written at most once a minute per session, and not in the
request's own transaction, because GET requests never commit: the request queues one
conditional UPDATE with :func:`certify.transaction.record_after_response`, written after the
response in a short transaction of its own (a failure is logged and ignored, since it costs at
most a minute of idle time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, contains_eager

from certify import clock
from certify.accounts.models import SessionEnd, User, UserSession
from certify.transaction import record_after_response

log = logging.getLogger(__name__)

#: ``last_seen_at`` is written at most this often per session.
TOUCH_EVERY = dt.timedelta(minutes=1)
#: Ended sessions are kept this long (for a person's list of recent sessions), then deleted.
KEEP_ENDED = dt.timedelta(days=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> dt.timedelta:
    """How long a session may go unseen (``SESSION_IDLE_MINUTES``)."""
    return dt.timedelta(minutes=float(current_app.config["SESSION_IDLE_MINUTES"]))


def absolute_limit() -> dt.timedelta:
    """How long a session may last, however busy (``SESSION_ABSOLUTE_HOURS``)."""
    return dt.timedelta(hours=float(current_app.config["SESSION_ABSOLUTE_HOURS"]))


def is_standing(record: UserSession, now: dt.datetime) -> bool:
    """Whether *record* still opens anything at *now* (its user's state aside)."""
    return (
        record.revoked_at is None
        and now < record.last_seen_at + idle_limit()
        and now < record.created_at + absolute_limit()
    )


def start_session(
    db: Session,
    user: User,
    *,
    user_agent: str | None = None,
    address: str | None = None,
    second_factor: bool = False,
) -> str:
    """Record a new session for *user* from the browser *user_agent* at *address* (with
    *second_factor*, one was shown to open it); returns its token, for the cookie only (the
    database keeps its hash). The user's sessions that ended long ago are deleted."""
    now = clock.now()
    token = secrets.token_urlsafe(32)
    db.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(
                UserSession.revoked_at < now - KEEP_ENDED,
                UserSession.last_seen_at < now - KEEP_ENDED - idle_limit(),
            ),
        ),
        execution_options={"synchronize_session": False},
    )
    db.add(
        UserSession(
            token_hash=token_hash(token),
            user=user,
            created_at=now,
            last_seen_at=now,
            user_agent=(user_agent or "")[:300] or None,
            address=(address or "")[:45] or None,
            second_factor_at=now if second_factor else None,
        )
    )
    db.flush()
    return token


def find_session(db: Session, token: str) -> UserSession | None:
    """The standing session *token* names, with its user loaded; None when there is none, it
    was revoked, its user is inactive, it went unseen for longer than :func:`idle_limit` or
    started longer than :func:`absolute_limit` ago.
    A standing session not seen for :data:`TOUCH_EVERY` is recorded as seen after the response."""
    now = clock.now()
    record = db.scalar(
        select(UserSession)
        .join(UserSession.user)
        .options(contains_eager(UserSession.user))
        .where(UserSession.token_hash == token_hash(token))
    )
    if record is None or not record.user.is_active or not is_standing(record, now):
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        record_after_response(
            update(UserSession)
            .where(UserSession.id == record.id, UserSession.last_seen_at < now)
            .values(last_seen_at=now)
        )
    return record


def end_session(db: Session, record: UserSession, reason: SessionEnd) -> None:
    """Revoke *record*: its cookie, wherever a copy of it is, opens nothing any more."""
    record.revoked_at = clock.now()
    record.revoked_reason = reason.value
    db.flush()


def mark_second_factor(db: Session, record: UserSession) -> None:
    """Record that a second factor was shown in *record* just now."""
    record.second_factor_at = clock.now()
    db.flush()


def end_other_sessions(
    db: Session, user: User, keep: UserSession | None, reason: SessionEnd
) -> int:
    """Revoke every standing session of *user* but *keep*; returns how many were revoked."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    result = db.execute(
        query.values(revoked_at=clock.now(), revoked_reason=reason.value),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def standing_sessions(db: Session, user: User) -> list[UserSession]:
    """*user*'s standing sessions, the most recently seen first."""
    now = clock.now()
    rows = db.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    return [row for row in rows if is_standing(row, now)]
