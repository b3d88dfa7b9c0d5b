"""Applications: the ISSP's side, review, assignment with conflicts of interest, evidence."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from certify.applications.models import Application, Evidence
from certify.audit.models import AuditEvent
from certify.core.actor import Actor
from certify.standards.operations import newest_rubric_in_effect
from tests.web.conftest import login

#: The submit form's two boxes: the attestation and the certification agreement.
SUBMIT = {"attest": "y", "agree": "y"}

SCOPE = {
    "services": "Data entry and transcription",
    "headcount": "120",
    "impact_headcount": "80",
    "impact_groups": ["Youth from slums or informal settlements"],
    "contact_name": "Grace",
    "contact_email": "grace@example.org",
    "contact_phone": "",
}


def _number_value(criterion) -> str:
    """A value in the top band of *criterion*'s first basis."""
    band = criterion.bases[0].bands[-1]
    return str(band.lower + (1 if not band.lower_inclusive else 0))


def form_answers(rubric, section) -> dict[str, object]:
    """Form fields answering every criterion of *section* well."""
    data: dict[str, object] = {}
    for c in section.criteria:
        p = "c_" + c.id.replace("-", "_")
        if c.kind == "gate":
            data[p + "_value"] = "yes"
        elif c.kind == "level":
            data[p + "_value"] = "3"
        else:
            data[p + "_value"] = _number_value(c)
            if len(c.bases) > 1:
                data[p + "_basis"] = c.bases[0].id
    return data


def _pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(100, 750, "Hiring policy")
    pdf.save()
    return buffer.getvalue()


@pytest.fixture
def rubric(app):
    with app.app_context():
        import datetime as dt

        return newest_rubric_in_effect(dt.date.today())


@pytest.fixture
def applicant(client, login_as):
    return login_as("issp", org_name="Kibera Keystrokes")


def start(client) -> str:
    response = client.post("/applications/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    return re.search(r"/applications/([^/]+)/scope", response.headers["Location"]).group(1)


def complete(client, session, rubric, public_id) -> None:
    application = session.scalar(select(Application).where(Application.public_id == public_id))
    scope = {**SCOPE, "sites": application.scope_site_ids}
    assert client.post(f"/applications/{public_id}/scope", data=scope).status_code == 302
    for section in rubric.sections:
        response = client.post(
            f"/applications/{public_id}/self-assessment/{section.id}",
            data=form_answers(rubric, section),
        )
        assert response.status_code == 302, response.get_data(as_text=True)


def test_start_pins_the_newest_version_and_hash(client, applicant, session, rubric) -> None:
    public_id = start(client)
    application = session.scalar(select(Application).where(Application.public_id == public_id))
    assert (application.standard_id, application.standard_version) == (rubric.id, rubric.version)
    assert application.standard_sha256 == rubric.sha256
    assert application.state == "draft"
    assert client.post("/applications/new").status_code == 302  # a second one is refused…
    assert (
        session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.organisation_id == applicant.organisation_id)
        )
        == 1
    )


