"""Fixtures for the follow-up tests: a case certified through the real workflow and issuance,
its people, and a major non-conformity raised on it after the decision."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from certify.accounts.models import User
from certify.applications import assessment as assessment_ops
from certify.applications.models import Application, NonConformity
from certify.certificates.models import Certificate
from certify.followup import deadlines
from tests.web.conftest import login
from tests.web.test_concurrency import _build_case, _user


@pytest.fixture
def certified(app, session) -> dict[str, Any]:
    """A certified case: ``application``, ``certificate``, ``rubric`` and the people
    (``issp``, ``admin``, ``auditor``, ``reviewer``) as users of the test session."""
    with app.app_context():
        case = _build_case(session, "submitted")
        application = session.get(Application, case["pk"])
        people = {
            role: session.scalar(select(User).where(User.email == case[role]))
            for role in ("admin", "auditor", "reviewer")
        }
        assessment_ops.decide_case(
            session, application, people["reviewer"], case["rubric"], outcome="certify",
            reasons="Every requirement is met.",
        )  # fmt: skip
        session.commit()
        issp = session.scalar(
            select(User).where(User.organisation_id == application.organisation_id)
        )
        certificate = session.scalar(
            select(Certificate).where(Certificate.application_id == application.id)
        )
    return {
        "application": application,
        "certificate": certificate,
        "rubric": case["rubric"],
        "issp": issp,
        **people,
    }


def raise_nc(app, session, case: dict[str, Any], grade: str = "major", criterion: str = "FW-7"):
    """Raise a non-conformity on the certified *case* as its auditor; commit."""
    with app.app_context():
        nc = deadlines.raise_after_decision(
            session, case["application"], case["auditor"], case["rubric"], grade=grade,
            criterion_id=criterion, description="The grievance log is not kept.",
            corrective_action="Keep the grievance log and answer within 30 days.", due_on=None,
        )  # fmt: skip
        session.commit()
    return nc


@pytest.fixture
def major_nc(app, session, certified) -> NonConformity:
    return raise_nc(app, session, certified)


def client_for(app, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def another(app, session, *roles: str) -> User:
    """Someone unrelated to the case (another ISSP's member, another auditor...)."""
    with app.app_context():
        user = _user(session, *roles)
        session.commit()
    return user


def nc_url(nc: NonConformity, tail: str = "") -> str:
    return f"/applications/{nc.application.public_id}/nonconformities/{nc.public_id}{tail}"


def state_of(session, nc: NonConformity) -> tuple[str, str | None]:
    session.expire_all()
    row = session.get(NonConformity, nc.id)
    return row.status, row.stage


PLAN = {
    "plan-root_cause": "Nobody owned the grievance log after the HR lead left.",
    "plan-correction": "The log was rebuilt from e-mails; every open grievance answered.",
    "plan-corrective_action": "The HR lead owns the log; monthly check by the director.",
    "plan-owner": "Sita Rai, HR lead",
}
