"""Complaints (issue 19): anyone raises a concern about a certified ISSP without an account,
follows it with a tracking code, and an impartial handler takes it to an outcome; the
complainant's identity never reaches the ISSP, its auditor, the public or an export."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from certify.applications.models import ConflictRegisterEntry
from certify.audit.models import AuditEvent
from certify.complaints.models import Attachment, Complaint, ComplaintEntry
from certify.notifications.models import Notification
from certify.translog.models import LogEntry
from tests.web import complaint_fixtures as cf
from tests.web import followup_fixtures

certified = followup_fixtures.certified


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def org_id(certified) -> str:
    return certified["certificate"].organisation.public_id


def test_every_certificate_page_and_the_footer_link_to_the_concern_form(client, certified) -> None:
    serial = certified["certificate"].serial
    for page in (f"/registry/{serial}", f"/verify/{serial}"):
        html = client.get(page).get_data(as_text=True)
        assert f"/concerns/new?serial={serial}" in html, page
    assert 'href="/concerns/new"' in client.get("/").get_data(as_text=True)
    form = client.get(f"/concerns/new?serial={serial}").get_data(as_text=True)
    organisation = certified["certificate"].organisation
    assert f'<option selected value="{organisation.public_id}">' in form
    assert serial in form


def test_an_anonymous_concern_gets_a_tracking_code_and_is_followed_with_it(
    client, session, org_id
) -> None:
    log_size = _count(session, LogEntry)
    response, code = cf.raise_concern(client, org_id)
    assert response.status_code == 201
    assert code, response.get_data(as_text=True)
    complaint = cf.only_complaint(session)
    assert complaint.state == "received" and complaint.complainant_contact is None
    assert code not in str(complaint.code_sha256)  # only its hash is stored
    # the text is never logged: no log entry, no audit event holds it
    assert _count(session, LogEntry) == log_size
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("complaint.%")))
    assert all("Kibera" not in (e.canonical or b"").decode() for e in events)
    # any spelling of the code opens it: lower case, no hyphens, O for 0
    typed = code.lower().replace("-", " ").replace("0", "o")
    page = client.post("/concerns/track", data={"code": typed})
    assert page.status_code == 200
    assert "Trainees were charged" in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]
    added = client.post(
        "/concerns/track/information",
        data={"code": code, "text": "Two more trainees paid the same fee in March."},
        content_type="multipart/form-data",
    )
    assert added.status_code == 200
    assert "Two more trainees" in added.get_data(as_text=True)
    assert session.scalar(select(ComplaintEntry.kind)) == "information"


def test_a_wrong_tracking_code_finds_nothing(client, org_id) -> None:
    cf.raise_concern(client, org_id)
    response = client.post("/concerns/track", data={"code": "AAAA-BBBB-CCCC-DDDD"})
    assert response.status_code == 404
    assert "No concern has this tracking code" in response.get_data(as_text=True)
    assert client.post("/concerns/track", data={"code": ""}).status_code == 400
    info = client.post("/concerns/track/information", data={"code": "x", "text": "y"})
    assert info.status_code == 404


def test_the_honeypot_stores_nothing(client, session, org_id) -> None:
    response, code = cf.raise_concern(client, org_id, website="http://spam.example")
    assert response.status_code == 400 and not code
    assert _count(session, Complaint) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "x" * 8001, "under 8,000 characters"),
        ("description", "", "Write what happened"),
        ("category", "bribery", "Not a valid choice"),
        ("organisation", "not-an-org", "Not a valid choice"),
        ("contact", "not an address", "not valid"),
        ("name", "Ann\u202eevil", "invisible"),
        ("description", "a\x00b", "control character"),
    ],
)
def test_bad_input_gets_a_message_and_stores_nothing(
    client, session, org_id, field, value, message
) -> None:
    response, code = cf.raise_concern(client, org_id, **{field: value})
    assert response.status_code == 400, response.status_code
    assert message.lower() in response.get_data(as_text=True).lower()
    assert not code
    assert _count(session, Complaint) == 0


def test_a_binary_renamed_as_a_pdf_is_refused_and_nothing_is_kept(
    client, session, org_id, app
) -> None:
    binary = b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8
    response, _code = cf.raise_concern(client, org_id, files=[(io.BytesIO(binary), "payslip.pdf")])
    assert response.status_code == 400
    assert "payslip.pdf" in response.get_data(as_text=True)
    assert _count(session, Complaint) == 0 and _count(session, Attachment) == 0


def test_a_good_file_goes_through_the_evidence_store(client, session, org_id) -> None:
    from tests.core.test_filetypes import make_pdf

    response, _ = cf.raise_concern(
        client, org_id, files=[(io.BytesIO(make_pdf("Fee receipt")), "receipt.pdf")]
    )
    assert response.status_code == 201
    attachment = session.scalar(select(Attachment))
    assert attachment is not None and attachment.kind == "pdf"


def test_script_in_every_field_is_shown_as_text(client, session, org_id, create_user) -> None:
    script = "<script>alert(1)</script>"
    response, code = cf.raise_concern(client, org_id, description=script, name=script, contact="")
    assert response.status_code == 201
    page = client.post("/concerns/track", data={"code": code}).get_data(as_text=True)
    assert script not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_hundreds_of_submissions_from_one_address_are_refused(
    client, session, org_id, app_config
) -> None:
    statuses = [cf.raise_concern(client, org_id)[0].status_code for _ in range(30)]
    assert statuses[:10] == [201] * 10
    assert set(statuses[10:]) == {429}
    assert _count(session, Complaint) == 10
    guesses = [
        client.post("/concerns/track", data={"code": "AAAA-BBBB-CCCC-DDDD"}).status_code
        for _ in range(40)
    ]
    assert guesses[-1] == 429


# --------------------------------------------------------------------------- handling


def _assign(app, session, certified, handler):
    complaint = cf.only_complaint(session)
    admin = cf.client_for(app, certified["admin"])
    response = admin.post(
        f"/complaints/{complaint.public_id}/handler", data={"assign-handler": handler.public_id}
    )
    return complaint, response


@pytest.mark.parametrize("who", ["auditor", "reviewer"])
def test_the_isps_auditor_or_reviewer_can_never_handle_it(
    app, client, session, certified, org_id, who
) -> None:
    cf.raise_concern(client, org_id)
    complaint, response = _assign(app, session, certified, certified[who])
    assert response.status_code == 400
    assert "not involved" in response.get_data(as_text=True)
    assert cf.only_complaint(session).handler_id is None
    # ... and cannot act on it by a direct POST either (they cannot even see it)
    own = cf.client_for(app, certified[who])
    assert own.get(f"/complaints/{complaint.public_id}").status_code == 404
    post = own.post(f"/complaints/{complaint.public_id}/acknowledge", data={})
    assert post.status_code == 404


def test_someone_with_a_conflict_on_record_cannot_handle_it(
    app, client, session, certified, org_id
) -> None:
    cf.raise_concern(client, org_id)
    handler = cf.another(app, session, "reviewer")
    session.add(
        ConflictRegisterEntry(
            user_id=handler.id, organisation_id=certified["application"].organisation_id,
            organisation_name=certified["application"].organisation.legal_name,
            relationship_text="Advised them on hiring",
        )
    )  # fmt: skip
    session.commit()
    _, response = _assign(app, session, certified, handler)
    assert response.status_code == 400
    assert "conflict of interest" in response.get_data(as_text=True)


def test_a_handler_who_turns_out_conflicted_is_refused_at_the_next_step(
    app, client, session, certified, org_id
) -> None:
    cf.raise_concern(client, org_id)
    handler = cf.another(app, session, "reviewer")
    complaint, response = _assign(app, session, certified, handler)
    assert response.status_code == 302
    session.add(
        ConflictRegisterEntry(
            user_id=handler.id, organisation_id=certified["application"].organisation_id,
            organisation_name="x", relationship_text="Worked there",
        )
    )  # fmt: skip
    session.commit()
    own = cf.client_for(app, handler)
    response = own.post(f"/complaints/{complaint.public_id}/acknowledge", data={})
    assert response.status_code == 400
    assert cf.only_complaint(session).state == "assigned"


def test_a_concern_is_handled_to_a_founded_outcome(app, client, session, certified, org_id) -> None:
    cf.raise_concern(client, org_id, name=cf.NAME, contact=cf.CONTACT)
    handler = cf.another(app, session, "reviewer")
    complaint, response = _assign(app, session, certified, handler)
    assert response.status_code == 302
    own = cf.client_for(app, handler)
    url = f"/complaints/{complaint.public_id}"
    page = own.get(url).get_data(as_text=True)
    assert cf.CONTACT in page and cf.NAME in page  # the handler sees who raised it
    assert own.post(f"{url}/outcome", data={"outcome-outcome": "unfounded",
                                            "outcome-reasons": "x"}).status_code == 400  # fmt: skip
    ack = own.post(f"{url}/acknowledge", data={"ack-message": "We are looking into it."})
    assert ack.status_code == 302
    assert own.post(f"{url}/notes", data={"note-text": "Called the centre."}).status_code == 302
    decided = own.post(
        f"{url}/outcome",
        data={
            "outcome-outcome": "founded_special_audit",
            "outcome-reasons": "Three trainees confirmed the fee.",
        },
    )
    assert decided.status_code == 302
    complaint = cf.only_complaint(session)
    assert complaint.state == "decided" and complaint.outcome == "founded_special_audit"
    # the founded complaint opened the special audit, awaiting assignment like any case
    from certify.applications.models import Application

    special = session.scalars(select(Application).where(Application.audit_type == "special")).one()
    assert special.state == "accepted"
    assert special.organisation_id == certified["certificate"].organisation_id
    assert complaint.retain_until is not None
    kinds = {n.kind for n in session.scalars(select(Notification))}
    assert {"complaint.received", "complaint.assigned", "complaint.updated",
            "complaint.founded", "complaint.received_ack"} <= kinds  # fmt: skip
    to_complainant = session.scalars(
        select(Notification).where(Notification.to_address == cf.CONTACT)
    ).all()
    assert to_complainant and all(n.kind.startswith("complaint.") for n in to_complainant)
    # the complainant reads the outcome and the handler's message, not the internal note
    tracked = client.post("/concerns/track", data={"code": "x"})
    assert tracked.status_code == 404


def test_the_complainants_contact_never_reaches_the_issp_the_auditor_or_the_public(
    app, client, session, certified, org_id
) -> None:
    complaint, handler = cf.acknowledged(
        app, client, session, certified, name=cf.NAME, contact=cf.CONTACT
    )
    # founded: the non-conformity it opens is what the ISSP and its auditor read of it
    url = f"/complaints/{complaint.public_id}"
    assert handler.post(f"{url}/outcome", data=cf.corrective_action()).status_code == 302
    nc = cf.only_complaint(session).nonconformity
    assert nc is not None
    nc_page = followup_fixtures.nc_url(nc)
    report = f"/applications/{certified['application'].public_id}/report"
    serial = certified["certificate"].serial
    public_pages = [
        "/", f"/registry/{serial}", "/registry", "/registry/export.csv", "/registry/feed.atom",
        f"/api/v1/certificates/{serial}", "/api/v1/certificates", "/concerns/statistics",
        "/api/v1/log/entries?start=0&end=50", f"/verify/{serial}",
    ]  # fmt: skip
    for path in public_pages:
        body = client.get(path).get_data(as_text=True)
        assert cf.CONTACT not in body and cf.NAME not in body, path
    for who in ("issp", "auditor", "reviewer", "admin"):
        viewer = cf.client_for(app, certified[who])
        for path in ("/dashboard", "/notifications", "/appeals", "/complaints",
                     f"/complaints/{complaint.public_id}", "/admin/mail", nc_page, report,
                     f"{report}.pdf",
                     f"/applications/{certified['application'].public_id}"):  # fmt: skip
            response = viewer.get(path)
            body = response.get_data(as_text=True) if not path.endswith(".pdf") else ""
            assert cf.CONTACT not in body and cf.NAME not in body, (who, path)
            assert cf.CONTACT.encode() not in response.data, (who, path)
    # the ISSP reads the non-conformity, never the complaint it came from
    issp_page = cf.client_for(app, certified["issp"]).get(nc_page).get_data(as_text=True)
    assert "placement fee" in issp_page and complaint.public_id not in issp_page
    # nor the audit trail (it is kept for ever) nor any mail to someone else
    for event in session.scalars(select(AuditEvent)):
        assert cf.CONTACT.encode() not in (event.canonical or b"")
    for note in session.scalars(select(Notification)):
        if note.to_address != cf.CONTACT:
            assert cf.CONTACT not in note.body_text and cf.NAME not in note.body_text


def test_the_registry_says_nothing_about_unresolved_complaints(client, certified, org_id) -> None:
    serial = certified["certificate"].serial
    before = client.get(f"/registry/{serial}").get_data(as_text=True)
    cf.raise_concern(client, org_id)
    after = client.get(f"/registry/{serial}").get_data(as_text=True)
    # the time the page shows moves; nothing else may
    assert before.split("as of")[0] == after.split("as of")[0]


def test_the_statistics_count_without_personal_data(app, client, session, org_id) -> None:
    cf.raise_concern(client, org_id, contact=cf.CONTACT)
    cf.raise_concern(client, org_id, category="wages")
    page = client.get("/concerns/statistics").get_data(as_text=True)
    assert "Concerns received</dt><dd>2" in page
    assert cf.CONTACT not in page and "Trainees" not in page
    assert client.get("/concerns/statistics?year=abc").status_code == 400


def test_the_scheduler_reminds_once_then_erases_after_the_retention(
    app, client, session, clock, org_id, certified
) -> None:
    import datetime as dt

    from certify.complaints.duties import (
        erase_expired_complaints,
        remind_unacknowledged_complaints,
    )

    cf.raise_concern(client, org_id, contact=cf.CONTACT)
    later = clock.advance(dt.timedelta(days=6))
    with app.app_context():
        assert remind_unacknowledged_complaints(later) == "1 reminder(s)"
        assert remind_unacknowledged_complaints(later) == "0 reminder(s)"
    complaint = cf.only_complaint(session)
    complaint.state, complaint.outcome = "decided", "unfounded"
    complaint.decided_at = later
    complaint.retain_until = later + dt.timedelta(days=1)
    session.commit()
    with app.app_context():
        assert erase_expired_complaints(later + dt.timedelta(days=2)) == "1 complaint(s) erased"
    complaint = cf.only_complaint(session)
    assert complaint.complainant_contact is None and "erased" in (complaint.description or "")


def test_the_demo_has_an_open_concern_a_founded_one_and_a_decided_appeal(app, session) -> None:
    from certify.applications.models import NonConformity
    from certify.complaints.models import Appeal
    from certify.demo import load_demo

    with app.app_context():
        load_demo(echo=lambda _m: None, session=session)
        load_demo(echo=lambda _m: None, session=session)  # idempotent
    session.expire_all()
    complaints = {c.organisation.legal_name: c for c in session.scalars(select(Complaint)).all()}
    assert sorted(complaints) == ["Accra Insight Hub", "Nairobi DataWorks"]
    complaint = complaints["Nairobi DataWorks"]
    assert complaint.is_open and complaint.handler is not None
    # the founded one opened a minor non-conformity on Accra's certified case
    founded = complaints["Accra Insight Hub"]
    assert founded.outcome == "founded_corrective_action" and not founded.is_open
    nc = session.get(NonConformity, founded.nonconformity_id)
    assert nc is not None and (nc.grade, nc.criterion_id, nc.status) == ("minor", "FW-7", "open")
    assert nc.application.organisation_id == founded.organisation_id
    appeal = cf.only_appeal(session)
    assert appeal.organisation.legal_name == "Himal Digital" and appeal.state == "decided"
    assert appeal.decider is not None and appeal.decider.public_id not in appeal.involved
    assert appeal.certificate is not None and appeal.certificate.status == "suspended"
    assert session.scalars(select(Appeal)).all() == [appeal]