def test_bad_scope_keeps_what_was_typed(client, applicant) -> None:
    public_id = start(client)
    response = client.post(
        f"/applications/{public_id}/scope", data={**SCOPE, "headcount": "ten", "sites": []}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Data entry and transcription" in body
    assert "Choose at least one site" in body


def test_bad_answers_are_refused_listing_each_and_nothing_is_saved(
    client, applicant, session, rubric
) -> None:
    public_id = start(client)
    section = rubric.sections[0]
    data = form_answers(rubric, section)
    data["c_IH_2_value"] = "150"  # a percentage over 100
    data["c_IH_4_value"] = "9"  # not a level
    response = client.post(f"/applications/{public_id}/self-assessment/{section.id}", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="150"' in body  # what was typed is still there
    application = session.scalar(select(Application).where(Application.public_id == public_id))
    assert application.answers == []


def test_submit_needs_every_criterion(client, applicant, session, rubric) -> None:
    public_id = start(client)
    client.post(f"/applications/{public_id}/submit", data=SUBMIT)
    page = client.get(f"/applications/{public_id}").get_data(as_text=True)
    assert "Before submitting" in page and "IH-1" in page
    application = session.scalar(select(Application).where(Application.public_id == public_id))
    assert application.state == "draft"


def test_the_whole_review_and_assignment_path(
    app, client, applicant, create_user, session, rubric
) -> None:
    public_id = start(client)
    complete(client, session, rubric, public_id)
    assert client.post(f"/applications/{public_id}/submit", data=SUBMIT).status_code == 302
    admin, auditor, reviewer = (
        create_user("admin"),
        create_user("auditor"),
        create_user("reviewer"),
    )
    staff = app.test_client()
    login(staff, admin)
    assert "Kibera Keystrokes" in staff.get("/dashboard").get_data(as_text=True)
    staff.post(f"/applications/{public_id}/return", data={"reason": "Add the Mombasa site."})
    page = client.get(f"/applications/{public_id}").get_data(as_text=True)
    assert "Add the Mombasa site." in page
    assert client.post(f"/applications/{public_id}/submit", data=SUBMIT).status_code == 302
    assert staff.post(f"/applications/{public_id}/accept").status_code == 302

    same = staff.post(
        f"/applications/{public_id}/assign",
        data={"auditor": auditor.public_id, "reviewer": auditor.public_id},
    )
    assert same.status_code == 400  # the same person as auditor and reviewer: refused
    assert (
        session.scalar(select(Application.state).where(Application.public_id == public_id))
        == "accepted"
    )
    assert (
        staff.post(
            f"/applications/{public_id}/assign",
            data={"auditor": auditor.public_id, "reviewer": reviewer.public_id},
        ).status_code
        == 302
    )

    auditor_client, reviewer_client = app.test_client(), app.test_client()
    login(auditor_client, auditor)
    login(reviewer_client, reviewer)
    # before declaring, the case's pages send the assignee to the declaration, saying why
    assert auditor_client.get(f"/applications/{public_id}").status_code == 302
    waiting = auditor_client.get(f"/applications/{public_id}/assessment")
    assert waiting.status_code == 302
    assert waiting.headers["Location"].endswith(f"/applications/{public_id}/declaration")
    told = auditor_client.get(waiting.headers["Location"]).get_data(as_text=True)
    assert "Declare first whether you have a conflict of interest" in told
    assert auditor_client.get(f"/applications/{public_id}/declaration").status_code == 200
    assert (
        auditor_client.post(
            f"/applications/{public_id}/declaration", data={"has_conflict": "no"}
        ).status_code
        == 302
    )
    assert (
        reviewer_client.post(
            f"/applications/{public_id}/declaration", data={"has_conflict": "no"}
        ).status_code
        == 302
    )
    assert (
        session.scalar(select(Application.state).where(Application.public_id == public_id))
        == "in_audit"
    )
    assert "Kibera Keystrokes" in auditor_client.get(f"/applications/{public_id}").get_data(
        as_text=True
    )
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == public_id).order_by(AuditEvent.seq)
    ).all()
    assert actions[-1] == "application.start_audit"
    history = client.get(f"/applications/{public_id}").get_data(as_text=True)
    assert "Returned to the applicant" in history and "Add the Mombasa site." in history
    assert "return_to_applicant" not in history and "user:" not in history


def _accepted_case(app, client, applicant, create_user, session, rubric):
    public_id = start(client)
    complete(client, session, rubric, public_id)
    client.post(f"/applications/{public_id}/submit", data=SUBMIT)
    admin = app.test_client()
    login(admin, create_user("admin"))
    admin.post(f"/applications/{public_id}/accept")
    return public_id, admin


