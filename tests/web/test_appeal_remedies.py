"""What an upheld appeal changes (issue 19), through the normal operations: a refusal goes
back to review for a new decision by a reviewer who took no part; a non-conformity is
regraded with a recomputed due date, or annulled; a withdrawal, final, becomes an instruction
to the admins and an audit event."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from certify.accounts.models import User
from certify.applications import assessment as assessment_ops
from certify.applications.models import Application, Decision, NonConformity
from certify.audit.models import AuditEvent
from certify.certificates.models import Certificate
from certify.core.actor import Actor
from certify.lifecycle import withdraw_certificate
from certify.notifications.models import Notification
from tests.web import complaint_fixtures as cf
from tests.web import followup_fixtures
from tests.web.test_concurrency import _build_case

certified = followup_fixtures.certified


def _uphold(app, session, admin: User, key_text: str, issp: User, **decision: str):
    """The ISSP appeals the decision whose key starts with *key_text*; the admin names an
    uninvolved reviewer, who upholds it with *decision*'s extra fields. Returns (the
    response, the appeal, the decider)."""
    client = cf.client_for(app, issp)
    form = client.get("/appeals/new").get_data(as_text=True)
    key = next(part.split('"')[0] for part in form.split('value="')[1:]
               if part.startswith(key_text))  # fmt: skip
    lodged = client.post(
        "/appeals/new", data={"decision": key, "grounds": "The facts were misread."},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert lodged.status_code == 302, lodged.get_data(as_text=True)
    appeal = cf.only_appeal(session)
    decider = cf.another(app, session, "reviewer")
    url = f"/appeals/{appeal.public_id}"
    cf.client_for(app, admin).post(f"{url}/decider", data={"assign-decider": decider.public_id})
    data = {"decide-outcome": "upheld", "decide-reasons": "The evidence was overlooked."}
    data.update({f"decide-{k}": v for k, v in decision.items()})
    response = cf.client_for(app, decider).post(f"{url}/decision", data=data)
    return response, cf.only_appeal(session), decider


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --------------------------------------------------------------------------- a refusal


@pytest.fixture
def refused(app, session) -> dict:
    with app.app_context():
        case = _build_case(session, "submitted")
        application = session.get(Application, case["pk"])
        people = {r: session.scalar(select(User).where(User.email == case[r]))
                  for r in ("admin", "auditor", "reviewer")}  # fmt: skip
        assessment_ops.decide_case(
            session, application, people["reviewer"], case["rubric"], outcome="refuse",
            reasons="The grievance system is missing.",
        )  # fmt: skip
        session.commit()
        issp = session.scalar(
            select(User).where(User.organisation_id == application.organisation_id)
        )
    return {"application": application, "issp": issp, **people}


def test_an_upheld_appeal_against_a_refusal_gets_a_new_decision_by_someone_uninvolved(
    app, session, refused
) -> None:
    response, appeal, decider = _uphold(
        app, session, refused["admin"], "decision:", refused["issp"]
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    application = session.get(Application, refused["application"].id)
    session.refresh(application)
    assert application.state == "audit_submitted" and application.reviewer_id is None
    assert "new decision" in (appeal.remedy or "")
    reopened = _events(session, "application.reopen_on_appeal")
    assert len(reopened) == 1 and appeal.public_id.encode() in reopened[0].canonical
    # the admin names the new reviewer: never one who took part
    admin = cf.client_for(app, refused["admin"])
    url = f"/applications/{application.public_id}/new-reviewer"
    assert "took part: cannot be chosen" in admin.get(url).get_data(as_text=True)
    for who, why in ((refused["reviewer"], "decided this case before"),
                     (decider, "decided an appeal on this case")):  # fmt: skip
        refused_post = admin.post(url, data={"reviewer": who.public_id})
        assert refused_post.status_code == 400
        assert why in refused_post.get_data(as_text=True)
    fresh = cf.another(app, session, "reviewer")
    assert admin.post(url, data={"reviewer": fresh.public_id}).status_code == 302
    # they declare, then decide: a new decision, the refusal stays on record
    own = cf.client_for(app, fresh)
    review = f"/applications/{application.public_id}/review"
    assert own.get(review).status_code == 302  # declare first
    declared = own.post(
        f"/applications/{application.public_id}/declaration", data={"has_conflict": "no"}
    )
    assert declared.status_code == 302, declared.get_data(as_text=True)
    decided = own.post(review, data={"outcome": "certify", "reasons": "Grievances are handled."})
    assert decided.status_code == 302, decided.get_data(as_text=True)
    session.expire_all()
    decisions = session.scalars(
        select(Decision).where(Decision.application_id == application.id).order_by(Decision.id)
    ).all()
    assert [(d.outcome, d.reviewer_id) for d in decisions] == [
        ("refused", refused["reviewer"].id), ("certified", fresh.id),
    ]  # fmt: skip
    assert session.scalar(select(Certificate).where(Certificate.application_id == application.id))
    # the page is for admins only
    assert cf.client_for(app, fresh).get(url).status_code == 403


def test_a_new_reviewer_who_declares_a_conflict_sends_the_admins_back_to_name_another(
    app, session, refused
) -> None:
    _uphold(app, session, refused["admin"], "decision:", refused["issp"])
    application = session.get(Application, refused["application"].id)
    admin = cf.client_for(app, refused["admin"])
    url = f"/applications/{application.public_id}/new-reviewer"
    named = cf.another(app, session, "reviewer")
    assert admin.post(url, data={"reviewer": named.public_id}).status_code == 302
    declared = cf.client_for(app, named).post(
        f"/applications/{application.public_id}/declaration",
        data={"has_conflict": "yes", "statement": "I consulted for them last year."},
    )
    assert declared.status_code == 302, declared.get_data(as_text=True)
    session.expire_all()
    application = session.get(Application, application.id)
    assert application.state == "audit_submitted" and application.reviewer_id is None
    # the admins hear of it, with the page where they name someone else
    told = session.scalars(select(Notification).where(Notification.kind == "case.released")).all()
    assert told and {n.link for n in told} == {url}
    assert "name another reviewer who took no part" in told[0].body_text
    # and the register now keeps the person off this organisation's cases
    again = admin.post(url, data={"reviewer": named.public_id})
    assert again.status_code == 400 and "conflict-of-interest register" in again.get_data(
        as_text=True
    )


# --------------------------------------------------------------------------- an NC's grade


def test_a_regraded_nc_gets_the_new_grades_deadline_from_its_raise_date(
    app, session, certified
) -> None:
    nc = followup_fixtures.raise_nc(app, session, certified, grade="major")
    raised_on, was_due = nc.created_at.date(), nc.due_on
    response, appeal, _ = _uphold(
        app, session, certified["admin"], f"nc:{nc.public_id}", certified["issp"],
        new_grade="minor",
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    nc = session.get(NonConformity, nc.id)
    session.refresh(nc)
    interval = certified["rubric"].surveillance_interval_months
    from certify.core.rubric.versions import add_months

    assert nc.grade == "minor" and nc.due_on == add_months(raised_on, interval) != was_due
    (event,) = _events(session, "nonconformity.regrade")
    body = event.canonical.decode()
    assert appeal.public_id in body and "The evidence was overlooked." in body
    assert was_due.isoformat() in body and nc.due_on.isoformat() in body
    told = {n.kind for n in session.scalars(select(Notification))}
    assert "nonconformity.regraded" in told


def test_a_regrade_never_leaves_less_than_the_minimal_period(
    app, session, certified, clock
) -> None:
    nc = followup_fixtures.raise_nc(app, session, certified, grade="critical")
    assert nc.status == "escalated"
    client = cf.client_for(app, certified["issp"])
    client.post(
        "/appeals/new", data={"decision": f"nc:{nc.public_id}", "grounds": "Major at most."},
        content_type="multipart/form-data",
    )  # fmt: skip
    appeal = cf.only_appeal(session)
    decider = cf.another(app, session, "reviewer")
    url = f"/appeals/{appeal.public_id}"
    cf.client_for(app, certified["admin"]).post(
        f"{url}/decider", data={"assign-decider": decider.public_id}
    )
    later = clock.advance(dt.timedelta(days=85))
    own = cf.client_for(app, decider)
    no_grade = {"decide-outcome": "upheld", "decide-reasons": "x", "decide-new_grade": ""}
    worse = own.post(f"{url}/decision", data=no_grade)
    assert worse.status_code == 400
    major = {"decide-outcome": "upheld", "decide-reasons": "Major.", "decide-new_grade": "major"}
    done = own.post(f"{url}/decision", data=major)
    assert done.status_code == 302, done.get_data(as_text=True)
    nc = session.get(NonConformity, nc.id)
    session.refresh(nc)
    # 90 days from the raise date would leave 5: the floor (14 days from today) wins
    assert nc.grade == "major" and nc.due_on == later.date() + dt.timedelta(days=14)
    assert nc.status == "escalated"  # the suspension is lifted through the lifecycle only


def test_an_annulled_nc_is_closed_with_the_appeals_reasons(app, session, certified) -> None:
    nc = followup_fixtures.raise_nc(app, session, certified, grade="major")
    response, appeal, decider = _uphold(
        app, session, certified["admin"], f"nc:{nc.public_id}", certified["issp"],
        new_grade="annulled",
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    nc = session.get(NonConformity, nc.id)
    session.refresh(nc)
    assert nc.status == "closed" and nc.closed_by_id == decider.id
    assert appeal.public_id in (nc.closure_note or "") and "annulled" in (appeal.remedy or "")
    (event,) = _events(session, "nonconformity.annul")
    assert b"The evidence was overlooked." in event.canonical


# --------------------------------------------------------------------------- a withdrawal


def test_an_upheld_appeal_against_a_withdrawal_tells_the_admins_what_to_do(
    app, session, certified
) -> None:
    with app.app_context():
        withdraw_certificate(
            session, certified["certificate"], Actor.user(certified["admin"].public_id),
            "fraud", "Forged payroll records.",
        )  # fmt: skip
        session.commit()
    response, appeal, _ = _uphold(app, session, certified["admin"], "change:", certified["issp"])
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Certificate, certified["certificate"].id).status == "withdrawn"
    assert "cannot be reinstated" in (appeal.remedy or "")
    (event,) = _events(session, "appeal.remedy_required")
    assert json.loads(event.after or "{}")["within_validity"] is True
    to_admin = session.scalars(
        select(Notification).where(
            Notification.kind == "appeal.remedy_required",
            Notification.user_id == certified["admin"].id,
        )
    ).one()
    assert "open a new case" in to_admin.body_text
