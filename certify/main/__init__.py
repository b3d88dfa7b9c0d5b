"""The home page and other site-wide pages (blueprint ``main``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    from certify.main import views

    app.register_blueprint(views.bp)
