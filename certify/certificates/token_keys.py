"""Key-store entries whose private key lives in the PKCS#11 token (:mod:`certify.hsm`).

The manifest says, per key, where it lives. A key in a file has ``"file"`` (credential) or
``"key"`` (document signing); a key in the token has instead::

    "pkcs11_id": "<CKA_ID, hex>", "label": "<CKA_LABEL>"

and a credential key also its ``"public_key"`` (32 bytes, hex), so the DID document and the
key export are served without logging in to the token. Document-signing certificates stay
files either way (they are public). Only signing opens the token.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app

from certify.certificates import crl as crls
from certify.core.credentials import keys as ckeys
from certify.core.credentials.dates import format_datetime, parse_datetime
from certify.core.credentials.keys import CredentialKey
from certify.core.pdf import pki
from certify.hsm.token import TokenError, TokenSettings, token_settings

FILES = "files"
PKCS11 = "pkcs11"
LOCATIONS = (FILES, PKCS11)


class TokenConfigError(RuntimeError):
    """Keys are asked for in the token, but the token settings are missing or wrong."""


def configured_token(app: Flask | None = None) -> TokenSettings | None:
    """The token settings (None: ``PKCS11_MODULE`` unset).

    Raises:
        TokenConfigError: the module is set but the label or PIN is missing.
    """
    try:
        return token_settings((app or current_app).config)
    except TokenError as exc:
        raise TokenConfigError(exc.message) from None


def require_token(app: Flask | None = None) -> TokenSettings:
    """The token settings, which must be there.

    Raises:
        TokenConfigError: ``PKCS11_MODULE`` is unset, or the label or PIN is missing.
    """
    settings = configured_token(app)
    if settings is None:
        raise TokenConfigError(
            "the keys are to live in a PKCS#11 token, but PKCS11_MODULE is not set "
            "(see 'Keys in a PKCS#11 token' in docs/operations.md)"
        )
    return settings


def default_location(app: Flask | None = None) -> str:
    """Where new keys go unless told: the token when one is configured, else files."""
    return PKCS11 if (app or current_app).config.get("PKCS11_MODULE") else FILES


def check_location(location: str) -> None:
    """Raises TokenConfigError unless *location* is ``files`` or ``pkcs11``."""
    if location not in LOCATIONS:
        raise TokenConfigError(f"keys live in {' or '.join(LOCATIONS)}, not {location}")


def token_for(app: Flask, location: str) -> TokenSettings | None:
    """The token settings when *location* is the token (they must be there), else None.

    Raises:
        TokenConfigError: an unknown location, or the token settings are missing.
    """
    check_location(location)
    return require_token(app) if location == PKCS11 else None


def in_token(entry: dict[str, Any]) -> bool:
    return "pkcs11_id" in entry


def new_credential_entry(settings: TokenSettings, now: dt.datetime) -> dict[str, Any]:
    """A new Ed25519 credential key made in the token, as a manifest entry."""
    from certify.hsm import objects  # python-pkcs11 only when a token is used

    object_id, label, public = objects.generate_credential_key(settings, "credential")
    kid = ckeys.key_id(public)
    return {
        "id": kid,
        "pkcs11_id": object_id.hex(),
        "label": label,
        "public_key": ckeys.public_key_raw(public).hex(),
        "valid_from": format_datetime(now),
        "valid_until": None,
    }


def new_signing_entry(
    settings: TokenSettings,
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
    registry_name: str,
    number: int,
    now: dt.datetime,
    public_url: str,
) -> tuple[dict[str, Any], x509.Certificate]:
    """A new P-256 key made in the token and its certificate issued by the root: the manifest
    entry and the certificate (the caller writes it beside the manifest)."""
    from certify.hsm import objects

    stem = f"signing-{number}"
    object_id, label, public = objects.generate_signing_key(settings, stem)
    cert = pki.certify_signing_key(
        root_key,
        root_cert,
        public,
        f"{registry_name} document signing {number}",
        registry_name,
        now,
        crl_url=crls.crl_url(public_url),
    )
    entry = {
        "name": stem,
        "cert": f"{stem}.pem",
        "pkcs11_id": object_id.hex(),
        "label": label,
        "valid_from": format_datetime(now),
        "valid_until": None,
        "fingerprint": pki.cert_fingerprint(cert),
    }
    return entry, cert


def load_credential_key(
    entry: dict[str, Any], settings: TokenSettings | None, valid_until: dt.datetime | None
) -> CredentialKey:
    """The credential key of a token *entry*: its published public key, signing in the token.

    Raises:
        TokenConfigError: no token is configured.
        ValueError: the entry's public key or id is malformed.
    """
    if settings is None:
        raise TokenConfigError(
            f"the credential key {entry['id']} lives in a PKCS#11 token "
            f"({entry.get('label')}), but PKCS11_MODULE is not set"
        )
    from certify.hsm import objects

    public = ckeys.public_key_from_raw(bytes.fromhex(entry["public_key"]))
    signer = objects.TokenEd25519Key(settings, bytes.fromhex(entry["pkcs11_id"]), public)
    return CredentialKey.from_key(signer, parse_datetime(entry["valid_from"]), valid_until)


def signing_key_id(entry: dict[str, Any], settings: TokenSettings | None) -> bytes:
    """The ``CKA_ID`` of a token signing *entry*.

    Raises:
        TokenConfigError: no token is configured.
    """
    if settings is None:
        raise TokenConfigError(
            f"the document-signing key {entry['name']} lives in a PKCS#11 token "
            f"({entry.get('label')}), but PKCS11_MODULE is not set"
        )
    return bytes.fromhex(entry["pkcs11_id"])


def where(entry: dict[str, Any], settings: TokenSettings | None, folder: Path) -> str:
    """Where *entry*'s private key lives, in words (``keys list``)."""
    if in_token(entry):
        token = settings.token_label if settings else "?"
        return f"in PKCS#11 token {token!r}, label {entry.get('label')}"
    name = entry.get("file") or entry.get("key")
    return f"file {folder / name}" if name else "absent"
