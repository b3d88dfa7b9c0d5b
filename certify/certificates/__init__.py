"""Certificates: keys, serials, issuance steps, credentials, status lists, status changes.

``keys``: the key store on disk. ``issuance``: the issuance steps of this feature (the order
is in :mod:`certify.lifecycle`). ``statuslists``: Bitstring Status Lists, re-signed on every
change. ``operations``: status changes (prepared here, run by the lifecycle). ``queries``:
certificates by serial and their live lifecycle columns. ``pdf``: the signed PDF.
``views`` (blueprint ``certificates``): the served credential and PDF, status lists,
``/.well-known`` key documents and the admin pages. ``cli``: ``keys`` and ``certificates``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint, the commands, the live status reader and the dashboard panel."""
    from certify import signals
    from certify.certificates import cli, queries, views
    from certify.db import get_db
    from certify.state import app_state

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.keys_group)
    app.cli.add_command(cli.certificates_group)
    app_state(app).live_reader = queries.LiveReader(get_db(app).engine)
    signals.dashboard.connect(views.dashboard_context)