def test_registered_conflict_refuses_assignment(
    app, client, applicant, create_user, session, rubric
) -> None:
    public_id, admin = _accepted_case(app, client, applicant, create_user, session, rubric)
    auditor, reviewer = create_user("auditor"), create_user("reviewer")
    auditor_client = app.test_client()
    login(auditor_client, auditor)
    assert (
        auditor_client.post(
            "/conflicts",
            data={
                "organisation": applicant.organisation.public_id,
                "relationship": "Advised on their hiring policy",
                "ended_on": "2026-01-31",
            },
        ).status_code
        == 302
    )
    refused = admin.post(
        f"/applications/{public_id}/assign",
        data={"auditor": auditor.public_id, "reviewer": reviewer.public_id},
    )
    assert refused.status_code == 400
    assert "conflict-of-interest register" in refused.get_data(as_text=True)
    assert (
        session.scalar(select(Application.state).where(Application.public_id == public_id))
        == "accepted"
    )


def test_a_declared_conflict_sends_the_case_back(
    app, client, applicant, create_user, session, rubric
) -> None:
    public_id, admin = _accepted_case(app, client, applicant, create_user, session, rubric)
    auditor, reviewer = create_user("auditor"), create_user("reviewer")
    admin.post(
        f"/applications/{public_id}/assign",
        data={"auditor": auditor.public_id, "reviewer": reviewer.public_id},
    )
    c = app.test_client()
    login(c, auditor)
    assert (
        c.post(
            f"/applications/{public_id}/declaration",
            data={"has_conflict": "yes", "statement": "My sister works there"},
        ).status_code
        == 302
    )
    application = session.scalar(select(Application).where(Application.public_id == public_id))
    session.refresh(application)
    assert application.state == "accepted" and application.auditor_id is None
    assert c.get(f"/applications/{public_id}").status_code == 404
    # The admins are told to assign someone else, with the link to do it.
    from certify.notifications.models import Notification

    told = session.scalars(select(Notification).where(Notification.kind == "case.released")).all()
    assert told and all(n.to_address != auditor.email for n in told)
    assert f"{auditor.full_name}, assigned as auditor" in told[0].body_text
    assert told[0].link == f"/applications/{public_id}/assign"

    # The declaration is in the auditor's register for that organisation...
    register = c.get("/conflicts").get_data(as_text=True)
    assert "My sister works there" in register and "Kibera Keystrokes" in register
    # ...the assignment page names it and marks the person...
    page = admin.get(f"/applications/{public_id}/assign").get_data(as_text=True)
    assert "Conflicts on record with Kibera Keystrokes" in page and "My sister works there" in page
    assert f"{auditor.full_name} (conflict on record: cannot be chosen)" in page
    # ...and the same person cannot be assigned to the case again.
    again = admin.post(
        f"/applications/{public_id}/assign",
        data={"auditor": auditor.public_id, "reviewer": reviewer.public_id},
    )
    assert again.status_code == 400
    assert "My sister works there" in again.get_data(as_text=True)
    session.refresh(application)
    assert application.state == "accepted" and application.auditor_id is None


def test_other_organisations_see_nothing(
    app, client, applicant, create_user, session, rubric
) -> None:
    public_id = start(client)
    other = app.test_client()
    login(other, create_user("issp"))
    for method, path in [
        ("GET", f"/applications/{public_id}"),
        ("GET", f"/applications/{public_id}/scope"),
        ("POST", f"/applications/{public_id}/scope"),
        ("GET", f"/applications/{public_id}/self-assessment/IH"),
        ("POST", f"/applications/{public_id}/self-assessment/IH"),
        ("GET", f"/applications/{public_id}/evidence"),
        ("POST", f"/applications/{public_id}/evidence"),
        ("POST", f"/applications/{public_id}/submit"),
        ("POST", f"/applications/{public_id}/withdraw"),
    ]:
        assert other.open(path, method=method, data={"reason": "x"}).status_code == 404, path
    # an unassigned auditor does not see it either
    stranger = app.test_client()
    login(stranger, create_user("auditor"))
    assert stranger.get(f"/applications/{public_id}").status_code == 404
    assert stranger.get(f"/applications/{public_id}/declaration").status_code == 404


