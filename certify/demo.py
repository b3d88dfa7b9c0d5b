"""Demo data: a small but complete registry to explore. Demo passwords are for demos only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify import clock
from certify.accounts.access import command_actor
from certify.accounts.factors import add_totp, has_second_factor, must_hold_second_factor
from certify.accounts.models import Role, User, normalise_email
from certify.accounts.operations import create_staff_user, register_issp
from certify.applications.web import agreement
from certify.audit.models import AuditEvent
from certify.core.actor import Actor
from certify.core.rubric.samples import sample_answers
from certify.db import db_session
from certify.demo_organisations import ISSPS, DemoIssp  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from certify.applications.models import Application
    from certify.core.rubric.model import Rubric

# Demo only: these passwords are public (README.md lists them). Never load demo data into a
# registry that certifies anyone for real.
STAFF = [
    ("admin@demo.certify.test", "Ada Admin", {Role.ADMIN}, "demo-admin-2026"),
    ("auditor1@demo.certify.test", "Wanjiru Auditor", {Role.AUDITOR}, "demo-auditor-2026"),
    (
        "auditor2@demo.certify.test",
        "Rajesh Auditor",
        {Role.AUDITOR, Role.REVIEWER},
        "demo-auditor-2026",
    ),
    ("reviewer1@demo.certify.test", "Sofia Reviewer", {Role.REVIEWER}, "demo-reviewer-2026"),
    ("reviewer2@demo.certify.test", "Kwame Reviewer", {Role.REVIEWER}, "demo-reviewer-2026"),
]
ISSP_PASSWORD = "demo-issp-2026"  # noqa: S105 - public demo password, documented
#: Demo only, public: the TOTP secret of every demo account whose role must hold a second
#: factor (admin and reviewers by default, SECOND_FACTOR_ROLES). Printed by `make run`.
DEMO_TOTP_SECRET = "CERTIFYDEMOONLYPUBLICSECRET23456"  # noqa: S105 - public demo secret


# Cases the demo walks through the real workflow, so every role has something to see:
# (ISSP e-mail, how far the case goes, the auditor's level answers, an NC raised in the audit
# as (grade, criterion) or None)
DEMO_CASES = [
    ("amina@nairobi-dataworks.demo", "decided", 4, None),
    ("priya@ruralshore.demo", "decided", 3, None),
    ("bishnu@himal-digital.demo", "decided", 3, ("minor", "GT-2")),
    ("lucia@andes-contact.demo", "decided", 3, None),
    # a small ISSP: fewer impact workers than the minimum group size, so none of its impact
    # figures is published (issue 22)
    ("eric@kigali-micro.demo", "decided", 4, None),
    ("kofi@accra-insight.demo", "decided", 3, None),
    ("tunde@lagos-datacollective.demo", "in_audit", 3, ("minor", "FW-7")),
    ("farhana@dhaka-digital.demo", "conflict_declared", 3, None),
    ("grace@kampala-impact.demo", "decided", 3, None),
    # a draft: self-assessment answered, two evidence files, not yet submitted
    ("grace@kampala-voiceworks.demo", "draft", 3, None),
]
#: The draft's evidence: (file name, criterion or None, description, content).
DEMO_DRAFT_EVIDENCE = [
    (
        "hiring-policy.txt",
        "IH-1",
        "Hiring policy adopted by the board, March 2026",
        b"Kampala Voice Works hiring policy\n\nWe recruit at least 60% of new staff from "
        b"Katwe and Kisenyi, and from people with disabilities.\n",
    ),
    (
        "training-plan.txt",
        None,
        "Training plan for the 2026 intake",
        b"Six weeks of paid training in transcription and quality review.\n",
    ),
]
#: The demo ISSP whose certificate is renewed, with a surveillance in progress on the new one.
DEMO_CYCLE = "grace@kampala-impact.demo"
#: What the demo's second reviewer declares when assigned to Dhaka's case: the case goes back
#: to the admin, and the declaration into the reviewer's conflict register.
#: (workforce, impact workers) declared in each demo ISSP's scope: the Impact page's figures.
DEMO_WORKFORCE = {
    "amina@nairobi-dataworks.demo": (310, 212),
    "priya@ruralshore.demo": (480, 390),
    "bishnu@himal-digital.demo": (64, 41),
    "lucia@andes-contact.demo": (1250, 610),
    "eric@kigali-micro.demo": (9, 6),
    "kofi@accra-insight.demo": (150, 96),
}
#: A client of impact sourcing (issue 22): it watches two certificates' holders.
CLIENT = ("buyer@demo.certify.test", "Chloé Buyer", "demo-client-2026")
CLIENT_WATCHES = ("Nairobi DataWorks", "RuralShore Services")
DEMO_CONFLICT = "I advised Dhaka Digital Works on its hiring policy in 2025."
#: What the demo's auditor writes on every criterion: findings (the ISSP reads them in its
#: audit report) and an auditor-only note (it never does).
DEMO_FINDING = "Checked against the records on site."
DEMO_PRIVATE_NOTE = "Auditor-only: interview notes are in the working papers, not for the ISSP."
#: Non-conformities found after the decision: (ISSP e-mail, criterion, finding, action).
DEMO_LATER_NCS = {
    "priya@ruralshore.demo": (
        "TC-3",
        "Two trainees were asked to repay part of their training when they resigned.",
        "End training repayment clauses and refund what was paid.",
    ),
    "bishnu@himal-digital.demo": (
        "FW-7",
        "The grievance procedure was not in use at the surveillance visit.",
        "Put the grievance channel back in use and train supervisors on it.",
    ),
}


def database_is_empty(session: Session) -> bool:
    """True when nothing has happened in this database yet (no audit event at all)."""
    return session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def _exists(session: Session, email: str) -> bool:
    return (
        session.scalar(select(User.id).where(User.email_normalised == normalise_email(email)))
        is not None
    )


def demo_accounts() -> list[tuple[str, str, str]]:
    """(e-mail, roles, password) of every demo account, for printing."""
    rows = [(e, ", ".join(sorted(r.value for r in roles)), pw) for e, _, roles, pw in STAFF]
    rows += [(o.member[0], "issp", ISSP_PASSWORD) for o in ISSPS]
    rows.append((CLIENT[0], "client", CLIENT[2]))
    return rows


def print_demo_accounts(echo: Callable[[str], object]) -> None:
    echo("Demo accounts (DEMO ONLY: these passwords are public):")
    for email, roles, password in demo_accounts():
        echo(f"  {email:<34} {roles:<18} {password}")
    echo(
        "Second factor of the demo admin and reviewers (DEMO ONLY: this secret is public):\n"
        f"  TOTP secret {DEMO_TOTP_SECRET} (6 digits, 30 s): add it to an authenticator app,\n"
        f"  or print the current code with: oathtool --totp -b {DEMO_TOTP_SECRET}"
    )


def demo_present(session: Session) -> bool:
    return _exists(session, STAFF[0][0])


def load_demo(echo: Callable[[str], object] = print, session: Session | None = None) -> None:
    """Create the demo data through the same operations people use, then commit.

    Safe to run twice: what exists already is left alone.
    """
    session = session or db_session()
    actor = command_actor()
    created = 0
    for email, name, roles, password in STAFF:
        if not _exists(session, email):
            create_staff_user(
                session, actor, email=email, full_name=name, password=password, roles=roles
            )
            created += 1
    for org in ISSPS:
        email, name = org.member
        if _exists(session, email):
            continue
        register_issp(
            session,
            legal_name=org.legal_name,
            country=org.country,
            registration_number=org.registration_number,
            website=org.website,
            sites=org.sites,
            full_name=name,
            email=email,
            password=ISSP_PASSWORD,
        )
        created += 1
    _demo_second_factors(session, actor)
    session.commit()
    echo(f"demo data: {created} account(s) created")
    cases = _demo_cases(session, echo)
    session.commit()
    if cases:
        echo(f"demo data: {cases} case(s) walked through the workflow")
    from certify.complaints.demo import load_demo_complaints

    if load_demo_complaints(session):
        session.commit()
        echo("demo data: an open concern, a founded one with its non-conformity, an appeal")
    if _demo_client(session):
        session.commit()
        echo("demo data: a client account watching two suppliers")
    print_demo_accounts(echo)


def _demo_second_factors(session: Session, actor: Actor) -> None:
    """The public demo TOTP for each demo staff account whose role must hold a second factor
    and has none yet (so a newcomer can sign in with the printed secret)."""
    for email, _name, _roles, _password in STAFF:
        user = _user(session, email)
        if must_hold_second_factor(user) and not has_second_factor(session, user):
            add_totp(session, actor, user, DEMO_TOTP_SECRET)


def _demo_client(session: Session) -> bool:
    """The demo client and its watch list (each holder's certificates, by name)."""
    from certify.accounts.operations import new_user
    from certify.clients.operations import add_watch
    from certify.operations import OperationError

    email, name, password = CLIENT
    if _exists(session, email):
        return False
    client = new_user(session, email, name, password, {Role.CLIENT})
    for holder in CLIENT_WATCHES:
        try:
            add_watch(session, client, holder)
        except OperationError:  # that case was not certified in this demo
            continue
    return True


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email_normalised == normalise_email(email)))
    assert user is not None
    return user


