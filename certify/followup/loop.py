"""The corrective-action loop on one non-conformity: the ISSP's plan and evidence, the
follow-up auditor's review and verification. Each operation locks the non-conformity, checks
who acts (the table of :mod:`certify.core.nonconformity` checks what may happen next), changes,
flushes, records an audit event and tells the next party. None commits."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import User
from certify.applications.access import is_applicant, is_followup_auditor
from certify.applications.models import Evidence, NonConformity
from certify.core.actor import Actor
from certify.core.filetypes.names import safe_download_name
from certify.core.nonconformity import NcAction, NcTransitionError, next_position
from certify.core.workflow import Party
from certify.evidence.store import EvidenceError
from certify.followup import notices
from certify.followup.escalation import suspending_nonconformities
from certify.followup.models import CorrectiveActionPlan
from certify.followup.records import (
    certificate_for,
    current_suspension,
    lock_nonconformity,
    move,
)
from certify.followup.records import require_followed_up as _followed_up
from certify.operations import OperationError

MAX_TEXT = 4000
MAX_FILES = 10


def _actor(user: User) -> Actor:
    return Actor.user(user.public_id)


def require_holder(user: User, nc: NonConformity) -> None:
    """*user* is a member of the organisation whose non-conformity this is.

    Raises:
        OperationError: otherwise.
    """
    if not is_applicant(user, nc.application):
        raise OperationError(
            "Only the certified organisation's members may do that.", code="not_the_holder"
        )


def require_followup_auditor(user: User, nc: NonConformity) -> None:
    """*user* follows this case's non-conformities up (the case's auditor, or the auditor the
    admin named): never its reviewer, never another auditor.

    Raises:
        OperationError: otherwise.
    """
    if not is_followup_auditor(user, nc.application):
        raise OperationError(
            "Only the auditor who follows this case up may do that.", code="not_the_auditor"
        )


def _check_step(nc: NonConformity, action: NcAction, party: Party) -> None:
    """The table allows *action* now (checked before any file is stored)."""
    try:
        next_position(nc.position, action, party)
    except NcTransitionError as exc:
        raise OperationError(str(exc), code="invalid_transition") from exc


def _text(value: str | None, what: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise OperationError(f"Write {what}.", field=field)
    if len(text) > MAX_TEXT:
        raise OperationError(f"Keep {what} under {MAX_TEXT} characters.", field=field)
    return text


def pending_plan(session: Session, nc: NonConformity) -> CorrectiveActionPlan | None:
    """The plan submitted and not reviewed yet, if any."""
    return session.scalar(
        select(CorrectiveActionPlan)
        .where(
            CorrectiveActionPlan.nonconformity_id == nc.id,
            CorrectiveActionPlan.outcome.is_(None),
        )
        .order_by(CorrectiveActionPlan.id.desc())
        .limit(1)
    )


def plans_of(session: Session, nc: NonConformity) -> list[CorrectiveActionPlan]:
    """Every plan submitted for *nc*, oldest first."""
    return list(
        session.scalars(
            select(CorrectiveActionPlan)
            .where(CorrectiveActionPlan.nonconformity_id == nc.id)
            .order_by(CorrectiveActionPlan.id)
        )
    )


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class PlanData:
    root_cause: str
    correction: str
    corrective_action: str
    owner: str
    target_date: dt.date | None


def submit_plan(
    session: Session, nc: NonConformity, user: User, plan: PlanData
) -> CorrectiveActionPlan:
    """The ISSP submits a corrective-action plan (first, or again after a return); the
    follow-up auditor is told.

    Raises:
        OperationError: not the holder, not followed up, not the moment, or a bad plan.
    """
    lock_nonconformity(session, nc)
    require_holder(user, nc)
    _followed_up(session, nc.application)
    _check_step(nc, NcAction.SUBMIT_PLAN, Party.APPLICANT)
    today = clock.today()
    values = {
        "root_cause": _text(plan.root_cause, "the root cause", "root_cause"),
        "correction": _text(plan.correction, "the correction (what was fixed now)", "correction"),
        "corrective_action": _text(
            plan.corrective_action,
            "the corrective action (what stops it happening again)",
            "corrective_action",
        ),
        "owner": _text(plan.owner, "who owns the plan", "owner")[:200],
    }
    if plan.target_date is None:
        raise OperationError("Give the target date.", field="target_date")
    if plan.target_date < today:
        raise OperationError("The target date is in the past.", field="target_date")
    if plan.target_date > nc.due_on > today:
        raise OperationError(
            f"The target date must be on or before the due date ({nc.due_on:%-d %b %Y}); if "
            "you need longer, ask the certification body to extend the deadline.",
            field="target_date",
        )
    row = CorrectiveActionPlan(
        nonconformity_id=nc.id, target_date=plan.target_date, submitted_by_id=user.id, **values
    )
    row.submitted_at = clock.now()
    session.add(row)
    session.flush()
    move(
        session, nc, NcAction.SUBMIT_PLAN, Party.APPLICANT, _actor(user),
        extra={"plan": row.public_id, "target_date": plan.target_date.isoformat()},
    )  # fmt: skip
    notices.tell_auditor(session, "nonconformity.plan_submitted", nc)
    return row


def review_plan(
    session: Session, nc: NonConformity, user: User, *, accept: bool, note: str | None
) -> CorrectiveActionPlan:
    """The follow-up auditor accepts the pending plan, or returns it with reasons; the ISSP
    is told.

    Raises:
        OperationError: not the follow-up auditor, no plan waiting, or a return without reasons.
    """
    lock_nonconformity(session, nc)
    require_followup_auditor(user, nc)
    action = NcAction.ACCEPT_PLAN if accept else NcAction.RETURN_PLAN
    _check_step(nc, action, Party.AUDITOR)
    plan = pending_plan(session, nc)
    if plan is None:
        raise OperationError("No plan is waiting for review.", code="no_plan")
    text = (note or "").strip()
    if not accept:
        text = _text(note, "why the plan is returned and what must change", "note")
    plan.outcome = "accepted" if accept else "returned"
    plan.review_note, plan.reviewed_by_id, plan.reviewed_at = text or None, user.id, clock.now()
    session.flush()
    move(
        session, nc, action, Party.AUDITOR, _actor(user), reason=text or None,
        extra={"plan": plan.public_id},
    )  # fmt: skip
    notices.tell_holder(
        session, "nonconformity.plan_reviewed", nc, outcome=plan.outcome, note=text or None
    )
    return plan


# --------------------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Upload:
    stream: BinaryIO
    filename: str


def submit_evidence(
    session: Session,
    nc: NonConformity,
    user: User,
    store: Any,
    uploads: Sequence[Upload],
    note: str,
) -> list[Evidence]:
    """The ISSP uploads evidence of closure (through the evidence store, tagged to the
    non-conformity) and sends it for verification; the follow-up auditor is told. Files
    stored for the first time are removed again if anything fails.

    Raises:
        OperationError: not the holder, not the moment, no file, a bad file, no note.
    """
    lock_nonconformity(session, nc)
    require_holder(user, nc)
    _followed_up(session, nc.application)
    _check_step(nc, NcAction.SUBMIT_EVIDENCE, Party.APPLICANT)
    text = _text(note, "what the evidence shows", "note")
    if not uploads:
        raise OperationError("Choose at least one file.", field="files")
    if len(uploads) > MAX_FILES:
        raise OperationError(f"Send at most {MAX_FILES} files at a time.", field="files")
    created: list[str] = []
    try:
        added = [_store_one(session, nc, user, store, upload, created) for upload in uploads]
        nc.evidence_note, nc.evidence_submitted_at = text, clock.now()
        move(
            session, nc, NcAction.SUBMIT_EVIDENCE, Party.APPLICANT, _actor(user), reason=text,
            extra={"evidence": [e.public_id for e in added]},
        )  # fmt: skip
    except BaseException:
        for digest in created:
            if not _referenced(session, digest):
                store.delete(digest)
        raise
    notices.tell_auditor(session, "nonconformity.evidence_submitted", nc)
    return added


def _store_one(
    session: Session,
    nc: NonConformity,
    user: User,
    store: Any,
    upload: Upload,
    created: list[str],
) -> Evidence:
    try:
        blob = store.put(upload.stream, upload.filename)  # checked by content and size
    except EvidenceError as exc:
        raise OperationError(exc.message, field="files", code="bad_evidence") from exc
    if blob.created:
        created.append(blob.sha256)
    if any(e.sha256 == blob.sha256 for e in nc.evidence):
        raise OperationError(
            f"'{upload.filename}' is already attached to this non-conformity.", field="files"
        )
    evidence = Evidence(
        application_id=nc.application_id,
        nonconformity_id=nc.id,
        sha256=blob.sha256,
        filename=safe_download_name(upload.filename or "evidence", blob.kind),
        kind=blob.kind.kind,
        mime=blob.kind.mime,
        size=blob.size,
        warnings_json=json.dumps(list(blob.warnings)) if blob.warnings else None,
        description=f"Evidence of closure ({nc.criterion_id})",
        uploaded_by_id=user.id,
    )
    session.add(evidence)
    session.flush()
    nc.evidence.append(evidence)
    return evidence


def _referenced(session: Session, sha256: str) -> bool:
    try:
        count = session.scalar(
            select(func.count()).select_from(Evidence).where(Evidence.sha256 == sha256)
        )
        return bool(count)
    except Exception:  # the session may be unusable after the failure
        return False


def review_evidence(
    session: Session, nc: NonConformity, user: User, *, verified: bool, note: str
) -> None:
    """The follow-up auditor verifies the non-conformity closed, or returns the evidence as
    not enough. The ISSP is told; when a closure frees a suspended certificate (every
    non-conformity its suspension rests on is closed), the admins are told it can be
    reinstated.

    Raises:
        OperationError: not the follow-up auditor, nothing to verify, or no note.
    """
    lock_nonconformity(session, nc)
    require_followup_auditor(user, nc)
    action = NcAction.VERIFY_CLOSURE if verified else NcAction.RETURN_EVIDENCE
    _check_step(nc, action, Party.AUDITOR)
    what = "how you verified the closure" if verified else "what the evidence lacks"
    text = _text(note, what, "note")
    if verified:
        nc.closed_at, nc.closure_note, nc.closed_by_id = clock.now(), text, user.id
    move(session, nc, action, Party.AUDITOR, _actor(user), reason=text)
    notices.tell_holder(
        session,
        "nonconformity.closure_reviewed",
        nc,
        outcome="verified closed" if verified else "returned",
        note=text,
    )
    if verified:
        offer_reinstatement(session, nc)


def offer_reinstatement(session: Session, nc: NonConformity) -> None:
    """Tell the admins when *nc*, now closed, was the last open one its certificate's
    suspension rests on: the certificate may be reinstated."""
    certificate = certificate_for(session, nc.application)
    suspension = current_suspension(session, certificate) if certificate else None
    if certificate is None or suspension is None or nc.suspension_id != suspension.id:
        return
    if all(other.is_closed for other in suspending_nonconformities(session, suspension)):
        notices.tell_admins(
            session, "nonconformity.reinstatement_ready", nc, serial=certificate.serial
        )
