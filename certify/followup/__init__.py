"""After the decision: the audit report for the ISSP, the corrective-action loop on each
non-conformity, and the deadlines that act by themselves.

``report`` (the report's data and signed PDF), ``loop`` (plans, evidence, verification),
``deadlines`` (raising on a certified case, extensions, the scheduler's marks and
proposals), ``escalation`` (the steps of :data:`certify.lifecycle.ESCALATE_NONCONFORMITY`),
``records`` (locking and moving a non-conformity), ``queries``, ``notices``, ``views`` and
``admin_views`` (pages on the ``followup`` blueprint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint (the report, non-conformity and admin pages) and the
    dashboard panels."""
    from certify import signals
    from certify.config import ConfigurationError
    from certify.followup import admin_views, views
    from certify.followup.deadlines import OVERDUE_ACTIONS

    if app.config["NC_OVERDUE_ACTION"] not in OVERDUE_ACTIONS:
        raise ConfigurationError(
            f"NC_OVERDUE_ACTION must be one of {', '.join(OVERDUE_ACTIONS)}, not "
            f"{app.config['NC_OVERDUE_ACTION']!r}."
        )
    app.register_blueprint(views.bp)
    signals.dashboard.connect(admin_views.dashboard_context)
