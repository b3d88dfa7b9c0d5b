"""The JSON API (blueprint ``api``): ``/api/v1/certificates``, ``/api/v1/certificates/<serial>``,
``/api/v1/ping``, the OpenAPI document at ``/api/v1/openapi.json`` and the readable reference
at ``/api/docs``.

``openapi``: the document, covering every API route (also those of other packages).
``validation``: checks every API response against it when ``VALIDATE_API_RESPONSES`` is on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint and the response validator."""
    from certify.api import validation, views
    from certify.api.openapi import openapi_document

    app.register_blueprint(views.bp)
    validation.init_app(app, openapi_document())
