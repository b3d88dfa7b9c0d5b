"""The OpenAPI document's paths, one function per tag: what each route takes and answers."""

from __future__ import annotations

from typing import Any

from certify.api.openapi.schemas import STATUSES, VERDICTS, ref
from certify.core.services import SERVICES
from certify.registry.search import SORTS


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("Error")}},
    }


def _json(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


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


FILTERS = [
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
        "service",
        {"type": "string", "enum": list(SERVICES)},
        "A kind of service the certified scope names (found in the scope's own words).",
    ),
    _query("page", {"type": "integer", "minimum": 1, "maximum": 100000}, "Page number, from 1."),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": 200},
        "Items per page (default 25, at most 200).",
    ),
    _query(
        "sort",
        {"type": "string", "enum": list(SORTS)},
        "Order: name (the default, then serial), country or valid_until; a leading - reverses.",
    ),
]


def meta_paths() -> dict[str, Any]:
    """The API about itself: a ping and this document."""
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
    }


def certificate_paths() -> dict[str, Any]:
    """The registry: search, one certificate, its status on a date."""
    return {
        "/api/v1/certificates": {
            "get": {
                "operationId": "listCertificates",
                "summary": "Search the registry (the same search as /registry).",
                "description": "Sorted by holder name, then serial. Former certificates "
                "(withdrawn, superseded, expired) are listed unless a status filter leaves "
                "them out.",
                "tags": ["certificates"],
                "parameters": FILTERS,
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
    }


def verification_paths() -> dict[str, Any]:
    """Verification of a PDF or a credential."""
    return {
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
    }


def log_paths() -> dict[str, Any]:
    """The transparency log: checkpoint, entries and proofs."""
    return {
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
