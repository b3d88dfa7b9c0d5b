"""Changing the key set with the root key at hand: ``keys rotate`` (a new credential key and
document-signing certificate) and ``keys crl`` (a newly signed CRL, revoking signing
certificates). Both write files only; :mod:`certify.lifecycle` records a rotation.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from certify import clock
from certify.certificates import crl as crls
from certify.certificates import token_keys
from certify.certificates.keys import (
    _LOCK,
    ROOT_CERT,
    ROOT_KEY,
    KeyStoreError,
    _new_credential_entry,
    _new_signing_entry,
    _passphrase,
    _public_url,
    _read_manifest,
    _whole_second,
    _write_crl,
    _write_manifest,
    keys_folder,
    load_root_key,
)
from certify.core.credentials.dates import format_datetime, parse_datetime
from certify.core.pdf import pki
from certify.hsm.token import TokenError
from certify.state import app_state

__all__ = ["resign_crl", "rotate_keys"]


def rotate_keys(
    app: Flask | None = None,
    *,
    root_key_path: Path | None = None,
    root_passphrase: str | None = None,
    credential_only: bool = False,
    now: dt.datetime | None = None,
    location: str | None = None,
) -> dict[str, Any]:
    """Start signing with a new credential key and (unless *credential_only*) a new
    document-signing certificate. Old keys stay published with their validity windows closed
    at *now*. Returns ``{"credential_key": id, "signing_cert": name | None}``.

    The root key is read from *root_key_path* (default: the key folder) and decrypted with
    *root_passphrase* (default: ``KEY_PASSPHRASE``). It is checked before anything is
    written, so a missing root key changes nothing.

    The new keys go to *location* (``"pkcs11"``: made in the token; ``"files"``), by default
    where the current credential key lives: rotating with another location moves the key set
    into the token or out of it, old keys staying where they are.

    Raises:
        KeyStoreError: no key set yet, the root key is missing or unreadable, or the token
            cannot be used (nothing is recorded then; a key made in the token before the
            failure stays there unused).
    """
    app = app or current_app
    try:
        return _rotate(app, root_key_path, root_passphrase, credential_only, now, location)
    except (token_keys.TokenConfigError, TokenError) as exc:
        raise KeyStoreError(str(exc)) from None


def _rotate(
    app: Flask,
    root_key_path: Path | None,
    root_passphrase: str | None,
    credential_only: bool,
    now: dt.datetime | None,
    location: str | None,
) -> dict[str, Any]:
    folder = keys_folder(app)
    passphrase = _passphrase(app)
    given_now = now is not None
    now = _whole_second(now or clock.now())
    with _LOCK:
        manifest = _read_manifest(folder)
        if manifest is None or not manifest["credential_keys"]:
            raise KeyStoreError("no keys yet: run 'flask --app certify init' first")
        if location is None:
            current = manifest["credential_keys"][-1]
            location = token_keys.PKCS11 if token_keys.in_token(current) else token_keys.FILES
        token = token_keys.token_for(app, location)
        root_key = None
        if not credential_only:
            root_key = load_root_key(
                root_key_path or folder / ROOT_KEY,
                root_passphrase if root_passphrase is not None else passphrase,
            )
            root_cert = pki.load_certificate((folder / ROOT_CERT).read_bytes())
            if root_key.public_key() != root_cert.public_key():
                raise KeyStoreError("that root key does not belong to this registry's root CA")
        newest = max(parse_datetime(e["valid_from"]) for e in manifest["credential_keys"])
        # Windows are whole seconds and must not be empty: a rotation in the same second as
        # the last one waits for the next second (a given *now* must simply be later).
        while now <= newest:
            if given_now:
                raise KeyStoreError("a rotation must come after the current key's start")
            time.sleep(0.05)
            now = _whole_second(clock.now())
        for entry in manifest["credential_keys"]:
            if entry["valid_until"] is None:
                entry["valid_until"] = format_datetime(now)
        new_cred = _new_credential_entry(folder, passphrase, now, token)
        manifest["credential_keys"].append(new_cred)
        signing_name = None
        if root_key is not None:
            for entry in manifest["signing_certs"]:
                if entry["valid_until"] is None:
                    entry["valid_until"] = format_datetime(now)
            number = len(manifest["signing_certs"]) + 1
            entry = _new_signing_entry(
                folder,
                passphrase,
                root_key,
                root_cert,
                str(app.config["REGISTRY_NAME"]),
                number,
                now,
                _public_url(app),
                token,
            )
            manifest["signing_certs"].append(entry)
            signing_name = entry["name"]
            _write_crl(app, folder, root_key, root_cert, now)  # the root is here: re-sign
        _write_manifest(folder, manifest)
    app_state(app).caches.keystore.clear()
    return {"credential_key": new_cred["id"], "signing_cert": signing_name}


def resign_crl(
    app: Flask | None = None,
    *,
    root_key_path: Path | None = None,
    root_passphrase: str | None = None,
    revoke: tuple[str, ...] = (),
) -> bytes:
    """Sign a new CRL with the root key (``keys crl``), revoking the document-signing
    certificates named in *revoke* (``signing-<n>``); returns its DER. A revoked signing
    certificate that is current stops signing only after ``keys rotate``.

    Raises:
        KeyStoreError: no key set, the root key missing or wrong, an unknown name.
    """
    app = app or current_app
    folder = keys_folder(app)
    passphrase = root_passphrase if root_passphrase is not None else _passphrase(app)
    with _LOCK:
        manifest = _read_manifest(folder)
        if manifest is None:
            raise KeyStoreError("no keys yet: run 'flask --app certify init' first")
        root_key = load_root_key(root_key_path or folder / ROOT_KEY, passphrase)
        root_cert = pki.load_certificate((folder / ROOT_CERT).read_bytes())
        if root_key.public_key() != root_cert.public_key():
            raise KeyStoreError("that root key does not belong to this registry's root CA")
        entries = {e["name"]: e for e in manifest["signing_certs"]}
        unknown = [name for name in revoke if name not in entries]
        if unknown:
            raise KeyStoreError(f"no document-signing certificate named {', '.join(unknown)}")
        serials = tuple(
            pki.load_certificate((folder / entries[name]["cert"]).read_bytes()).serial_number
            for name in revoke
        )
        _write_crl(app, folder, root_key, root_cert, _whole_second(clock.now()), serials)
        _write_manifest(folder, manifest)  # a new mtime: every worker reloads the CRL
    app_state(app).caches.keystore.clear()
    return crls.read_crl(folder) or b""