def _upload(client, public_id, data: bytes, name: str, criterion: str = ""):
    return client.post(
        f"/applications/{public_id}/evidence",
        data={"file": (io.BytesIO(data), name), "criterion": criterion, "description": "policy"},
        content_type="multipart/form-data",
    )


def _blobs(app) -> list:
    import pathlib

    root = pathlib.Path(app.config["EVIDENCE_DIR"])
    if not root.exists():
        return []
    # the evidence itself, not its wrapped data keys (keys/..., certify.storage.encrypted)
    return [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "keys"]


def test_evidence_upload_download_and_dedup(app, client, applicant, session) -> None:
    public_id = start(client)
    pdf = _pdf_bytes()
    assert _upload(client, public_id, pdf, "policy.pdf", "IH-1").status_code == 302
    assert _upload(client, public_id, pdf, "policy-copy.pdf", "IH-2").status_code == 302
    assert len(_blobs(app)) == 1  # one stored file for the same bytes
    evidence = session.scalars(select(Evidence)).all()
    assert len(evidence) == 2
    response = client.get(f"/applications/{public_id}/evidence/{evidence[0].public_id}")
    body = response.get_data()
    response.close()  # the file is streamed from the store
    assert response.status_code == 200 and body == pdf
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "policy.pdf", "program"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "policy.pdf", "program"),
        (b"", "empty.pdf", "empty"),
    ],
)
def test_bad_evidence_leaves_nothing_behind(
    app, client, applicant, session, data, name, message
) -> None:
    public_id = start(client)
    response = _upload(client, public_id, data, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).lower()
    assert _blobs(app) == []
    assert session.scalar(select(func.count()).select_from(Evidence)) == 0


# A quarter MB keeps the test upload under Werkzeug's 500 KB spooling threshold.
@pytest.mark.parametrize("app_config", [{"MAX_UPLOAD_MB": 0.25}])
def test_evidence_over_the_limit_is_refused(app, client, applicant, session) -> None:
    public_id = start(client)
    limit = 256 * 1024
    assert _upload(client, public_id, b"a,b\n" * (limit // 4), "exact.csv").status_code == 302
    response = _upload(client, public_id, b"a,b\n" * (limit // 4) + b"x", "big.csv")
    assert response.status_code == 400
    assert "larger than the 256 KB limit" in response.get_data(as_text=True)
    assert len(_blobs(app)) == 1  # only the file of exactly the limit
    assert session.scalar(select(func.count()).select_from(Evidence)) == 1


def test_withdraw(client, applicant, session) -> None:
    public_id = start(client)
    assert (
        client.post(
            f"/applications/{public_id}/withdraw", data={"reason": "Not ready this year"}
        ).status_code
        == 302
    )
    assert (
        session.scalar(select(Application.state).where(Application.public_id == public_id))
        == "withdrawn"
    )


def test_text_evidence_is_served_with_one_charset(app, client, applicant, session) -> None:
    public_id = start(client)
    notes = b"Grievance log, 12 entries\nRecorded in Swahili and English\n"
    assert _upload(client, public_id, notes, "notes.txt", "FW-7").status_code == 302
    evidence = session.scalars(select(Evidence)).one()
    response = client.get(f"/applications/{public_id}/evidence/{evidence.public_id}")
    response.close()
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_the_sweep_removes_only_old_unreferenced_files(app, client, applicant, session) -> None:
    import datetime as dt
    import os

    from certify.applications.web import evidence_store
    from certify.evidence.operations import sweep_evidence_store

    public_id = start(client)
    assert _upload(client, public_id, _pdf_bytes(), "policy.pdf").status_code == 302
    kept = session.scalars(select(Evidence)).one().sha256
    with app.test_request_context():
        store = evidence_store()
        # a crash after storing, before the database write: a blob no row names
        orphan = store.put(io.BytesIO(b"payslips, never recorded\n"), "payslips.txt").sha256
        young = store.put(io.BytesIO(b"an upload still running\n"), "running.txt").sha256
        stale_temp = store.temp_dir / "upload-leftover.part"
        stale_temp.write_bytes(b"half")
        day_old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)).timestamp()
        for path in (store.path(orphan), store.path(kept), stale_temp):
            os.utime(path, (day_old, day_old))
        listed = sweep_evidence_store(
            session, store, Actor.cli("t"), now=dt.datetime.now(dt.UTC), apply=False
        )
        assert listed.orphans == [orphan] and store.exists(orphan)
        sweep = sweep_evidence_store(session, store, Actor.cli("t"), now=dt.datetime.now(dt.UTC))
        session.commit()
        assert sweep.orphans == [orphan] and sweep.temp_files == 1
        assert not store.exists(orphan) and not stale_temp.exists()
        assert store.exists(kept) and store.exists(young)  # named by a row; too young
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.swept")).one()
    assert orphan in event.after


def test_the_evidence_sweep_command_lists_then_removes(app, client, applicant) -> None:
    import datetime as dt
    import os

    from certify.applications.web import evidence_store

    start(client)
    with app.test_request_context():
        store = evidence_store()
        orphan = store.put(io.BytesIO(b"left behind by a crash\n"), "x.txt").sha256
        day_old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).timestamp()
        os.utime(store.path(orphan), (day_old, day_old))
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["evidence", "sweep"])
    assert listed.exit_code == 0 and f"{orphan}  unreferenced" in listed.output
    removed = runner.invoke(args=["evidence", "sweep", "--apply"])
    assert removed.exit_code == 0 and "removed 1 unreferenced file(s)" in removed.output
    with app.test_request_context():
        assert not evidence_store().exists(orphan)


