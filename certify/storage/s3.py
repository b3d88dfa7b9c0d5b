"""The S3-compatible object storage backend (boto3): AWS S3, SeaweedFS, MinIO, Ceph RGW ...

Blobs are objects ``<prefix><area>/ab/cd/<sha256>`` in one bucket. A file is uploaded from
the checked temporary file on disk (streamed by botocore, never read whole into memory), with
``If-None-Match: *`` so that of two servers storing the same bytes at once exactly one creates
the object and neither overwrites what the other may already point at (the same promise as the
local backend's hard link). Stores that do not honour the condition simply overwrite identical
bytes, which is harmless for content-addressed blobs.

Settings (``certify.storage.setup``): ``S3_BUCKET``, ``S3_ENDPOINT_URL`` (empty for AWS),
``S3_REGION``, ``S3_ACCESS_KEY_ID``, ``S3_SECRET_ACCESS_KEY`` (keep them in ``instance/`` or
the environment), ``S3_PREFIX``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from certify.storage.backends import BlobMissing, check_digest, fanout, is_digest

log = logging.getLogger(__name__)

_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_PRECONDITION_CODES = {"412", "PreconditionFailed", "ConditionalRequestConflict"}
_UNSUPPORTED_CODES = {"501", "NotImplemented"}


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class S3Backend:
    """Blobs of one *area* in *bucket*, through a boto3 client (thread-safe, shared)."""

    kind = "s3"

    def __init__(
        self, client: Any, bucket: str, area: str, prefix: str = "", *, plain: bool = True
    ) -> None:
        #: True when an object's bytes hash to its name (False: encrypted evidence, keys)
        self.plain = plain
        self.client = client
        self.bucket = bucket
        self.area = area
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    def __repr__(self) -> str:
        return f"S3Backend(bucket={self.bucket!r}, area={self.area!r})"

    def describe(self) -> str:
        endpoint = getattr(self.client.meta, "endpoint_url", "") or "AWS"
        return f"S3 bucket {self.bucket} at {endpoint}, {self.prefix}{self.area}/"

    def key(self, digest: str) -> str:
        """The object key of *digest*.

        Raises:
            InvalidDigest: *digest* is not 64 lowercase hex characters.
        """
        return f"{self.prefix}{self.area}/{fanout(check_digest(digest))}"

    # -- writing ---------------------------------------------------------------------------

    def store_file(self, source: Path, digest: str, size: int) -> bool:
        key = self.key(digest)
        stored = self.size(digest)
        if stored == size:
            self._touch(key)
            return False
        # The object store refuses a body whose hash is not its name (plain areas), or one
        # damaged on the way (encrypted areas: the checksum of the ciphertext sent).
        raw = bytes.fromhex(digest) if self.plain else _file_sha256(source)
        checksum = base64.b64encode(raw).decode("ascii")
        extra: dict[str, Any] = {"ChecksumSHA256": checksum}
        if stored is None:
            extra["IfNoneMatch"] = "*"
        else:
            log.warning("stored object %s had the wrong size; replaced", key)
        try:
            self._put(source, key, size, extra)
        except Exception as exc:
            code = _error_code(exc)
            if code in _PRECONDITION_CODES:
                return False  # another server stored the same bytes an instant earlier
            if code not in _UNSUPPORTED_CODES or "IfNoneMatch" not in extra:
                raise
            # A store without conditional writes: an identical object may be overwritten
            # (harmless: same name, same bytes), and "created" is then a best guess.
            del extra["IfNoneMatch"]
            self._put(source, key, size, extra)
        return stored is None  # a repaired blob was not created by this call

    def _put(self, source: Path, key: str, size: int, extra: dict[str, Any]) -> None:
        with source.open("rb") as body:  # streamed from disk by botocore
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentLength=size,
                ContentType="application/octet-stream",
                **extra,
            )

    def _touch(self, key: str) -> None:
        # Stored again: refresh its time (a copy onto itself), so a sweep of unreferenced
        # blobs (which spares young ones) cannot remove it before this upload's row exists.
        self.client.copy_object(
            Bucket=self.bucket,
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": key},
            MetadataDirective="REPLACE",
            ContentType="application/octet-stream",
        )

    # -- reading ---------------------------------------------------------------------------

    def open(self, digest: str) -> BinaryIO:
        key = self.key(digest)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _error_code(exc) in _MISSING_CODES:
                raise BlobMissing("This file is no longer stored.") from exc
            raise
        return response["Body"]  # botocore's StreamingBody

    def _head(self, digest: str) -> dict[str, Any] | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key(digest))
        except Exception as exc:
            if _error_code(exc) in _MISSING_CODES:
                return None
            raise

    def exists(self, digest: str) -> bool:
        return self._head(digest) is not None

    def size(self, digest: str) -> int | None:
        head = self._head(digest)
        return None if head is None else int(head["ContentLength"])

    def modified_at(self, digest: str) -> float | None:
        head = self._head(digest)
        return None if head is None else float(head["LastModified"].timestamp())

    def iter_digests(self) -> Iterator[str]:
        area = f"{self.prefix}{self.area}/"
        paginator = self.client.get_paginator("list_objects_v2")
        found = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=area):
            for item in page.get("Contents", []):
                name = str(item["Key"])[len(area) :]
                digest = name.rsplit("/", 1)[-1]
                if is_digest(digest) and name == fanout(digest):
                    found.append(digest)
        yield from sorted(found)

    # -- removing and checking -------------------------------------------------------------

    def delete(self, digest: str) -> bool:
        if not self.exists(digest):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self.key(digest))
        return True

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def _file_sha256(path: Path) -> bytes:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            hasher.update(chunk)
    return hasher.digest()


def make_client(
    *,
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
    timeout: float = 10.0,
) -> Any:
    """A boto3 S3 client with short timeouts and path-style addressing (which every
    S3-compatible server understands)."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": "path"},
        signature_version="s3v4",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region,
        aws_access_key_id=access_key_id or None,
        aws_secret_access_key=secret_access_key or None,
        config=config,
    )
