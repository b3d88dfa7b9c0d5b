"""``eddsa-jcs-2022`` Data Integrity proofs (W3C "Data Integrity EdDSA Cryptosuites v1.0"):
signing a credential and checking its proof.

The proof options get the document's ``@context``, the signed bytes are
SHA-256(JCS(proof options)) || SHA-256(JCS(document without proof)), and ``proofValue`` is
``z`` + base58btc(Ed25519 signature). The W3C test vector is reproduced byte for byte in
``tests/core/test_credential.py``.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certify.core.canonical import CanonicalizationError, canonical_json
from certify.core.credentials.dates import format_datetime, parse_datetime
from certify.core.credentials.keys import Ed25519Signer
from certify.core.credentials.multibase import MultibaseError, multibase_decode, multibase_encode
from certify.core.credentials.vocabulary import (
    CRYPTOSUITE,
    PROOF_PURPOSE,
    PROOF_TYPE,
    CredentialError,
)

logger = logging.getLogger(__name__)

_PROOF_KEYS = frozenset(
    {
        "type",
        "cryptosuite",
        "created",
        "verificationMethod",
        "proofPurpose",
        "proofValue",
        "@context",
    }
)


# An Ed25519 signature is 64 bytes: about 88 base58 characters.
_MAX_PROOF_VALUE = 128


def proof_configuration(
    document: Mapping[str, Any], proof_options: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the proof configuration of vc-di-eddsa "Proof Configuration (eddsa-jcs-2022)":
    a copy of *proof_options* (without ``proofValue``) whose ``@context`` is the document's.
    """
    config = {k: copy.deepcopy(v) for k, v in proof_options.items() if k != "proofValue"}
    if "@context" in document:
        config["@context"] = copy.deepcopy(document["@context"])
    return config