def _answers(rubric: Rubric, level: int, self_assessment: bool) -> dict[str, dict[str, Any]]:
    """Answers a well-run ISSP would give: gates yes, levels and number bands at *level*."""
    out = sample_answers(rubric, level, number_level=level)
    if self_assessment:
        for answer in out.values():
            answer["comment"] = "See the evidence uploaded for this criterion."
    return out


def _demo_cases(session: Session, echo: Callable[[str], object]) -> int:
    """Walk the demo ISSPs' applications through the same operations people use."""
    from certify.applications.models import Application
    from certify.standards.operations import newest_rubric_in_effect

    staff = DemoStaff(
        _user(session, "admin@demo.certify.test"),
        _user(session, "auditor1@demo.certify.test"),
        _user(session, "reviewer1@demo.certify.test"),
    )
    today = clock.today()
    rubric = newest_rubric_in_effect(today, session=session)
    if rubric is None:
        echo("demo data: no standard in effect; no cases")
        return 0
    walked = 0
    for email, target, level, raised in DEMO_CASES:
        issp = _user(session, email)
        started = select(Application.id).where(Application.organisation_id == issp.organisation_id)
        if session.scalar(started) is not None:
            continue
        application = _apply(session, issp, rubric, level, submit=target != "draft")
        walked += 1
        if target == "draft":
            _demo_draft_evidence(session, application, issp, rubric)
            continue
        if target == "submitted":
            continue
        if target == "conflict_declared":
            _demo_conflict(session, application, staff, today)
            continue
        _audit(session, application, staff, rubric, level, raised, today)
        if target == "in_audit":
            continue
        _decide(session, application, staff, rubric)
        _demo_status_change(session, application, staff.admin, email)
        _demo_followup(session, application, staff, rubric, issp)
        if email == DEMO_CYCLE:
            from certify.cycle.demo import walk_cycle

            people = (staff.admin, staff.auditor, staff.reviewer)
            walk_cycle(session, application, people, rubric, _answers(rubric, level, False))
    return walked


