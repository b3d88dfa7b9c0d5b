"""Applications for certification: scope, self-assessment, evidence, review and assignment."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint (the application pages and the assessment pages) and the
    dashboard panel."""
    from certify import signals

    # The page modules put their routes on the one blueprint of ``web``.
    from certify.applications import (  # noqa: F401
        assessment_views,
        audit_evidence_views,
        case_views,
        views,
        web,
    )

    app.register_blueprint(web.bp)
    signals.dashboard.connect(case_views.dashboard_context)
