"""The registry's key store on disk (``KEYS_DIR``, by default ``instance/keys/``).

Layout (private key files 0o600, the folder 0o700; PEM files encrypted with
``KEY_PASSPHRASE`` when one is configured)::

    manifest.json                  which files exist and their validity windows (no secrets)
    credential-<key id>.key        Ed25519 credential keys (W3C credentials, status lists)
    root-ca.pem                    the registry root CA certificate (public)
    root-ca.key                    its private key: move it offline in production
    root-ca.crl                    the root's CRL (DER), signed when the root key is at hand
    signing-<n>.pem / .key         document-signing certificates issued by the root (PDFs)
    log.key                        the Ed25519 transparency-log key

With a PKCS#11 token configured (``PKCS11_MODULE``), credential and document-signing keys
may live in the token instead (``keys generate --pkcs11``, ``keys rotate --pkcs11``): the
manifest then names the token object instead of a ``.key`` file
(:mod:`certify.certificates.token_keys`); certificates stay files.

The manifest is written last and atomically, so a crash half-way through a rotation leaves
the previous, complete key set in force (plus an unused file at worst). The loaded store is
cached per process in ``app.extensions`` and reloaded when the manifest changes on disk, so a
``keys rotate`` run from the shell reaches every worker without a restart.

Only creating the key set and issuing a new document-signing certificate need the root's
private key; everything else (signing credentials and PDFs, serving keys) runs without it.

Keys are made by ``flask init`` (or :func:`ensure_keys`), never by a web request, except when
``KEYS_AUTO_CREATE`` is true (default: the value of ``TESTING``), so tests and throw-away
development setups get a key set on first use.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app

from certify import clock
from certify.certificates import crl as crls
from certify.certificates import token_keys
from certify.core.credentials import keys as ckeys
from certify.core.credentials.dates import format_datetime, parse_datetime
from certify.core.credentials.keydocs import did_document, key_export
from certify.core.credentials.keys import CredentialKey
from certify.core.credentials.urls import verification_method_id
from certify.core.pdf import pki
from certify.core.tlog.checkpoint import log_origin
from certify.core.tlog.note import verifier_key
from certify.hsm.token import TokenError, TokenSettings
from certify.state import app_state

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
ROOT_CERT = "root-ca.pem"
ROOT_KEY = "root-ca.key"
LOG_KEY = "log.key"
MANIFEST_VERSION = 1
_LOCK = threading.Lock()


class KeyStoreError(RuntimeError):
    """The key store is missing, incomplete or unreadable; the message says what to do."""


@dataclass(frozen=True)
class SigningCert:
    """A document-signing certificate and (where present) its private key."""

    name: str
    certificate: x509.Certificate
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    private_key: ec.EllipticCurvePrivateKey | None = field(default=None, repr=False)
    #: the key's CKA_ID when it lives in the PKCS#11 token (then ``private_key`` is None)
    token_key_id: bytes | None = None

    @property
    def fingerprint(self) -> str:
        return pki.cert_fingerprint(self.certificate)


@dataclass(frozen=True)
class KeyStore:
    """The loaded key set. Credential keys are ordered oldest first; the last is current."""

    folder: Path
    credential_keys: tuple[CredentialKey, ...]
    root_cert: x509.Certificate
    signing_certs: tuple[SigningCert, ...]
    log_private_key: Ed25519PrivateKey
    root_key_present: bool
    #: the root's current CRL (DER), embedded in every PDF; None before one was made
    crl: bytes | None = None
    #: the PKCS#11 token's settings when one is configured
    token: TokenSettings | None = None
    #: where each private key lives, in words, by credential key id and signing-cert name
    locations: dict[str, str] = field(default_factory=dict)

    @property
    def current_credential_key(self) -> CredentialKey:
        return self.credential_keys[-1]

    @property
    def current_signing_cert(self) -> SigningCert:
        return self.signing_certs[-1]

    @property
    def root_pem(self) -> bytes:
        return pki.certificate_pem(self.root_cert)

    def verification_method(self, public_url: str) -> str:
        """``did:web:<host>#<key id>`` of the current credential key."""
        return verification_method_id(public_url, self.current_credential_key.id)

    def log_verifier_key(self, origin: str) -> str:
        """The signed-note verifier key of the log key, named by the log's *origin* (stored
        with the log: :func:`certify.translog.store.stored_origin`)."""
        return verifier_key(origin, self.log_private_key.public_key())

    def did_document(self, public_url: str) -> dict[str, Any]:
        return did_document(public_url, self.credential_keys)

    def export(
        self,
        public_url: str,
        origin: str | None = None,
        timestamp_roots_pem: bytes | None = None,
    ) -> dict[str, Any]:
        """The key export of DESIGN.md (``keys export``, ``/.well-known/certify/keys.json``);
        *origin* is the log's stored origin (default: the one *public_url* gives);
        *timestamp_roots_pem* the pinned TSA roots, when a TSA is configured."""
        return key_export(
            public_url,
            self.root_pem,
            self.credential_keys,
            self.log_verifier_key(origin or log_origin(public_url)),
            b"".join(pki.certificate_pem(s.certificate) for s in self.signing_certs),
            timestamp_roots_pem,
        )


