"""Clients of the registry (buyers of impact sourcing): accounts, watch lists, e-mails and
signed webhooks when a watched certificate changes, API tokens.

``models``: watches, webhook endpoints and deliveries, API tokens. ``operations``: what
clients do. ``events``: the lifecycle's announcements (:mod:`certify.signals`) turned into
e-mails and webhook deliveries, in the change's transaction. ``delivery``, ``wakeup`` and
``tasks``: sending webhooks (signed, retried, logged; SSRF-checked). ``access``: tokens.
``views`` (blueprint ``clients``) and ``api`` (blueprint ``clients_api``, ``/api/v1``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

#: Settings and their defaults (each may come from ``CERTIFY_<NAME>``).
DEFAULTS = {
    # Allow webhooks to loopback, private and other internal addresses: only for tests and
    # closed networks, set by the registry's admin. Never on by default (SSRF).
    "WEBHOOK_ALLOW_INTERNAL": False,
    # Allow plain-http webhook addresses (https is always allowed).
    "WEBHOOK_ALLOW_HTTP": False,
    "WEBHOOK_TIMEOUT": 10,
}


def init_app(app: Flask) -> None:
    """Register the blueprints, the lifecycle listeners, the webhook wake-up and tasks; and
    the two public features made for clients: bulk verification and the embeddable badge."""
    from certify import badge, bulk, signals
    from certify.clients import api, events, tasks, views, wakeup  # noqa: F401 - tasks

    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    events.connect()
    wakeup.listen()
    signals.dashboard.connect(views.dashboard_context)
    bulk.init_app(app)
    badge.init_app(app)
