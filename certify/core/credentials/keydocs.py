"""The documents that publish the credential keys: the DID document
(``/.well-known/did.json``), the key export a verifier pins (``keys.json``), reading that
export back, and a key resolver for :func:`~certify.core.credentials.proofs.verify_credential`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from certify.core.credentials.dates import format_datetime, parse_datetime
from certify.core.credentials.keys import CredentialKey, public_key_from_raw
from certify.core.credentials.multibase import ed25519_public_from_multikey
from certify.core.credentials.proofs import KeyResolver
from certify.core.credentials.urls import (
    did_web_from_url,
    normalise_public_url,
    verification_method_id,
)
from certify.core.credentials.vocabulary import DID_CONTEXTS, CredentialError


def _unique_keys(keys: Iterable[CredentialKey]) -> list[CredentialKey]:
    listed = sorted(keys, key=lambda k: (k.valid_from, k.id))
    ids = [k.id for k in listed]
    if len(set(ids)) != len(ids):
        raise CredentialError("two credential keys share a key id")
    return listed


def key_resolver(public_url: str, keys: Iterable[CredentialKey]) -> KeyResolver:
    """Return a resolver for :func:`verify_credential` that knows exactly *keys*
    (as ``did:web:<host>#<key id>``) and answers None for anything else."""
    table = {verification_method_id(public_url, k.id): k.public_key for k in _unique_keys(keys)}
    return table.get


def did_document(public_url: str, keys: Iterable[CredentialKey]) -> dict[str, Any]:
    """Return the DID document served at ``/.well-known/did.json``.

    Every key (retired ones included, so old credentials keep verifying) is a ``Multikey``
    verification method ``did:web:<host>#<key id>`` listed under ``assertionMethod``. Key
    validity windows are left out on purpose: the only standard property, Multikey
    ``expires``, tells verifiers to stop accepting the key altogether, which would break
    every credential a retired key signed. The windows are in :func:`key_export`.

    Raises:
        CredentialError: for a bad *public_url* or two keys with the same id.
    """
    did = did_web_from_url(public_url)
    methods = [
        {
            "id": f"{did}#{k.id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": k.public_key_multibase,
        }
        for k in _unique_keys(keys)
    ]
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def key_export(
    public_url: str,
    root_ca_pem: str | bytes,
    keys: Iterable[CredentialKey],
    log_key: str | None,
    signing_certs_pem: str | bytes | None = None,
    timestamp_roots_pem: str | bytes | None = None,
) -> dict[str, Any]:
    """Return the key export a verifier pins (DESIGN.md "Key export").

    ``{"registry": <public url>, "root_ca_pem": <PEM text>, "credential_keys": [{"id":
    "did:web:<host>#<key id>", "publicKeyMultibase", "valid_from", "valid_until"}],
    "log_key": <signed-note verifier key or null>}``, plus ``"signing_certs_pem"`` (every
    document-signing certificate the root issued, PEM, oldest first) when
    *signing_certs_pem* is given: a verifier requires the certificates in a PDF signature to
    be byte for byte these and the root. ``id`` is the full verification method so a
    verifier can match a proof's ``verificationMethod`` directly; times are RFC 3339 UTC
    (``valid_until`` null while the key is current). ``"timestamp_roots_pem"``, when given,
    holds the roots of the TSA whose tokens the PDF signatures carry (issue 20).

    Raises:
        CredentialError: for a bad URL, a PEM that is not a certificate, or duplicate keys.
    """
    base = normalise_public_url(public_url)
    pem = _pem_text(root_ca_pem, "root_ca_pem")
    if log_key is not None and (not isinstance(log_key, str) or not log_key):
        raise CredentialError("log_key must be a non-empty string or None")
    export = {
        "registry": base,
        "root_ca_pem": pem,
        "credential_keys": [
            {
                "id": verification_method_id(base, k.id),
                "publicKeyMultibase": k.public_key_multibase,
                "valid_from": format_datetime(k.valid_from),
                "valid_until": format_datetime(k.valid_until) if k.valid_until else None,
            }
            for k in _unique_keys(keys)
        ],
        "log_key": log_key,
    }
    if signing_certs_pem is not None:
        export["signing_certs_pem"] = _pem_text(signing_certs_pem, "signing_certs_pem")
    if timestamp_roots_pem is not None:
        export["timestamp_roots_pem"] = _pem_text(timestamp_roots_pem, "timestamp_roots_pem")
    return export


def _pem_text(value: str | bytes, name: str) -> str:
    text = value.decode("ascii") if isinstance(value, bytes) else value
    if not isinstance(text, str) or "-----BEGIN CERTIFICATE-----" not in text:
        raise CredentialError(f"{name} must be a PEM certificate")
    return text


def credential_keys_from_export(export: Mapping[str, Any]) -> list[CredentialKey]:
    """Read the credential keys back from a :func:`key_export` document (e.g. a pinned file).

    Raises:
        CredentialError: when the export is malformed or a key id does not match its key.
    """
    try:
        entries = export["credential_keys"]
        keys = []
        for entry in entries:
            raw = ed25519_public_from_multikey(entry["publicKeyMultibase"])
            until = entry.get("valid_until")
            key = CredentialKey.from_key(
                public_key_from_raw(raw),
                parse_datetime(entry["valid_from"]),
                parse_datetime(until) if until is not None else None,
            )
            if entry["id"] != verification_method_id(export["registry"], key.id):
                raise CredentialError(f"key id {entry['id']!r} does not match its public key")
            keys.append(key)
    except CredentialError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CredentialError(f"malformed key export: {exc}") from exc
    return keys
