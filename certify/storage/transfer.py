"""Copying blobs between backends, every hash checked: ``storage migrate``, backup, restore.

A copy streams each blob from the source into a temporary file (hashing on the way), refuses
a source copy whose hash is not its name, stores it in the target, and reads the target's copy
back to hash it again. A blob already intact in the target is left alone, so a copy that was
interrupted can simply be run again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from certify.storage.backends import (
    CHUNK_SIZE,
    FILE_MODE,
    BlobBackend,
    BlobMissing,
    StorageError,
)


@dataclass
class CopyReport:
    """What a copy did: blobs copied, blobs already intact in the target, and problems."""

    copied: int = 0
    present: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def hash_blob(backend: BlobBackend, digest: str) -> str | None:
    """SHA-256 of the blob's content as *backend* returns it, or None when it is missing."""
    try:
        handle = backend.open(digest)
    except BlobMissing:
        return None
    except StorageError:  # an encrypted blob that cannot be decrypted (another key, damage)
        return "unreadable"
    hasher = hashlib.sha256()
    try:
        with contextlib.closing(handle):
            while chunk := handle.read(CHUNK_SIZE):
                hasher.update(chunk)
    except ValueError:  # certify.core.envelope.DamagedCiphertext: altered ciphertext
        return "unreadable"
    return hasher.hexdigest()


def _download(source: BlobBackend, digest: str, temp_dir: Path) -> tuple[Path, str, int]:
    fd, name = tempfile.mkstemp(prefix="copy-", suffix=".part", dir=temp_dir)
    hasher, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out, contextlib.closing(source.open(digest)) as handle:
            os.fchmod(out.fileno(), FILE_MODE)
            while chunk := handle.read(CHUNK_SIZE):
                hasher.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), hasher.hexdigest(), size


def copy_blobs(
    source: BlobBackend,
    target: BlobBackend,
    temp_dir: Path,
    *,
    label: str,
    digests: Iterable[str] | None = None,
    progress: Callable[[str], object] | None = None,
) -> CopyReport:
    """Copy every blob of *source* (or only *digests*) into *target*, checking each hash.

    *label* names the area in problems (``evidence``, ``documents``). Raises only for the
    storage being unreachable; a damaged or missing blob is a problem in the report.
    """
    report = CopyReport()
    temp_dir.mkdir(parents=True, exist_ok=True)
    for digest in source.iter_digests() if digests is None else digests:
        if hash_blob(target, digest) == digest:
            report.present += 1
            continue
        try:
            temp, actual, size = _download(source, digest, temp_dir)
        except BlobMissing:
            report.problems.append(f"{label} {digest}: missing from {source.describe()}")
            continue
        except (StorageError, ValueError) as exc:  # encrypted: another key, or damaged
            report.problems.append(f"{label} {digest}: unreadable ({exc})")
            continue
        try:
            if actual != digest:
                report.problems.append(f"{label} {digest}: the source copy is damaged")
                continue
            target.store_file(temp, digest, size)
        finally:
            temp.unlink(missing_ok=True)
        if hash_blob(target, digest) != digest:
            report.problems.append(f"{label} {digest}: the copy in the target does not match")
            continue
        report.copied += 1
        if progress is not None:
            progress(digest)
    return report


def store_bytes_checked(target: BlobBackend, data: bytes, temp_dir: Path) -> tuple[str, bool]:
    """Store *data* in *target* under its SHA-256 unless an intact copy is there, and read it
    back; return ``(digest, copied)``.

    Raises:
        ValueError: the stored copy does not read back with the same hash.
    """
    digest = hashlib.sha256(data).hexdigest()
    if hash_blob(target, digest) == digest:
        return digest, False
    temp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="copy-", suffix=".part", dir=temp_dir)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), FILE_MODE)
            out.write(data)
        target.store_file(temp, digest, len(data))
    finally:
        temp.unlink(missing_ok=True)
    if hash_blob(target, digest) != digest:
        raise ValueError(f"document {digest}: the copy in the target does not match")
    return digest, True
