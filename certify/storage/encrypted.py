"""Evidence encrypted at rest: a backend wrapper that encrypts what it stores and decrypts
what it opens (the envelope format is :mod:`certify.core.envelope`).

:class:`EncryptedBackend` wraps the area's backend (*inner*: the local folder or the bucket)
and a second backend holding the wrapped data keys (*keys*: ``<EVIDENCE_DIR>/keys/ab/cd/...``
locally, ``evidence-keys/`` in the bucket), both named by the plaintext's SHA-256, so content
addressing keeps working: the name is the hash of the plaintext, the stored bytes are
ciphertext. Everything above it (the evidence store, ``storage verify|migrate``, backup and
restore) reads and hashes plaintext and never sees a key.

Storing a file: the wrapped data key is stored first, exclusively (the first of several
concurrent uploads of the same bytes wins and all use its key), then the file is encrypted
into a temporary file and handed to *inner*. A blob found in plaintext (stored before
encryption, not migrated yet) is replaced by its encrypted form. Erasing a file
(:meth:`EncryptedBackend.shred`) destroys its wrapped data key, then the ciphertext: any copy
of the ciphertext left elsewhere (an object store's old versions, a replica) can no longer be
decrypted. Backups hold their own wrapped keys until they expire (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from certify.core import envelope
from certify.storage.backends import (
    CHUNK_SIZE,
    FILE_MODE,
    BlobBackend,
    BlobMissing,
    LocalBackend,
    StorageError,
    check_digest,
)

log = logging.getLogger(__name__)


class EvidenceUnreadable(StorageError):
    """A stored file cannot be decrypted: another key-encryption key, or damage."""


class EvidenceErased(BlobMissing):
    """The file's data key was destroyed: the file is erased for good."""


