"""``flask --app certify backup [FOLDER]`` and ``flask --app certify restore BACKUP``.

The passphrase that seals the keys comes from ``CERTIFY_BACKUP_PASSPHRASE`` or, when that is
not set, is asked for (twice for a backup). Keep it apart from the backups: whoever has both
can sign certificates.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from certify import clock
from certify.backup.archive import BackupError, make_backup, restore_backup
from certify.backup.database import DatabaseBackupError
from certify.core.sealed import SealError

PASSPHRASE_VARIABLE = "CERTIFY_BACKUP_PASSPHRASE"  # noqa: S105 - a variable's name


def _passphrase(confirm: bool) -> str:
    given = os.environ.get(PASSPHRASE_VARIABLE)
    if given:
        return given
    return str(
        click.prompt(
            "Backup passphrase (it seals the signing keys)",
            hide_input=True,
            confirmation_prompt=confirm,
        )
    )


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default="backups")
@with_appcontext
def backup_command(folder: Path) -> None:
    """Write a dated backup folder into FOLDER (default: ./backups): the database dump, every
    stored file the database names (hashes checked), instance/keys sealed with a passphrase
    (CERTIFY_BACKUP_PASSPHRASE or asked), and the rubric lock."""
    passphrase = _passphrase(confirm=True)
    try:
        made = make_backup(current_app, folder, passphrase, clock.now())
    except (BackupError, DatabaseBackupError, SealError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written: {made}")


@click.command("restore")
@click.argument("backup", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(backup: Path) -> None:
    """Rebuild this instance from BACKUP: into an empty database (DATABASE_URL), an empty key
    folder and the configured storage. Checks the backup's hashes and the passphrase before
    writing anything. Then run 'audit verify' and 'log verify'."""
    passphrase = _passphrase(confirm=False)
    try:
        report = restore_backup(current_app, backup, passphrase)
    except (BackupError, DatabaseBackupError, SealError) as exc:
        raise click.ClickException(str(exc)) from exc
    files = ", ".join(f"{n} {area}" for area, n in report.files.items())
    click.echo(f"restored: {report.database}, {report.keys} key file(s), {files}")
    click.echo("next: flask --app certify audit verify && flask --app certify log verify")
