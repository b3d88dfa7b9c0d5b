"""Signed documents (certificate PDFs; audit report PDFs next), content-addressed.

A document is kept under the SHA-256 of its bytes in the ``documents`` area of the configured
backend (``DOCUMENTS_DIR`` locally, ``documents/`` in the bucket). Reading checks the hash
again, so a document that changed in storage is never served as the registry's: verification
stays byte-exact (``CertificateDocument.pdf_sha256``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from certify.storage.backends import (
    FILE_MODE,
    TEMP_DIR_NAME,
    BlobBackend,
    LocalBackend,
    StorageError,
    check_digest,
)


class DocumentDamaged(StorageError):
    """The stored bytes no longer have the digest they are stored under."""


class DocumentStore:
    """Documents kept by *backend*; written through a temporary file under *root*."""

    def __init__(self, root: Path | str, backend: BlobBackend | None = None) -> None:
        self.root = Path(root)
        self._folder = LocalBackend(self.root)
        self.backend: BlobBackend = backend or self._folder

    def __repr__(self) -> str:
        return f"DocumentStore({str(self.root)!r}, {self.backend!r})"

    def put_bytes(self, data: bytes) -> tuple[str, bool]:
        """Store *data*; return ``(sha256, created)``. Storing the same bytes again changes
        nothing (``created`` is False).

        Raises:
            ValueError: *data* is empty.
            OSError, botocore errors: the storage failed (nothing is left half written).
        """
        if not data:
            raise ValueError("an empty document cannot be stored")
        digest = hashlib.sha256(data).hexdigest()
        temp_dir = self.root / TEMP_DIR_NAME
        self._folder.make_dirs(temp_dir)
        fd, name = tempfile.mkstemp(prefix="document-", suffix=".part", dir=temp_dir)
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                os.fchmod(out.fileno(), FILE_MODE)
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            created = self.backend.store_file(temp, digest, len(data))
        finally:
            temp.unlink(missing_ok=True)
        return digest, created

    def read(self, sha256: str) -> bytes:
        """The document's bytes, checked against *sha256*.

        Raises:
            InvalidDigest: *sha256* is not 64 lowercase hex characters.
            BlobMissing: nothing is stored under it.
            DocumentDamaged: the stored bytes have another hash.
        """
        with self.backend.open(check_digest(sha256)) as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DocumentDamaged(f"the stored document {sha256[:12]}... has been altered")
        return data

    def exists(self, sha256: str) -> bool:
        """True when a document is stored under *sha256*."""
        return self.backend.exists(check_digest(sha256))

    def iter_documents(self) -> Iterator[str]:
        """Every stored document's digest, in order."""
        return self.backend.iter_digests()