@dataclass(frozen=True)
class DemoStaff:
    admin: User
    auditor: User
    reviewer: User


def _apply(
    session: Session, issp: User, rubric: Rubric, level: int, submit: bool = True
) -> Application:
    """Start, scope, self-assess and (unless *submit* is false) submit an application for
    *issp*'s organisation."""
    from certify.applications import operations as ops

    application = ops.start_application(session, issp, rubric)
    scope = ops.ScopeData(
        services="Data entry, transcription and content moderation",
        headcount=DEMO_WORKFORCE.get(issp.email, (120, 84))[0],
        impact_headcount=DEMO_WORKFORCE.get(issp.email, (120, 84))[1],
        impact_groups=["Youth from slums or informal settlements", "Women facing barriers to work"],
        contact_name=issp.full_name,
        contact_email=issp.email,
        contact_phone=None,
        site_ids=application.scope_site_ids,
    )
    ops.save_scope(session, application, issp, scope)
    mine = _answers(rubric, level, self_assessment=True)
    for section in rubric.sections:
        ids = {c.id for c in section.criteria}
        answers = {k: v for k, v in mine.items() if k in ids}
        ops.save_section_answers(session, application, issp, rubric, section.id, answers)
    if submit:
        # the demo's applicants accept the configured agreement, as the submit form makes them
        ops.submit_application(session, application, issp, rubric, agreement())
    return application


def _demo_draft_evidence(
    session: Session, application: Application, issp: User, rubric: Rubric
) -> None:
    """Attach the draft's evidence through the same checks an upload goes through."""
    import io

    from certify.applications.evidence import add_evidence
    from certify.applications.web import evidence_store

    for filename, criterion, description, content in DEMO_DRAFT_EVIDENCE:
        add_evidence(
            session, application, issp, evidence_store(), io.BytesIO(content), filename,
            criterion, description, rubric,
        )  # fmt: skip


