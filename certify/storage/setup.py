"""The app's stores, built on first use from its settings and kept in :class:`AppState`.

``STORAGE_BACKEND`` chooses where stored files' bytes live:

- ``local`` (the default): folders in ``instance/`` (``EVIDENCE_DIR``, ``DOCUMENTS_DIR``); right
  for one machine.
- ``s3``: one bucket of S3-compatible object storage shared by every app server and worker
  (``S3_BUCKET``, ``S3_ENDPOINT_URL``, ``S3_REGION``, ``S3_ACCESS_KEY_ID``,
  ``S3_SECRET_ACCESS_KEY``, ``S3_PREFIX``); areas ``evidence/`` and ``documents/``. Uploads are
  still checked on local disk first (``<EVIDENCE_DIR>/tmp``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from certify.core.envelope import KeyEncryptionKey
from certify.evidence.store import EvidenceStore
from certify.state import app_state
from certify.storage.backends import TEMP_DIR_NAME, BlobBackend, LocalBackend
from certify.storage.documents import DocumentStore
from certify.storage.encrypted import EncryptedBackend

BACKENDS = ("local", "s3")
EVIDENCE = "evidence"
DOCUMENTS = "documents"
#: the wrapped data keys of encrypted evidence (``evidence-keys/`` in the bucket, the
#: ``keys`` folder of ``EVIDENCE_DIR`` locally)
EVIDENCE_KEYS = "evidence-keys"
KEYS_FOLDER = "keys"
#: the local folder setting of each area
FOLDER_SETTING = {EVIDENCE: "EVIDENCE_DIR", DOCUMENTS: "DOCUMENTS_DIR"}


def storage_problem(config: Mapping[str, Any]) -> str | None:
    """What is wrong with the storage settings, for the person who set them, or None."""
    backend = config.get("STORAGE_BACKEND") or "local"
    if backend not in BACKENDS:
        return f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}."
    if backend == "s3" and not config.get("S3_BUCKET"):
        return "STORAGE_BACKEND is s3 but S3_BUCKET is not set."
    return None


def s3_client(config: Mapping[str, Any]) -> Any:
    """A boto3 client from the ``S3_*`` settings (not cached; see :func:`make_backend`)."""
    from certify.storage.s3 import make_client

    return make_client(
        endpoint_url=config.get("S3_ENDPOINT_URL") or None,
        region=str(config.get("S3_REGION") or "us-east-1"),
        access_key_id=config.get("S3_ACCESS_KEY_ID"),
        secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
        timeout=float(config.get("S3_TIMEOUT") or 10),
    )


def make_backend(
    config: Mapping[str, Any], area: str, kind: str | None = None, client: Any = None
) -> BlobBackend:
    """The backend of *area* (``evidence`` or ``documents``) of kind *kind* (default: the
    configured ``STORAGE_BACKEND``); *client* reuses a boto3 client. Evidence is encrypted
    at rest (:mod:`certify.storage.encrypted`) unless ``EVIDENCE_ENCRYPTION`` is off."""
    kind = kind or str(config.get("STORAGE_BACKEND") or "local")
    if area != EVIDENCE or not config.get("EVIDENCE_ENCRYPTION", True):
        return _raw_backend(config, area, kind, client)
    backend = _raw_backend(config, area, kind, client, plain=False)
    keys = _raw_backend(config, EVIDENCE_KEYS, kind, client, plain=False)
    return encrypted(config, backend, keys, Path(config["EVIDENCE_DIR"]) / TEMP_DIR_NAME)


def encrypted(
    config: Mapping[str, Any], inner: BlobBackend, keys: BlobBackend, temp_dir: Path
) -> EncryptedBackend:
    """*inner* encrypted with data keys kept in *keys*, wrapped by the instance's KEK."""
    return EncryptedBackend(inner, keys, lambda: load_instance_kek(config, keys), temp_dir)


def load_instance_kek(config: Mapping[str, Any], keys: BlobBackend) -> KeyEncryptionKey:
    """The instance's KEK (a file in ``KEYS_DIR``, or in the token with
    ``EVIDENCE_KEK_IN_TOKEN``), made first when missing and *keys* (the wrapped data keys)
    holds none yet.

    Raises:
        KekError: it cannot be read, or it is missing while evidence is encrypted under it.
    """
    from certify.evidence.kek import KekError, kek_path, load_kek, load_token_kek

    # A missing KEK is made only for a store with no encrypted files yet: a new one would
    # open none of them, and mixing two would make the old one's return a loss.
    if config.get("EVIDENCE_KEK_IN_TOKEN"):
        return load_token_kek(config, next(iter(keys.iter_digests()), None) is not None)
    path = kek_path(config)
    if not path.exists() and next(iter(keys.iter_digests()), None) is not None:
        raise KekError(
            f"{path} is missing, but evidence is stored encrypted under it: restore it "
            "from your backup of instance/keys (a new key would open none of the files)"
        )
    return load_kek(config)


def instance_kek(app: Flask | None = None) -> KeyEncryptionKey:
    """The instance's key-encryption key, loaded once per process: the one the evidence store
    wraps data keys with (also when ``EVIDENCE_ENCRYPTION`` is off, for the other secrets it
    seals: TOTP secrets, :mod:`certify.accounts.totp_secrets`).

    Raises:
        KekError: see :func:`load_instance_kek`.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    backend = evidence_store(app).backend
    if isinstance(backend, EncryptedBackend):
        return backend.kek
    state = app_state(app)
    if state.kek is None:
        config = app.config
        kind = str(config.get("STORAGE_BACKEND") or "local")
        keys = _raw_backend(config, EVIDENCE_KEYS, kind, _shared_client(app), plain=False)
        state.kek = load_instance_kek(config, keys)
    return state.kek


def _raw_backend(
    config: Mapping[str, Any], area: str, kind: str, client: Any, plain: bool = True
) -> BlobBackend:
    if kind == "local":
        if area == EVIDENCE_KEYS:
            return LocalBackend(Path(config["EVIDENCE_DIR"]) / KEYS_FOLDER)
        return LocalBackend(Path(config[FOLDER_SETTING[area]]))
    from certify.storage.s3 import S3Backend

    return S3Backend(
        client or s3_client(config),
        str(config["S3_BUCKET"]),
        area,
        prefix=str(config.get("S3_PREFIX") or ""),
        plain=plain,
    )


def _shared_client(app: Flask) -> Any:
    state = app_state(app)
    if app.config.get("STORAGE_BACKEND") != "s3":
        return None
    if state.s3_client is None:
        state.s3_client = s3_client(app.config)
    return state.s3_client


def evidence_store(app: Flask | None = None) -> EvidenceStore:
    """The app's evidence store, made on first use from its settings."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = app_state(app)
    if state.evidence_store is None:
        config = app.config
        state.evidence_store = EvidenceStore(
            Path(config["EVIDENCE_DIR"]),
            int(float(config["MAX_UPLOAD_MB"]) * 1024 * 1024),
            make_backend(config, EVIDENCE, client=_shared_client(app)),
        )
    return state.evidence_store


def document_store(app: Flask | None = None) -> DocumentStore:
    """The app's store of signed documents, made on first use from its settings."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = app_state(app)
    if state.document_store is None:
        config = app.config
        state.document_store = DocumentStore(
            Path(config["DOCUMENTS_DIR"]),
            make_backend(config, DOCUMENTS, client=_shared_client(app)),
        )
    return state.document_store
