"""Evidence files, content-addressed by SHA-256, in the local folder or S3-compatible storage.

An ISSP's evidence file is stored once under its SHA-256, in fan-out folders so no folder grows
huge: ``<root>/ab/cd/abcd...`` (root is ``EVIDENCE_DIR``, by default ``instance/evidence``), or
objects ``evidence/ab/cd/abcd...`` in a bucket (:mod:`certify.storage`: the backend is chosen
by ``STORAGE_BACKEND``; the checks below are the same for both). The
database rows (the lead's models) say which case a file belongs to, who uploaded it and under
which name; this module knows only bytes. An organisation uploading the same file twice, or two
organisations uploading the same file, store it once.

How :meth:`EvidenceStore.put` keeps "nothing is written when a check fails":

1. The upload is copied in 1 MiB chunks into a temporary file in ``<root>/tmp`` (the same file
   system as the blobs, so the final step is a rename, not a copy), hashed and counted on the
   way. It stops as soon as one byte more than the limit has been read: a huge upload is never
   read whole, let alone held in memory.
2. Empty and oversized uploads are refused; then
   :func:`certify.core.filetypes.sniffing.sniff` decides the type from the temporary file's
   content.
3. The backend keeps the checked file (``BlobBackend.store_file``). Locally, the temporary
   file is hard-linked to its final name. ``os.link`` fails if the name exists, so of several
   concurrent uploads of the same bytes exactly one reports ``created=True`` and no one ever
   overwrites a blob another request may already point at (``os.replace`` would silently do
   both). The file is complete and fsynced before it gets its final name, so a reader never
   sees half a blob. On file systems without hard links it falls back to ``os.replace``.
   On S3 the file is uploaded from disk with ``If-None-Match: *`` (exactly one creator).
4. Whatever happens, including an exception in the middle or a ``KeyboardInterrupt``, the
   temporary file is removed in a ``finally``. A process killed mid-upload can leave one behind;
   :meth:`EvidenceStore.remove_stale_temp` sweeps those.

Files are created with mode 0o640 and folders with 0o750 (set explicitly, whatever the umask):
evidence is personal and commercial data, for the app's user and group only.

The temporary folder is ``<root>/tmp`` with either backend (uploads are checked on local disk,
never held in memory). Digests given to :meth:`~EvidenceStore.path` and everything built on it
must be 64 lowercase hex characters; anything else raises :class:`InvalidDigest`, so no path is
ever built from unchecked input (``../../config.py`` is not a digest).

**With the database.** The store cannot join the database transaction, so the caller orders the
two and undoes the file when the database fails::

    try:
        blob = store.put(upload.stream, upload.filename)
    except EvidenceError as exc:          # EvidenceTooLarge -> 413, the others -> 400
        ...show exc.message; nothing was written...
    try:
        add_evidence(case, blob, name=upload.filename, actor=user)   # flushes
        session.commit()
    except Exception:
        session.rollback()
        if blob.created:                  # never delete a blob this request did not create
            store.delete(blob.sha256)
        raise

A remaining, tiny race: request A uploads bytes that request B created an instant earlier
(A gets ``created=False``), then B's database write fails and B deletes the blob A's row will
point at. It needs the same bytes twice within milliseconds plus a database failure; a deployment
that cares can have B delete only when no committed row references the digest, and
:meth:`EvidenceStore.verify` / :meth:`EvidenceStore.exists` over all rows finds such a loss.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from certify.core.filetypes.kinds import FileKind, FileTypeError
from certify.core.filetypes.risks import active_content
from certify.core.filetypes.sniffing import sniff
from certify.storage.backends import (
    CHUNK_SIZE,
    FILE_MODE,
    TEMP_DIR_NAME,
    BlobBackend,
    BlobMissing,
    LocalBackend,
    StorageError,
    is_digest,
)
from certify.storage.encrypted import EvidenceErased

log = logging.getLogger(__name__)

_TEMP_PREFIX = "upload-"
_TEMP_SUFFIX = ".part"
_MB = 1024 * 1024


class EvidenceError(StorageError):
    """An evidence file cannot be stored or read; ``message`` says why, for a person."""


class EmptyEvidence(EvidenceError):
    """The upload has no bytes at all."""


class EvidenceTooLarge(EvidenceError):
    """The upload is larger than the store's limit; ``max_bytes`` is that limit."""

    def __init__(self, message: str, max_bytes: int) -> None:
        super().__init__(message)
        self.max_bytes = max_bytes


class EvidenceRejected(EvidenceError):
    """The upload's content is not an accepted evidence type (see :mod:`certify.core.filetypes`)."""


class InvalidDigest(EvidenceError, ValueError):
    """A digest given to the store is not 64 lowercase hex characters."""


