"""Demo data for complaints and appeals (``make run``): an open concern about Nairobi
DataWorks with an impartial handler; a founded concern about Accra Insight Hub that opened a
minor non-conformity on its certificate (no deadline: checked at the next surveillance); and
Himal Digital's decided appeal against its suspension (dismissed, so the demo's suspended
certificate stays suspended)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certify.accounts.models import Organisation, User, normalise_email
from certify.complaints import appeals, handling, raising
from certify.complaints.impartiality import candidates, handler_problem
from certify.complaints.models import Appeal, Complaint
from certify.followup.deadlines import Finding
from certify.storage.setup import evidence_store

DEMO_CONCERN = (
    "Two trainees at the Kibera Delivery Centre told me they paid a placement agent "
    "5,000 KES before their first shift. They were told the fee was required by the company."
)
DEMO_FOUNDED = (
    "The grievance box at the Osu Centre was locked for two weeks in March and nobody could "
    "tell us who has the key. Two of us wanted to report a broken chair and a late payslip."
)
DEMO_FOUNDED_FINDING = Finding(
    grade="minor",
    criterion_id="FW-7",
    description="The grievance box at the Osu Centre was locked for two weeks in March; "
    "workers could not use the written grievance channel.",
    corrective_action="Name who holds the key and opens the box weekly, and post the "
    "other ways to raise a grievance beside it.",
)
DEMO_APPEAL = (
    "We restarted the grievance channel in week 2 after the visit and trained all six "
    "supervisors; the attendance sheets are attached to our corrective-action evidence."
)


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email_normalised == normalise_email(email)))
    assert user is not None
    return user


def load_demo_complaints(session: Session) -> int:
    """Create the demo's concern and appeal once; returns how many were created."""
    if session.scalar(select(func.count()).select_from(Complaint)):
        return 0
    nairobi = session.scalar(
        select(Organisation).where(Organisation.legal_name == "Nairobi DataWorks")
    )
    if nairobi is None:
        return 0
    admin = _user(session, "admin@demo.certify.test")
    kwame = _user(session, "reviewer2@demo.certify.test")
    data = raising.ConcernData(
        organisation_id=nairobi.public_id, category="recruitment_fees",
        description=DEMO_CONCERN, name="", contact="worker.voice@demo.certify.test",
    )  # fmt: skip
    complaint, _code = raising.raise_complaint(session, data, evidence_store(), [])
    handling.assign_handler(session, complaint, admin, kwame)
    handling.acknowledge_complaint(
        session, complaint, kwame, "Thank you. We are looking into the placement fees."
    )
    return 1 + _demo_founded(session, admin) + _demo_appeal(session, admin)


def _demo_founded(session: Session, admin: User) -> int:
    """A concern about Accra Insight Hub, handled by an impartial member of staff and found
    true: a minor non-conformity on its certificate, which its member answers next."""
    accra = session.scalar(
        select(Organisation).where(Organisation.legal_name == "Accra Insight Hub")
    )
    if accra is None:
        return 0
    data = raising.ConcernData(
        organisation_id=accra.public_id, category="working_conditions",
        description=DEMO_FOUNDED, name="", contact="",
    )  # fmt: skip
    complaint, _code = raising.raise_complaint(session, data, evidence_store(), [])
    handler = next(
        (u for u in candidates(session) if handler_problem(session, complaint, u) is None), None
    )
    if handler is None:  # nobody impartial: the concern waits for the admin
        return 1
    handling.assign_handler(session, complaint, admin, handler)
    handling.acknowledge_complaint(
        session, complaint, handler, "Thank you. We are asking the centre about the box."
    )
    handling.decide_complaint(
        session, complaint, handler, "founded_corrective_action",
        "The centre manager confirmed the box was locked from 3 to 17 March; the key holder "
        "was on leave and nobody else had one.",
        DEMO_FOUNDED_FINDING,
    )  # fmt: skip
    return 1


def _demo_appeal(session: Session, admin: User) -> int:
    if session.scalar(select(func.count()).select_from(Appeal)):
        return 0
    bishnu = _user(session, "bishnu@himal-digital.demo")
    rajesh = _user(session, "auditor2@demo.certify.test")
    options = appeals.appealable_decisions(session, bishnu.organisation_id or 0)
    suspension = next((a for a in options if a.subject == "suspension"), None)
    if suspension is None:
        return 0
    appeal = appeals.lodge_appeal(session, bishnu, suspension.key, DEMO_APPEAL, None, [])
    appeals.assign_decider(session, appeal, admin, rajesh)
    appeals.decide_appeal(
        session, appeal, rajesh, "dismissed",
        "The grievance channel was restarted after the due date, and the auditor has not yet "
        "verified the evidence: the suspension stands until the non-conformity is closed.",
    )  # fmt: skip
    return 1
