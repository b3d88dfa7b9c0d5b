"""``flask --app certify users ...``"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from certify.accounts.access import command_actor
from certify.accounts.models import STAFF_ROLES, Role
from certify.accounts.operations import create_staff_user
from certify.accounts.passwords import MIN_PASSWORD_LENGTH, generate_password
from certify.db import db_session
from certify.operations import OperationError


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
@click.option(
    "--generate-password",
    is_flag=True,
    help="Generate a password and print it, instead of prompting for one.",
)
@with_appcontext
def create_user(
    email: str,
    roles: tuple[str, ...],
    full_name: str | None,
    generate_password_flag: bool = False,
    **kwargs: object,
) -> None:
    """Create a staff account for EMAIL. Prompts for the password unless --generate-password."""
    generate = bool(kwargs.get("generate_password", generate_password_flag))
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    if generate:
        password = generate_password()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise click.BadParameter(
                f"use at least {MIN_PASSWORD_LENGTH} characters", param_hint="password"
            )
    name = full_name or email.split("@", 1)[0].replace(".", " ").title()
    session = db_session()
    try:
        user = create_staff_user(
            session,
            command_actor(),
            email=email,
            full_name=name,
            password=password,
            roles={Role(r) for r in roles},
        )
    except OperationError as error:
        session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    session.commit()
    click.echo(f"created {user.email} ({', '.join(sorted(roles))})")
    if generate:
        click.echo(f"password: {password}")
        click.echo("Give it to the person and ask them to change it after signing in.")
