"""The evidence store: uploaded evidence files, content-addressed on disk (``store``), and
keeping it tidy (``operations``: the sweep of what crashed uploads leave; ``cli``), and
erasing it (``erasure``: the retention schedule and reviewed early erasure; ``views``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``evidence`` commands and the erasure-request pages; check the retention
    schedule."""
    from certify.config import ConfigurationError
    from certify.core.retention import schedule_problem
    from certify.evidence import cli, views

    problem = schedule_problem(app.config.get("EVIDENCE_RETENTION_YEARS"))
    if problem:
        raise ConfigurationError(problem)
    app.cli.add_command(cli.evidence_group)
    app.register_blueprint(views.bp)
