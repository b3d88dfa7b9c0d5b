"""The cycle in the demo data, through the same operations people use: Kampala Impact Works
adds a third site and is renewed (its first certificate superseded, "certified since" kept,
the new site in scope) and, on the new
certificate, a surveillance case in progress: assigned, planned on a multi-site sample, with
a batch of worker interviews recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.models import User
from certify.applications import assessment, assignment
from certify.applications.models import Application
from certify.certificates.models import Certificate
from certify.core.actor import Actor
from certify.core.cycle import AuditType, Mode
from certify.core.rubric.model import Rubric
from certify.cycle import interviews, planning
from certify.cycle.operations import open_cycle_case

#: The demo's third Kampala site, added after registration and rated high risk.
NEW_SITE = ("Mbarara Hub", "High Street 40, Mbarara", "UG")


def walk_cycle(
    session: Session,
    application: Application,
    people: tuple[User, User, User],
    rubric: Rubric,
    answers: dict[str, dict[str, Any]],
) -> None:
    """Recertify *application*'s certificate, then open, assign and plan a surveillance on
    the new one. *people*: the admin, the auditor, the reviewer."""
    admin, auditor, reviewer = people
    first = session.scalar(select(Certificate).where(Certificate.application_id == application.id))
    if first is None:
        return
    actor = Actor.user(admin.public_id)
    _add_site(session, first)
    renewal = open_cycle_case(
        session, first, AuditType.RECERTIFICATION, actor, reason="Demo: the renewal."
    )
    _assign(session, renewal, admin, auditor, reviewer)
    for section in rubric.sections:
        inputs = {
            c.id: assessment.CriterionInput(answers[c.id], "Confirmed at the renewal audit.", [])
            for c in section.criteria
        }
        assessment.save_assessment_section(
            session, renewal, auditor, rubric, section.id, inputs, base_version=0
        )
    assessment.submit_assessment(session, renewal, auditor, rubric)
    assessment.decide_case(
        session, renewal, reviewer, rubric, outcome="certify",
        reasons="The renewal audit confirms every requirement.",
    )  # fmt: skip
    current = session.scalar(select(Certificate).where(Certificate.application_id == renewal.id))
    assert current is not None
    _surveillance(session, current, people, rubric)


def _add_site(session: Session, certificate: Certificate) -> None:
    """A site added after registration, rated high risk (night shifts): the renewal takes it
    into scope, and every sample visits it."""
    from certify.accounts.models import Site

    name, address, country = NEW_SITE
    site = Site(organisation=certificate.organisation, name=name, address=address, country=country)
    site.added_at, site.high_risk = clock.now(), True
    session.add(site)
    session.flush()


def _assign(
    session: Session, case: Application, admin: User, auditor: User, reviewer: User
) -> None:
    assignment.assign_case(session, case, admin, auditor, reviewer, clock.today())
    assignment.declare_conflict(session, case, auditor, False, "")
    assignment.declare_conflict(session, case, reviewer, False, "")


def _surveillance(
    session: Session, certificate: Certificate, people: tuple[User, User, User], rubric: Rubric
) -> None:
    admin, auditor, reviewer = people
    due = dt.date.fromisoformat(certificate.snapshot_data["surveillanceDue"][0])
    case = open_cycle_case(
        session, certificate, AuditType.SURVEILLANCE, Actor.user(admin.public_id), due_on=due,
        reason="Demo: the first yearly visit, planned early.",
    )  # fmt: skip
    _assign(session, case, admin, auditor, reviewer)
    sample = planning.proposed_sample(session, case)
    start = clock.today() + dt.timedelta(days=21)
    planning.save_plan(
        session, case, auditor,
        planning.PlanData(
            starts_on=start, ends_on=start + dt.timedelta(days=1), auditor_days=3,
            mode=Mode.HYBRID.value, announced=True,
            team=[("lead", auditor.full_name), ("sign_interpreter", "Grace Muthoni"),
                  ("observer", "Accreditation body witness")],
            site_ids=sample, sample_reason="", added_criteria=["FW-7"],
        ),
        {c.id for c in rubric.criteria},
    )  # fmt: skip
    interviews.record_interview(
        session, case, auditor,
        interviews.InterviewData(
            site_id=sample[0], held_on=clock.today(), impact=6, other=2, women=5, men=3,
            other_gender=0, setting="group", place="off_site", language="Kiswahili",
            interpreter="sign", findings="Overtime is voluntary and paid; breaks are kept.",
            criteria=["FW-4"], target_groups={"People with hearing impairment": 2},
        ),
        {c.id for c in rubric.criteria},
    )  # fmt: skip