def _audit(
    session: Session,
    application: Application,
    staff: DemoStaff,
    rubric: Rubric,
    level: int,
    raised: tuple[str, str] | None,
    today: dt.date,
) -> None:
    """Accept and assign the case, declare, assess every section (and raise an NC)."""
    from certify.applications import assessment, assignment, nonconformities
    from certify.applications import operations as ops

    ops.accept_application(session, application, staff.admin)
    assignment.assign_case(session, application, staff.admin, staff.auditor, staff.reviewer, today)
    assignment.declare_conflict(session, application, staff.auditor, False, "")
    assignment.declare_conflict(session, application, staff.reviewer, False, "")
    theirs = _answers(rubric, level, self_assessment=False)
    for section in rubric.sections:
        inputs = {
            c.id: assessment.CriterionInput(theirs[c.id], DEMO_FINDING, [], DEMO_PRIVATE_NOTE)
            for c in section.criteria
            if c.id in theirs
        }
        assessment.save_assessment_section(
            session, application, staff.auditor, rubric, section.id, inputs, base_version=0
        )
    if raised:
        grade, criterion = raised
        nonconformities.add_nonconformity(
            session,
            application,
            staff.auditor,
            rubric,
            grade=grade,
            criterion_id=criterion,
            description={
                "GT-2": "The annual impact report omits metric definitions.",
                "FW-7": "Grievances are logged, but two were answered after the 30 days promised.",
            }[criterion],
            corrective_action={
                "GT-2": "Publish metric definitions with the next report.",
                "FW-7": "Answer every grievance within the 30 days the procedure promises.",
            }[criterion],
            due_on=None,
            today=today,
        )


def _demo_conflict(
    session: Session, application: Application, staff: DemoStaff, today: dt.date
) -> None:
    """Accept and assign the case; the second reviewer declares a conflict (back to the admin)."""
    from certify.applications import assignment
    from certify.applications import operations as ops

    reviewer2 = _user(session, "reviewer2@demo.certify.test")
    ops.accept_application(session, application, staff.admin)
    assignment.assign_case(session, application, staff.admin, staff.auditor, reviewer2, today)
    assignment.declare_conflict(session, application, reviewer2, True, DEMO_CONFLICT)


def _decide(session: Session, application: Application, staff: DemoStaff, rubric: Rubric) -> None:
    """Submit the audit and certify (the certificate is issued in the same transaction)."""
    from certify.applications import assessment

    assessment.submit_assessment(session, application, staff.auditor, rubric)
    assessment.decide_case(
        session,
        application,
        staff.reviewer,
        rubric,
        outcome="certify",
        reasons="The audit evidence supports every requirement.",
    )


def _demo_status_change(
    session: Session, application: Application, admin: User, email: str
) -> None:
    """One withdrawn certificate (the suspended one follows its non-conformity, below)."""
    from certify.certificates.models import Certificate
    from certify.lifecycle import withdraw_certificate

    actor = Actor.user(admin.public_id)
    certificate = session.scalar(
        select(Certificate).where(Certificate.application_id == application.id)
    )
    if certificate is None:
        return
    if email == "lucia@andes-contact.demo":
        withdraw_certificate(
            session,
            certificate,
            actor,
            "holder_request",
            "The holder closed its Lima operations and asked for withdrawal.",
        )


def _demo_followup(
    session: Session, application: Application, staff: DemoStaff, rubric: Rubric, issp: User
) -> None:
    """After the decision: RuralShore's major non-conformity with a plan awaiting the
    auditor; Himal Digital's major one, found at a visit 100 days ago and never corrected,
    past its due date, the suspension the scheduler proposed and the admin confirmed."""
    from certify.followup import deadlines, loop
    from certify.jobs.duties import SCHEDULER

    later = DEMO_LATER_NCS.get(issp.email)
    if later is None:
        return
    criterion, finding, action = later
    nc = deadlines.raise_after_decision(
        session, application, staff.auditor, rubric, grade="major", criterion_id=criterion,
        description=finding, corrective_action=action, due_on=None,
    )  # fmt: skip
    now = clock.now()
    if issp.email == "priya@ruralshore.demo":
        plan = loop.PlanData(
            root_cause="The training agreement template still had a repayment clause.",
            correction="Both trainees were refunded in full.",
            corrective_action="Remove the clause from the template; HR checks every contract.",
            owner="Priya Raghavan, HR lead",
            target_date=nc.due_on - dt.timedelta(days=30),
        )
        loop.submit_plan(session, nc, issp, plan)
        return
    # Demo only: this non-conformity was found 100 days ago, so its 90 days are over.
    nc.created_at = now - dt.timedelta(days=100)
    nc.due_on = (now - dt.timedelta(days=10)).date()
    session.flush()
    deadlines.mark_overdue(session, nc, SCHEDULER, now, "propose")
    deadlines.confirm_suspension(session, nc, staff.admin)
