"""The clients' part of the OpenAPI document: watch lists and webhooks (tag ``clients``)."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_DT = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"}
ID = {
    "name": "public_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
}


def _err(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


AUTH = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": _err("No valid API token (writes need one; reads also take a client's session)."),
    "403": _err("Not a client, or the token lacks the scope."),
    "429": {"$ref": "#/components/responses/TooMany"},
    "500": {"$ref": "#/components/responses/ServerError"},
}


def _op(op_id: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "summary": summary,
        "tags": ["clients"],
        "security": [{"token": []}],
        "responses": {**responses, **AUTH},
        **extra,
    }


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def bulk_paths() -> dict[str, Any]:
    """``POST /api/v1/verify/bulk`` (public, like ``/api/v1/verify``)."""
    return {
        "/api/v1/verify/bulk": {
            "post": {
                "operationId": "verifyBulk",
                "summary": "Look up many serials (or organisation names) at once: one item per "
                "line of the file, in order, each found, unknown or malformed.",
                "tags": ["verification"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                            }
                        },
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                "responses": {
                    "200": _ok("BulkVerification"),
                    "400": _err("The file cannot be read; the message says why."),
                    "413": {"$ref": "#/components/responses/TooLarge"},
                    "429": {"$ref": "#/components/responses/TooMany"},
                    "500": {"$ref": "#/components/responses/ServerError"},
                },
            }
        }
    }


def client_paths() -> dict[str, Any]:
    deleted = {"description": "Removed."}
    return {
        **bulk_paths(),
        "/api/v1/watches": {
            "get": _op("listWatches", "Your watch list.", {"200": _ok("WatchList")}),
            "post": _op(
                "addWatch",
                "Watch a certificate (serial) or a certified organisation (exact name).",
                {
                    "200": _ok("Watch"),
                    "201": _ok("Watch", "Added."),
                    "400": _err("Bad body."),
                    "404": _err("No such certificate or organisation."),
                },
                requestBody=_body(
                    {
                        "type": "object",
                        "properties": {"subject": {"type": "string", "maxLength": 200}},
                        "required": ["subject"],
                    }
                ),
            ),
        },
        "/api/v1/watches/{public_id}": {
            "delete": _op(
                "deleteWatch",
                "Stop watching.",
                {"204": deleted, "404": _err("Not one of yours.")},
                parameters=[ID],
            )
        },
        "/api/v1/webhooks": {
            "get": _op("listWebhooks", "Your webhook addresses.", {"200": _ok("WebhookList")}),
            "post": _op(
                "addWebhook",
                "Add a webhook; the answer holds its signing secret, shown once. Private, "
                "loopback and other internal addresses are refused.",
                {"201": _ok("WebhookWithSecret", "Added."), "400": _err("Refused address.")},
                requestBody=_body(
                    {
                        "type": "object",
                        "properties": {"url": {"type": "string", "maxLength": 500}},
                        "required": ["url"],
                    }
                ),
            ),
        },
        "/api/v1/webhooks/{public_id}": {
            "delete": _op(
                "deleteWebhook",
                "Remove a webhook and its delivery log.",
                {"204": deleted, "404": _err("Not one of yours.")},
                parameters=[ID],
            )
        },
        "/api/v1/webhooks/{public_id}/rotate": {
            "post": _op(
                "rotateWebhookSecret",
                "A new secret; the previous one also signs for 24 hours.",
                {"200": _ok("WebhookWithSecret"), "404": _err("Not one of yours.")},
                parameters=[ID],
            )
        },
        "/api/v1/webhooks/{public_id}/deliveries": {
            "get": _op(
                "listWebhookDeliveries",
                "The delivery log: the latest 100 deliveries to this webhook.",
                {"200": _ok("DeliveryList"), "404": _err("Not one of yours.")},
                parameters=[ID],
            )
        },
    }


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


WEBHOOK = {"id": {"type": "string"}, "url": {"type": "string"}, "createdAt": _DT}

_TEXT = {"type": "string"}

CLIENT_SCHEMAS: dict[str, Any] = {
    "BulkVerification": _obj(
        {
            "asOf": _DT,
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "items": {
                "type": "array",
                "items": _obj(
                    {
                        "line": {"type": "integer", "minimum": 1},
                        "input": _TEXT,
                        "outcome": {"enum": ["found", "unknown", "malformed"]},
                        "message": _TEXT,
                        "certificate": _obj(
                            {
                                k: _TEXT
                                for k in (
                                    "serial",
                                    "status",
                                    "holder",
                                    "country",
                                    "valid_from",
                                    "valid_until",
                                    "link",
                                )
                            }
                        ),
                    },
                    ["line", "input", "outcome", "message"],
                ),
            },
        }
    ),
    "Watch": _obj(
        {
            "id": {"type": "string"},
            "createdAt": _DT,
            "certificate": {"type": "object", "additionalProperties": True},
            "organisation": _obj({"id": {"type": "string"}, "name": {"type": "string"}}),
        },
        ["id", "createdAt"],
    ),
    "WatchList": _obj(
        {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Watch"}}}
    ),
    "Webhook": _obj(WEBHOOK),
    "WebhookWithSecret": _obj({**WEBHOOK, "secret": {"type": "string", "pattern": "^whsec_"}}),
    "WebhookList": _obj(
        {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}}
    ),
    "DeliveryList": _obj(
        {
            "items": {
                "type": "array",
                "items": _obj(
                    {
                        "msgId": {"type": "string"},
                        "type": {"type": "string"},
                        "status": {"enum": ["pending", "sending", "delivered", "failed"]},
                        "attempts": {"type": "integer", "minimum": 0},
                        "createdAt": _DT,
                        "lastStatusCode": {"type": ["integer", "null"]},
                        "lastError": {"type": ["string", "null"]},
                    }
                ),
            }
        }
    ),
}
