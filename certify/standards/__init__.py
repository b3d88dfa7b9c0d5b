"""Published standards (versioned rubrics): public pages, CLI commands and stored versions.

``views`` (blueprint ``standards``): ``/standards``, ``/standards/<id>/<version>`` and its YAML
file. ``cli``: ``flask --app certify rubrics ...``. ``operations``: storing published versions
and reading them back. ``startup``: the app refuses to start when a published rubric changed.
``validate``: ``python -m certify.standards.validate``, the same check without the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Check the published rubrics (refusing to start when one changed), then register the
    blueprint and the ``rubrics`` commands.

    Raises:
        certify.standards.startup.RubricLockError: a published rubric file changed.
    """
    from certify.standards import cli, startup, views

    startup.check_rubrics_at_startup(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.rubrics_group)
