"""Verification for everyone: by serial, QR code, uploaded PDF or credential, and the API."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from certify.templating import add_nav_link
    from certify.verify import views

    app.register_blueprint(views.bp)
    add_nav_link(app, "verify.index", "Verify a certificate")