def hash_data(unsecured_document: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
    """Return the 64 bytes that are signed: SHA-256(JCS(proof_config)) ||
    SHA-256(JCS(unsecured_document)) ("Hashing (eddsa-jcs-2022)").

    Raises:
        CanonicalizationError: when either cannot be expressed as canonical JSON.
    """
    proof_hash = hashlib.sha256(canonical_json(dict(proof_config))).digest()
    document_hash = hashlib.sha256(canonical_json(dict(unsecured_document))).digest()
    return proof_hash + document_hash


def sign_credential(
    document: Mapping[str, Any],
    private_key: Ed25519Signer,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """Return a copy of *document* with an ``eddsa-jcs-2022`` Data Integrity proof.

    The proof is ``{"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
    "created", "verificationMethod", "proofPurpose": "assertionMethod", "@context",
    "proofValue"}``, with ``created`` formatted by :func:`format_datetime` (UTC, seconds).
    Ed25519 is deterministic: the same inputs give the same proof. Inputs are not mutated.

    Raises:
        CredentialError: when *document* already has a proof (proof sets are not made here),
            has no ``@context``, or cannot be canonicalised; ValueError for a naive *created*.
    """
    if not isinstance(document, Mapping):
        raise CredentialError("the document must be a JSON object")
    if "proof" in document:
        raise CredentialError("the document already has a proof")
    if "@context" not in document:
        raise CredentialError("the document has no @context")
    if not isinstance(verification_method, str) or not verification_method:
        raise CredentialError("verification_method must be a non-empty string")
    unsecured = copy.deepcopy(dict(document))
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    proof = proof_configuration(unsecured, proof)
    try:
        signed_bytes = hash_data(unsecured, proof)
    except CanonicalizationError as exc:
        raise CredentialError(f"the document cannot be canonicalised: {exc}") from exc
    proof["proofValue"] = multibase_encode(private_key.sign(signed_bytes), "z")
    unsecured["proof"] = proof
    return unsecured


@dataclass(frozen=True)
class ProofCheck:
    """Outcome of :func:`verify_credential`.

    ``ok`` is True only when the signature verified; ``reason`` says why not, in plain words
    (or ``"signature verified"``). ``verification_method`` and ``created`` are filled from the
    proof whenever they could be read, even when ``ok`` is False.
    """

    ok: bool
    reason: str
    verification_method: str | None = None
    created: datetime | None = None


KeyResolver = Callable[[str], Ed25519PublicKey | None]


def verify_credential(document: object, resolve_key: KeyResolver) -> ProofCheck:
    """Check the ``eddsa-jcs-2022`` proof of *document*.

    Follows vc-di-eddsa "Verify Proof (eddsa-jcs-2022)", with these stricter rules:
    exactly one proof object (no proof sets or chains); ``created`` is required;
    ``proofPurpose`` must be ``assertionMethod``; a proof ``@context``, if present, must equal
    the document's (the spec allows the document to extend it, but an appended context could
    redefine terms the signer never saw); unknown proof properties (``expires``, ``domain``,
    ``previousProof``...) are refused rather than silently ignored.

    It checks the signature only: whether the key is current, the issuer is this registry
    and the certificate is in force are separate checks.

    Args:
        document: the parsed JSON credential (anything: hostile input is expected).
        resolve_key: maps a ``verificationMethod`` string to an Ed25519 public key, or None
            when unknown. If it raises, the check fails (and the error is logged).

    Returns:
        A :class:`ProofCheck`. Never raises for any *document*.
    """
    try:
        return _verify(document, resolve_key)
    except RecursionError:
        return ProofCheck(False, "the document is nested too deeply")


class _Refused(Exception):
    """A proof is refused; the message says why, in plain words."""


def _verify(document: object, resolve_key: KeyResolver) -> ProofCheck:
    if not isinstance(document, Mapping):
        return ProofCheck(False, "the credential is not a JSON object")
    if "proof" not in document:
        return ProofCheck(False, "the credential has no proof")
    proof = document["proof"]
    if not isinstance(proof, Mapping):
        return ProofCheck(False, "the credential must carry exactly one proof object")
    method = proof.get("verificationMethod")
    method = method if isinstance(method, str) and method else None
    created: datetime | None = None
    try:
        created = parse_datetime(proof.get("created"))  # type: ignore[arg-type]
    except ValueError:
        created = None
    try:
        method_id = _check_proof_form(document, proof, method, created)
        signature = _signature(proof)
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        try:
            signed_bytes = hash_data(unsecured, proof_configuration(unsecured, proof))
        except CanonicalizationError:
            raise _Refused("the credential cannot be canonicalised (RFC 8785)") from None
        key = _public_key(resolve_key, method_id)
        try:
            key.verify(signature, signed_bytes)
        except InvalidSignature:
            raise _Refused(
                "the signature does not match: the credential was changed after signing"
            ) from None
    except _Refused as refused:
        return ProofCheck(False, str(refused), method, created)
    return ProofCheck(True, "signature verified", method, created)


def _check_proof_form(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    method: str | None,
    created: datetime | None,
) -> str:
    """Refuse a proof that is not exactly one ``eddsa-jcs-2022`` proof of this document;
    return its verification method."""
    unknown = sorted(str(k) for k in proof if k not in _PROOF_KEYS)
    if unknown:
        raise _Refused(f"the proof has unsupported properties: {', '.join(unknown)}")
    if proof.get("type") != PROOF_TYPE:
        raise _Refused(f"the proof type must be {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise _Refused(f"the proof cryptosuite must be {CRYPTOSUITE}")
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        raise _Refused(f"the proof purpose must be {PROOF_PURPOSE}")
    if method is None:
        raise _Refused("the proof names no verification method")
    if created is None:
        raise _Refused("the proof has no valid 'created' date-time")
    if "@context" not in document:
        raise _Refused("the credential has no @context")
    if "@context" in proof and proof["@context"] != document["@context"]:
        raise _Refused("the proof's @context differs from the credential's")
    return method


def _signature(proof: Mapping[str, Any]) -> bytes:
    """The 64-byte Ed25519 signature the proof value encodes."""
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str) or len(proof_value) > _MAX_PROOF_VALUE:
        raise _Refused("the proof value is missing or malformed")
    try:
        signature = multibase_decode(proof_value, expected="z")
    except MultibaseError:
        raise _Refused("the proof value is not base58btc multibase") from None
    if len(signature) != 64:
        raise _Refused("the proof value is not an Ed25519 signature")
    return signature


def _public_key(resolve_key: KeyResolver, method: str) -> Ed25519PublicKey:
    """The key *resolve_key* names for *method* (a resolver that raises fails closed)."""
    try:
        key = resolve_key(method)
    except Exception:  # the resolver is caller code fed hostile input: fail closed
        logger.warning("key resolver raised for %r", method, exc_info=True)
        raise _Refused("the signing key could not be looked up") from None
    if key is None:
        raise _Refused("the signing key is not one of this registry's keys")
    if not isinstance(key, Ed25519PublicKey):
        raise _Refused("the signing key is not an Ed25519 key")
    return key
