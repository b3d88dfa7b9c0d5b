"""Verification for everyone: by serial, QR code, uploaded PDF or credential, and the API.

``service``: the checks against this registry's keys, records and live status. ``views``
(blueprint ``verify``): ``/verify``, ``/verify/<serial>`` and ``POST /api/v1/verify``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    from certify.verify import views

    app.register_blueprint(views.bp)
