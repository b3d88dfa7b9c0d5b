"""Files sent with a complaint or an appeal: through the evidence store, with its checks
(size, type by content, active content noted), and removed again when the change fails."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.applications.models import Evidence
from certify.complaints.models import Appeal, Attachment, Complaint
from certify.core.filetypes.names import safe_download_name
from certify.evidence.store import EvidenceError
from certify.operations import OperationError

MAX_FILES = 5


@dataclass(frozen=True)
class Upload:
    stream: BinaryIO
    filename: str


def referenced(session: Session, sha256: str) -> bool:
    """Whether any attachment or evidence row names *sha256* (the store is shared and
    content-addressed: the same bytes may be an ISSP's evidence too)."""
    try:
        count = sum(
            session.scalar(select(func.count()).select_from(model).where(model.sha256 == sha256))
            or 0
            for model in (Attachment, Evidence)
        )
    except Exception:  # the session may be unusable after the failure
        return False
    return bool(count)


@contextmanager
def stored_files(session: Session, store: Any) -> Iterator[list[str]]:
    """Collects digests stored for the first time in the block; when the block fails they
    are removed again (unless some row still names them), so nothing is kept half."""
    created: list[str] = []
    try:
        yield created
    except BaseException:
        for digest in created:
            if not referenced(session, digest):
                store.delete(digest)
        raise


def attach(
    session: Session,
    store: Any,
    uploads: Sequence[Upload],
    created: list[str],
    *,
    complaint: Complaint | None = None,
    appeal: Appeal | None = None,
) -> list[Attachment]:
    """Store each upload and record it on *complaint* or *appeal*; flushes.

    Raises:
        OperationError: too many files, or a file the evidence store refuses (its message).
    """
    if len(uploads) > MAX_FILES:
        raise OperationError(f"Send at most {MAX_FILES} files at a time.", field="files")
    added = []
    for upload in uploads:
        try:
            blob = store.put(upload.stream, upload.filename)  # checked by content and size
        except EvidenceError as exc:
            raise OperationError(
                f"'{upload.filename[:80]}': {exc.message}", field="files", code="bad_file"
            ) from exc
        if blob.created:
            created.append(blob.sha256)
        row = Attachment(
            complaint_id=complaint.id if complaint else None,
            appeal_id=appeal.id if appeal else None,
            sha256=blob.sha256,
            filename=safe_download_name(upload.filename or "file", blob.kind),
            kind=blob.kind.kind,
            mime=blob.kind.mime,
            size=blob.size,
            warnings_json=json.dumps(list(blob.warnings)) if blob.warnings else None,
        )
        session.add(row)
        added.append(row)
    session.flush()
    return added
