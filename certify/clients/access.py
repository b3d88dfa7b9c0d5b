"""Who may use the clients' pages and API: signed-in clients, or an API token of a client.

A token (``Authorization: Bearer cfy_...``) is looked up by its SHA-256; it carries scopes
(``read``, ``write``). API writes take a token only, never the session cookie: the cookie is
sent by browsers on their own, so a write by cookie would need a CSRF token, which machines
do not have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, g, request

from certify.access import AccessRule, wrap_checked
from certify.accounts.access import current_user
from certify.accounts.models import Role, User
from certify.clients.operations import user_for_token
from certify.db import db_session

F = TypeVar("F", bound=Callable[..., Any])

CLIENT_RULE = AccessRule("roles", frozenset({Role.CLIENT.value}))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def api_client(scope: str) -> Callable[[F], F]:
    """A client's API route needing *scope*: a token with it, or (reads only) a signed-in
    client. 401 without either, 403 for another role or a token without the scope."""

    def decorator(view: F) -> F:
        def check() -> Any:
            token = bearer_token()
            if token is not None:
                found = user_for_token(db_session(), token)
                if found is None:
                    abort(401)
                if scope not in found[1]:
                    abort(403)
                g.api_client = found[0]
                return None
            user = current_user()
            if user is None:
                abort(401)
            if not user.has_role(Role.CLIENT):
                abort(403)
            if scope != "read":
                abort(401)  # writes need a token (see the module docstring)
            g.api_client = user
            return None

        return wrap_checked(view, check, CLIENT_RULE)

    return decorator


def api_user() -> User:
    """The client an API request acts for (set by :func:`api_client`)."""
    user: User = g.api_client
    return user
