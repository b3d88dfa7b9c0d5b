"""An independent eddsa-jcs-2022 and Bitstring Status List verifier, written from the W3C
specifications for the tests. It shares no code with ``certify.core``: only ``rfc8785``
(JCS), ``cryptography`` (Ed25519), ``hashlib``, ``base64`` and ``gzip``, and its own
base58btc decoder.

vc-di-eddsa "Verify Proof (eddsa-jcs-2022)": take the proof out of the document; the proof
options are the proof without ``proofValue``; if they carry an ``@context`` the document's
``@context`` must start with it and the unsecured document gets that ``@context``; the signed
bytes are SHA-256(JCS(proof options)) || SHA-256(JCS(unsecured document)); ``proofValue`` is
``z`` + base58btc of the 64-byte Ed25519 signature; the key is the DID document's Multikey
``z`` + base58btc(0xed 0x01 + 32-byte key).
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def key_from_did(did_document: dict[str, Any], method_id: str) -> Ed25519PublicKey | None:
    if method_id not in did_document.get("assertionMethod", []):
        return None
    for method in did_document.get("verificationMethod", []):
        if method.get("id") == method_id and method.get("type") == "Multikey":
            value = method["publicKeyMultibase"]
            assert value.startswith("z")
            raw = b58decode(value[1:])
            assert raw[:2] == b"\xed\x01" and len(raw) == 34
            return Ed25519PublicKey.from_public_bytes(raw[2:])
    return None


def verify(document: dict[str, Any], did_document: dict[str, Any]) -> bool:
    """True when *document*'s single eddsa-jcs-2022 proof verifies with a key of the DID
    document."""
    secured = copy.deepcopy(document)
    proof = secured.pop("proof", None)
    if not isinstance(proof, dict):
        return False
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != "eddsa-jcs-2022":
        return False
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        context = secured.get("@context", [])
        if context[: len(options["@context"])] != options["@context"]:
            return False
        secured["@context"] = options["@context"]
    key = key_from_did(did_document, options.get("verificationMethod", ""))
    if key is None:
        return False
    value = proof.get("proofValue", "")
    if not value.startswith("z"):
        return False
    signed = (
        hashlib.sha256(rfc8785.dumps(options)).digest()
        + hashlib.sha256(rfc8785.dumps(secured)).digest()
    )
    try:
        key.verify(b58decode(value[1:]), signed)
    except (InvalidSignature, ValueError):
        return False
    return True


def status_bit(list_credential: dict[str, Any], index: int) -> bool:
    """The bit at *index* of a BitstringStatusListCredential (index 0: the left-most bit)."""
    encoded = list_credential["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    payload = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return bool(raw[index // 8] & (0x80 >> (index % 8)))
