"""Bulk verification: a client uploads a CSV of serials (or organisation names) and gets one
row each back (status, holder, dates, a link), as a table or a CSV, in one request.

``lookup``: the entries looked up in a few queries (1,000 serials well under 2 s);
``views`` (blueprint ``bulk``): ``/verify/bulk`` and ``POST /api/v1/verify/bulk``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from certify.bulk import views

    app.register_blueprint(views.bp)
