"""The OpenAPI document's schemas (``components/schemas``): the bodies of the API's answers.

Schemas are JSON Schema 2020-12, as OpenAPI 3.1 uses. The contract's lists (statuses,
verdicts, reason categories) come from where they are defined, so the document cannot drift.
"""

from __future__ import annotations

from typing import Any

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


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(
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
        **obj(
            {
                "error": obj(
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
    "Ping": obj({"status": {"const": "ok"}}),
    "Holder": obj(
        {
            "name": {"type": "string"},
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            # in certificates issued since issue 20
            "registrationNumber": {"type": "string"},
        },
        required=["name", "country"],
    ),
    "Site": obj(
        {
            "name": {"type": "string"},
            "address": {"type": "string"},
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
        }
    ),
    "StandardRef": obj(
        {
            "id": {"type": "string"},
            "version": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "title": {"type": "string"},
        },
        required=["id", "version", "sha256"],
    ),
    "SectionScore": obj(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "weight": {"type": "string"},
            "score": DECIMAL,
        }
    ),
    "StatusChange": obj(
        {
            "changedAt": DATETIME,
            "change": {
                "type": "string",
                "enum": [
                    "issued",
                    "suspended",
                    "reinstated",
                    "withdrawn",
                    "superseded",
                    "expired",
                ],
            },
            "previousStatus": {"type": ["string", "null"]},
            "newStatus": {"type": "string"},
            "reasonCategory": {"enum": [*REASON_CATEGORIES, None]},
        }
    ),
    "CertificateLinks": obj(
        {
            "page": {"type": "string", "format": "uri"},
            "credential": {"type": "string", "format": "uri"},
            "pdf": {"type": "string", "format": "uri"},
            "verify": {"type": "string", "format": "uri"},
            "api": {"type": "string", "format": "uri"},
        },
        required=["page", "credential", "pdf", "verify"],
    ),
    "CertificateSummary": obj(
        {
            "serial": {"type": "string"},
            "status": ref("Status"),
            "holder": ref("Holder"),
            "standard": obj({"id": {"type": "string"}, "version": {"type": "string"}}),
            "level": {"type": "string"},
            "validFrom": DATETIME,
            "validUntil": DATETIME,
            "links": ref("CertificateLinks"),
        }
    ),
    "CertificateList": obj(
        {
            "items": {"type": "array", "items": ref("CertificateSummary")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
            "total": {"type": "integer", "minimum": 0},
        }
    ),
    "Certificate": obj(
        {
            "serial": {"type": "string"},
            "status": ref("Status"),
            "suspendedUntil": {"oneOf": [DATETIME, {"type": "null"}]},
            "supersededBy": {"type": ["string", "null"]},
            "holder": ref("Holder"),
            "sites": {"type": "array", "items": ref("Site")},
            "scope": {"type": "string"},
            "standard": ref("StandardRef"),
            "level": {"type": "string"},
            "overallScore": DECIMAL,
            "sectionScores": {"type": "array", "items": ref("SectionScore")},
            "validFrom": DATETIME,
            "validUntil": DATETIME,
            "issuedOn": DATE,
            "surveillanceDue": {"type": "array", "items": DATE},
            "certifiedSince": {
                **DATETIME,
                "description": "When the holder was first certified without a break: the "
                "validFrom of the first certificate this one renews (its own for a first).",
            },
            "statusHistory": {"type": "array", "items": ref("StatusChange")},
            "links": ref("CertificateLinks"),
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
    "Check": obj(
        {
            "name": {"type": "string"},
            "ok": {"type": ["boolean", "null"]},
            "detail": {"type": ["string", "null"]},
        },
        extra=True,
    ),
    "VerifyResult": obj(
        {
            "verdict": {"type": "string", "enum": VERDICTS},
            "checks": {"type": "array", "items": ref("Check")},
            "certificate": {"type": ["object", "null"], "additionalProperties": True},
        },
        extra=True,
    ),
    "LogEntries": obj(
        {
            "entries": {
                "type": "array",
                "maxItems": 1000,
                "items": obj(
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
