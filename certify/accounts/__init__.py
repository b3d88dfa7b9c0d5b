"""People and their rights: users, roles, ISSP organisations, sign-in and invitations."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint, the ``users`` commands, the signed-in user for templates and
    the recording of when a session was last seen (after each request)."""
    from certify.accounts import cli, sessions, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users_group)
    app.context_processor(views.inject_user)
    app.teardown_request(sessions.record_seen)
