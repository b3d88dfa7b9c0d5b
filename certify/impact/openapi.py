"""The impact part of the OpenAPI document (tag ``impact``)."""

from __future__ import annotations

from typing import Any

_DT = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"}
_DEC = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
_STD = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "429": {"$ref": "#/components/responses/TooMany"},
    "500": {"$ref": "#/components/responses/ServerError"},
}


def _ok(name: str) -> dict[str, Any]:
    return {
        "description": "OK",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }


def impact_paths() -> dict[str, Any]:
    return {
        "/api/v1/impact": {
            "get": {
                "operationId": "getRegistryImpact",
                "summary": "Impact across active certificates: totals, medians, distributions "
                "(at most a minute old; see asOf), and each certificate's figures.",
                "tags": ["impact"],
                "responses": {"200": _ok("RegistryImpact"), **_STD},
            }
        },
        "/api/v1/certificates/{serial}/impact": {
            "get": {
                "operationId": "getCertificateImpact",
                "summary": "One certificate's verified impact figures, as recorded at issuance.",
                "tags": ["impact"],
                "parameters": [
                    {
                        "name": "serial",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 64},
                    }
                ],
                "responses": {
                    "200": _ok("CertificateImpact"),
                    "301": {"description": "Not the canonical serial: see Location."},
                    "404": {"$ref": "#/components/responses/NotFound"},
                    **_STD,
                },
            }
        },
    }


FIGURE = {
    "type": "object",
    "properties": {
        "criterion": {"type": "string"},
        "title": {"type": "string"},
        "unit": {"type": "string"},
        "basis": {"type": "string"},
        "value": _DEC,
        "suppressed": {"const": True},
        "reason": {"type": "string"},
    },
    "required": ["criterion", "title", "unit"],
    "additionalProperties": False,
}
BAND = {"type": ["string", "null"], "pattern": r"^\d+(-\d+|\+)$"}
FIGURES = {
    "type": ["object", "null"],
    "properties": {
        "period": {"type": "string"},
        "periodEnd": {"type": "string", "format": "date"},
        "minimumGroupSize": {"type": "integer"},
        "workforceBand": BAND,
        "impactWorkersBand": BAND,
        "targetGroups": {"type": "array", "items": {"type": "string"}},
        "figures": {"type": "array", "items": FIGURE},
    },
    "required": ["period", "minimumGroupSize", "workforceBand", "impactWorkersBand", "figures"],
    "additionalProperties": False,
}
_COUNT = {"type": ["integer", "null"], "minimum": 0}

IMPACT_SCHEMAS: dict[str, Any] = {
    "CertificateImpact": {
        "type": "object",
        "properties": {"serial": {"type": "string"}, "impactFigures": FIGURES},
        "required": ["serial", "impactFigures"],
        "additionalProperties": False,
    },
    "RegistryImpact": {
        "type": "object",
        "properties": {
            "asOf": _DT,
            "certificates": {"type": "integer", "minimum": 0},
            "impactWorkersAtLeast": {"type": "integer", "minimum": 0},
            "byCountry": {"type": "array", "items": {"type": "object"}},
            "byTargetGroup": {"type": "array", "items": {"type": "object"}},
            "indicators": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "criterion": {"type": "string"},
                        "title": {"type": "string"},
                        "unit": {"type": "string"},
                        "certificates": _COUNT,
                        "median": {"type": ["string", "null"]},
                        "distribution": {"type": "array"},
                    },
                    "required": ["criterion", "median", "certificates"],
                },
            },
            "minimumCertificates": {"type": "integer"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "serial": {"type": "string"},
                        "country": {"type": "string"},
                        "impactFigures": FIGURES,
                    },
                    "required": ["serial", "country", "impactFigures"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["asOf", "certificates", "indicators", "items"],
        "additionalProperties": False,
    },
}
