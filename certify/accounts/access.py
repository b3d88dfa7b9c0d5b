"""The signed-in user, role decorators and ``get_<noun>_or_404`` helpers.

Access is checked before any work: the decorators run before the view body, and the
``get_*_or_404`` helpers refuse before returning an object. Every view declares a rule.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select

from certify.access import AccessRule, wrap_checked
from certify.accounts.models import Organisation, Role, User, UserSession
from certify.accounts.sessions import find_session
from certify.core.actor import Actor
from certify.db import db_session

F = TypeVar("F", bound=Callable[..., Any])


def current_user() -> User | None:
    """The signed-in, active user of this request, or None.

    The cookie names a server-side session (:mod:`certify.accounts.sessions`); a revoked,
    idle or unknown one signs nobody in, and the cookie is cleared.
    """
    if "_current_user" not in g:
        g._current_user = g._current_session = None
        token = session.get("sid")
        if token:
            record = find_session(db_session(), str(token))
            if record is None:
                session.clear()
            else:
                g._current_user, g._current_session = record.user, record
    return g._current_user


def has_session_cookie() -> bool:
    """Whether this request's cookie names a session, valid or not (no database read): a page
    kept for anonymous visitors must be neither served to nor made from such a request."""
    return bool(session.get("sid"))


def current_session() -> UserSession | None:
    """The server-side session of the signed-in user of this request, or None."""
    current_user()
    return g._current_session


def actor_of(user: User) -> Actor:
    """The audit actor for *user*."""
    return Actor.user(user.public_id)


def command_actor() -> Actor:
    """The audit actor for a command run from a terminal: ``cli:<operating-system user>``."""
    return Actor.cli(getpass.getuser())


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target and "\n" not in target


def _deny_anonymous() -> Any:
    if request.path.startswith("/api/"):
        abort(401)
    next_url = request.full_path if request.method == "GET" else request.path
    return redirect(url_for("accounts.login", next=next_url.rstrip("?")))


def login_required(view: F) -> F:
    """Any signed-in user."""

    def check() -> Any:
        return _deny_anonymous() if current_user() is None else None

    return wrap_checked(view, check, AccessRule("login"))


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Signed-in users holding at least one of *roles*; others get 403."""
    allowed = frozenset(roles)

    def decorator(view: F) -> F:
        def check() -> Any:
            user = current_user()
            if user is None:
                return _deny_anonymous()
            if not user.roles & allowed:
                abort(403)
            return None

        return wrap_checked(view, check, AccessRule("roles", frozenset(r.value for r in allowed)))

    return decorator


def get_organisation_or_404(public_id: str, check_owner: bool = True) -> Organisation:
    """The organisation with this public id; 404 when unknown.

    With *check_owner*, only its members and admins may have it: anyone else gets a 404 too,
    so guessing ids reveals nothing about which organisations exist.
    """
    org = db_session().scalar(select(Organisation).where(Organisation.public_id == public_id))
    if org is None:
        abort(404)
    if check_owner:
        user = current_user()
        if user is None or not can_view_organisation(user, org):
            abort(404)
    return org


def can_view_organisation(user: User, org: Organisation) -> bool:
    """Members of the organisation and admins."""
    return user.organisation_id == org.id or user.has_role(Role.ADMIN)


def can_invite_to(user: User, org: Organisation) -> bool:
    """Only the organisation's own active members invite colleagues."""
    return user.organisation_id == org.id and user.has_role(Role.ISSP)
