"""A backup: one dated folder that can rebuild the registry on a new machine.

``certify-backup-<UTC time>/``:

=====================  ===================================================================
``manifest.json``      what is inside: format, time, certify version, public URL, each
                       file's SHA-256, every stored file (area, SHA-256, size)
``database.*``         the database dump (``database.pgdump`` or ``database.sqlite3``)
``keys.sealed``        ``instance/keys`` as a tar, sealed with the backup passphrase
                       (:mod:`certify.core.sealed`: scrypt + AES-256-GCM)
``rubrics.lock.json``  the rubric lock: the standards' versions and hashes the certificates
                       name
``storage/<area>/``    every stored file the database names, fan-out folders as locally
=====================  ===================================================================

Consistency: the dump and the list of stored files the database names are read in one
snapshot (``database.py``); stored files are immutable and content-addressed, so copying
them after the dump copies exactly what the dump names (each hash checked). The folder is
written as ``<name>.partial`` and renamed when complete: a backup folder without that suffix
is whole. Keys are the one secret in it; the database and files hold personal data, so keep
backups as access-controlled as the servers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from certify import __version__
from certify.backup.database import (
    database_is_empty,
    dump_database,
    dump_file_name,
    restore_database,
)
from certify.core.envelope import FILE_MAGIC, is_encrypted
from certify.core.sealed import seal, unseal
from certify.db import get_db
from certify.standards.files import LOCK_FILE
from certify.storage.backends import BlobBackend, LocalBackend
from certify.storage.setup import DOCUMENTS, EVIDENCE, KEYS_FOLDER, encrypted, make_backend
from certify.storage.transfer import copy_blobs, hash_blob, store_bytes_checked

FORMAT = "certify-backup/1"
KEYS_FILE = "keys.sealed"
AREAS = (EVIDENCE, DOCUMENTS)


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass
class RestoreReport:
    """What a restore put back."""

    database: str = ""
    keys: int = 0
    files: dict[str, int] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            hasher.update(chunk)
    return hasher.hexdigest()


def _tar_keys(folder: Path) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(folder)), recursive=False)
                count += 1
    if not count:
        raise BackupError(f"no keys in {folder}: run 'flask --app certify init' first")
    return buffer.getvalue(), count


def make_backup(app: Flask, out_dir: Path, passphrase: str, now: dt.datetime) -> Path:
    """Write a backup of *app*'s registry into a new folder in *out_dir*; return it.

    Raises:
        BackupError: a stored file the database names is missing or altered, or no keys.
        DatabaseBackupError: the database tool failed.
        SealError: the passphrase is too short.
    """
    config = app.config
    name = f"certify-backup-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    final, partial = out_dir / name, out_dir / f"{name}.partial"
    if final.exists():
        raise BackupError(f"{final} exists already")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True, mode=0o700)
    try:
        keys_tar, key_count = _tar_keys(Path(config["KEYS_DIR"]))
        (partial / KEYS_FILE).write_bytes(seal(keys_tar, passphrase))
        database_file = dump_file_name(str(config["DATABASE_URL"]))
        references = dump_database(get_db(app).engine, partial / database_file)
        shutil.copyfile(Path(config["RUBRICS_DIR"]) / LOCK_FILE, partial / LOCK_FILE)
        storage = _copy_storage(app, references, partial)
        files = {
            name: file_sha256(partial / name) for name in (database_file, KEYS_FILE, LOCK_FILE)
        }
        manifest = {
            "format": FORMAT,
            "created_at": now.astimezone(dt.UTC).isoformat(),
            "certify_version": __version__,
            "public_url": config["PUBLIC_URL"],
            "database": {"file": database_file, "dialect": get_db(app).engine.dialect.name},
            "keys": {"file": KEYS_FILE, "count": key_count},
            "files": files,
            "storage": storage,
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _copy_storage(app: Flask, references: dict[str, set[str]], folder: Path) -> dict[str, Any]:
    """Copy every stored file the database names into *folder*/storage; list them."""
    listed: dict[str, Any] = {}
    temp = folder / "tmp"
    for area in AREAS:
        source = make_backend(app.config, area)
        target = _backup_backend(app.config, folder, area, temp)
        wanted = sorted(references.get(area, set()))
        if area == DOCUMENTS:
            _documents_from_database(source, target, wanted, temp)
        report = copy_blobs(source, target, temp, label=area, digests=wanted)
        if not report.ok:
            raise BackupError(
                "stored files the database names are missing or altered; nothing was backed "
                "up: " + "; ".join(report.problems[:5])
            )
        listed[area] = [{"sha256": d, "size": target.size(d)} for d in wanted]
    shutil.rmtree(temp, ignore_errors=True)
    return listed


def _documents_from_database(
    source: BlobBackend, target: BlobBackend, wanted: list[str], temp: Path
) -> None:
    """Certificates issued before documents went to storage have their PDF only in the
    database (``storage backfill`` copies them): take those from there, hash checked."""
    from sqlalchemy import select

    from certify.certificates.pdf import CertificateDocument
    from certify.db import db_session

    for digest in wanted:
        if source.exists(digest):
            continue
        pdf = db_session().scalar(
            select(CertificateDocument.pdf).where(CertificateDocument.pdf_sha256 == digest)
        )
        if pdf is not None and hashlib.sha256(bytes(pdf)).hexdigest() == digest:
            store_bytes_checked(target, bytes(pdf), temp)


def _backup_backend(config: Any, folder: Path, area: str, temp: Path) -> BlobBackend:
    """The backup's copy of *area*. Evidence stays encrypted in a backup (new data keys,
    kept in ``storage/evidence/keys``, wrapped by the same KEK, which ``keys.sealed``
    holds); nothing in a backup is evidence in plaintext."""
    local = LocalBackend(folder / "storage" / area)
    if area != EVIDENCE or not config.get("EVIDENCE_ENCRYPTION", True):
        return local
    keys = LocalBackend(folder / "storage" / area / KEYS_FOLDER)
    return encrypted(config, local, keys, temp)


def _encrypted_blob_size(backend: LocalBackend, digest: str) -> int | None:
    """The stored size of an encrypted blob in a backup, or None when it is not encrypted
    (its key is in ``keys.sealed``, so it is checked when restored)."""
    try:
        with backend.path(digest).open("rb") as handle:
            head = handle.read(len(FILE_MAGIC))
    except OSError:
        return None
    return backend.size(digest) if is_encrypted(head) else None


# -- restore ----------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    """The backup's manifest, after checking every file it lists has its recorded hash.

    Raises:
        BackupError: no manifest, another format, or a file missing or altered.
    """
    try:
        manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} is not a certify backup (no readable manifest.json)") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder}: unknown backup format {manifest.get('format')!r}")
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file() or file_sha256(path) != digest:
            raise BackupError(f"{folder}: {name} is missing or altered; the backup is damaged")
    for area in AREAS:
        backend = LocalBackend(folder / "storage" / area)
        for item in manifest["storage"].get(area, []):
            if _encrypted_blob_size(backend, item["sha256"]) == item["size"]:
                continue  # encrypted evidence: decrypted and hash-checked when restored
            if hash_blob(backend, item["sha256"]) != item["sha256"]:
                raise BackupError(f"{folder}: stored file {area} {item['sha256']} is damaged")
    return manifest


def _check_rubrics(app: Flask, folder: Path) -> None:
    """Every standard version the backup's lock names must be installed with the same hash."""
    saved = json.loads((folder / LOCK_FILE).read_text())
    installed = json.loads((Path(app.config["RUBRICS_DIR"]) / LOCK_FILE).read_text())
    missing = _lock_entries(saved) - _lock_entries(installed)
    if missing:
        raise BackupError(
            "this certify does not publish the standards the backup's certificates name "
            f"({', '.join(sorted(missing))}): install the certify version the backup was made "
            "with, then restore"
        )