class EvidenceMissing(EvidenceError):
    """No blob is stored under the digest (deleted, lost, or never stored)."""


class EvidenceUnreadable(EvidenceError):
    """The blob is stored encrypted but cannot be decrypted (another KEK, a damaged key)."""


@dataclass(frozen=True)
class StoredBlob:
    """The result of :meth:`EvidenceStore.put`.

    ``sha256`` (64 lowercase hex) addresses the blob; ``size`` is in bytes; ``kind`` is what the
    content really is; ``created`` is True when this call stored the bytes and False when an
    identical blob was already there (only the creator may delete it on rollback).
    """

    sha256: str
    size: int
    kind: FileKind
    created: bool
    #: active content found in the file (scripts, HTML), for the people who open it
    warnings: tuple[str, ...] = ()


def format_size(num_bytes: int) -> str:
    """``20971520`` -> ``"20 MB"``, ``1572864`` -> ``"1.5 MB"``; small limits in KB or bytes."""
    if num_bytes >= _MB:
        megabytes = num_bytes / _MB
        return f"{megabytes:.0f} MB" if num_bytes % _MB == 0 else f"{megabytes:.1f} MB"
    if num_bytes >= 1024:
        return f"{num_bytes / 1024:.0f} KB"
    return f"{num_bytes} bytes"


def check_digest(sha256: object) -> str:
    """Return *sha256* if it is 64 lowercase hex characters.

    Raises:
        InvalidDigest: anything else (uppercase, whitespace, a path, not a string).
    """
    if not isinstance(sha256, str) or not is_digest(sha256):
        # The input is not echoed: it may be long, or crafted to mislead whoever reads logs.
        raise InvalidDigest("That is not a valid evidence file reference.")
    return sha256


