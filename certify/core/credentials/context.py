"""certify's JSON-LD context (issue 20): every term a certificate credential uses beyond the
VC 2.0 context, so JSON-LD processors keep every claim (the VC 2.0 context defines no
catch-all ``@vocab``: without this, PyLD drops the level, the scores, the sites...).

The context is registry-independent and bundled here, in the package: the same bytes for
every registry, served at ``<public url>/contexts/certify-v1.jsonld`` (:data:`CONTEXT_PATH`).
Credentials name it in ``@context`` and pin it in ``relatedResource`` with its SHA-384
(``digestSRI``, VC 2.0 §5.3), so a verifier can use the bundled copy or check a fetched one.
Never edit a published version: a change is a new file name (``certify-v2``) and a new term
set, since signed credentials name this one.

Terms map to schema.org where its meaning fits exactly (address, country, identifier,
version, sha256) and to the certify vocabulary otherwise (:data:`VOCABULARY`). Every term is
``@protected``, so no later context in a credential can redefine it.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from certify.core.canonical import canonical_json

__all__ = [
    "CERTIFY_CONTEXT",
    "CONTEXT_BYTES",
    "CONTEXT_DIGEST_SRI",
    "CONTEXT_MEDIA_TYPE",
    "CONTEXT_PATH",
    "VOCABULARY",
    "context_url",
    "related_resource",
]

#: Where every registry serves the context, under its public URL.
CONTEXT_PATH = "/contexts/certify-v1.jsonld"
CONTEXT_MEDIA_TYPE = "application/ld+json"
#: The certify vocabulary: the namespace of certify's own terms (registry-independent).
VOCABULARY = "https://w3id.org/certify/v1#"
_SCHEMA = "https://schema.org/"


def _term(name: str, **extra: str) -> dict[str, str]:
    return {"@id": VOCABULARY + name, **extra}


#: The context document. Field by field, what a certificate credential says.
CERTIFY_CONTEXT: dict[str, Any] = {
    "@context": {
        "@version": 1.1,
        "@protected": True,
        "ImpactSourcingCertificate": VOCABULARY + "ImpactSourcingCertificate",
        # the issuance entry in the registry's transparency log (RFC 9162, C2SP checkpoints)
        "transparencyLog": {
            "@id": VOCABULARY + "transparencyLog",
            "@context": {
                "@protected": True,
                "index": _term("logIndex", **{"@type": "http://www.w3.org/2001/XMLSchema#integer"}),
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
}

#: The bytes served and hashed: the context's canonical JSON (RFC 8785).
CONTEXT_BYTES: bytes = canonical_json(CERTIFY_CONTEXT)
#: Subresource Integrity string of :data:`CONTEXT_BYTES` (VC 2.0 ``digestSRI``).
CONTEXT_DIGEST_SRI = "sha384-" + base64.b64encode(hashlib.sha384(CONTEXT_BYTES).digest()).decode()


def context_url(public_url: str) -> str:
    """The context's address on the registry at *public_url*."""
    return public_url.rstrip("/") + CONTEXT_PATH


def related_resource(public_url: str) -> dict[str, str]:
    """The ``relatedResource`` entry pinning the context by its hash."""
    return {
        "id": context_url(public_url),
        "digestSRI": CONTEXT_DIGEST_SRI,
        "mediaType": CONTEXT_MEDIA_TYPE,
    }
