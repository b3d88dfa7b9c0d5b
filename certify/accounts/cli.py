"""``flask --app certify users ...``"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from certify.accounts.access import command_actor
from certify.accounts.factors import reset_factors
from certify.accounts.models import STAFF_ROLES, Role, User, normalise_email
from certify.accounts.operations import create_staff_user
from certify.accounts.tokens import send_account_setup
from certify.accounts.totp_secrets import plaintext_secret_count, seal_plaintext_secrets
from certify.db import db_session
from certify.notifications.audiences import staff_with
from certify.notifications.operations import path_for
from certify.transaction import command_transaction


@click.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in STAFF_ROLES]),
    help="admin, auditor or reviewer; repeat for several (e.g. auditor and reviewer).",
)
@click.option("--name", "full_name", help="The person's full name (default: from the e-mail).")
@with_appcontext
def create_user(email: str, roles: tuple[str, ...], full_name: str | None) -> None:
    """Create a staff account for EMAIL and e-mail the person a link to choose a password.

    Nobody else ever sees that password. For the very first administrator, made before any
    mail is set up, the one-time link is also printed here, for the operator to open.
    """
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    name = full_name or email.split("@", 1)[0].replace(".", " ").title()
    actor = command_actor()
    with command_transaction(db_session()) as session:
        first_admin = "admin" in roles and not staff_with(session, Role.ADMIN)
        user = create_staff_user(
            session, actor, email=email, full_name=name, roles={Role(r) for r in roles}
        )
        token = send_account_setup(session, user, actor)
    click.echo(f"created {user.email} ({', '.join(sorted(roles))})")
    click.echo(f"a link to choose a password was e-mailed to {user.email}")
    if first_admin:
        url = current_app.config["PUBLIC_URL"] + path_for("accounts.reset_password", token=token)
        click.echo("This is the first administrator: the link, for you to open (once, 7 days):")
        click.echo(f"  {url}")


@users_group.command("reset-second-factor")
@click.argument("email")
@with_appcontext
def reset_second_factor(email: str) -> None:
    """Remove every second factor of EMAIL (authenticator app, passkeys, recovery codes) and
    end their sessions, for someone who lost them all: check who is asking first. Their next
    sign-in asks them to enrol again if their role needs a factor."""
    with command_transaction(db_session()) as session:
        user = session.scalar(select(User).where(User.email_normalised == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"no account has the e-mail address {email}")
        removed = reset_factors(session, command_actor(), user)
    click.echo(f"removed {removed} second factor(s) of {user.email}; their sessions are ended")


@users_group.command("seal-totp-secrets")
@with_appcontext
def seal_totp_secrets() -> None:
    """Seal every authenticator-app (TOTP) secret still stored in plaintext with the instance's
    key-encryption key. Run once after upgrading to a version that seals them; safe to run
    again (it then seals nothing). Each secret is checked to open again before the one commit;
    if the key cannot be used, nothing is changed."""
    with command_transaction(db_session()) as session:
        sealed = seal_plaintext_secrets(session, command_actor())
    click.echo(f"sealed {sealed} TOTP secret(s); none is stored in plaintext now")


def remind_unsealed_totp_secrets(echo: Callable[[str], None]) -> None:
    """Tell the operator (``init``) when TOTP secrets are still stored in plaintext."""
    left = plaintext_secret_count(db_session())
    if left:
        echo(
            f"TOTP secrets: {left} stored in plaintext (from before sealing): run "
            "'flask --app certify users seal-totp-secrets' once"
        )
