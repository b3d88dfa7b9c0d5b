"""Complaints and appeals (ISO/IEC 17065 7.13): anyone raises a concern about a certified
ISSP, an ISSP appeals a decision about it, and someone impartial handles each.

``models``, ``complaints`` (raising, tracking, handling), ``appeals`` (lodging, deciding),
``impartiality`` (who may handle or decide), ``attachments`` (files through the evidence
store), ``statistics`` (the public yearly figures), ``duties`` (the scheduler's reminders and
erasures), ``notices``, ``forms``, ``public_views`` (pages without an account) and
``views`` (the staff's and the ISSP's pages), all on the ``complaints`` blueprint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint and the labels its templates read."""
    from certify.complaints import public_views, views  # noqa: F401 (routes on the blueprint)
    from certify.complaints.web import bp, register_filters

    register_filters(app)
    app.register_blueprint(bp)