class _Prefixed(io.RawIOBase):
    """*head* then the rest of *rest*: a stream whose first bytes were already read."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._rest.close()
        super().close()


class EncryptedBackend:
    """*inner*'s blobs, encrypted; data keys wrapped by the KEK *kek_source* returns (read
    on first use, so a restore can put the key file in place first) and kept in *keys*.
    Temporary files go to *temp_dir* (same file system as a local *inner*)."""

    def __init__(
        self,
        inner: BlobBackend,
        keys: BlobBackend,
        kek_source: Callable[[], envelope.KeyEncryptionKey],
        temp_dir: Path,
    ) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.keys = keys
        self._kek_source = kek_source
        self._kek: envelope.KeyEncryptionKey | None = None
        self.temp_dir = Path(temp_dir)

    @property
    def kek(self) -> envelope.KeyEncryptionKey:
        if self._kek is None:
            self._kek = self._kek_source()
        return self._kek

    def __repr__(self) -> str:
        return f"EncryptedBackend({self.inner!r})"

    def describe(self) -> str:
        return f"{self.inner.describe()}, encrypted"

    # -- keys ------------------------------------------------------------------------------

    def _temp(self, prefix: str) -> tuple[int, Path]:
        LocalBackend(self.temp_dir.parent).make_dirs(self.temp_dir)
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=self.temp_dir)
        os.fchmod(fd, FILE_MODE)
        return fd, Path(name)

    def _read_wrapped(self, digest: str) -> bytes | None:
        try:
            with contextlib.closing(self.keys.open(digest)) as handle:
                return handle.read(envelope.WRAPPED_SIZE + 1)
        except BlobMissing:
            return None

    def data_key(self, digest: str, create: bool = False) -> bytes:
        """The file's data key, made and stored first when *create* and there is none.

        Raises:
            EvidenceErased: there is none (and *create* is false).
            EvidenceUnreadable: it was wrapped by another KEK, or is damaged.
        """
        wrapped = self._read_wrapped(digest)
        if wrapped is None:
            if not create:
                raise EvidenceErased("This evidence file was erased.")
            fd, temp = self._temp("key-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(envelope.wrap_key(self.kek, envelope.new_data_key(), digest))
                self.keys.store_file(temp, digest, envelope.WRAPPED_SIZE)
            finally:
                temp.unlink(missing_ok=True)
            wrapped = self._read_wrapped(digest)  # the winner's, when several raced
            if wrapped is None:
                raise EvidenceUnreadable("The file's data key could not be stored.")
        try:
            return envelope.unwrap_key(self.kek, wrapped, digest)
        except envelope.EnvelopeError as exc:
            raise EvidenceUnreadable(exc.message) from exc

    # -- writing ---------------------------------------------------------------------------

    def store_file(self, source: Path, digest: str, size: int) -> bool:
        """Encrypt the plaintext file *source* (*size* bytes) and store it under *digest*."""
        check_digest(digest)
        data_key = self.data_key(digest, create=True)
        fd, temp = self._temp("encrypt-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as plain:
                written = envelope.encrypt_stream(plain, out, data_key, digest)
                out.flush()
                os.fsync(out.fileno())
            return self.inner.store_file(temp, digest, written)
        finally:
            temp.unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------

    def open(self, digest: str) -> BinaryIO:
        """The plaintext (a file stored before encryption is returned as it is).

        Raises:
            BlobMissing: nothing is stored (:class:`EvidenceErased`: its key was destroyed).
            EvidenceUnreadable: another KEK, or a damaged key; reading raises
                :class:`certify.core.envelope.DamagedCiphertext` at altered content.
        """
        raw = self.inner.open(digest)
        try:
            head = envelope.read_full(raw, len(envelope.FILE_MAGIC))
            if not envelope.is_encrypted(head):
                return io.BufferedReader(_Prefixed(head, raw))
            data_key = self.data_key(digest)
        except BaseException:
            raw.close()
            raise
        return envelope.open_decrypted(_Prefixed(head, raw), data_key, digest)  # type: ignore[arg-type]

    def is_encrypted(self, digest: str) -> bool:
        """True when the stored bytes are in the encrypted format."""
        with contextlib.closing(self.inner.open(digest)) as raw:
            return envelope.is_encrypted(envelope.read_full(raw, len(envelope.FILE_MAGIC)))

    def exists(self, digest: str) -> bool:
        return self.inner.exists(digest)

    def size(self, digest: str) -> int | None:
        return self.inner.size(digest)

    def modified_at(self, digest: str) -> float | None:
        return self.inner.modified_at(digest)

    def iter_digests(self) -> Iterator[str]:
        return self.inner.iter_digests()

    # -- removing and checking -------------------------------------------------------------

    def delete(self, digest: str) -> bool:
        self.keys.delete(digest)
        return self.inner.delete(digest)

    def shred(self, digest: str) -> bool:
        """Erase the file for good: destroy its wrapped data key (overwritten first when it is
        a local file), then the ciphertext. True when there was a key or a file."""
        if isinstance(self.keys, LocalBackend):
            path = self.keys.path(digest)
            with contextlib.suppress(FileNotFoundError), path.open("r+b") as handle:
                handle.write(os.urandom(envelope.WRAPPED_SIZE))
                handle.flush()
                os.fsync(handle.fileno())
        had_key = self.keys.delete(digest)
        had_file = self.inner.delete(digest)
        return had_key or had_file

    def check(self) -> None:
        self.inner.check()
        _ = self.kek


def encrypt_in_place(backend: EncryptedBackend, digest: str) -> str:
    """Encrypt the blob stored under *digest* if it is still plaintext, checking it before
    and after; return ``"encrypted"``, ``"already"`` (it was encrypted and decrypts to its
    name) or raise. Safe to interrupt and run again: the plaintext is replaced only by a
    ciphertext already checked to decrypt to it.

    Raises:
        BlobMissing: nothing is stored under *digest*.
        EvidenceUnreadable: the blob does not hash to its name (plaintext damaged), or its
            ciphertext does not decrypt to it (another KEK, damage).
    """
    if backend.is_encrypted(digest):
        if _hash(backend.open(digest)) != digest:
            raise EvidenceUnreadable(f"{digest}: decrypts, but not to its name")
        return "already"
    fd, temp = backend._temp("plain-")
    try:
        hasher = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, contextlib.closing(backend.inner.open(digest)) as raw:
            while chunk := raw.read(CHUNK_SIZE):
                hasher.update(chunk)
                out.write(chunk)
        if hasher.hexdigest() != digest:
            raise EvidenceUnreadable(f"{digest}: the stored plaintext does not match its name")
        backend.store_file(temp, digest, temp.stat().st_size)
    finally:
        temp.unlink(missing_ok=True)
    if _hash(backend.open(digest)) != digest:
        raise EvidenceUnreadable(f"{digest}: the encrypted copy does not read back")
    return "encrypted"


def _hash(handle: BinaryIO) -> str:
    hasher = hashlib.sha256()
    try:
        with contextlib.closing(handle):
            while chunk := handle.read(CHUNK_SIZE):
                hasher.update(chunk)
    except envelope.EnvelopeError as exc:
        raise EvidenceUnreadable(exc.message) from exc
    return hasher.hexdigest()
