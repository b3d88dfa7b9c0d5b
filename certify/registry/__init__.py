"""The public registry (blueprint ``registry``): search, certificate pages, CSV and Atom.

``models``: the search terms table and the indexes the registry needs. ``search``: filters,
word and prefix search, pages and live statuses, shared with the JSON API, and the issuance
step adding a new certificate. ``views``: the pages, ``/registry/export.csv`` and
``/registry/feed.atom``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    from certify.registry import views

    app.register_blueprint(views.bp)
