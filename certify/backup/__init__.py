"""Backup and restore: ``flask --app certify backup`` writes a consistent, dated backup
(database dump, stored files with their hashes, the keys sealed with a passphrase, the rubric
lock); ``restore`` rebuilds a new, empty instance from it. ``archive`` (the folder),
``database`` (dumps), ``cli``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``backup`` and ``restore`` commands."""
    from certify.backup import cli

    app.cli.add_command(cli.backup_command)
    app.cli.add_command(cli.restore_command)
