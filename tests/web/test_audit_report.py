"""The audit report after the decision: the page and the signed PDF, for the ISSP and staff,
never with an auditor-only note; the Lagos demo case end to end."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from certify.accounts.models import Organisation, User
from certify.applications import assessment as assessment_ops
from certify.applications.models import Application
from certify.certificates.keys import get_keystore
from certify.core.pdf.validation import validate_pdf
from certify.core.rubric.samples import sample_answers
from certify.followup.report import REPORT_ATTACHMENT
from tests.core.tools import make_nss_db, pdfsig, require_tool, run
from tests.web.conftest import login
from tests.web.followup_fixtures import client_for
from tests.web.test_applications import form_answers
from tests.web.test_concurrency import _build_case

FINDING = "Payroll sample of 12 workers checked: wages paid on time."
PRIVATE = "PRIVATE-NOTE: the HR manager was nervous about the March sample."


@pytest.fixture
def audited(app, session) -> dict:
    """A case whose auditor wrote a finding and an auditor-only note on every criterion and
    submitted the audit; not decided yet."""
    with app.app_context():
        case = _build_case(session, "in_audit")
        application = session.get(Application, case["pk"])
        auditor = session.scalar(select(User).where(User.email == case["auditor"]))
        answers = sample_answers(case["rubric"], 3)
        for section in case["rubric"].sections:
            inputs = {
                c.id: assessment_ops.CriterionInput(answers[c.id], FINDING, [], PRIVATE)
                for c in section.criteria
            }
            assessment_ops.save_assessment_section(
                session, application, auditor, case["rubric"], section.id, inputs, 0
            )
        assessment_ops.submit_assessment(session, application, auditor, case["rubric"])
        session.commit()
    people = {
        r: session.scalar(select(User).where(User.email == case[r]))
        for r in ("admin", "auditor", "reviewer")
    }
    issp = session.scalar(select(User).where(User.organisation_id == application.organisation_id))
    return {"application": application, "issp": issp, **people}


def _decide(app, case) -> None:
    reviewer = client_for(app, case["reviewer"])
    response = reviewer.post(
        f"/applications/{case['application'].public_id}/review",
        data={"outcome": "certify", "reasons": "Strong audit; every gate passed."},
    )
    assert response.status_code == 302


def _pdf_text(tmp_path, pdf: bytes) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    result = run([require_tool("pdftotext"), "-layout", str(path), "-"])
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_issp_sees_its_report_only_after_the_decision(app, session, audited) -> None:
    issp = client_for(app, audited["issp"])
    url = f"/applications/{audited['application'].public_id}/report"
    assert issp.get(url).status_code == 404
    assert issp.get(url + ".pdf").status_code == 404
    _decide(app, audited)
    page = issp.get(url)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This is an audit report, not a certificate" in body
    assert "Strong audit; every gate passed." in body  # the reviewer's reasons
    assert FINDING in body and "FW-7 Grievance channel" in body
    assert PRIVATE not in body and "PRIVATE-NOTE" not in body
    # staff read the auditor-only notes where staff work, marked as such
    review = client_for(app, audited["reviewer"]).get(
        f"/applications/{audited['application'].public_id}/review"
    )
    assert "Auditor-only:</em> " + PRIVATE.replace("'", "&#39;") in review.get_data(as_text=True)


def test_the_signed_pdf_is_genuine_says_it_is_no_certificate_and_hides_private_notes(
    app, session, audited, tmp_path
) -> None:
    _decide(app, audited)
    issp = client_for(app, audited["issp"])
    response = issp.get(f"/applications/{audited['application'].public_id}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = response.get_data()
    with app.app_context():
        keys = get_keystore()
        result = validate_pdf(
            pdf, [keys.root_cert], signing_certificates=[s.certificate for s in keys.signing_certs]
        )
        root_pem = keys.root_pem
    assert result.ok, result.errors
    embedded = json.loads(result.embedded_files[REPORT_ATTACHMENT])
    assert embedded["type"] == "audit_report" and embedded["certificate"]["status"] == "active"
    assert PRIVATE not in json.dumps(embedded)
    text = _pdf_text(tmp_path, pdf)
    assert "not a certificate" in text and "Payroll sample of 12 workers" in text
    assert "PRIVATE-NOTE" not in text
    (tmp_path / "report.pdf").write_bytes(pdf)
    checked = pdfsig(make_nss_db(tmp_path / "nss", root_pem), tmp_path / "report.pdf")
    assert checked.ok, checked.output
    # a verifier is never fooled into calling an audit report a valid certificate
    verdict = app.test_client().post(
        "/api/v1/verify",
        data={"file": (io.BytesIO(pdf), "report.pdf")},
        content_type="multipart/form-data",
    )
    assert verdict.json["verdict"] != "valid"


def test_another_organisation_and_an_unassigned_auditor_see_no_report(
    app, session, audited, create_user
) -> None:
    _decide(app, audited)
    url = f"/applications/{audited['application'].public_id}/report"
    for role in ("issp", "auditor"):
        stranger = app.test_client()
        assert login(stranger, create_user(role)).status_code == 302
        assert stranger.get(url).status_code == 404
        assert stranger.get(url + ".pdf").status_code == 404
    assert client_for(app, audited["admin"]).get(url).status_code == 200


def test_the_lagos_demo_case_shows_its_report_to_its_member_after_the_decision(
    app, session, tmp_path
) -> None:
    from certify.demo import DEMO_FINDING, DEMO_PRIVATE_NOTE, ISSP_PASSWORD, load_demo

    with app.app_context():
        load_demo(echo=lambda _m: None, session=session)
    lagos = session.scalar(
        select(Application)
        .join(Organisation)
        .where(Organisation.legal_name == "Lagos Data Collective")
    )
    assert lagos.state == "in_audit"
    _the_demo_shows_the_followup(session)
    auditor, reviewer, member = app.test_client(), app.test_client(), app.test_client()
    assert login(auditor, "auditor1@demo.certify.test", "demo-auditor-2026").status_code == 302
    assert login(reviewer, "reviewer1@demo.certify.test", "demo-reviewer-2026").status_code == 302
    assert login(member, "tunde@lagos-datacollective.demo", ISSP_PASSWORD).status_code == 302
    url = f"/applications/{lagos.public_id}"
    assert member.get(url + "/report").status_code == 404  # not decided yet
    assert auditor.post(url + "/assessment/submit").status_code == 302
    decided = reviewer.post(
        url + "/review", data={"outcome": "certify", "reasons": "Certified; FW-7 to follow up."}
    )
    assert decided.status_code == 302
    assert "Read the audit report" in member.get(url).get_data(as_text=True)
    page = member.get(url + "/report").get_data(as_text=True)
    assert "Minor" in page and "FW-7" in page and DEMO_FINDING in page
    assert DEMO_PRIVATE_NOTE not in page
    pdf = member.get(url + "/report.pdf").get_data()
    text = _pdf_text(tmp_path, pdf)
    assert "FW-7" in text and "Lagos Data Collective" in text
    assert "Auditor-only" not in text and "working papers" not in text


def test_findings_and_auditor_only_notes_are_saved_apart_from_the_form(app, session):
    with app.app_context():
        case = _build_case(session, "in_audit")
    auditor = app.test_client()
    assert login(auditor, case["auditor"]).status_code == 302
    section = case["rubric"].sections[0]
    first = section.criteria[0].id.replace("-", "_")
    response = auditor.post(
        f"/applications/{case['id']}/assessment/{section.id}",
        data={
            **form_answers(case["rubric"], section),
            "version": "0",
            "action": "save",
            f"c_{first}_notes": "Seen the policy.",
            f"c_{first}_private": "Owner seemed unsure.",
        },
    )
    assert response.status_code == 302
    application = session.get(Application, case["pk"])
    row = assessment_ops.audit_answers(session, application)[section.criteria[0].id]
    assert (row.notes, row.private_notes) == ("Seen the policy.", "Owner seemed unsure.")
    form = auditor.get(f"/applications/{case['id']}/assessment/{section.id}")
    assert "Auditor-only notes (never shown to the ISSP)" in form.get_data(as_text=True)


def _the_demo_shows_the_followup(session) -> None:
    """RuralShore's major non-conformity has a plan waiting for the auditor; Himal Digital's
    suspension rests on its overdue major non-conformity."""
    from certify.applications.models import NonConformity
    from certify.certificates.models import Certificate, CertificateStatusChange

    def ncs(organisation: str) -> list[NonConformity]:
        return list(
            session.scalars(
                select(NonConformity)
                .join(Application)
                .join(Organisation)
                .where(Organisation.legal_name == organisation, NonConformity.grade == "major")
            )
        )

    (ruralshore,) = ncs("RuralShore Services")
    assert ruralshore.status == "plan_submitted"
    (himal,) = ncs("Himal Digital")
    suspension = session.get(CertificateStatusChange, himal.suspension_id)
    certificate = session.get(Certificate, suspension.certificate_id)
    assert (himal.status, certificate.status) == ("escalated", "suspended")
    assert suspension.reason_category == "major_nonconformity"


def test_without_signing_keys_the_pdf_is_unavailable_not_an_error(app, session, audited) -> None:
    from certify.state import app_state

    _decide(app, audited)
    app.config["KEYS_DIR"] = str(app.config["KEYS_DIR"]) + "-gone"
    app.config["KEYS_AUTO_CREATE"] = False
    app_state(app).caches.keystore.clear()
    response = client_for(app, audited["issp"]).get(
        f"/applications/{audited['application'].public_id}/report.pdf"
    )
    assert response.status_code == 503
    assert "cannot sign audit reports right now" in response.get_data(as_text=True)
