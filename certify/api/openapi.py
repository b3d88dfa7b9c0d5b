"""The OpenAPI 3.1 document of every route under ``/api/v1``.

It is the contract the response validator (:mod:`certify.api.validation`) checks every API
response against in the tests, so it must describe every route, status and body exactly,
including the routes built in other packages (verification, the transparency log).
Schemas are JSON Schema 2020-12, as OpenAPI 3.1 uses.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from certify import __version__
from certify.certificates.models import CertificateStatus
from certify.core.tlog.entry import REASON_CATEGORIES as CORE_REASON_CATEGORIES
from certify.core.verification.model import VERDICTS as CORE_VERDICTS

# The contract's lists come from where they are defined, so the document cannot drift.
STATUSES = [s.value for s in CertificateStatus]
VERDICTS = list(CORE_VERDICTS)
REASON_CATEGORIES = list(CORE_REASON_CATEGORIES)
BASE64 = {"type": "string", "pattern": "^[A-Za-z0-9+/]*={0,2}$", "contentEncoding": "base64"}
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATETIME = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
}
DECIMAL = {"type": "string", "pattern": r"^\d{1,3}\.\d{2}$"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(
    properties: dict[str, Any], required: list[str] | None = None, extra: bool = False
) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": extra,
    }


SCHEMAS: dict[str, Any] = {
    "Error": {
        **_obj(
            {
                "error": _obj(
                    {
                        "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                        "message": {"type": "string"},
                    }
                )
            }
        ),
        "description": "Every 4xx and 5xx answer under /api/.",
    },
    "Status": {
        "type": "string",
        "enum": STATUSES,
        "description": "Live status; expired is derived from the date.",
    },
    "Ping": _obj({"status": {"const": "ok"}}),
    "Holder": _obj(
        {"name": {"type": "string"}, "country": {"type": "string", "pattern": "^[A-Z]{2}$"}}
    ),
    "Site": _obj(
        {
            "name": {"type": "string"},
            "address": {"type": "string"},
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
        }
    ),
    "StandardRef": _obj(
        {
            "id": {"type": "string"},
            "version": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "title": {"type": "string"},
        },
        required=["id", "version", "sha256"],
    ),
    "SectionScore": _obj(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "weight": {"type": "string"},
            "score": DECIMAL,
        }
    ),
    "StatusChange": _obj(
        {
            "changedAt": DATETIME,
            "change": {
                "type": "string",
                "enum": ["issued", "suspended", "reinstated", "withdrawn", "superseded"],
            },
            "previousStatus": {"type": ["string", "null"]},
            "newStatus": {"type": "string"},
            "reasonCategory": {"enum": [*REASON_CATEGORIES, None]},
        }
    ),
    "CertificateLinks": _obj(
        {
            "page": {"type": "string", "format": "uri"},
            "credential": {"type": "string", "format": "uri"},
            "pdf": {"type": "string", "format": "uri"},
            "verify": {"type": "string", "format": "uri"},
            "api": {"type": "string", "format": "uri"},
        },
        required=["page", "credential", "pdf", "verify"],
    ),
    "CertificateSummary": _obj(
        {
            "serial": {"type": "string"},
            "status": _ref("Status"),
            "holder": _ref("Holder"),
            "standard": _obj({"id": {"type": "string"}, "version": {"type": "string"}}),
            "level": {"type": "string"},
            "validFrom": DATETIME,
            "validUntil": DATETIME,
            "links": _ref("CertificateLinks"),
        }
    ),
    "CertificateList": _obj(
        {
            "items": {"type": "array", "items": _ref("CertificateSummary")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
            "total": {"type": "integer", "minimum": 0},
        }
    ),
    "Certificate": _obj(
        {
            "serial": {"type": "string"},
            "status": _ref("Status"),
            "suspendedUntil": {"oneOf": [DATETIME, {"type": "null"}]},
            "supersededBy": {"type": ["string", "null"]},
            "holder": _ref("Holder"),
            "sites": {"type": "array", "items": _ref("Site")},
            "scope": {"type": "string"},
            "standard": _ref("StandardRef"),
            "level": {"type": "string"},
            "overallScore": DECIMAL,
            "sectionScores": {"type": "array", "items": _ref("SectionScore")},
            "validFrom": DATETIME,
            "validUntil": DATETIME,
            "issuedOn": DATE,
            "surveillanceDue": {"type": "array", "items": DATE},
            "statusHistory": {"type": "array", "items": _ref("StatusChange")},
            "links": _ref("CertificateLinks"),
            "asOf": DATETIME,
        }
    ),
    "CertificateStatusAt": {
        "type": "object",
        "description": "The status on a date and the log entries (with inclusion proofs) "
        "that record it. Further properties may be present.",
        "properties": {
            "serial": {"type": "string"},
            "status": {"type": "string"},
            "entries": {"type": "array"},
        },
        "additionalProperties": True,
    },
    "Check": _obj(
        {
            "name": {"type": "string"},
            "ok": {"type": ["boolean", "null"]},
            "detail": {"type": ["string", "null"]},
        },
        extra=True,
    ),
    "VerifyResult": _obj(
        {
            "verdict": {"type": "string", "enum": VERDICTS},
            "checks": {"type": "array", "items": _ref("Check")},
            "certificate": {"type": ["object", "null"], "additionalProperties": True},
        },
        extra=True,
    ),
    "LogEntries": _obj(
        {
            "entries": {
                "type": "array",
                "maxItems": 1000,
                "items": _obj(
                    {
                        "index": {"type": "integer", "minimum": 0},
                        "entry": {"type": "string"},
                        "leaf_hash": BASE64,
                    },
                    extra=True,
                ),
            }
        },
        extra=True,
    ),
    "Proof": {
        "type": "object",
        "description": "Proof hashes, plus the tree sizes and roots they relate.",
        "properties": {"hashes": {"type": "array", "items": BASE64}},
        "required": ["hashes"],
        "additionalProperties": True,
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }


def _json(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


RESPONSES = {
    "BadRequest": _error("The input is not valid; the message says why."),
    "NotFound": _error("No such thing."),
    "TooMany": {
        **_error("Too many requests from this address; retry after the given seconds."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
    "ServerError": _error("Something went wrong on the registry's side."),
    "Unavailable": _error("A needed resource (e.g. signing keys) is unavailable."),
    "TooLarge": _error("The upload is too large."),
    "Unsupported": _error("The request body has a media type this route does not take."),
}


def _std(*extra: str) -> dict[str, Any]:
    responses = {"429": {"$ref": "#/components/responses/TooMany"}}
    responses["500"] = {"$ref": "#/components/responses/ServerError"}
    names = {
        "400": "BadRequest",
        "404": "NotFound",
        "413": "TooLarge",
        "415": "Unsupported",
        "503": "Unavailable",
    }
    for status in extra:
        responses[status] = {"$ref": f"#/components/responses/{names[status]}"}
    return responses


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False):
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


SERIAL = {
    "name": "serial",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
    "description": "The certificate serial, e.g. ISR-XXXX-XXXX-XXXX-C. A serial typed "
    "differently (lower case, spaces, O for 0) is redirected to its canonical form.",
}
REDIRECT = {
    "description": "The serial was not in canonical form: see Location.",
    "headers": {"Location": {"schema": {"type": "string"}}},
}
INDEX = {"type": "integer", "minimum": 0}


def _paths() -> dict[str, Any]:
    filters = [
        _query(
            "q",
            {"type": "string", "maxLength": 200},
            "Words (prefixes) of the holder's name, or the beginning of a serial.",
        ),
        _query(
            "country",
            {"type": "string", "pattern": "^[A-Za-z]{2}$"},
            "ISO 3166-1 alpha-2 country of the holder.",
        ),
        _query(
            "status",
            {"type": "string", "enum": STATUSES},
            "Live status; active excludes expired certificates.",
        ),
        _query(
            "level",
            {"type": "string", "enum": ["certified", "certified_with_distinction"]},
            "Certification level.",
        ),
        _query(
            "standard",
            {
                "type": "string",
                "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*(@[0-9A-Za-z][0-9A-Za-z_.-]*)?$",
                "maxLength": 140,
            },
            "Standard id, optionally with a version: isrps or isrps@1.0.",
        ),
        _query(
            "page", {"type": "integer", "minimum": 1, "maximum": 100000}, "Page number, from 1."
        ),
        _query(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": 200},
            "Items per page (default 25, at most 200).",
        ),
    ]
    return {
        "/api/v1/ping": {
            "get": {
                "operationId": "ping",
                "summary": "A trivial answer, to check the API is up.",
                "tags": ["meta"],
                "responses": {"200": _json("Ping"), **_std()},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "tags": ["meta"],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_std(),
                },
            }
        },
        "/api/v1/certificates": {
            "get": {
                "operationId": "listCertificates",
                "summary": "Search the registry (the same search as /registry).",
                "description": "Sorted by holder name, then serial. Former certificates "
                "(withdrawn, superseded, expired) are listed unless a status filter leaves "
                "them out.",
                "tags": ["certificates"],
                "parameters": filters,
                "responses": {"200": _json("CertificateList"), **_std("400")},
            }
        },
        "/api/v1/certificates/{serial}": {
            "get": {
                "operationId": "getCertificate",
                "summary": "One certificate: its immutable record and its live status.",
                "tags": ["certificates"],
                "parameters": [SERIAL],
                "responses": {"200": _json("Certificate"), "301": REDIRECT, **_std("404")},
            }
        },
        "/api/v1/certificates/{serial}/status": {
            "get": {
                "operationId": "getCertificateStatusAt",
                "summary": "The status on a date, with the log entries and their inclusion proofs.",
                "tags": ["certificates"],
                "parameters": [
                    SERIAL,
                    _query(
                        "at",
                        {"type": "string", "maxLength": 64},
                        "RFC 3339 date-time or date (default: now).",
                    ),
                ],
                "responses": {
                    "200": _json("CertificateStatusAt"),
                    "301": REDIRECT,
                    **_std("400", "404"),
                },
            }
        },
        "/api/v1/verify": {
            "post": {
                "operationId": "verify",
                "summary": "Verify a certificate PDF or a credential.",
                "description": "Send the PDF (or the credential JSON) as multipart field "
                "`file`, or the credential itself as a JSON body. The verdict is the first "
                "that applies of: " + ", ".join(VERDICTS) + ".",
                "tags": ["verification"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {
                                        "type": "string",
                                        "contentMediaType": "application/octet-stream",
                                    }
                                },
                                "required": ["file"],
                            }
                        },
                        "application/json": {
                            "schema": {"type": "object", "description": "A credential."}
                        },
                    },
                },
                "responses": {
                    "200": _json("VerifyResult"),
                    **_std("400", "413", "415", "503"),
                },
            }
        },
        "/api/v1/log/checkpoint": {
            "get": {
                "operationId": "logCheckpoint",
                "summary": "The latest signed checkpoint (C2SP tlog-checkpoint, signed note).",
                "tags": ["log"],
                "responses": {
                    "200": {
                        "description": "The checkpoint text.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_std("503"),
                },
            }
        },
        "/api/v1/log/entries": {
            "get": {
                "operationId": "logEntries",
                "summary": "Log entries from start (inclusive) to end (exclusive), at most 1000.",
                "tags": ["log"],
                "parameters": [
                    _query("start", INDEX, "First index (inclusive).", required=True),
                    _query("end", INDEX, "Last index (exclusive).", required=True),
                ],
                "responses": {"200": _json("LogEntries"), **_std("400", "404")},
            }
        },
        "/api/v1/log/proof/inclusion": {
            "get": {
                "operationId": "logInclusionProof",
                "summary": "Inclusion proof of entry `index` in the tree of `size` entries.",
                "tags": ["log"],
                "parameters": [
                    _query("index", INDEX, "The entry's index.", required=True),
                    _query("size", INDEX, "The tree size.", required=True),
                ],
                "responses": {"200": _json("Proof"), **_std("400", "404")},
            }
        },
        "/api/v1/log/proof/consistency": {
            "get": {
                "operationId": "logConsistencyProof",
                "summary": "Consistency proof between tree sizes `old` and `new`.",
                "tags": ["log"],
                "parameters": [
                    _query("old", INDEX, "The older tree size.", required=True),
                    _query("new", INDEX, "The newer tree size.", required=True),
                ],
                "responses": {"200": _json("Proof"), **_std("400", "404")},
            }
        },
    }


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
            {"name": "meta", "description": "About the API."},
        ],
        "paths": _paths(),
        "components": {"schemas": SCHEMAS, "responses": RESPONSES},
    }


def openapi_document(server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI document (a fresh copy), naming *server_url* as the server if given."""
    document = copy.deepcopy(_document())
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
