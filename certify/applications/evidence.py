"""Evidence files of an application: attached through the evidence store, detached again; and
the auditor's own evidence on a case (photos, notes), marked so and shown to staff only."""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.accounts.models import User
from certify.applications.models import (
    Application,
    Evidence,
)
from certify.applications.operations import _actor, _editable_by_applicant, lock_application
from certify.audit.operations import record_event
from certify.core.rubric.model import Rubric
from certify.core.workflow import FINAL_STATES
from certify.evidence.store import EvidenceError
from certify.operations import OperationError


def add_evidence(
    session: Session,
    application: Application,
    user: User,
    store: Any,
    stream: BinaryIO,
    filename: str,
    criterion_id: str | None,
    description: str | None,
    rubric: Rubric,
) -> Evidence:
    """Store an uploaded file (checked by content and size) and attach it to the application.

    If anything fails after the bytes were stored for the first time, they are removed again:
    nothing is left behind.
    """
    lock_application(session, application)
    _editable_by_applicant(application)
    return _attach(
        session, application, user, store, stream, filename, criterion_id, description, rubric,
        by_auditor=False,
    )  # fmt: skip


def add_auditor_evidence(
    session: Session,
    application: Application,
    user: User,
    store: Any,
    stream: BinaryIO,
    filename: str,
    criterion_id: str | None,
    description: str | None,
    rubric: Rubric,
) -> Evidence:
    """The case's auditor attaches their own evidence (a photo, interview notes...) while
    the case is open; marked ``by_auditor``, it is shown to staff only (like the auditor's
    private notes: working papers, not the holder's file).

    Raises:
        OperationError: *user* is not the case's auditor (403), the case is decided or
            withdrawn, or the file is refused (as for the applicant's uploads).
    """
    lock_application(session, application)
    if application.auditor_id != user.id:
        raise OperationError("Only the case's auditor adds auditor evidence.", code="forbidden")
    if application.app_state in FINAL_STATES:
        raise OperationError(
            "This case is closed: auditor evidence is added while the case is open.",
            code="closed",
        )
    return _attach(
        session, application, user, store, stream, filename, criterion_id, description, rubric,
        by_auditor=True,
    )  # fmt: skip


def _attach(
    session: Session,
    application: Application,
    user: User,
    store: Any,
    stream: BinaryIO,
    filename: str,
    criterion_id: str | None,
    description: str | None,
    rubric: Rubric,
    *,
    by_auditor: bool,
) -> Evidence:
    """Store the file and attach it; on any failure after a first store, remove the bytes."""
    from certify.core.filetypes.names import safe_download_name

    if criterion_id and criterion_id not in {c.id for c in rubric.criteria}:
        raise OperationError("Choose a criterion from the list.", field="criterion")
    try:
        blob = store.put(stream, filename)  # checked by content and size; nothing written
    except EvidenceError as exc:
        raise OperationError(exc.message, field="file", code="bad_evidence") from exc
    try:
        duplicate = session.scalar(
            select(Evidence).where(
                Evidence.application_id == application.id,
                Evidence.sha256 == blob.sha256,
                (Evidence.criterion_id == criterion_id)
                if criterion_id
                else Evidence.criterion_id.is_(None),
            )
        )
        if duplicate is not None:
            raise OperationError(
                f"This file is already attached here as '{duplicate.filename}'.", field="file"
            )
        evidence = Evidence(
            application=application,
            criterion_id=criterion_id or None,
            sha256=blob.sha256,
            filename=safe_download_name(filename or "evidence", blob.kind),
            kind=blob.kind.kind,
            mime=blob.kind.mime,
            size=blob.size,
            warnings_json=json.dumps(list(blob.warnings)) if blob.warnings else None,
            description=(description or "").strip() or None,
            uploaded_by_id=user.id,
            by_auditor=by_auditor,
        )
        session.add(evidence)
        session.flush()
        record_event(
            session,
            _actor(user),
            "application.auditor_evidence_added" if by_auditor else "application.evidence_added",
            "application",
            application.public_id,
            after={
                "evidence": evidence.public_id,
                "criterion": criterion_id,
                "sha256": blob.sha256,
                "size": blob.size,
                "kind": blob.kind.kind,
                "warnings": list(blob.warnings),
            },
        )
    except BaseException:
        if blob.created and not _blob_referenced(session, blob.sha256):
            store.delete(blob.sha256)
        raise
    return evidence


def _blob_referenced(session: Session, sha256: str) -> bool:
    try:
        return bool(
            session.scalar(
                select(func.count()).select_from(Evidence).where(Evidence.sha256 == sha256)
            )
        )
    except Exception:  # the session may be unusable after the failure
        return False


def remove_evidence(session: Session, evidence: Evidence, user: User) -> None:
    """Detach an evidence file (the stored bytes stay while other cases use them)."""
    application = lock_application(session, evidence.application)
    _editable_by_applicant(application)
    session.delete(evidence)
    session.flush()
    record_event(
        session,
        _actor(user),
        "application.evidence_removed",
        "application",
        application.public_id,
        before={"evidence": evidence.public_id, "sha256": evidence.sha256},
    )


def criteria_without_evidence(application: Application, rubric: Rubric) -> list[Any]:
    """The criteria that ask for evidence and have no file tagged to them: a warning for the
    applicant before submitting and for the admin before accepting (not a refusal: a file may
    cover several criteria, and the auditor sees every file)."""
    tagged = {e.criterion_id for e in application.evidence if e.criterion_id and not e.by_auditor}
    return [c for c in rubric.criteria if c.evidence and c.id not in tagged]


def record_evidence_download(session: Session, evidence: Evidence, user: User) -> None:
    """Record that a staff member downloaded an evidence file (personal data: who read whose
    file, and when, is part of the audit trail). Names the file by its public id and hash,
    never by its name or content, so erasing the file later leaves nothing personal here."""
    record_event(
        session,
        _actor(user),
        "evidence.downloaded",
        "application",
        evidence.application.public_id,
        after={"evidence": evidence.public_id, "sha256": evidence.sha256},
    )
