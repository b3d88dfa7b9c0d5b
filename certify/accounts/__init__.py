"""People and their rights: users, roles, ISSP organisations, sign-in and invitations."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint, the ``users`` commands and the signed-in user for templates."""
    from certify.accounts import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users_group)
    app.context_processor(views.inject_user)