def _lock_entries(lock: Any) -> set[str]:
    """``id@version=sha256`` for each entry of a rubric lock (``{"isrps@1.0": {"sha256"}}``)."""
    return {f"{name}={entry.get('sha256')}" for name, entry in dict(lock).items()}


def _restore_keys(sealed: bytes, passphrase: str, folder: Path) -> int:
    data = unseal(sealed, passphrase)  # WrongPassphrase before anything is written
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        for member in tar.getmembers():
            if not member.isfile() or Path(member.name).is_absolute() or ".." in member.name:
                raise BackupError(f"the keys archive holds an unexpected entry {member.name!r}")
            target = folder / member.name
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            extracted = tar.extractfile(member)
            assert extracted is not None
            target.write_bytes(extracted.read())
            os.chmod(target, 0o600 if target.suffix == ".key" else 0o644)
            count += 1
    return count


def check_restore_target(app: Flask) -> None:
    """Refuse to restore over anything: the database must have no tables and the key
    folder no keys.

    Raises:
        BackupError: saying which is not empty.
    """
    if not database_is_empty(get_db(app).engine):
        raise BackupError(
            "the database is not empty: restore only into a new, empty database "
            "(create one and point DATABASE_URL at it)"
        )
    keys = Path(app.config["KEYS_DIR"])
    if keys.exists() and any(p.is_file() for p in keys.rglob("*")):
        raise BackupError(f"{keys} already holds keys: restore into a new instance folder")


def restore_backup(app: Flask, folder: Path, passphrase: str) -> RestoreReport:
    """Rebuild *app*'s registry from the backup *folder*: keys, database, stored files.

    Checks everything it can before writing anything: the backup's hashes, the passphrase,
    the rubrics, that the target is empty.

    Raises:
        BackupError, WrongPassphrase, SealError, DatabaseBackupError: saying what failed.
    """
    manifest = read_manifest(folder)
    sealed = (folder / manifest["keys"]["file"]).read_bytes()
    unseal(sealed, passphrase)  # a wrong passphrase stops here, before anything is written
    _check_rubrics(app, folder)
    check_restore_target(app)
    report = RestoreReport()
    report.keys = _restore_keys(sealed, passphrase, Path(app.config["KEYS_DIR"]))
    engine = get_db(app).engine
    engine.dispose()  # the restore tool writes; no pooled connection may hold the old state
    restore_database(str(app.config["DATABASE_URL"]), folder / manifest["database"]["file"])
    report.database = manifest["database"]["file"]
    for area in AREAS:
        wanted = [item["sha256"] for item in manifest["storage"].get(area, [])]
        temp = Path(app.config["EVIDENCE_DIR"]) / "tmp"
        source = _backup_backend(app.config, folder, area, folder / "tmp")
        target = make_backend(app.config, area)
        copied = copy_blobs(source, target, temp, label=area, digests=wanted)
        if not copied.ok:
            raise BackupError("restoring stored files failed: " + "; ".join(copied.problems[:5]))
        report.files[area] = len(wanted)
    return report