class EvidenceStore:
    """Evidence blobs, each at most *max_bytes* long, kept by *backend* (default: the folder
    *root* itself); uploads are checked in ``<root>/tmp`` first.

    Build one per app with :func:`certify.storage.setup.evidence_store`; it holds no open
    files and is safe to share between threads and processes. Folders are created on the
    first :meth:`put`.
    """

    def __init__(
        self, root: Path | str, max_bytes: int, backend: BlobBackend | None = None
    ) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError("max_bytes must be a positive number of bytes")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._folder = LocalBackend(self.root)
        self.backend: BlobBackend = backend or self._folder

    def __repr__(self) -> str:
        return f"EvidenceStore({str(self.root)!r}, max_bytes={self.max_bytes}, {self.backend!r})"

    @property
    def temp_dir(self) -> Path:
        """Where uploads are written before they are checked (inside *root*)."""
        return self.root / TEMP_DIR_NAME

    # -- writing ---------------------------------------------------------------------------

    def put(self, stream: BinaryIO, filename: str | None = None) -> StoredBlob:
        """Store the bytes read from *stream* if they are acceptable evidence.

        Args:
            stream: a readable binary stream (Werkzeug's ``FileStorage.stream``); it is read to
                its end or until it passes the limit, in chunks, never whole.
            filename: the name the uploader gave; it only tells CSV from plain text.

        Returns:
            A :class:`StoredBlob`; ``created`` is False when the same bytes were already stored.

        Raises:
            EmptyEvidence: the stream has no bytes.
            EvidenceTooLarge: it has more than ``max_bytes`` bytes.
            EvidenceRejected: the content is not an accepted type, or is damaged or dangerous.
            OSError: the disk failed (full, read-only, permissions); the object store's own
                errors (botocore) when it cannot be reached.

        On every error nothing is left in the store: the temporary file is removed.
        """
        self._folder.make_dirs(self.temp_dir)
        fd, temp_name = tempfile.mkstemp(
            prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=self.temp_dir
        )
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "w+b") as out:
                os.fchmod(out.fileno(), FILE_MODE)
                digest, size = self._copy_limited(stream, out)
                if size == 0:
                    raise EmptyEvidence(
                        "The file is empty (0 bytes). Please choose it again; if it is still "
                        "empty, open and save it once more before uploading."
                    )
                out.flush()
                os.fsync(out.fileno())
                try:
                    kind = sniff(out, filename=filename)
                except FileTypeError as exc:
                    raise EvidenceRejected(exc.message) from exc
                warnings = tuple(active_content(out, kind))
            created = self.backend.store_file(temp, digest, size)
        finally:
            # On success the blob has its own copy (or was already there); on failure this is
            # the only copy. Either way the temporary name goes.
            temp.unlink(missing_ok=True)
        log.info("evidence %s: %d bytes, %s, created=%s", digest, size, kind.kind, created)
        return StoredBlob(sha256=digest, size=size, kind=kind, created=created, warnings=warnings)

    def _copy_limited(self, stream: BinaryIO, out: BinaryIO) -> tuple[str, int]:
        hasher = hashlib.sha256()
        size = 0
        while True:
            # Never ask for more than one byte past the limit: that byte is enough to refuse.
            chunk = stream.read(min(CHUNK_SIZE, self.max_bytes + 1 - size))
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_bytes:
                limit = format_size(self.max_bytes)
                raise EvidenceTooLarge(
                    f"The file is larger than the {limit} limit for evidence files. Please "
                    "upload a smaller file: split it, or export a compressed PDF.",
                    self.max_bytes,
                )
            hasher.update(chunk)
            out.write(chunk)
        return hasher.hexdigest(), size

    # -- reading ---------------------------------------------------------------------------

    def path(self, sha256: str) -> Path:
        """Where the blob with digest *sha256* lives in the local folder (whether or not it
        exists); only for the local backend.

        Raises:
            InvalidDigest: *sha256* is not 64 lowercase hex characters.
        """
        return self._folder.path(check_digest(sha256))

    def exists(self, sha256: str) -> bool:
        """True when a blob is stored under *sha256*.

        Raises:
            InvalidDigest: *sha256* is not 64 lowercase hex characters.
        """
        return self.backend.exists(check_digest(sha256))

    def open(self, sha256: str) -> BinaryIO:
        """Open the blob for reading (binary); the caller closes it (``send_file`` does).

        Raises:
            InvalidDigest: *sha256* is not 64 lowercase hex characters.
            EvidenceMissing: no blob is stored under it.
        """
        sha256 = check_digest(sha256)
        try:
            return self.backend.open(sha256)
        except BlobMissing as exc:
            if isinstance(exc, EvidenceErased):
                raise EvidenceMissing(exc.message) from exc
            raise EvidenceMissing("This evidence file is no longer stored.") from exc
        except StorageError as exc:  # encrypted and cannot be decrypted (another KEK, damage)
            raise EvidenceUnreadable(exc.message) from exc

    def verify(self, sha256: str) -> bool:
        """Re-hash the blob: True when it exists and its content still has digest *sha256*.

        Raises:
            InvalidDigest: *sha256* is not 64 lowercase hex characters.
        """
        sha256 = check_digest(sha256)
        try:
            handle = self.open(sha256)
        except (EvidenceError, OSError):  # OSError: e.g. a symlink refused by O_NOFOLLOW
            return False
        try:
            return hash_stream(handle) == sha256
        except ValueError:  # certify.core.envelope.DamagedCiphertext
            return False

    def iter_blobs(self) -> Iterator[str]:
        """Every stored digest, in order (for integrity checks and sweeps of unused blobs)."""
        return self.backend.iter_digests()

    def modified_at(self, sha256: str) -> float | None:
        """When the blob was stored (seconds since the epoch), or None when it is not here.

        Raises:
            InvalidDigest: *sha256* is not 64 lowercase hex characters.
        """
        return self.backend.modified_at(check_digest(sha256))

    # -- removing --------------------------------------------------------------------------

    def delete(self, sha256: str) -> bool:
        """Remove the blob; True if it was there. For undoing a :meth:`put` whose database
        write failed, and only when that put returned ``created=True``.

        Raises:
            InvalidDigest: *sha256* is not 64 lowercase hex characters.
        """
        deleted = self.backend.delete(check_digest(sha256))
        if deleted:
            log.info("evidence %s deleted", sha256)
        return deleted

    def shred(self, sha256: str) -> bool:
        """Erase the blob for good: destroy its data key, then the ciphertext (an encrypted
        backend); a plain backend can only delete it. True if there was anything.

        Raises:
            InvalidDigest: *sha256* is not 64 lowercase hex characters.
        """
        digest = check_digest(sha256)
        shred = getattr(self.backend, "shred", None)
        erased = bool(shred(digest)) if shred is not None else self.backend.delete(digest)
        if erased:
            log.info("evidence %s erased", digest)
        return erased

    def remove_stale_temp(self, older_than: float = 24 * 3600, now: float | None = None) -> int:
        """Remove temporary upload files older than *older_than* seconds (left by a process
        killed mid-upload); return how many. Younger ones may belong to a running upload."""
        if not self.temp_dir.is_dir():
            return 0
        cutoff = (time.time() if now is None else now) - older_than
        removed = 0
        for entry in self.temp_dir.iterdir():
            if not (entry.name.startswith(_TEMP_PREFIX) and entry.name.endswith(_TEMP_SUFFIX)):
                continue
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed


def hash_stream(handle: BinaryIO) -> str:
    """SHA-256 (hex) of what *handle* yields, read in chunks; closes it."""
    hasher = hashlib.sha256()
    with contextlib.closing(handle):
        while chunk := handle.read(CHUNK_SIZE):
            hasher.update(chunk)
    return hasher.hexdigest()
