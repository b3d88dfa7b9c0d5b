"""The evidence store: uploaded evidence files, content-addressed on disk (``store``), and
keeping it tidy (``operations``: the sweep of what crashed uploads leave; ``cli``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``evidence`` commands."""
    from certify.evidence import cli

    app.cli.add_command(cli.evidence_group)
