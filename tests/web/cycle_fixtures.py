"""Helpers of the cycle's web tests: the certified case on the test's clock, the scheduler run
on a given day, a case assigned, assessed (all of it or a subset) and decided."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from certify.applications import assessment as assessment_ops
from certify.applications.assignment import assign_case, declare_conflict
from certify.applications.models import Application
from certify.audit.models import AuditEvent
from certify.certificates.models import Certificate
from certify.core.rubric.samples import sample_answers
from certify.cycle import schedule
from tests.web import followup_fixtures

certified = followup_fixtures.certified


@pytest.fixture
def cycle_case(clock, certified) -> dict[str, Any]:
    """``certified``, on the test's manual clock (the certificate issued at its time)."""
    return certified


def due_dates(certificate: Certificate) -> list[dt.date]:
    return [dt.date.fromisoformat(d) for d in certificate.snapshot_data["surveillanceDue"]]


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(6), tzinfo=dt.UTC)


def cases_of(session, certificate: Certificate) -> list[Application]:
    session.expire_all()
    return list(
        session.scalars(
            select(Application)
            .where(Application.certificate_id == certificate.id)
            .order_by(Application.id)
        )
    )


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def open_on(app, clock, day: dt.date) -> str:
    clock.set(at(day))
    with app.app_context():
        return schedule.open_due_cases(clock.now())


def assign(app, session, case: Application, people: dict[str, Any]) -> None:
    with app.app_context():
        case = session.get(Application, case.id)
        assign_case(
            session,
            case,
            people["admin"],
            people["auditor"],
            people["reviewer"],
            case.created_at.date(),
        )
        declare_conflict(session, case, people["auditor"], False, "")
        declare_conflict(session, case, people["reviewer"], False, "")
        session.commit()


def assess_and_decide(
    app, session, case: Application, people: dict[str, Any], only: set[str] | None = None
) -> None:
    """The auditor assesses (with *only*: the subset, as the section forms post it: the
    carried-over answers of the other criteria sent back unchanged, without findings), the
    reviewer certifies."""
    rubric = people["rubric"]
    answers = sample_answers(rubric, 3)
    with app.app_context():
        case = session.get(Application, case.id)
        carried = assessment_ops.audit_answers(session, case)
        for section in rubric.sections:
            ids = [c.id for c in section.criteria]
            if only is not None and not set(ids) & only:
                continue
            inputs = {
                cid: assessment_ops.CriterionInput(answers[cid], "Seen at the visit.", [])
                if only is None or cid in only
                else assessment_ops.CriterionInput(carried[cid].data, "", [])
                for cid in ids
            }
            assessment_ops.save_assessment_section(
                session, case, people["auditor"], rubric, section.id, inputs, 0
            )
        assessment_ops.submit_assessment(session, case, people["auditor"], rubric)
        assessment_ops.decide_case(
            session, case, people["reviewer"], rubric, outcome="certify",
            reasons="The visit confirms the certified practice.",
        )  # fmt: skip
        session.commit()
