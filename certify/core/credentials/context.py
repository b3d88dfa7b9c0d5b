"""certify's JSON-LD contexts: every term a certificate credential uses beyond the VC 2.0
context, so JSON-LD processors keep every claim (the VC 2.0 context defines no catch-all
``@vocab``: without this, PyLD drops the level, the scores, the sites...).

Two versions are published, each registry-independent and bundled here, in the package: the
same bytes for every registry, served at ``<public url>/contexts/certify-v<n>.jsonld``
(:attr:`JsonLdContext.path`).

- ``certify-v1`` (issue 20): the record (holder, sites, scope, standard, level, scores) and the
  transparency-log position. Credentials issued before ``certify-v2`` name it, and outside
  verifiers hold copies of it: its bytes never change (a test pins their hash).
- ``certify-v2`` (issue 22): every term of v1, with the same meaning, and the audited impact
  figures (``impactFigures``: indicator, code, label, value, unit, basis, period,
  ``periodEnd``), the bands (``workforceBand``, ``impactWorkersBand``) and ``certifiedSince``.
  New credentials name it (:data:`CURRENT_CONTEXT`).

Credentials name their context in ``@context`` and pin it in ``relatedResource`` with its
SHA-384 (``digestSRI``, VC 2.0 §5.3), so a verifier can use the bundled copy or check a fetched
one. Never edit a published version: a change is a new file name (``certify-v3``) that keeps
every earlier term, since signed credentials name the older ones. The vocabulary
(:data:`VOCABULARY`) is one namespace for every version: a term means the same in each.

Terms map to schema.org, Dublin Core or RDF Schema where their meaning fits exactly (address,
country, identifier, version, sha256, title, unit, label) and to the certify vocabulary
otherwise. Every term is ``@protected``, so no later context in a credential can redefine it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from certify.core.canonical import canonical_json

__all__ = [
    "CONTEXT_MEDIA_TYPE",
    "CONTEXT_V1",
    "CONTEXT_V2",
    "CURRENT_CONTEXT",
    "PUBLISHED_CONTEXTS",
    "VOCABULARY",
    "JsonLdContext",
]

CONTEXT_MEDIA_TYPE = "application/ld+json"
#: The certify vocabulary: the namespace of certify's own terms (registry-independent).
VOCABULARY = "https://w3id.org/certify/v1#"
_SCHEMA = "https://schema.org/"
_XSD = "http://www.w3.org/2001/XMLSchema#"


def _term(name: str, **extra: str) -> dict[str, str]:
    return {"@id": VOCABULARY + name, **extra}


#: The terms of ``certify-v1``, field by field what a certificate credential says.
_V1_TERMS: dict[str, Any] = {
    "ImpactSourcingCertificate": VOCABULARY + "ImpactSourcingCertificate",
    # the issuance entry in the registry's transparency log (RFC 9162, C2SP checkpoints)
    "transparencyLog": {
        "@id": VOCABULARY + "transparencyLog",
        "@context": {
            "@protected": True,
            "index": _term("logIndex", **{"@type": _XSD + "integer"}),
            "origin": _term("logOrigin"),
        },
    },
    # the certified organisation and what it was certified on (credentialSubject)
    "serial": _term("serial"),
    "country": {"@id": _SCHEMA + "addressCountry"},
    "address": {"@id": _SCHEMA + "address"},
    "sites": _term("site"),
    "scope": _term("scope"),
    "standard": _term("standard"),
    "code": {"@id": _SCHEMA + "identifier"},
    "version": {"@id": _SCHEMA + "version"},
    "sha256": {"@id": _SCHEMA + "sha256"},
    "level": _term("level"),
    "overallScore": _term("overallScore"),
    "sectionScores": _term("sectionScore"),
    "section": _term("section", **{"@type": "@id"}),
    "title": {"@id": "http://purl.org/dc/terms/title"},
    "weight": _term("weight"),
    "score": _term("score"),
}

#: What ``certify-v2`` adds to v1 (credentialSubject): the audited impact figures the standard
#: publishes, bands instead of head counts, and since when the holder is certified unbroken.
_V2_TERMS: dict[str, Any] = {
    "impactFigures": {
        "@id": VOCABULARY + "impactFigure",
        # Scoped: "value", "label", "unit" and "period" mean these things inside a figure only.
        "@context": {
            "@protected": True,
            # the criterion's address on the standard's page (<standard url>#criterion-<id>)
            "indicator": _term("indicator", **{"@type": "@id"}),
            "label": {"@id": "http://www.w3.org/2000/01/rdf-schema#label"},
            "value": _term("value"),
            "unit": {"@id": _SCHEMA + "unitText"},
            "basis": _term("basis"),
            "period": _term("period"),
            "periodEnd": _term("periodEnd", **{"@type": _XSD + "date"}),
        },
    },
    "workforceBand": _term("workforceBand"),
    "impactWorkersBand": _term("impactWorkersBand"),
    "certifiedSince": _term("certifiedSince", **{"@type": _XSD + "dateTime"}),
}


@dataclass(frozen=True)
class JsonLdContext:
    """One published version of certify's context: its document and the bytes served."""

    #: where every registry serves it, under its public URL
    path: str
    document: dict[str, Any]

    @cached_property
    def data(self) -> bytes:
        """The bytes served and hashed: the context's canonical JSON (RFC 8785)."""
        return canonical_json(self.document)

    @cached_property
    def digest_sri(self) -> str:
        """Subresource Integrity string of :attr:`data` (VC 2.0 ``digestSRI``)."""
        return "sha384-" + base64.b64encode(hashlib.sha384(self.data).digest()).decode()

    def url(self, public_url: str) -> str:
        """The context's address on the registry at *public_url*."""
        return public_url.rstrip("/") + self.path

    def related_resource(self, public_url: str) -> dict[str, str]:
        """The ``relatedResource`` entry pinning the context by its hash."""
        return {
            "id": self.url(public_url),
            "digestSRI": self.digest_sri,
            "mediaType": CONTEXT_MEDIA_TYPE,
        }


def _document(terms: dict[str, Any]) -> dict[str, Any]:
    return {"@context": {"@version": 1.1, "@protected": True, **terms}}


CONTEXT_V1 = JsonLdContext("/contexts/certify-v1.jsonld", _document(_V1_TERMS))
CONTEXT_V2 = JsonLdContext("/contexts/certify-v2.jsonld", _document({**_V1_TERMS, **_V2_TERMS}))
#: Every published version, oldest first: the registry serves each at its path.
PUBLISHED_CONTEXTS: tuple[JsonLdContext, ...] = (CONTEXT_V1, CONTEXT_V2)
#: The context new credentials name.
CURRENT_CONTEXT = CONTEXT_V2
