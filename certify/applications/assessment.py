"""The auditor's assessment and the reviewer's decision (ISO/IEC 17065 evaluation, review and
decision). Operations take the actor, flush, record audit events, and never commit."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock, lifecycle
from certify.accounts.models import User
from certify.applications.assignment import assignee_role, has_declared_no_conflict
from certify.applications.models import (
    Application,
    AssessmentSection,
    AuditAnswer,
    Decision,
    NonConformity,
)
from certify.applications.operations import _scoring_answer, lock_application, transition
from certify.audit.operations import record_event
from certify.core.actor import Actor
from certify.core.canonical import canonical_json
from certify.core.nonconformity import NcState
from certify.core.rubric.model import Rubric
from certify.core.scoring.answers import AnswerError
from certify.core.scoring.engine import preview, score
from certify.core.scoring.results import ScoreResult
from certify.core.workflow import Action, AppState, Party
from certify.cycle.operations import after_positive_decision
from certify.operations import OperationError

CERTIFYING_OUTCOMES = ("certified", "certified_with_distinction")


def _actor(user: User) -> Actor:
    return Actor.user(user.public_id)


def _require_auditor(application: Application, user: User) -> None:
    if assignee_role(application, user) != "auditor" or not has_declared_no_conflict(
        application, user
    ):
        raise OperationError(
            "Only the case's auditor, after declaring no conflict, may do that.",
            code="not_the_auditor",
        )


def assessment_editable(application: Application) -> bool:
    """Whether the auditor may still change the audit (not once it is submitted)."""
    return application.app_state in (AppState.IN_AUDIT, AppState.RETURNED_TO_AUDITOR)


def _require_editable(application: Application) -> None:
    if not assessment_editable(application):
        raise OperationError(
            "The assessment is not open for changes "
            f"(the case is '{application.app_state.label}').",
            code="not_editable",
        )


def _resume_if_returned(session: Session, application: Application, user: User) -> None:
    if application.app_state == AppState.RETURNED_TO_AUDITOR:
        transition(session, application, Action.RESUME_AUDIT, Party.AUDITOR, _actor(user))


# -- reading -------------------------------------------------------------------------------------


def audit_answers(session: Session, application: Application) -> dict[str, AuditAnswer]:
    return {
        a.criterion_id: a
        for a in session.scalars(
            select(AuditAnswer).where(AuditAnswer.application_id == application.id)
        )
    }


def open_nonconformities(session: Session, application: Application) -> list[NonConformity]:
    return list(
        session.scalars(
            select(NonConformity)
            .where(
                NonConformity.application_id == application.id,
                NonConformity.status != NcState.CLOSED.value,
            )
            .order_by(NonConformity.id)
        )
    )


def all_nonconformities(session: Session, application: Application) -> list[NonConformity]:
    return list(
        session.scalars(
            select(NonConformity)
            .where(NonConformity.application_id == application.id)
            .order_by(NonConformity.id)
        )
    )


def section_versions(session: Session, application: Application) -> dict[str, AssessmentSection]:
    return {
        s.section_id: s
        for s in session.scalars(
            select(AssessmentSection).where(AssessmentSection.application_id == application.id)
        )
    }


def scoring_input(session: Session, application: Application) -> dict[str, dict[str, Any]]:
    return {cid: _scoring_answer(a.data) for cid, a in audit_answers(session, application).items()}


def preview_section(
    session: Session,
    application: Application,
    rubric: Rubric,
    section: Any,
    inputs: dict[str, CriterionInput],
) -> ScoreResult:
    """The score if *section* were saved with *inputs* (nothing is saved): the stored audit
    answers of the other sections, these typed answers, and the open non-conformities.

    Raises:
        AnswerError: a typed answer is not valid (one problem per criterion).
    """
    merged = dict(scoring_input(session, application))
    for criterion in section.criteria:
        given = inputs.get(criterion.id)
        if given is not None and given.answer:
            merged[criterion.id] = _scoring_answer(given.answer)
        else:
            merged.pop(criterion.id, None)
    return preview(rubric, merged, [n.grade for n in open_nonconformities(session, application)])


def current_score(session: Session, application: Application, rubric: Rubric) -> ScoreResult:
    """The score so far: the saved answers and the open non-conformities (unanswered = 0)."""
    return preview(
        rubric,
        scoring_input(session, application),
        [n.grade for n in open_nonconformities(session, application)],
    )


# -- saving a section ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionInput:
    answer: dict[str, Any]  # value / basis / not_applicable / justification; {} = unanswered
    notes: str  # the findings: the ISSP reads them in the audit report
    evidence_refs: list[str]
    private_notes: str = ""  # auditor-only: never shown to the ISSP


class StaleSave(OperationError):
    """Someone saved this section after the form was loaded; nothing was saved."""

    def __init__(self, version: AssessmentSection) -> None:
        who = version.updated_by.full_name if version.updated_by else "someone"
        super().__init__(
            f"{who} saved this section at {version.updated_at:%H:%M:%S} UTC after you opened "
            "it, so your changes were NOT saved. Compare both versions below, then apply yours "
            "or keep theirs.",
            code="stale_save",
        )
        self.current = version


def save_assessment_section(
    session: Session,
    application: Application,
    auditor: User,
    rubric: Rubric,
    section_id: str,
    inputs: dict[str, CriterionInput],
    base_version: int,
) -> int:
    """Save the auditor's answers for one section; returns the section's new version.

    Raises:
        StaleSave: the section was saved by someone else since *base_version*.
        OperationError: bad answers (with one detail per criterion); nothing is saved.
    """
    lock_application(session, application)
    _require_auditor(application, auditor)
    _require_editable(application)
    ids = [c.id for c in rubric.section(section_id).criteria]
    if set(inputs) - set(ids):
        raise OperationError(f"Unknown criteria for section {section_id}.")
    version = _section_version(session, application, section_id)
    if version.version != base_version:
        raise StaleSave(version)
    _check_inputs(session, application, rubric, ids, inputs)
    _resume_if_returned(session, application, auditor)
    existing = audit_answers(session, application)
    before = {
        cid: {
            "answer": row.data,
            "notes": row.notes,
            "private_notes": row.private_notes,
            "evidence": row.refs,
        }
        for cid, row in existing.items()
        if cid in ids
    }
    now = clock.now()
    after = _write_answers(session, application, auditor, ids, inputs, existing, now)
    version.version += 1
    version.updated_at, version.updated_by_id = now, auditor.id
    application.updated_at = now
    session.flush()
    record_event(
        session,
        _actor(auditor),
        "assessment.section_saved",
        "application",
        application.public_id,
        reason=f"section {section_id}",
        before=before,
        after={"version": version.version, "answers": after},
    )
    return version.version


def _section_version(
    session: Session, application: Application, section_id: str
) -> AssessmentSection:
    """The section's version row, read under a row lock (made at version 0 if new)."""
    version = session.scalar(
        select(AssessmentSection)
        .where(
            AssessmentSection.application_id == application.id,
            AssessmentSection.section_id == section_id,
        )
        .with_for_update()
        # The row may be in the session already (the page loaded it): re-read its version,
        # or a save racing another on PostgreSQL compares against a stale number.
        .execution_options(populate_existing=True)
    )
    if version is None:
        version = AssessmentSection(application_id=application.id, section_id=section_id, version=0)
        session.add(version)
        session.flush()
    return version