def test_a_pdf_with_javascript_is_stored_with_a_warning_for_the_auditor(
    app, client, applicant, session
) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter(stream_xrefs=True)
    action = generic.DictionaryObject(
        {
            generic.NameObject("/S"): generic.NameObject("/JavaScript"),
            generic.NameObject("/JS"): generic.TextStringObject("app.launchURL('http://x')"),
        }
    )
    # hidden in a compressed object stream: a scan of the raw bytes would miss it
    stream = writer.prepare_object_stream()
    writer.root[generic.NameObject("/OpenAction")] = writer.add_object(action, obj_stream=stream)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    assert b"/JavaScript" not in out.getvalue()
    public_id = start(client)
    assert _upload(client, public_id, out.getvalue(), "form.pdf", "IH-1").status_code == 302
    evidence = session.scalars(select(Evidence)).one()
    assert any("JavaScript" in w for w in evidence.warnings)
    page = client.get(f"/applications/{public_id}/evidence").get_data(as_text=True)
    assert "Before you open it:" in page and "JavaScript" in page
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.evidence_added")
    ).one()
    assert "JavaScript" in event.after


def test_an_image_that_is_also_a_web_page_is_flagged(app, client, applicant, session) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    png += chunk(b"tEXt", b"c\x00<html><script>alert(document.cookie)</script></html>")
    png += chunk(b"IEND", b"")
    public_id = start(client)
    assert _upload(client, public_id, png, "photo.png").status_code == 302
    evidence = session.scalars(select(Evidence)).one()
    assert any("web page" in w for w in evidence.warnings)


