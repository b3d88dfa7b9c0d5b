"""People and their rights: users, roles, ISSP organisations, sign-in and invitations."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint, the ``users`` commands and the signed-in user for templates;
    the second-factor and sessions pages, and the gate that sends staff who must enrol a
    second factor to do so."""
    from certify.accounts import cli, reauth, security_views, session_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(security_views.bp)
    app.register_blueprint(session_views.bp)
    app.before_request(reauth.enrolment_gate)
    app.cli.add_command(cli.users_group)
    app.context_processor(views.inject_user)
