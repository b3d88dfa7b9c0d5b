"""The auditor's own evidence on a case: uploaded through the evidence store by the case's
auditor, marked as auditor evidence for staff, never shown or served to the holder."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from certify.applications.models import Application, Evidence
from tests.web import cycle_fixtures, followup_fixtures
from tests.web.followup_fixtures import another, client_for

certified = followup_fixtures.certified
cycle_case = cycle_fixtures.cycle_case

NOTE = b"Canteen visited at noon: water and shade as the policy says.\n"


def _surveillance(app, session, clock, case) -> Application:
    due = cycle_fixtures.due_dates(case["certificate"])[0]
    cycle_fixtures.open_on(app, clock, due - dt.timedelta(days=90))
    (opened,) = cycle_fixtures.cases_of(session, case["certificate"])
    cycle_fixtures.assign(app, session, opened, case)
    return opened


def _upload(client, public_id: str, data: bytes = NOTE, name: str = "visit-notes.txt"):
    return client.post(
        f"/applications/{public_id}/audit-evidence",
        data={"file": (io.BytesIO(data), name), "criterion": "FW-4", "description": "Notes"},
        content_type="multipart/form-data",
    )


def test_the_auditor_uploads_their_own_evidence_and_staff_see_it_marked(
    app, session, clock, cycle_case
) -> None:
    case = _surveillance(app, session, clock, cycle_case)
    auditor = client_for(app, cycle_case["auditor"])
    assert _upload(auditor, case.public_id).status_code == 302
    session.expire_all()
    (row,) = session.scalars(select(Evidence).where(Evidence.application_id == case.id))
    assert row.by_auditor and row.criterion_id == "FW-4"
    (event,) = cycle_fixtures.events(session, "application.auditor_evidence_added")
    assert event.actor == f"user:{cycle_case['auditor'].public_id}"
    reviewer = client_for(app, cycle_case["reviewer"])
    listed = reviewer.get(f"/applications/{case.public_id}/audit-evidence")
    assert listed.status_code == 200 and "visit-notes.txt" in listed.get_data(as_text=True)
    assert "Upload auditor evidence" not in listed.get_data(as_text=True)
    assert _upload(reviewer, case.public_id).status_code == 403  # the auditor's own
    admin_page = client_for(app, cycle_case["admin"]).get(f"/applications/{case.public_id}")
    assert "Auditor evidence</strong>" in admin_page.get_data(as_text=True)
    download = reviewer.get(f"/applications/{case.public_id}/evidence/{row.public_id}")
    assert download.status_code == 200 and download.data == NOTE


def test_the_holder_never_sees_or_fetches_auditor_evidence(app, session, clock, cycle_case):
    case = _surveillance(app, session, clock, cycle_case)
    assert _upload(client_for(app, cycle_case["auditor"]), case.public_id).status_code == 302
    row = session.scalar(select(Evidence).where(Evidence.application_id == case.id))
    holder = client_for(app, cycle_case["issp"])
    page = holder.get(f"/applications/{case.public_id}").get_data(as_text=True)
    assert "visit-notes.txt" not in page and "Auditor evidence" not in page
    assert holder.get(f"/applications/{case.public_id}/evidence/{row.public_id}").status_code == 404
    assert holder.get(f"/applications/{case.public_id}/audit-evidence").status_code == 403
    stranger = client_for(app, another(app, session, "auditor"))
    assert stranger.get(f"/applications/{case.public_id}/audit-evidence").status_code == 404


def test_a_bad_file_is_refused_with_a_message_and_nothing_is_kept(
    app, session, clock, cycle_case
) -> None:
    case = _surveillance(app, session, clock, cycle_case)
    refused = _upload(
        client_for(app, cycle_case["auditor"]), case.public_id, b"MZ\x90\x00binary", "x.exe"
    )
    assert refused.status_code == 400
    assert session.scalar(select(Evidence).where(Evidence.application_id == case.id)) is None
