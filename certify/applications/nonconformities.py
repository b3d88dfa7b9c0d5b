"""Non-conformities the auditor raises during an audit: grades and deadlines from the pinned
rubric, closure with the evidence seen."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import User
from certify.applications.assessment import (
    _actor,
    _require_auditor,
    _require_editable,
    _resume_if_returned,
)
from certify.applications.models import (
    Application,
    NonConformity,
)
from certify.applications.operations import lock_application
from certify.audit.operations import record_event
from certify.core.rubric.model import Rubric
from certify.core.rubric.versions import add_months
from certify.operations import OperationError


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
    nc.closed_by_id = auditor.id
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
