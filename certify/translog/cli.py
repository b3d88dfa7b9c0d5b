"""``flask --app certify log verify``, and the ``flask init`` step logging key changes."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from certify import clock
from certify.db import db_session, get_db

#: Logs at least this long get a progress bar (on stderr, so output stays parseable).
PROGRESS_FROM = 5000


def log_key_changes_step() -> None:
    """The ``flask init`` step: log credential keys and document-signing certificates the
    log has not announced yet: a reconciliation, for keys made before the log existed or a
    ``keys rotate`` whose recording failed (it normally announces its keys itself)."""
    from certify.certificates.keys import KeyStoreError, get_keystore
    from certify.translog.steps import log_key_changes
    from certify.translog.store import current_signer

    try:
        keys = get_keystore()
    except KeyStoreError as exc:
        click.echo(f"log: key changes not logged ({exc})")
        return
    session = db_session()
    appended = log_key_changes(session, keys, clock.now(), signer=current_signer(session))
    session.commit()
    if appended:
        click.echo(f"log: {len(appended)} key change(s) logged")
    else:
        click.echo("log: every key is in the log")


@click.group("log")
def log_group() -> None:
    """The public transparency log."""


@log_group.command("verify")
@with_appcontext
def log_verify() -> None:
    """Audit the transparency log; exit 1 naming the first problem.

    Rebuilds the Merkle tree from the entries, checks every stored node and every signed
    checkpoint (signature, origin, root: consecutive checkpoints are then consistent), and
    reconciles the log with the certificates, their status changes and the key store.
    """
    from certify.certificates.keys import KeyStoreError, get_keystore
    from certify.core.tlog.checkpoint import log_origin
    from certify.translog.audit import verify_log
    from certify.translog.store import log_size, stored_origin

    try:
        keys = get_keystore()
    except KeyStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    with get_db().new_session(writer=False) as session:
        # The origin stored when the log was created, not today's PUBLIC_URL (issue 20).
        origin = stored_origin(session)
        verifier = keys.log_verifier_key(origin)
        derived = log_origin(current_app.config["PUBLIC_URL"])
        if derived != origin:
            click.echo(
                f"note: the log's origin is {origin} (fixed when it was created); PUBLIC_URL "
                f"now gives {derived}. The log goes on under its origin.",
                err=True,
            )
        total = log_size(session)
        if total >= PROGRESS_FROM:
            with click.progressbar(length=total, label="checking entries", file=sys.stderr) as bar:
                report = verify_log(session, verifier, origin, keys=keys, progress=bar.update)
        else:
            report = verify_log(session, verifier, origin, keys=keys)
    if report.ok:
        click.echo(
            f"log intact: {report.entries} entr{'y' if report.entries == 1 else 'ies'} and "
            f"{report.checkpoints} checkpoint(s) checked; origin {origin}"
        )
        return
    click.echo(f"log BROKEN: {report.problem}", err=True)
    sys.exit(1)