# --------------------------------------------------------------------------- files


def _write_file(path: Path, data: bytes, private: bool) -> None:
    """Write *data* to *path* atomically; private files are created 0o600 from the start."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        os.fchmod(fd, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _ensure_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def _passphrase(app: Flask | None = None) -> str | None:
    value = (app or current_app).config.get("KEY_PASSPHRASE")
    return str(value) if value else None


def keys_folder(app: Flask | None = None) -> Path:
    return Path((app or current_app).config["KEYS_DIR"])


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyStoreError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        raise KeyStoreError(f"{path} is not a certify key manifest (version {MANIFEST_VERSION})")
    return data


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    _write_file(folder / MANIFEST, data, private=False)


def _time(value: str | None) -> dt.datetime | None:
    return parse_datetime(value) if value else None


def _whole_second(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(microsecond=0)


# --------------------------------------------------------------------------- creating


def _new_credential_entry(
    folder: Path, passphrase: str | None, now: dt.datetime, token: TokenSettings | None = None
) -> dict:
    """A new credential key, in the token when *token* is given, else a file."""
    if token is not None:
        return token_keys.new_credential_entry(token, now)
    key = ckeys.generate_private_key()
    kid = ckeys.key_id(key)
    name = f"credential-{kid}.key"
    _write_file(folder / name, ckeys.private_key_to_pem(key, passphrase), private=True)
    return {"id": kid, "file": name, "valid_from": format_datetime(now), "valid_until": None}


def _new_signing_entry(
    folder: Path,
    passphrase: str | None,
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
    registry_name: str,
    number: int,
    now: dt.datetime,
    public_url: str,
    token: TokenSettings | None = None,
) -> dict:
    """A new document-signing key and certificate; the key in the token when *token* is
    given, else a file."""
    if token is not None:
        entry, token_cert = token_keys.new_signing_entry(
            token, root_key, root_cert, registry_name, number, now, public_url
        )
        _write_file(folder / entry["cert"], pki.certificate_pem(token_cert), private=False)
        return entry
    key, cert = pki.make_signing_cert(
        root_key,
        root_cert,
        f"{registry_name} document signing {number}",
        registry_name,
        now,
        crl_url=crls.crl_url(public_url),
    )
    stem = f"signing-{number}"
    _write_file(folder / f"{stem}.key", pki.private_key_pem(key, passphrase), private=True)
    _write_file(folder / f"{stem}.pem", pki.certificate_pem(cert), private=False)
    return {
        "name": stem,
        "cert": f"{stem}.pem",
        "key": f"{stem}.key",
        "valid_from": format_datetime(now),
        "valid_until": None,
        "fingerprint": pki.cert_fingerprint(cert),
    }


def ensure_keys(
    app: Flask | None = None, now: dt.datetime | None = None, location: str | None = None
) -> list[str]:
    """Create whatever part of the key set is missing; return what was created (names).

    New credential and document-signing keys go to *location*: ``"pkcs11"`` (the token),
    ``"files"``, or by default the token when ``PKCS11_MODULE`` is set. Safe to run again: an
    existing key is never replaced. Raises :class:`KeyStoreError` when a document-signing
    certificate is missing and the root's private key is not here, or the token cannot be
    used.
    """
    app = app or current_app
    try:
        return _ensure_keys(app, now, location or token_keys.default_location(app))
    except (token_keys.TokenConfigError, TokenError) as exc:
        raise KeyStoreError(str(exc)) from None


def _ensure_keys(app: Flask, now: dt.datetime | None, location: str) -> list[str]:
    folder = keys_folder(app)
    passphrase = _passphrase(app)
    token_keys.check_location(location)
    registry = str(app.config["REGISTRY_NAME"])
    now = _whole_second(now or clock.now())
    created: list[str] = []
    with _LOCK:
        _ensure_folder(folder)
        manifest = _read_manifest(folder) or {
            "version": MANIFEST_VERSION,
            "credential_keys": [],
            "signing_certs": [],
        }
        token = None
        if not manifest["credential_keys"] or not manifest["signing_certs"]:
            token = token_keys.token_for(app, location)  # only when a key is to be made
        if not manifest["credential_keys"]:
            manifest["credential_keys"].append(
                _new_credential_entry(folder, passphrase, now, token)
            )
            created.append("credential key")
        root_key: ec.EllipticCurvePrivateKey | None = None
        if not (folder / ROOT_CERT).exists():
            if (folder / ROOT_KEY).exists():
                raise KeyStoreError(f"{folder / ROOT_KEY} exists without {ROOT_CERT}")
            root_key, root_cert = pki.make_root_ca(f"{registry} root CA", registry, now)
            _write_file(folder / ROOT_KEY, pki.private_key_pem(root_key, passphrase), True)
            _write_file(folder / ROOT_CERT, pki.certificate_pem(root_cert), private=False)
            created.append("root CA")
        root_cert = pki.load_certificate((folder / ROOT_CERT).read_bytes())
        if not manifest["signing_certs"]:
            if root_key is None:
                root_key = load_root_key(folder / ROOT_KEY, passphrase)
            manifest["signing_certs"].append(
                _new_signing_entry(
                    folder,
                    passphrase,
                    root_key,
                    root_cert,
                    registry,
                    1,
                    now,
                    _public_url(app),
                    token,
                )
            )
            created.append("document-signing certificate")
        if crls.read_crl(folder) is None and (root_key or (folder / ROOT_KEY).exists()):
            root_key = root_key or load_root_key(folder / ROOT_KEY, passphrase)
            _write_crl(app, folder, root_key, root_cert, now)
            created.append("root CRL")
        if not (folder / LOG_KEY).exists():
            log_key = ckeys.generate_private_key()
            _write_file(folder / LOG_KEY, ckeys.private_key_to_pem(log_key, passphrase), True)
            created.append("log key")
        if created:
            _write_manifest(folder, manifest)
    return created


def _public_url(app: Flask) -> str:
    return str(app.config["PUBLIC_URL"]).rstrip("/")


def _write_crl(
    app: Flask,
    folder: Path,
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
    now: dt.datetime,
    revoke: tuple[int, ...] = (),
) -> None:
    der = crls.new_crl(
        crls.read_crl(folder),
        root_key,
        root_cert,
        now,
        days=int(app.config.get("CRL_DAYS", 400)),
        revoke=revoke,
    )
    _write_file(folder / crls.CRL_FILE, der, private=False)


def load_root_key(path: Path, passphrase: str | None) -> ec.EllipticCurvePrivateKey:
    """Load the root CA's private key from *path*.

    Raises:
        KeyStoreError: when the file is absent (with how to supply it) or unreadable.
    """
    if not path.exists():
        raise KeyStoreError(
            f"the root CA private key is not at {path} (kept offline?). Supply it for this "
            "command with --root-key PATH (e.g. from removable media); it is read, used and "
            "never copied into the key folder."
        )
    try:
        return pki.load_private_key(path.read_bytes(), passphrase)
    except pki.KeyMaterialError as exc:
        raise KeyStoreError(f"cannot use the root CA key {path}: {exc}") from exc


# --------------------------------------------------------------------------- loading


def _load_credential_keys(
    manifest: dict, folder: Path, passphrase: str | None, token: TokenSettings | None
) -> list[CredentialKey]:
    cred = []
    for entry in manifest["credential_keys"]:
        until = _time(entry["valid_until"])
        if token_keys.in_token(entry):
            key = token_keys.load_credential_key(entry, token, until)
        else:
            private = ckeys.private_key_from_pem((folder / entry["file"]).read_bytes(), passphrase)
            key = CredentialKey.from_key(private, parse_datetime(entry["valid_from"]), until)
        if key.id != entry["id"]:
            raise KeyStoreError(f"{entry.get('file') or entry['label']} is not key {entry['id']}")
        cred.append(key)
    return cred


def _load_signing_certs(
    manifest: dict, folder: Path, passphrase: str | None, token: TokenSettings | None
) -> list[SigningCert]:
    signing = []
    for entry in manifest["signing_certs"]:
        cert = pki.load_certificate((folder / entry["cert"]).read_bytes())
        signing_key, token_id = None, None
        if token_keys.in_token(entry):
            token_id = token_keys.signing_key_id(entry, token)
        elif (folder / entry["key"]).exists():
            signing_key = pki.load_private_key((folder / entry["key"]).read_bytes(), passphrase)
        signing.append(
            SigningCert(
                entry["name"],
                cert,
                parse_datetime(entry["valid_from"]),
                _time(entry["valid_until"]),
                signing_key,
                token_id,
            )
        )
    return signing


def _load(folder: Path, passphrase: str | None, token: TokenSettings | None) -> KeyStore:
    manifest = _read_manifest(folder)
    if manifest is None or not (folder / ROOT_CERT).exists() or not (folder / LOG_KEY).exists():
        raise KeyStoreError(
            f"the registry's keys are missing from {folder}: run 'flask --app certify init'"
        )
    try:
        cred = _load_credential_keys(manifest, folder, passphrase, token)
        signing = _load_signing_certs(manifest, folder, passphrase, token)
        root = pki.load_certificate((folder / ROOT_CERT).read_bytes())
        log_key = ckeys.private_key_from_pem((folder / LOG_KEY).read_bytes(), passphrase)
    except token_keys.TokenConfigError as exc:
        raise KeyStoreError(str(exc)) from None
    except (OSError, KeyError, ValueError) as exc:
        # KeyMaterialError (wrong passphrase, corrupt file) is a ValueError.
        raise KeyStoreError(f"cannot load the registry's keys from {folder}: {exc}") from exc
    if not cred or not signing:
        raise KeyStoreError(f"the key manifest in {folder} lists no current keys")
    locations = {
        **{e["id"]: token_keys.where(e, token, folder) for e in manifest["credential_keys"]},
        **{e["name"]: token_keys.where(e, token, folder) for e in manifest["signing_certs"]},
    }
    return KeyStore(
        folder=folder,
        credential_keys=tuple(sorted(cred, key=lambda k: k.valid_from)),
        root_cert=root,
        signing_certs=tuple(signing),
        log_private_key=log_key,
        root_key_present=(folder / ROOT_KEY).exists(),
        crl=crls.read_crl(folder),
        token=token,
        locations=locations,
    )


def get_keystore(app: Flask | None = None) -> KeyStore:
    """The loaded key store, cached per process and reloaded when the manifest changes.

    Raises:
        KeyStoreError: the keys are missing or cannot be read (wrong passphrase...).
    """
    app = app or current_app
    folder = keys_folder(app)
    try:
        stamp = (folder / MANIFEST).stat().st_mtime_ns
    except FileNotFoundError:
        stamp = None
    cache = app_state(app).caches.keystore
    cached = cache.get((str(folder), stamp))
    if cached is not None:
        return cached
    if stamp is None and app.config.get("KEYS_AUTO_CREATE", app.testing):
        # Tests (and setups that opt in with KEYS_AUTO_CREATE) get a key set on first use;
        # otherwise keys are made deliberately, by `flask init`, never by a web request.
        ensure_keys(app)
        stamp = (folder / MANIFEST).stat().st_mtime_ns
    try:
        token = token_keys.configured_token(app)
    except token_keys.TokenConfigError as exc:
        raise KeyStoreError(str(exc)) from None
    with _LOCK:
        store = _load(folder, _passphrase(app), token)
        cache.clear()
        cache.put((str(folder), stamp), store)
    return store
