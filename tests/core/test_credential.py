"""Credentials: W3C VC 2.0 shape, eddsa-jcs-2022 proofs (W3C vector + an independent
verifier), did:web, DID document, key export, and the Ed25519 key helpers."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certify.core.canonical import canonical_json
from certify.core.credentials.building import build_credential
from certify.core.credentials.context import CONTEXT_V1, CONTEXT_V2, CURRENT_CONTEXT
from certify.core.credentials.dates import format_datetime, parse_datetime
from certify.core.credentials.keydocs import (
    credential_keys_from_export,
    did_document,
    key_export,
    key_resolver,
)
from certify.core.credentials.keys import (
    CredentialKey,
    KeyMaterialError,
    generate_private_key,
    key_id,
    private_key_from_pem,
    private_key_to_pem,
    public_key_from_raw,
    public_key_multibase,
    public_key_pem,
    public_key_raw,
)
from certify.core.credentials.multibase import ed25519_secret_from_multikey
from certify.core.credentials.proofs import (
    ProofCheck,
    hash_data,
    proof_configuration,
    sign_credential,
    verify_credential,
)
from certify.core.credentials.urls import (
    did_web_from_url,
    normalise_public_url,
    verification_method_id,
)
from certify.core.credentials.vocabulary import CredentialError

VECTORS = Path(__file__).parent / "data" / "vc-di-eddsa"
PUBLIC_URL = "https://registry.example.org"
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


# =========================================================================== independent verifier
# Written from the vc-di-eddsa specification, sharing no code with certify: it uses only
# rfc8785, hashlib, cryptography and its own base58 decoder.

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _spec_b58decode(text: str) -> bytes:
    number = 0
    for ch in text:
        number = number * 58 + _B58.index(ch)  # ValueError on foreign characters
    pad = len(text) - len(text.lstrip("1"))
    return b"\x00" * pad + number.to_bytes((number.bit_length() + 7) // 8, "big")


def independent_verify(secured: dict[str, Any], public_key_multibase: str) -> bool:
    """vc-di-eddsa 3.3.2 "Verify Proof (eddsa-jcs-2022)", for one proof, one known key."""
    try:
        unsecured = {k: v for k, v in secured.items() if k != "proof"}
        proof_options = dict(secured["proof"])
        proof_value = proof_options.pop("proofValue")
        if proof_options.get("type") != "DataIntegrityProof":
            return False
        if proof_options.get("cryptosuite") != "eddsa-jcs-2022":
            return False
        if not proof_value.startswith("z"):
            return False
        proof_bytes = _spec_b58decode(proof_value[1:])
        if "@context" in proof_options:
            # The secured document's @context must start with the proof's, in order.
            ctx = proof_options["@context"]
            doc_ctx = secured.get("@context")
            if not isinstance(ctx, list) or not isinstance(doc_ctx, list):
                return False
            if doc_ctx[: len(ctx)] != ctx:
                return False
            unsecured["@context"] = ctx
        # Proof Configuration: the proof options with the document's @context.
        proof_config = dict(proof_options)
        proof_config["@context"] = unsecured["@context"]
        # Hashing: SHA-256(JCS(proof config)) || SHA-256(JCS(document)).
        hash_bytes = (
            hashlib.sha256(rfc8785.dumps(proof_config)).digest()
            + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
        )
        key_bytes = _spec_b58decode(public_key_multibase[1:])
        if key_bytes[:2] != b"\xed\x01" or len(key_bytes) != 34:
            return False
        Ed25519PublicKey.from_public_bytes(key_bytes[2:]).verify(proof_bytes, hash_bytes)
    except (InvalidSignature, KeyError, TypeError, ValueError, AttributeError):
        return False
    return True


# =========================================================================== fixtures


def vector_private_key() -> Ed25519PrivateKey:
    pair = json.loads((VECTORS / "keyPair.json").read_text())
    return Ed25519PrivateKey.from_private_bytes(
        ed25519_secret_from_multikey(pair["privateKeyMultibase"])
    )


def snapshot() -> dict[str, Any]:
    return {
        "serial": "ISR-7K2M-Q9XD-4H0B-3",
        "holder": {"name": "Ubuntu Data Services Ltd", "country": "KE"},
        "sites": [
            {
                "name": "Nairobi delivery centre",
                "address": "Mombasa Road 12, Nairobi",
                "country": "KE",
            },
            {"name": "Kisumu hub", "address": "Oginga Odinga St 4\nKisumu", "country": "KE"},
        ],
        "scope": "Data annotation and content moderation services",
        "standard": {
            "id": "isrps",
            "version": "1.0",
            "title": "Impact Sourcing Responsible Practice Standard",
            "sha256": "ab" * 32,
        },
        "level": "certified_with_distinction",
        "overallScore": "82.50",
        "sectionScores": [
            {"id": "hiring", "title": "Inclusive hiring", "weight": "0.30", "score": "90.00"},
            {"id": "wages", "title": "Fair pay", "weight": "0.70", "score": "79.29"},
        ],
        "validFrom": "2025-03-01T00:00:00Z",
        "validUntil": "2028-02-29T23:59:59Z",
        "issuedOn": "2025-03-01",
        "surveillanceDue": ["2026-03-01", "2027-03-01"],
        "publicUrl": PUBLIC_URL,
    }


STATUS = [
    {"purpose": "suspension", "list_id": "1", "index": 4711},
    {"purpose": "revocation", "list_id": "1", "index": 90210},
]


@pytest.fixture(scope="module")
def signing_key() -> CredentialKey:
    return CredentialKey.from_key(Ed25519PrivateKey.generate(), T0 - timedelta(days=30))


@pytest.fixture(scope="module")
def issued(signing_key: CredentialKey) -> dict[str, Any]:
    doc = build_credential(
        snapshot(),
        public_url=PUBLIC_URL,
        issuer_name="Impact Sourcing Certification Body",
        status_entries=STATUS,
        log_index=41,
        log_origin="registry.example.org/log",
    )
    assert signing_key.private_key is not None
    return sign_credential(
        doc, signing_key.private_key, verification_method_id(PUBLIC_URL, signing_key.id), T0
    )


def resolver(key: CredentialKey):
    return key_resolver(PUBLIC_URL, [key])


# =========================================================================== W3C test vector


def test_vector_files_are_consistent_with_each_other():
    signed = json.loads((VECTORS / "signedJCS.json").read_text())
    config = json.loads((VECTORS / "proofConfigJCS.json").read_text())
    proof = dict(signed["proof"])
    assert proof.pop("proofValue") == (VECTORS / "sigBTC58JCS.txt").read_text()
    assert proof == config


def test_vector_intermediate_values():
    signed = json.loads((VECTORS / "signedJCS.json").read_text())
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    options = {k: v for k, v in signed["proof"].items() if k not in ("proofValue", "@context")}

    assert canonical_json(unsecured) == (VECTORS / "canonDocJCS.txt").read_bytes()
    doc_hash = (VECTORS / "docHashJCS.txt").read_text()
    assert hashlib.sha256(canonical_json(unsecured)).hexdigest() == doc_hash

    config = proof_configuration(unsecured, options)
    assert config == json.loads((VECTORS / "proofConfigJCS.json").read_text())
    proof_hash = (VECTORS / "proofHashJCS.txt").read_text()
    assert hashlib.sha256(canonical_json(config)).hexdigest() == proof_hash

    assert hash_data(unsecured, config).hex() == proof_hash + doc_hash


def test_signer_reproduces_the_vector_exactly():
    text = (VECTORS / "signedJCS.json").read_text()
    signed = json.loads(text)
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    before = copy.deepcopy(unsecured)
    ours = sign_credential(
        unsecured,
        vector_private_key(),
        signed["proof"]["verificationMethod"],
        datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
    )
    assert unsecured == before  # input untouched
    assert ours == signed
    assert json.dumps(ours, indent=2) == text  # same properties, same order
    signature = bytes.fromhex((VECTORS / "sigHexJCS.txt").read_text())
    assert ours["proof"]["proofValue"] == (VECTORS / "sigBTC58JCS.txt").read_text()
    vector_public = vector_private_key().public_key()
    vector_public.verify(
        signature, hash_data(unsecured, proof_configuration(unsecured, signed["proof"]))
    )


def test_verifiers_accept_the_vector():
    signed = json.loads((VECTORS / "signedJCS.json").read_text())
    pair = json.loads((VECTORS / "keyPair.json").read_text())
    method = signed["proof"]["verificationMethod"]
    public = vector_private_key().public_key()
    check = verify_credential(signed, {method: public}.get)
    assert check == ProofCheck(
        True, "signature verified", method, datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
    )
    assert independent_verify(signed, pair["publicKeyMultibase"])


def test_vector_without_proof_context_still_verifies():
    # Per the spec the proof's @context is optional: the document's is used instead.
    signed = json.loads((VECTORS / "signedJCS.json").read_text())
    del signed["proof"]["@context"]
    method = signed["proof"]["verificationMethod"]
    assert verify_credential(signed, {method: vector_private_key().public_key()}.get).ok


def test_independent_verifier_can_fail():
    signed = json.loads((VECTORS / "signedJCS.json").read_text())
    pair = json.loads((VECTORS / "keyPair.json").read_text())
    signed["credentialSubject"]["alumniOf"] = "Another School"
    assert not independent_verify(signed, pair["publicKeyMultibase"])


# =========================================================================== building


def test_build_credential_shape():
    doc = build_credential(
        snapshot(),
        public_url=PUBLIC_URL + "/",
        issuer_name="Impact Sourcing Certification Body",
        status_entries=STATUS,
    )
    std = "https://registry.example.org/standards/isrps/1.0"
    assert doc == {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://registry.example.org/contexts/certify-v2.jsonld",
        ],
        "id": "https://registry.example.org/certificates/ISR-7K2M-Q9XD-4H0B-3",
        "type": ["VerifiableCredential", "ImpactSourcingCertificate"],
        "issuer": {
            "id": "did:web:registry.example.org",
            "name": "Impact Sourcing Certification Body",
        },
        "validFrom": "2025-03-01T00:00:00Z",
        "validUntil": "2028-02-29T23:59:59Z",
        "credentialSubject": {
            "name": "Ubuntu Data Services Ltd",
            "country": "KE",
            "sites": [
                {
                    "name": "Nairobi delivery centre",
                    "address": "Mombasa Road 12, Nairobi",
                    "country": "KE",
                },
                {"name": "Kisumu hub", "address": "Oginga Odinga St 4\nKisumu", "country": "KE"},
            ],
            "scope": "Data annotation and content moderation services",
            "standard": {"id": std, "code": "isrps", "version": "1.0", "sha256": "ab" * 32},
            "level": "certified_with_distinction",
            "overallScore": "82.50",
            "sectionScores": [
                {
                    "section": f"{std}#section-hiring",
                    "code": "hiring",
                    "title": "Inclusive hiring",
                    "weight": "0.30",
                    "score": "90.00",
                },
                {
                    "section": f"{std}#section-wages",
                    "code": "wages",
                    "title": "Fair pay",
                    "weight": "0.70",
                    "score": "79.29",
                },
            ],
            "serial": "ISR-7K2M-Q9XD-4H0B-3",
            "certifiedSince": "2025-03-01T00:00:00Z",
        },
        "credentialStatus": [
            {
                "id": "https://registry.example.org/status/revocation/1#90210",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "90210",
                "statusListCredential": "https://registry.example.org/status/revocation/1",
            },
            {
                "id": "https://registry.example.org/status/suspension/1#4711",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "suspension",
                "statusListIndex": "4711",
                "statusListCredential": "https://registry.example.org/status/suspension/1",
            },
        ],
        "relatedResource": [
            {
                "id": "https://registry.example.org/contexts/certify-v2.jsonld",
                "digestSRI": CONTEXT_V2.digest_sri,
                "mediaType": "application/ld+json",
            }
        ],
    }


def test_build_credential_log_index_and_no_aliasing():
    snap = snapshot()
    doc = build_credential(
        snap,
        public_url=PUBLIC_URL,
        issuer_name="CB",
        status_entries=STATUS,
        log_index=0,
        log_origin="registry.example.org/log",
    )
    assert doc["transparencyLog"] == {"index": 0, "origin": "registry.example.org/log"}
    doc2 = build_credential(
        snap, public_url=PUBLIC_URL, issuer_name="CB", status_entries=STATUS, log_index=7
    )
    assert doc2["transparencyLog"] == {"index": 7}
    doc["credentialSubject"]["sites"][0]["name"] = "changed"
    doc["credentialSubject"]["sectionScores"][0]["score"] = "0"
    assert snap == snapshot()


def test_build_credential_accepts_datetimes_and_decimals():
    snap = snapshot()
    snap["validFrom"] = datetime(2025, 3, 1, 3, 0, tzinfo=UTC) + timedelta(hours=0)
    snap["validUntil"] = "2028-03-01T02:59:59+03:00"
    snap["overallScore"] = Decimal("82.50")
    snap["sectionScores"][0]["weight"] = 3
    doc = build_credential(snap, public_url=PUBLIC_URL, issuer_name="CB", status_entries=STATUS)
    assert doc["validFrom"] == "2025-03-01T03:00:00Z"
    assert doc["validUntil"] == "2028-02-29T23:59:59Z"
    assert doc["credentialSubject"]["overallScore"] == "82.50"
    assert doc["credentialSubject"]["sectionScores"][0]["weight"] == 3


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    snap = snapshot()
    target: Any = snap
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return snap


#: The hash of certify-v1 as published (issue 20): outside verifiers hold copies; never change.
CERTIFY_V1_SRI = "sha384-Vixt0SNkx6UvXH4SBrxWjexBSw8jDrkkS0PGtQJjI9qd1ZZLBMs3ErhstIHwWxKX"


def test_certify_v1_is_unchanged_and_v2_keeps_every_v1_term_as_it_was():
    assert CONTEXT_V1.digest_sri == CERTIFY_V1_SRI
    assert CONTEXT_V1.path == "/contexts/certify-v1.jsonld"
    assert CONTEXT_V2.path == "/contexts/certify-v2.jsonld" and CURRENT_CONTEXT is CONTEXT_V2
    v1, v2 = CONTEXT_V1.document["@context"], CONTEXT_V2.document["@context"]
    assert {k: v2[k] for k in v1} == v1
    assert set(v2) - set(v1) == {
        "impactFigures", "workforceBand", "impactWorkersBand", "certifiedSince",
    }  # fmt: skip


def _impact_record() -> dict[str, Any]:
    """A record as :func:`certify.core.impact.figures.impact_figures` makes it."""
    return {
        "period": "the 12 months before the audit",
        "periodEnd": "2025-02-20",
        "minimumGroupSize": 10,
        "workforceBand": "250-999",
        "impactWorkersBand": "50-249",
        "targetGroups": ["Youth"],
        "figures": [
            {"criterion": "FW-3", "title": "Median income uplift", "unit": "percent",
             "value": "200.00"},
            {"criterion": "CR-1", "title": "Community reinvestment", "unit": "percent",
             "basis": "Share of profit", "value": "5.25"},
            {"criterion": "TC-2", "title": "Training hours", "unit": "",
             "suppressed": True, "reason": "not applicable or not recorded"},
        ],
    }  # fmt: skip


def test_the_credential_signs_the_published_impact_figures_and_since_when():
    snap = {**snapshot(), "impactFigures": _impact_record()}
    doc = build_credential(
        snap, public_url=PUBLIC_URL, issuer_name="CB", status_entries=STATUS,
        certified_since=datetime(2022, 1, 5, 9, 30, tzinfo=UTC),
    )  # fmt: skip
    subject = doc["credentialSubject"]
    std = "https://registry.example.org/standards/isrps/1.0"
    assert subject["certifiedSince"] == "2022-01-05T09:30:00Z"
    assert subject["workforceBand"] == "250-999" and subject["impactWorkersBand"] == "50-249"
    period = {"period": "the 12 months before the audit", "periodEnd": "2025-02-20"}
    assert subject["impactFigures"] == [
        {
            "indicator": f"{std}#criterion-FW-3",
            "code": "FW-3",
            "label": "Median income uplift",
            "value": "200.00",
            "unit": "percent",
            **period,
        },
        {
            "indicator": f"{std}#criterion-CR-1",
            "code": "CR-1",
            "label": "Community reinvestment",
            "value": "5.25",
            "unit": "percent",
            "basis": "Share of profit",
            **period,
        },
    ]  # fmt: skip  (the withheld TC-2 is not signed: it has no value anywhere)


def test_a_small_holders_credential_signs_no_figure_about_its_impact_workers():
    record = _impact_record()
    record["impactWorkersBand"] = None
    for figure in record["figures"]:
        figure.pop("value", None)
        figure["suppressed"] = True
    snap = {**snapshot(), "impactFigures": record}
    subject = build_credential(
        snap, public_url=PUBLIC_URL, issuer_name="CB", status_entries=STATUS
    )["credentialSubject"]
    assert "impactFigures" not in subject and "impactWorkersBand" not in subject
    assert subject["workforceBand"] == "250-999"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(workforceBand="317"), "band"),
        (lambda r: r.update(figures="FW-3"), "list of objects"),
        (lambda r: r["figures"][0].update(value=200.0), "decimal string"),
        (lambda r: r["figures"][0].update(title=""), "title"),
        (lambda r: r.update(periodEnd="last year"), "periodEnd"),
    ],
)
def test_malformed_impact_figures_are_refused(change, message):
    record = _impact_record()
    change(record)
    with pytest.raises(CredentialError, match=message):
        build_credential(
            {**snapshot(), "impactFigures": record},
            public_url=PUBLIC_URL, issuer_name="CB", status_entries=STATUS,
        )  # fmt: skip


def test_certified_since_is_never_after_valid_from():
    with pytest.raises(CredentialError, match="certifiedSince must not be after"):
        build_credential(
            snapshot(), public_url=PUBLIC_URL, issuer_name="CB", status_entries=STATUS,
            certified_since="2025-03-02T00:00:00Z",
        )  # fmt: skip


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["serial"], _DELETE, "missing 'serial'"),
        (["serial"], "isr-lower", "canonical serial"),
        (["serial"], "ISR/../x", "canonical serial"),
        (["holder"], "Ubuntu", "holder must be an object"),
        (["holder", "country"], "Kenya", "ISO 3166-1"),
        (["sites"], "Nairobi", "sites must be a list"),
        (["sites", 0, "address"], "", "non-empty"),
        (["standard", "sha256"], "AB" * 32, "64 lower-case hex"),
        (["overallScore"], 82.5, "not a float"),
        (["overallScore"], "82,50", "decimal number"),
        (["overallScore"], Decimal("NaN"), "finite"),
        (["sectionScores", 1, "score"], True, "not a float"),
        (["validFrom"], "2025-03-01", "RFC 3339"),
        (["validFrom"], "2025-03-01T00:00:00", "RFC 3339"),
        (["validFrom"], datetime(2025, 3, 1), "RFC 3339"),
        (["validFrom"], "2025-03-01T00:00:00.5Z", "whole second"),
        (["validUntil"], "2025-03-01T00:00:00Z", "after validFrom"),
        (["level"], None, "non-empty string"),
    ],
)
def test_build_credential_rejects_bad_snapshots(path, value, message):
    with pytest.raises(CredentialError, match=message):
        build_credential(
            _broken(path, value), public_url=PUBLIC_URL, issuer_name="CB", status_entries=STATUS
        )


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([STATUS[0]], "missing status entries for revocation"),
        ([*STATUS, STATUS[0]], "two status entries"),
        ([{**STATUS[0], "purpose": "message"}, STATUS[1]], "status purpose"),
        ([{**STATUS[0], "index": -1}, STATUS[1]], "non-negative"),
        ([{**STATUS[0], "index": "5"}, STATUS[1]], "non-negative"),
        ([{**STATUS[0], "list_id": "a/b"}, STATUS[1]], "list id"),
        ("revocation", "must be a list"),
    ],
)
def test_build_credential_rejects_bad_status_entries(entries, message):
    with pytest.raises(CredentialError, match=message):
        build_credential(
            snapshot(), public_url=PUBLIC_URL, issuer_name="CB", status_entries=entries
        )


def test_build_credential_rejects_bad_arguments():
    kwargs: dict[str, Any] = {
        "public_url": PUBLIC_URL,
        "issuer_name": "CB",
        "status_entries": STATUS,
    }
    with pytest.raises(CredentialError, match="issuer_name"):
        build_credential(snapshot(), **{**kwargs, "issuer_name": " "})
    with pytest.raises(CredentialError, match="log_index"):
        build_credential(snapshot(), **kwargs, log_index=-1)
    with pytest.raises(CredentialError, match="without log_index"):
        build_credential(snapshot(), **kwargs, log_origin="x")
    with pytest.raises(CredentialError, match="public URL"):
        build_credential(snapshot(), **{**kwargs, "public_url": "ftp://x"})


# =========================================================================== did:web and URLs


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://registry.example.org", "did:web:registry.example.org"),
        ("https://Registry.Example.ORG/", "did:web:registry.example.org"),
        ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000"),
        ("https://localhost:8443", "did:web:localhost%3A8443"),
        ("https://example.org:443", "did:web:example.org"),  # default port dropped
        ("https://example.org/isr", "did:web:example.org:isr"),
        ("https://example.org/a/b/", "did:web:example.org:a:b"),
        ("https://example.org:8080/a/b", "did:web:example.org%3A8080:a:b"),
        ("https://bücher.example", "did:web:xn--bcher-kva.example"),
        ("https://example.org/a%3Ab", "did:web:example.org:a%3Ab"),
    ],
)
def test_did_web_from_url(url, did):
    assert did_web_from_url(url) == did


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "registry.example.org",
        "ftp://x.org",
        "https://",
        "https://u:p@x.org",
        "https://x.org/?q=1",
        "https://x.org/#f",
        "https://x.org:99999",
        42,
    ],
)
def test_did_web_rejects_bad_urls(bad):
    with pytest.raises(CredentialError):
        did_web_from_url(bad)


def test_normalise_public_url_and_method_id():
    assert normalise_public_url("HTTP://Example.org:80/x/") == "http://example.org/x"
    assert (
        verification_method_id("http://127.0.0.1:5000", "abcd2345")
        == "did:web:127.0.0.1%3A5000#abcd2345"
    )


def test_datetime_helpers():
    assert format_datetime(datetime(2025, 1, 2, 3, 4, 5, 999, tzinfo=UTC)) == "2025-01-02T03:04:05Z"
    assert parse_datetime("2025-01-02T05:04:05.123456789+02:00") == datetime(
        2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC
    )
    for bad in [
        "2025-01-02",
        "2025-01-02T03:04:05",
        "2025-13-02T03:04:05Z",
        "9999-12-31T23:59:59-01:00",
        None,
        5,
    ]:
        with pytest.raises(ValueError, match="date-time"):
            parse_datetime(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        format_datetime(datetime(2025, 1, 1))


# =========================================================================== signing and verifying


def test_issued_credential_verifies_with_both_verifiers(issued, signing_key):
    check = verify_credential(issued, resolver(signing_key))
    assert check.ok, check.reason
    assert check.verification_method == f"did:web:registry.example.org#{signing_key.id}"
    assert check.created == T0
    assert issued["proof"]["created"] == "2025-03-01T12:00:00Z"
    assert issued["proof"]["@context"] == issued["@context"]
    assert independent_verify(issued, signing_key.public_key_multibase)


def test_signing_is_deterministic_and_pure(signing_key):
    doc = build_credential(
        snapshot(), public_url=PUBLIC_URL, issuer_name="CB", status_entries=STATUS
    )
    before = copy.deepcopy(doc)
    method = verification_method_id(PUBLIC_URL, signing_key.id)
    a = sign_credential(doc, signing_key.private_key, method, T0)
    b = sign_credential(doc, signing_key.private_key, method, T0 + timedelta(microseconds=5))
    assert a == b
    assert doc == before
    assert "proof" not in doc


def test_sign_credential_refuses_bad_documents(issued, signing_key):
    method = verification_method_id(PUBLIC_URL, signing_key.id)
    with pytest.raises(CredentialError, match="already has a proof"):
        sign_credential(issued, signing_key.private_key, method, T0)
    with pytest.raises(CredentialError, match="@context"):
        sign_credential({"id": "x"}, signing_key.private_key, method, T0)
    with pytest.raises(CredentialError, match="canonicalised"):
        sign_credential({"@context": [], "x": float("nan")}, signing_key.private_key, method, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_credential({"@context": []}, signing_key.private_key, method, datetime(2025, 1, 1))


def test_key_order_does_not_matter(issued, signing_key):
    reordered = json.loads(json.dumps(issued, sort_keys=True))
    reordered = dict(reversed(list(reordered.items())))
    assert verify_credential(reordered, resolver(signing_key)).ok
    assert independent_verify(reordered, signing_key.public_key_multibase)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, (*path, index))
    else:
        yield path, value


def containers(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict | list):
        yield path, value
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in children:
            yield from containers(child, (*path, key))


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        document = document[key]
    return document


def altered(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        # Change one character in the middle (keeps base58 valid for proofValue).
        mid = len(value) // 2
        return value[:mid] + ("2" if value[mid : mid + 1] != "2" else "3") + value[mid + 1 :]
    raise AssertionError(f"unexpected leaf {value!r}")


def test_changing_any_leaf_breaks_verification(issued, signing_key):
    paths = list(leaves(issued))
    assert len(paths) > 40  # the walk really covers the document
    for path, value in paths:
        tampered = copy.deepcopy(issued)
        at(tampered, path)[path[-1]] = altered(value)
        check = verify_credential(tampered, resolver(signing_key))
        assert not check.ok, path
        assert not independent_verify(tampered, signing_key.public_key_multibase), path


def test_removing_or_adding_any_property_breaks_verification(issued, signing_key):
    for path, container in containers(issued):
        keys = (
            list(container.keys()) if isinstance(container, dict) else list(range(len(container)))
        )
        for key in keys:
            if path == ("proof",) and key == "@context":
                continue  # optional per spec: the document's @context is used (tested above)
            tampered = copy.deepcopy(issued)
            target = tampered
            for step in path:
                target = target[step]
            del target[key]
            assert not verify_credential(tampered, resolver(signing_key)).ok, (path, key)
            assert not independent_verify(tampered, signing_key.public_key_multibase), (path, key)
        tampered = copy.deepcopy(issued)
        target = tampered
        for step in path:
            target = target[step]
        if isinstance(target, dict):
            target["extra"] = "added"
        else:
            target.append("added")
        assert not verify_credential(tampered, resolver(signing_key)).ok, path
        if path == ("@context",):
            # The spec lets a document extend the proof's @context, so a conforming verifier
            # accepts an appended context; ours refuses it (it could redefine signed terms).
            assert independent_verify(tampered, signing_key.public_key_multibase)
        else:
            assert not independent_verify(tampered, signing_key.public_key_multibase), path


def test_wrong_key_and_unknown_key(issued, signing_key):
    other = CredentialKey.from_key(Ed25519PrivateKey.generate(), T0)
    method = issued["proof"]["verificationMethod"]
    check = verify_credential(issued, {method: other.public_key}.get)
    assert not check.ok
    assert "does not match" in check.reason
    check = verify_credential(issued, resolver(other))
    assert not check.ok
    assert "not one of this registry's keys" in check.reason
    assert check.verification_method == method
    assert check.created == T0


def test_resolver_errors_fail_closed(issued):
    def broken(method: str) -> Ed25519PublicKey | None:
        raise RuntimeError("database down")

    check = verify_credential(issued, broken)
    assert not check.ok
    assert "could not be looked up" in check.reason
    assert not verify_credential(issued, lambda m: "not a key").ok  # type: ignore[arg-type,return-value]


def _with_proof(issued: dict[str, Any], **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(issued)
    for key, value in changes.items():
        key = key.replace("_at_", "@")
        if value is _DELETE:
            doc["proof"].pop(key, None)
        else:
            doc["proof"][key] = value
    return doc


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"type": "Ed25519Signature2020"}, "proof type"),
        ({"type": _DELETE}, "proof type"),
        ({"cryptosuite": "eddsa-rdfc-2022"}, "cryptosuite"),
        ({"cryptosuite": ["eddsa-jcs-2022"]}, "cryptosuite"),
        ({"proofPurpose": "authentication"}, "proof purpose"),
        ({"verificationMethod": 5}, "verification method"),
        ({"verificationMethod": ""}, "verification method"),
        ({"created": _DELETE}, "created"),
        ({"created": "yesterday"}, "created"),
        ({"created": 1700000000}, "created"),
        ({"proofValue": _DELETE}, "proof value"),
        ({"proofValue": None}, "proof value"),
        ({"proofValue": "z" + "0OIl" * 20}, "base58btc"),
        ({"proofValue": "u" + "A" * 86}, "base58btc"),
        ({"proofValue": "z" + "2" * 5000}, "proof value"),
        ({"proofValue": "z2"}, "not an Ed25519 signature"),
        ({"proofValue": ""}, "base58btc"),
        (
            {"_at_context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"]},
            "@context",
        ),
        ({"expires": "2030-01-01T00:00:00Z"}, "unsupported properties: expires"),
        ({"previousProof": "urn:x"}, "unsupported properties"),
    ],
)
def test_malformed_proofs_are_refused(issued, signing_key, changes, reason):
    check = verify_credential(_with_proof(issued, **changes), resolver(signing_key))
    assert not check.ok
    assert reason in check.reason


@pytest.mark.parametrize(
    "document",
    [
        None,
        5,
        "credential",
        [],
        [1, 2],
        {},
        {"proof": None},
        {"proof": []},
        {"proof": "x"},
        {"proof": [{}]},
        {"proof": {}},
        {"@context": 5, "proof": {"type": "DataIntegrityProof"}},
        {1: "x", "proof": {}},
    ],
)
def test_hostile_documents_never_raise(document, signing_key):
    check = verify_credential(document, resolver(signing_key))
    assert isinstance(check, ProofCheck)
    assert not check.ok
    assert check.reason


def test_hostile_values_inside_a_signed_shape(issued, signing_key):
    for bad_value in [float("nan"), float("inf"), 2**60, {1: 2}, b"bytes", {"x"}, object()]:
        doc = copy.deepcopy(issued)
        doc["credentialSubject"]["name"] = bad_value
        check = verify_credential(doc, resolver(signing_key))
        assert not check.ok
    doc = copy.deepcopy(issued)
    del doc["@context"]
    assert "no @context" in verify_credential(doc, resolver(signing_key)).reason


def test_deeply_nested_document_does_not_raise(issued, signing_key):
    doc = copy.deepcopy(issued)
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    doc["credentialSubject"]["name"] = deep
    check = verify_credential(doc, resolver(signing_key))
    assert not check.ok


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=json_values, proof=json_values)
def test_fuzzed_documents_never_raise(issued, signing_key, document, proof):
    check = verify_credential(document, resolver(signing_key))
    assert not check.ok
    mixed = copy.deepcopy(issued)
    mixed["proof"] = proof
    assert not verify_credential(mixed, resolver(signing_key)).ok


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.sampled_from(
        [
            "type",
            "cryptosuite",
            "created",
            "verificationMethod",
            "proofPurpose",
            "proofValue",
            "@context",
        ]
    ),
    value=json_values,
)
def test_fuzzed_proof_fields_never_raise(issued, signing_key, key, value):
    doc = copy.deepcopy(issued)
    doc["proof"][key] = value
    check = verify_credential(doc, resolver(signing_key))
    assert isinstance(check.ok, bool)
    if value != issued["proof"][key]:
        assert not check.ok


# ======================================================================= DID document, key export


def test_did_document(signing_key):
    old = CredentialKey.from_key(
        Ed25519PrivateKey.generate(), T0 - timedelta(days=800), T0 - timedelta(days=30)
    )
    doc = did_document(PUBLIC_URL, [signing_key, old])
    did = "did:web:registry.example.org"
    assert doc == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": f"{did}#{old.id}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": old.public_key_multibase,
            },
            {
                "id": f"{did}#{signing_key.id}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": signing_key.public_key_multibase,
            },
        ],
        "assertionMethod": [f"{did}#{old.id}", f"{did}#{signing_key.id}"],
    }
    # No private material ever leaks into the published document.
    assert "secret" not in json.dumps(doc).lower()
    with pytest.raises(CredentialError, match="share a key id"):
        did_document(PUBLIC_URL, [signing_key, signing_key])


def test_key_export_round_trip(signing_key, issued):
    old = CredentialKey.from_key(
        Ed25519PrivateKey.generate(), T0 - timedelta(days=800), T0 - timedelta(days=30)
    )
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    export = key_export(
        PUBLIC_URL + "/", pem.encode(), [signing_key, old], "registry.example.org/log+1234abcd+AQID"
    )
    assert export == {
        "registry": PUBLIC_URL,
        "root_ca_pem": pem,
        "credential_keys": [
            {
                "id": f"did:web:registry.example.org#{old.id}",
                "publicKeyMultibase": old.public_key_multibase,
                "valid_from": format_datetime(old.valid_from),
                "valid_until": format_datetime(old.valid_until),
            },
            {
                "id": f"did:web:registry.example.org#{signing_key.id}",
                "publicKeyMultibase": signing_key.public_key_multibase,
                "valid_from": "2025-01-30T12:00:00Z",
                "valid_until": None,
            },
        ],
        "log_key": "registry.example.org/log+1234abcd+AQID",
    }
    json.dumps(export)  # plain JSON
    keys = credential_keys_from_export(json.loads(json.dumps(export)))
    assert [k.id for k in keys] == [old.id, signing_key.id]
    assert keys[0].valid_until == old.valid_until
    assert verify_credential(issued, key_resolver(PUBLIC_URL, keys)).ok
    assert key_export(PUBLIC_URL, pem, [], None)["log_key"] is None


def test_key_export_rejects_bad_input(signing_key):
    with pytest.raises(CredentialError, match="PEM certificate"):
        key_export(PUBLIC_URL, "not a pem", [signing_key], None)
    with pytest.raises(CredentialError, match="log_key"):
        key_export(PUBLIC_URL, "-----BEGIN CERTIFICATE-----", [signing_key], "")


def test_credential_keys_from_tampered_export(signing_key):
    export = key_export(PUBLIC_URL, "-----BEGIN CERTIFICATE-----", [signing_key], None)
    other = CredentialKey.from_key(Ed25519PrivateKey.generate(), T0)
    swapped = copy.deepcopy(export)
    swapped["credential_keys"][0]["publicKeyMultibase"] = other.public_key_multibase
    with pytest.raises(CredentialError, match="does not match"):
        credential_keys_from_export(swapped)
    for broken in [
        {},
        {"credential_keys": 5},
        {"registry": PUBLIC_URL, "credential_keys": [{"id": "x"}]},
    ]:
        with pytest.raises(CredentialError):
            credential_keys_from_export(broken)


# =========================================================================== keys


def test_pem_round_trip_with_and_without_passphrase():
    key = generate_private_key()
    clear = private_key_to_pem(key)
    assert clear.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_key_raw(private_key_from_pem(clear)) == public_key_raw(key)
    locked = private_key_to_pem(key, "correct horse")
    assert locked.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert public_key_raw(private_key_from_pem(locked, b"correct horse")) == public_key_raw(key)
    # An empty passphrase means "no encryption", consistently on both sides.
    assert private_key_to_pem(key, "").startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_key_pem(key).startswith(b"-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize(
    ("make", "passphrase", "message"),
    [
        (lambda k: private_key_to_pem(k, "right"), "wrong", "wrong passphrase"),
        (lambda k: private_key_to_pem(k, "right"), None, "passphrase is needed"),
        (lambda k: private_key_to_pem(k), "right", "not encrypted"),
        (lambda k: b"garbage", None, "not a readable PEM"),
        (lambda k: b"", "x", "not a readable PEM"),
        (lambda k: "text", None, "must be bytes"),
    ],
)
def test_pem_errors(make, passphrase, message):
    with pytest.raises(KeyMaterialError, match=message):
        private_key_from_pem(make(generate_private_key()), passphrase)


def test_pem_of_another_key_type_is_refused():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyMaterialError, match="expected an Ed25519 key"):
        private_key_from_pem(pem)


def test_key_id_is_stable_and_documented():
    key = vector_private_key()
    kid = key_id(key)
    assert kid == key_id(key.public_key())
    assert len(kid) == 8
    assert kid == kid.lower()
    assert set(kid) <= set("abcdefghijklmnopqrstuvwxyz234567")
    import base64

    assert (
        kid == base64.b32encode(hashlib.sha256(public_key_raw(key)).digest()).decode()[:8].lower()
    )
    assert (
        public_key_multibase(key)
        == json.loads((VECTORS / "keyPair.json").read_text())["publicKeyMultibase"]
    )
    assert len({key_id(generate_private_key()) for _ in range(50)}) == 50


def test_credential_key_invariants():
    private = generate_private_key()
    key = CredentialKey.from_key(private, T0)
    assert key.private_key is private
    assert "Ed25519PrivateKey" not in repr(key)  # never printed into logs
    public_only = CredentialKey.from_key(private.public_key(), T0, T0 + timedelta(days=1))
    assert public_only.private_key is None
    assert public_only.current_at(T0)
    assert not public_only.current_at(T0 + timedelta(days=1))
    assert key.current_at(T0 + timedelta(days=10_000))
    assert not key.current_at(T0 - timedelta(seconds=1))
    with pytest.raises(KeyMaterialError, match="does not match the public key"):
        CredentialKey("aaaaaaaa", private.public_key(), T0)
    with pytest.raises(KeyMaterialError, match="private key does not match"):
        CredentialKey(key_id(private), private.public_key(), T0, None, generate_private_key())
    with pytest.raises(ValueError, match="timezone-aware"):
        CredentialKey.from_key(private, datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="after its valid_from"):
        CredentialKey.from_key(private, T0, T0)
    with pytest.raises(KeyMaterialError, match="32 bytes"):
        public_key_from_raw(b"\x00" * 31)