def _check_inputs(
    session: Session,
    application: Application,
    rubric: Rubric,
    ids: list[str],
    inputs: dict[str, CriterionInput],
) -> None:
    """The answers score (with the other sections' stored answers) and the evidence
    references name this case's files.

    Raises:
        OperationError: with one detail per bad criterion.
    """
    merged = {k: v for k, v in scoring_input(session, application).items() if k not in ids}
    merged.update({cid: i.answer for cid, i in inputs.items() if i.answer})
    try:
        preview(rubric, merged)
    except AnswerError as exc:
        raise OperationError(
            "Some answers cannot be saved; correct them and save again.",
            code="bad_answers",
            details=[(p.criterion, p.message) for p in exc.problems],
        ) from exc
    known_evidence = {e.public_id for e in application.evidence}
    for cid, i in inputs.items():
        if set(i.evidence_refs) - known_evidence:
            raise OperationError(
                "Evidence references must name this case's files.",
                details=[(cid, "unknown evidence reference")],
            )


def _write_answers(
    session: Session,
    application: Application,
    auditor: User,
    ids: list[str],
    inputs: dict[str, CriterionInput],
    existing: dict[str, AuditAnswer],
    now: dt.datetime,
) -> dict[str, Any]:
    """Store the section's answers (an empty answer removes the stored one); returns what
    was stored, for the audit event."""
    after = {}
    for cid in ids:
        given, row = inputs.get(cid), existing.get(cid)
        if given is None or not given.answer:
            if row is not None:
                session.delete(row)
            continue
        refs = sorted(given.evidence_refs)
        values = {
            "answer": json.dumps(given.answer, sort_keys=True),
            "notes": given.notes.strip() or None,
            "private_notes": given.private_notes.strip() or None,
            "evidence_refs": json.dumps(refs) if refs else None,
        }
        if row is None:
            row = AuditAnswer(application_id=application.id, criterion_id=cid, **values)
            session.add(row)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        row.updated_at, row.updated_by_id = now, auditor.id
        after[cid] = {
            "answer": given.answer,
            "notes": values["notes"],
            "private_notes": values["private_notes"],
            "evidence": refs,
        }
    return after


# -- submitting and deciding ---------------------------------------------------------------------