def test_submitting_needs_the_attestation_and_the_agreement_and_records_both(
    app, client, applicant, session, rubric
) -> None:
    public_id = start(client)
    complete(client, session, rubric, public_id)
    page = client.get(f"/applications/{public_id}").get_data(as_text=True)
    assert "Certification agreement" in page and "version 2026-1" in page
    assert "private interviews with workers" in page  # the agreement's text, from the settings
    for data, missing in [
        ({}, ["Confirm that the application is true.", "Accept the certification agreement"]),
        ({"attest": "y"}, ["Accept the certification agreement"]),
        ({"agree": "y"}, ["Confirm that the application is true."]),
    ]:
        response = client.post(f"/applications/{public_id}/submit", data=data)
        assert response.status_code == 302
        shown = client.get(response.headers["Location"]).get_data(as_text=True)
        assert all(m in shown for m in missing), data
        application = session.scalar(select(Application).where(Application.public_id == public_id))
        assert application.state == "draft" and application.agreement_version is None

    assert client.post(f"/applications/{public_id}/submit", data=SUBMIT).status_code == 302
    session.expire_all()
    application = session.scalar(select(Application).where(Application.public_id == public_id))
    with app.app_context():
        from certify.applications.web import agreement

        expected = agreement()
    assert application.state == "submitted"
    assert application.agreement_version == "2026-1"
    assert application.agreement_sha256 == expected.sha256
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.submit")
    ).one()
    assert json.loads(event.after)["agreement_sha256"] == expected.sha256
    page = client.get(f"/applications/{public_id}").get_data(as_text=True)
    assert "Certification agreement version 2026-1 accepted" in page


def test_criteria_without_evidence_are_named_to_the_applicant_and_the_admin(
    app, client, applicant, create_user, session, rubric
) -> None:
    public_id = start(client)
    complete(client, session, rubric, public_id)
    asking = [c for c in rubric.criteria if c.evidence]
    assert len(asking) > 2
    before = client.get(f"/applications/{public_id}").get_data(as_text=True)
    assert f"{len(asking)} criteria ask for evidence" in before
    assert f"{asking[0].id} {asking[0].title}" in before
    assert _upload(client, public_id, _pdf_bytes(), "policy.pdf", asking[0].id).status_code == 302
    after = client.get(f"/applications/{public_id}").get_data(as_text=True)
    assert f"{len(asking) - 1} criteria ask for evidence" in after
    warning = after.split('id="without-evidence"', 1)[1].split("</div>", 1)[0]
    assert f"{asking[0].id} {asking[0].title}" not in warning
    assert "upload evidence" in warning  # what to do next
    assert client.post(f"/applications/{public_id}/submit", data=SUBMIT).status_code == 302

    admin = app.test_client()
    login(admin, create_user("admin"))
    seen = admin.get(f"/applications/{public_id}").get_data(as_text=True)
    assert f"{len(asking) - 1} criteria ask for evidence" in seen
    assert "ask for what is missing before accepting" in seen


def test_after_submitting_the_dashboard_says_where_the_application_is_and_what_comes_next(
    client, applicant, session, rubric
) -> None:
    public_id = start(client)
    complete(client, session, rubric, public_id)
    draft = client.get("/dashboard").get_data(as_text=True)
    assert "Your application is a draft." in draft and "Your applications" not in draft
    assert client.post(f"/applications/{public_id}/submit", data=SUBMIT).status_code == 302
    board = client.get("/dashboard").get_data(as_text=True)
    assert "Your applications" in board
    followed = board.split('id="applications-title"', 1)[1].split("</section>", 1)[0]
    assert f"/applications/{public_id}" in followed
    assert "Submitted, awaiting review" in followed
    assert "The certification body is reviewing your application" in followed


def test_a_percentage_may_be_typed_with_its_sign_and_errors_name_the_criterion_once(
    client, applicant, session, rubric
) -> None:
    public_id = start(client)
    section = rubric.sections[0]
    url = f"/applications/{public_id}/self-assessment/{section.id}"
    for typed in ("65%", "65 %", " 65,0 % "):
        data = {**form_answers(rubric, section), "c_IH_2_value": typed}
        assert client.post(url, data=data).status_code == 302, typed
        session.expire_all()
        application = session.scalar(select(Application).where(Application.public_id == public_id))
        assert str(application.answer_map()["IH-2"]["value"]) in ("65", "65.0"), typed
    bad = client.post(url, data={**form_answers(rubric, section), "c_IH_2_value": "sixty%"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400
    summary = body.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    assert "IH-2 needs a number" in summary and "IH-2: IH-2" not in summary
