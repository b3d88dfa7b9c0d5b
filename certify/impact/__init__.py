"""Verified impact figures: per certificate (from the audited answers of the criteria the
standard publishes) and across the registry (the Impact page, its CSV and JSON).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from certify.impact import preview, views

    app.register_blueprint(views.bp)
    app.register_blueprint(preview.bp)
