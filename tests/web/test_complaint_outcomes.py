"""What follows a complaint's outcome (issue 19): a founded complaint that calls for
corrective action opens a non-conformity on the organisation's certified case, which then
follows the normal corrective-action loop; the deadline for closing a complaint and its
reminders."""

from __future__ import annotations

from sqlalchemy import select

from certify.applications.models import NonConformity
from certify.audit.models import AuditEvent
from certify.complaints.models import Complaint
from certify.notifications.models import Notification
from tests.web import complaint_fixtures as cf
from tests.web import followup_fixtures
from tests.web.test_corrective_actions import _plan

certified = followup_fixtures.certified


def test_a_founded_complaint_opens_a_nonconformity_that_follows_the_normal_loop(
    app, client, session, certified
) -> None:
    complaint, handler = cf.acknowledged(app, client, session, certified)
    url = f"/complaints/{complaint.public_id}"
    form = handler.get(url).get_data(as_text=True)
    assert 'value="FW-7"' in form  # the criteria of the certified case's rubric
    decided = handler.post(f"{url}/outcome", data=cf.corrective_action())
    assert decided.status_code == 302, decided.get_data(as_text=True)
    complaint = cf.only_complaint(session)
    nc = session.get(NonConformity, complaint.nonconformity_id)
    assert nc is not None and complaint.outcome == "founded_corrective_action"
    assert (nc.application_id, nc.grade, nc.criterion_id, nc.status) == (
        certified["application"].id, "major", "FW-7", "open",
    )  # fmt: skip
    assert nc.due_on > complaint.decided_at.date()  # the rubric's deadline for a major NC
    raised = session.scalar(select(AuditEvent).where(AuditEvent.action == "nonconformity.raised"))
    assert raised is not None and complaint.public_id.encode() in raised.canonical
    # the holder is told as of any NC, and starts the loop with a plan
    issp = cf.client_for(app, certified["issp"])
    nc_url = followup_fixtures.nc_url(nc)
    assert "Trainees were charged a placement fee" in issp.get(nc_url).get_data(as_text=True)
    plan = issp.post(f"{nc_url}/plan", data=_plan(nc.due_on))
    assert plan.status_code == 302
    assert followup_fixtures.state_of(session, nc)[0] == "plan_submitted"
    kinds = {(n.kind, n.user_id) for n in session.scalars(select(Notification))}
    assert ("nonconformity.raised", certified["issp"].id) in kinds
    assert ("complaint.founded", certified["auditor"].id) in kinds
    page = handler.get(url).get_data(as_text=True)
    assert "Non-conformity opened" in page


def test_no_certificate_in_force_is_refused_and_nothing_is_kept(
    app, client, session, certified
) -> None:
    from certify.core.actor import Actor
    from certify.lifecycle import withdraw_certificate

    complaint, handler = cf.acknowledged(app, client, session, certified)
    with app.app_context():
        withdraw_certificate(
            session, certified["certificate"], Actor.user(certified["admin"].public_id),
            "fraud", "Forged records.",
        )  # fmt: skip
        session.commit()
    url = f"/complaints/{complaint.public_id}"
    assert "no certificate in force" in handler.get(url).get_data(as_text=True)
    refused = handler.post(f"{url}/outcome", data=cf.corrective_action())
    assert refused.status_code == 400
    assert "has no certificate in force" in refused.get_data(as_text=True)
    complaint = cf.only_complaint(session)
    assert complaint.state == "acknowledged" and complaint.nonconformity_id is None
    assert session.scalars(select(NonConformity)).all() == []


def test_a_bad_finding_gets_a_message_and_nothing_is_kept(app, client, session, certified) -> None:
    complaint, handler = cf.acknowledged(
        app, client, session, certified, name=cf.NAME, contact=cf.CONTACT
    )
    url = f"/complaints/{complaint.public_id}/outcome"
    for data, message in [
        (cf.corrective_action(**{"outcome-criterion": "NOPE-1"}), "Choose the criterion"),
        (cf.corrective_action(**{"outcome-grade": ""}), "Choose a grade"),
        (cf.corrective_action(**{"outcome-description": ""}), "Describe the non-conformity"),
        (
            cf.corrective_action(**{"outcome-description": f"As {cf.NAME} told us"}),
            "remove the complainant",
        ),
        (
            cf.corrective_action(**{"outcome-corrective_action": f"Write to {cf.CONTACT}"}),
            "remove the complainant",
        ),
    ]:
        response = handler.post(url, data=data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), message
    session.expire_all()
    assert session.scalar(select(Complaint.state)) == "acknowledged"
    assert session.scalars(select(NonConformity)).all() == []


# --------------------------------------------------------------------------- the deadline


def test_the_deadline_for_closing_reminds_the_handler_then_the_admins_each_once(
    app, client, session, clock, certified
) -> None:
    import datetime as dt

    from certify.complaints.duties import remind_complaints_to_close
    from certify.complaints.statistics import statistics_for

    complaint, handler = cf.acknowledged(
        app, client, session, certified, contact=cf.CONTACT, name=cf.NAME
    )
    received = complaint.received_at
    assert "Decide by" in handler.get(f"/complaints/{complaint.public_id}").get_data(as_text=True)
    with app.app_context():
        before = statistics_for(session, received.year)

    def reminders() -> list[tuple[str, int | None]]:
        session.expire_all()
        rows = session.scalars(
            select(Notification).where(Notification.kind == "complaint.close_reminder")
        )
        return sorted((n.subject, n.user_id) for n in rows)

    with app.app_context():
        assert (
            remind_complaints_to_close(received + dt.timedelta(days=70))
            == "0 reminder(s) to decide"
        )
        soon = received + dt.timedelta(days=80)  # 10 days left: within the 14-day warning
        assert remind_complaints_to_close(soon) == "1 reminder(s) to decide"
        assert remind_complaints_to_close(soon) == "0 reminder(s) to decide"
    first = reminders()
    assert [user for _s, user in first] == [cf.only_complaint(session).handler_id]
    with app.app_context():
        late = received + dt.timedelta(days=91)
        assert remind_complaints_to_close(late) == "1 reminder(s) to decide"
        assert remind_complaints_to_close(late + dt.timedelta(days=5)) == "0 reminder(s) to decide"
    told = {user for _s, user in reminders()}
    assert certified["admin"].id in told and len(reminders()) >= 3
    complaint = cf.only_complaint(session)
    assert complaint.close_reminded_at is not None and complaint.close_overdue_at is not None
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "complaint.close_reminder_sent")
    ).all()
    assert len(events) == 2
    # the reminders name no complainant, and "time to close" is untouched by them
    for note in session.scalars(select(Notification)):
        if note.to_address != cf.CONTACT:
            assert cf.CONTACT not in note.body_text and cf.NAME not in note.body_text
    with app.app_context():
        assert statistics_for(session, received.year) == before
    # a decided complaint is never reminded
    complaint.state, complaint.close_overdue_at = "decided", None
    session.commit()
    with app.app_context():
        assert remind_complaints_to_close(late + dt.timedelta(days=9)) == "0 reminder(s) to decide"
