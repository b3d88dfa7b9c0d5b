"""The three-year certification cycle: surveillance, recertification, special and
scope-extension cases on a certificate; audit plans and worker interviews; the ISSP's sites.

``operations`` (opening a cycle case, what a positive decision does; "certified since" is
``certify.certificates.queries.certified_since``),
``schedule`` (the scheduler's daily duties and the calendars), ``planning`` (the audit plan,
objections), ``interviews`` (worker-interview batches), ``sites`` (add, edit, close),
``models``, ``forms``, ``notices``, ``views``. The rules as plain data are in
:mod:`certify.core.cycle`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Check the cycle's settings, register the blueprint and the demo's ``clock``
    commands."""
    from certify.config import ConfigurationError
    from certify.cycle import clock_cli, views
    from certify.cycle.schedule import OVERDUE_ACTIONS

    if app.config["SURVEILLANCE_OVERDUE_ACTION"] not in OVERDUE_ACTIONS:
        raise ConfigurationError(
            f"SURVEILLANCE_OVERDUE_ACTION must be one of {', '.join(OVERDUE_ACTIONS)}, not "
            f"{app.config['SURVEILLANCE_OVERDUE_ACTION']!r}."
        )
    for name in ("SURVEILLANCE_WINDOW_DAYS", "SURVEILLANCE_GRACE_DAYS", "RECERTIFICATION_MONTHS"):
        value = app.config[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
            raise ConfigurationError(
                f"{name} must be a whole number from 0 to 3650, not {value!r}."
            )
    app.register_blueprint(views.bp)
    app.cli.add_command(clock_cli.clock_group)
