"""The embeddable badge for an ISSP's website: ``/registry/<serial>/badge.svg``, the live
status drawn as a static SVG (no script), linking to the verify page by the HTML snippet the
registry page offers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from certify.badge import views

    app.register_blueprint(views.bp)
