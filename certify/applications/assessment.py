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
from certify.core.rubric.model import Rubric
from certify.core.rubric.versions import add_months
from certify.core.scoring.answers import AnswerError
from certify.core.scoring.engine import preview, score
from certify.core.scoring.results import ScoreResult
from certify.core.workflow import Action, AppState, Party
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


def _require_editable(application: Application) -> None:
    if application.app_state not in (AppState.IN_AUDIT, AppState.RETURNED_TO_AUDITOR):
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
            .where(NonConformity.application_id == application.id, NonConformity.status == "open")
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
    notes: str
    evidence_refs: list[str]


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
    section = rubric.section(section_id)
    ids = [c.id for c in section.criteria]
    if set(inputs) - set(ids):
        raise OperationError(f"Unknown criteria for section {section_id}.")
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
    if version.version != base_version:
        raise StaleSave(version)
    known_evidence = {e.public_id for e in application.evidence}
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
    for cid, i in inputs.items():
        unknown = set(i.evidence_refs) - known_evidence
        if unknown:
            raise OperationError(
                "Evidence references must name this case's files.",
                details=[(cid, "unknown evidence reference")],
            )
    _resume_if_returned(session, application, auditor)
    existing = audit_answers(session, application)
    before = {
        cid: {
            "answer": existing[cid].data,
            "notes": existing[cid].notes,
            "evidence": existing[cid].refs,
        }
        for cid in ids
        if cid in existing
    }
    after = {}
    now = clock.now()
    for cid in ids:
        given = inputs.get(cid)
        row = existing.get(cid)
        if given is None or not given.answer:
            if row is not None:
                session.delete(row)
            continue
        values = {
            "answer": json.dumps(given.answer, sort_keys=True),
            "notes": given.notes.strip() or None,
            "evidence_refs": json.dumps(sorted(given.evidence_refs))
            if given.evidence_refs
            else None,
        }
        if row is None:
            session.add(
                AuditAnswer(
                    application_id=application.id,
                    criterion_id=cid,
                    updated_by_id=auditor.id,
                    updated_at=now,
                    **values,
                )
            )
        else:
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at, row.updated_by_id = now, auditor.id
        after[cid] = {
            "answer": given.answer,
            "notes": given.notes.strip() or None,
            "evidence": sorted(given.evidence_refs),
        }
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


# -- non-conformities ----------------------------------------------------------------------------


def default_due_date(rubric: Rubric, grade: str, today: dt.date) -> dt.date:
    """From the rubric's rules: the grade's deadline, else the next surveillance."""
    rule = next(g for g in rubric.grades if g.id == grade)
    if rule.deadline_days is not None:
        return today + dt.timedelta(days=rule.deadline_days)
    return add_months(today, rubric.surveillance_interval_months)


def add_nonconformity(
    session: Session,
    application: Application,
    auditor: User,
    rubric: Rubric,
    *,
    grade: str,
    criterion_id: str,
    description: str,
    corrective_action: str,
    due_on: dt.date | None,
    today: dt.date,
) -> NonConformity:
    lock_application(session, application)
    _require_auditor(application, auditor)
    _require_editable(application)
    if grade not in {g.id for g in rubric.grades}:
        raise OperationError("Choose a grade: critical, major or minor.", field="grade")
    if criterion_id not in {c.id for c in rubric.criteria}:
        raise OperationError("Choose the criterion it concerns.", field="criterion")
    if not description.strip() or not corrective_action.strip():
        raise OperationError(
            "Describe the non-conformity and the corrective action.", field="description"
        )
    due = due_on or default_due_date(rubric, grade, today)
    if due < today:
        raise OperationError("The due date is in the past.", field="due_on")
    _resume_if_returned(session, application, auditor)
    nc = NonConformity(
        application_id=application.id,
        grade=grade,
        criterion_id=criterion_id,
        description=description.strip(),
        corrective_action=corrective_action.strip(),
        due_on=due,
        created_by_id=auditor.id,
    )
    session.add(nc)
    session.flush()
    record_event(
        session,
        _actor(auditor),
        "assessment.nonconformity_raised",
        "application",
        application.public_id,
        after={
            "nonconformity": nc.public_id,
            "grade": grade,
            "criterion": criterion_id,
            "due_on": due.isoformat(),
        },
    )
    return nc


def close_nonconformity(
    session: Session, nc: NonConformity, application: Application, auditor: User, note: str
) -> None:
    lock_application(session, application)
    _require_auditor(application, auditor)
    _require_editable(application)
    if nc.status != "open":
        raise OperationError("This non-conformity is already closed.")
    if not note.strip():
        raise OperationError("Say how it was corrected (the evidence you saw).", field="note")
    _resume_if_returned(session, application, auditor)
    nc.status, nc.closed_at, nc.closure_note = "closed", clock.now(), note.strip()
    session.flush()
    record_event(
        session,
        _actor(auditor),
        "assessment.nonconformity_closed",
        "application",
        application.public_id,
        reason=note.strip(),
        before={"nonconformity": nc.public_id, "status": "open"},
        after={"status": "closed"},
    )


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
    """
    lock_application(session, application)
    if assignee_role(application, reviewer) != "reviewer" or not has_declared_no_conflict(
        application, reviewer
    ):
        raise OperationError(
            "Only the case's reviewer, after declaring no conflict, decides.",
            code="not_the_reviewer",
        )
    # Impartiality, per case: whoever audited this case never decides it (also when someone
    # holds both roles, or the assignment was edited behind the form's back).
    audited = session.scalar(
        select(AuditAnswer.id)
        .where(
            AuditAnswer.application_id == application.id, AuditAnswer.updated_by_id == reviewer.id
        )
        .limit(1)
    )
    if application.auditor_id == reviewer.id or audited is not None:
        raise OperationError(
            "You audited this case, so you cannot decide it.", code="reviewer_audited"
        )
    if application.app_state != AppState.AUDIT_SUBMITTED:
        raise OperationError("There is no submitted audit to decide on.", code="not_submitted")
    if outcome not in ("certify", "refuse", "return"):
        raise OperationError("Choose certify, refuse or return to the auditor.", field="outcome")
    if not reasons.strip():
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
        reasons=reasons.strip(),
        score=score_json(result),
        decided_at=now,
        reviewer_id=reviewer.id,
    )
    session.add(decision)
    session.flush()
    if outcome == "return":
        application.last_reviewer_note = reasons.strip()
        transition(
            session,
            application,
            Action.RETURN_TO_AUDITOR,
            Party.REVIEWER,
            _actor(reviewer),
            reason=reasons.strip(),
        )
        return decision
    application.decision = decision.outcome
    application.decided_at = now
    transition(
        session,
        application,
        Action.DECIDE,
        Party.REVIEWER,
        _actor(reviewer),
        reason=reasons.strip(),
        extra={
            "decision": decision.outcome,
            "outcome": result.outcome,
            "overall": result.to_dict()["overall"],
        },
    )
    if outcome == "certify":
        lifecycle.issue_certificate(
            session,
            application,
            score=result,
            rubric=rubric,
            decided_at=now,
            actor=_actor(reviewer),
        )
    return decision
