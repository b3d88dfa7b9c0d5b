"""The OpenAPI 3.1 document of every route under ``/api/v1``.

It is the contract the response validator (:mod:`certify.api.validation`) checks every API
response against in the tests, so it must describe every route, status and body exactly,
including the routes built in other packages (verification, the transparency log).
``schemas``: the bodies (``components/schemas``); ``paths``: the routes, one function per tag.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from certify import __version__
from certify.api.openapi.paths import (
    RESPONSES,
    certificate_paths,
    log_paths,
    meta_paths,
    verification_paths,
)
from certify.api.openapi.schemas import SCHEMAS
from certify.clients.openapi import CLIENT_SCHEMAS, client_paths
from certify.impact.openapi import IMPACT_SCHEMAS, impact_paths


@cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "certify registry API",
            "version": __version__,
            "description": "The public, read-only API of the certificate registry, and "
            "certificate verification. No account is needed. Requests are rate-limited per "
            "client address (429 with Retry-After). Errors are "
            '`{"error": {"code", "message"}}`. Hashes are standard base64.',
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "tags": [
            {"name": "certificates", "description": "The registry."},
            {"name": "verification", "description": "Is this document genuine and valid?"},
            {"name": "log", "description": "The transparency log."},
            {"name": "impact", "description": "Verified impact figures."},
            {"name": "clients", "description": "Watch lists and webhooks (API token)."},
            {"name": "meta", "description": "About the API."},
        ],
        "paths": {
            **meta_paths(),
            **certificate_paths(),
            **verification_paths(),
            **log_paths(),
            **client_paths(),
            **impact_paths(),
        },
        "components": {
            "schemas": {**SCHEMAS, **CLIENT_SCHEMAS, **IMPACT_SCHEMAS},
            "responses": RESPONSES,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi_document(server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI document (a fresh copy), naming *server_url* as the server if given."""
    document = copy.deepcopy(_document())
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
