"""Where stored files' bytes live: the interface, and the local-folder backend.

A backend keeps immutable blobs of one *area* (evidence files, certificate documents), each
named by the SHA-256 of its content (64 lowercase hex). It knows only bytes and names: the
checks (size, type by content, the hash itself) are made by its caller before
:meth:`BlobBackend.store_file` is asked to keep a file, so every backend enforces the same
rules. Two backends: :class:`LocalBackend` (a folder, the default) and
:class:`certify.storage.s3.S3Backend` (S3-compatible object storage).

Content addressing makes the backends simple and safe to share between servers: a name never
changes meaning, two servers storing the same bytes store the same blob, and a copy from one
backend to another can be checked by re-hashing (``flask --app certify storage migrate``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

log = logging.getLogger(__name__)

FILE_MODE = 0o640
DIR_MODE = 0o750
CHUNK_SIZE = 1024 * 1024
TEMP_DIR_NAME = "tmp"  # never a fan-out name: those are two hex characters

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_FANOUT_RE = re.compile(r"[0-9a-f]{2}")


class StorageError(Exception):
    """A stored file cannot be stored or read; ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidDigest(StorageError, ValueError):
    """A digest given to the store is not 64 lowercase hex characters."""


class BlobMissing(StorageError):
    """No blob is stored under the digest (deleted, lost, or never stored)."""


def check_digest(sha256: object) -> str:
    """Return *sha256* if it is 64 lowercase hex characters.

    Raises:
        InvalidDigest: anything else (uppercase, whitespace, a path, not a string).
    """
    if not isinstance(sha256, str) or not _DIGEST_RE.fullmatch(sha256):
        # The input is not echoed: it may be long, or crafted to mislead whoever reads logs.
        raise InvalidDigest("That is not a valid stored file reference.")
    return sha256


def is_digest(name: str) -> bool:
    """True when *name* is 64 lowercase hex characters."""
    return bool(_DIGEST_RE.fullmatch(name))


def fanout(digest: str) -> str:
    """``ab/cd/abcd...``: the blob's name inside its area (no folder grows huge)."""
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


class BlobBackend(Protocol):
    """What every backend does. Digests are checked (:func:`check_digest`) before use."""

    #: ``local`` or ``s3``
    kind: str

    def describe(self) -> str:
        """Where the blobs are, for people (no credentials)."""

    def store_file(self, source: Path, digest: str, size: int) -> bool:
        """Keep the (already checked) file *source* under *digest*; True when this call
        stored it, False when an intact blob of that size was already there (it then counts
        as freshly stored for :meth:`modified_at`). *source* may have been moved into place;
        the caller removes it if it is still there."""

    def open(self, digest: str) -> BinaryIO:
        """A readable binary stream of the blob; the caller closes it.

        Raises:
            BlobMissing: nothing is stored under *digest*.
        """

    def exists(self, digest: str) -> bool:
        """True when a blob is stored under *digest*."""

    def size(self, digest: str) -> int | None:
        """The blob's size in bytes, or None when it is not here."""

    def modified_at(self, digest: str) -> float | None:
        """When the blob was (last) stored, in seconds since the epoch, or None."""

    def delete(self, digest: str) -> bool:
        """Remove the blob; True if it was there."""

    def iter_digests(self) -> Iterator[str]:
        """Every stored digest, in order."""

    def check(self) -> None:
        """Raise when the backend cannot be written to right now (readiness)."""


class LocalBackend:
    """Blobs in fan-out folders under *root*: ``<root>/ab/cd/abcd...``.

    Files get mode 0o640 and folders 0o750 whatever the umask: stored files are personal and
    commercial data, for the app's user and group only. Files to store must be on the same
    file system (``<root>/tmp`` is), so placing one is a hard link or a rename, never a copy.
    """

    kind = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBackend({str(self.root)!r})"

    def describe(self) -> str:
        return f"folder {self.root}"

    def path(self, digest: str) -> Path:
        """Where the blob lives (whether or not it exists).

        Raises:
            InvalidDigest: *digest* is not 64 lowercase hex characters.
        """
        digest = check_digest(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    # -- writing ---------------------------------------------------------------------------

    def store_file(self, source: Path, digest: str, size: int) -> bool:
        final = self.path(digest)
        self.make_dirs(final.parent)
        created = self._link_into_place(source, final, size)
        if created:
            _fsync_dir(final.parent)
        return created

    @staticmethod
    def _link_into_place(temp: Path, final: Path, size: int) -> bool:
        # os.link fails if the name exists, so of several concurrent stores of the same bytes
        # exactly one reports created=True and nobody overwrites a blob another request may
        # already point at (os.replace would silently do both).
        try:
            os.link(temp, final)
        except FileExistsError:
            # Same bytes already stored. A stored blob of the wrong size was damaged on disk
            # (the name is its hash): repair it with the good copy just received.
            if final.stat().st_size != size:
                log.warning("stored file %s was damaged on disk; replaced", final.name)
                os.replace(temp, final)
            else:
                # Stored again: the blob counts as new, so a sweep of unreferenced blobs (which
                # spares young ones) cannot remove it before this upload's row is written.
                os.utime(final)
            return False
        except OSError:
            # No hard links on this file system: fall back to a rename, which is still atomic
            # but may overwrite an identical blob stored an instant earlier.
            if final.exists():
                return False
            os.replace(temp, final)
        return True

    # -- reading ---------------------------------------------------------------------------

    def open(self, digest: str) -> BinaryIO:
        path = self.path(digest)
        try:
            # O_NOFOLLOW: a symlink planted in the store is never followed out of it.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError as exc:
            raise BlobMissing("This file is no longer stored.") from exc
        return os.fdopen(fd, "rb")

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int | None:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def modified_at(self, digest: str) -> float | None:
        try:
            return self.path(digest).stat().st_mtime
        except FileNotFoundError:
            return None

    def iter_digests(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if not (first.is_dir() and _FANOUT_RE.fullmatch(first.name)):
                continue
            for second in sorted(first.iterdir()):
                if not (second.is_dir() and _FANOUT_RE.fullmatch(second.name)):
                    continue
                for blob in sorted(second.iterdir()):
                    name = blob.name
                    if is_digest(name) and name[:2] == first.name and name[2:4] == second.name:
                        yield name

    # -- removing and checking -------------------------------------------------------------

    def delete(self, digest: str) -> bool:
        # Fan-out folders are kept: removing them could race with a concurrent store into them.
        try:
            self.path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def check(self) -> None:
        target = self.root if self.root.exists() else self.root.parent
        if not target.is_dir():
            raise OSError(f"{target} is not a folder")
        probe = target / f".readyz-probe-{os.getpid()}"
        probe.write_bytes(b"")  # can we write where the blobs go?
        probe.unlink()

    def make_dirs(self, directory: Path) -> None:
        """Create *directory* and its missing parents inside *root* with :data:`DIR_MODE`."""
        if directory.is_dir():
            return
        if not self.root.is_dir():
            self.root.parent.mkdir(parents=True, exist_ok=True)
            _make_dir(self.root)
        for part in reversed([directory, *directory.parents]):
            if part == self.root or self.root not in part.parents:
                continue
            _make_dir(part)


def _make_dir(path: Path) -> None:
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        return
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask; this is not


def _fsync_dir(directory: Path) -> None:
    # The new name must survive a crash as well as the data (POSIX: fsync the directory).
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