def score_json(result: ScoreResult) -> str:
    return canonical_json(result.to_dict()).decode()


def submit_assessment(
    session: Session, application: Application, auditor: User, rubric: Rubric
) -> ScoreResult:
    """Submit the audit for review: only when every criterion is answered."""
    lock_application(session, application)
    _require_auditor(application, auditor)
    _require_editable(application)
    answers = scoring_input(session, application)
    missing = [c.id for c in rubric.criteria if c.id not in answers]
    if missing:
        raise OperationError(
            "Every criterion must be answered before the audit is submitted. "
            f"Still unanswered: {', '.join(missing)}.",
            code="incomplete",
        )
    result = score(rubric, answers, [n.grade for n in open_nonconformities(session, application)])
    _resume_if_returned(session, application, auditor)
    application.audit_score = score_json(result)
    application.audit_submitted_at = clock.now()
    transition(
        session,
        application,
        Action.SUBMIT_AUDIT,
        Party.AUDITOR,
        _actor(auditor),
        extra={"overall": result.to_dict()["overall"], "outcome": result.outcome},
    )
    return result


def decide_case(
    session: Session,
    application: Application,
    reviewer: User,
    rubric: Rubric,
    *,
    outcome: str,
    reasons: str,
) -> Decision:
    """The reviewer's decision: ``certify``, ``refuse`` or ``return`` (to the auditor).

    Certifying is possible only when the score's outcome certifies, and issues the certificate
    in the same transaction: if issuance fails, nothing of the decision remains.

    Raises:
        OperationError: not this case's (declared, impartial) reviewer, no submitted audit,
            no reasons, or a certification the score does not allow.
    """
    lock_application(session, application)
    _require_impartial_reviewer(session, application, reviewer)
    if application.app_state != AppState.AUDIT_SUBMITTED:
        raise OperationError("There is no submitted audit to decide on.", code="not_submitted")
    if outcome not in ("certify", "refuse", "return"):
        raise OperationError("Choose certify, refuse or return to the auditor.", field="outcome")
    reasons = reasons.strip()
    if not reasons:
        raise OperationError("Write the reasons for your decision.", field="reasons")
    result = score(
        rubric,
        scoring_input(session, application),
        [n.grade for n in open_nonconformities(session, application)],
    )
    if outcome == "certify" and result.outcome not in CERTIFYING_OUTCOMES:
        raise OperationError(
            "This case cannot be certified: its outcome is 'not certified' "
            "(see the reasons listed with the score). Refuse it, or return it "
            "to the auditor.",
            field="outcome",
            code="not_certifiable",
        )
    now = clock.now()
    decision = Decision(
        application_id=application.id,
        outcome={"certify": "certified", "refuse": "refused", "return": "returned"}[outcome],
        reasons=reasons,
        score=score_json(result),
        decided_at=now,
        reviewer_id=reviewer.id,
    )
    session.add(decision)
    session.flush()
    if outcome == "return":
        application.last_reviewer_note = reasons
        transition(
            session, application, Action.RETURN_TO_AUDITOR, Party.REVIEWER, _actor(reviewer),
            reason=reasons,
        )  # fmt: skip
        return decision
    _record_decision(session, application, reviewer, decision, result)
    if outcome == "certify" and after_positive_decision(session, application, _actor(reviewer)):
        lifecycle.issue_certificate(
            session, application, score=result, rubric=rubric, decided_at=now,
            actor=_actor(reviewer),
        )  # fmt: skip
    return decision


def _require_impartial_reviewer(session: Session, application: Application, user: User) -> None:
    """*user* is the case's reviewer, has declared no conflict, and audited none of it.

    Raises:
        OperationError: otherwise.
    """
    if assignee_role(application, user) != "reviewer" or not has_declared_no_conflict(
        application, user
    ):
        raise OperationError(
            "Only the case's reviewer, after declaring no conflict, decides.",
            code="not_the_reviewer",
        )
    # Impartiality, per case: whoever audited this case never decides it (also when someone
    # holds both roles, or the assignment was edited behind the form's back).
    audited = session.scalar(
        select(AuditAnswer.id)
        .where(AuditAnswer.application_id == application.id, AuditAnswer.updated_by_id == user.id)
        .limit(1)
    )
    if application.auditor_id == user.id or audited is not None:
        raise OperationError(
            "You audited this case, so you cannot decide it.", code="reviewer_audited"
        )


def _record_decision(
    session: Session,
    application: Application,
    reviewer: User,
    decision: Decision,
    result: ScoreResult,
) -> None:
    application.decision = decision.outcome
    application.decided_at = decision.decided_at
    transition(
        session,
        application,
        Action.DECIDE,
        Party.REVIEWER,
        _actor(reviewer),
        reason=decision.reasons,
        extra={
            "decision": decision.outcome,
            "outcome": result.outcome,
            "overall": result.to_dict()["overall"],
        },
    )
