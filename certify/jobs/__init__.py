"""Background jobs: the engine (Huey), the tasks, the daily duties, ``flask jobs ...``.

``engine``: the queue, on SQLite in ``instance/`` or Redis (``JOBS_URL``). ``tasks``: outbox
delivery (after each commit, and every minute) and the daily duties. ``duties``: the ordered
list of time-driven work, run as ``system:scheduler``. ``models``: the marks that make duties
idempotent. ``cli``: ``jobs status``, ``jobs worker``, ``jobs run-daily``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Point the job engine at the app's queue and register the ``jobs`` commands."""
    from certify.jobs import cli, engine, tasks  # noqa: F401 - tasks declare themselves

    engine.configure(app)
    app.cli.add_command(cli.jobs_group)
