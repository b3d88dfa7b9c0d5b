"""The auditor's assessment and the reviewer's decision."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from certify.accounts.models import User
from certify.applications import assessment as assessment_ops
from certify.applications.assignment import assign_case, declare_conflict
from certify.applications.models import Application, Decision
from certify.applications.operations import (
    ScopeData,
    accept_application,
    save_scope,
    save_section_answers,
    start_application,
    submit_application,
)
from certify.certificates.models import Certificate
from certify.core.rubric.samples import sample_answers
from certify.standards.operations import get_rubric
from tests.web.conftest import login
from tests.web.test_applications import form_answers


def self_answers(rubric, section) -> dict:
    ids = {c.id for c in section.criteria}
    return {k: v for k, v in sample_answers(rubric, 2).items() if k in ids}


@pytest.fixture
def case(app, session, create_user):
    """A case in audit: ISSP applied, admin accepted and assigned, both declared."""
    issp = create_user("issp", org_name="Patan Works")
    admin, auditor, reviewer = create_user("admin"), create_user("auditor"), create_user("reviewer")
    with app.app_context():
        issp, admin, auditor, reviewer = (
            session.get(User, u.id) for u in (issp, admin, auditor, reviewer)
        )
        rubric = get_rubric("isrps", "1.0", session=session)
        application = start_application(session, issp, rubric)
        save_scope(
            session,
            application,
            issp,
            ScopeData(
                "Transcription",
                50,
                30,
                ["Refugees or displaced people"],
                "Sita",
                "s@example.org",
                None,
                application.scope_site_ids,
            ),
        )
        for section in rubric.sections:
            save_section_answers(
                session, application, issp, rubric, section.id, self_answers(rubric, section)
            )
        submit_application(session, application, issp, rubric)
        accept_application(session, application, admin)
        assign_case(session, application, admin, auditor, reviewer, dt.date.today())
        declare_conflict(session, application, auditor, False, "")
        declare_conflict(session, application, reviewer, False, "")
        session.commit()
    assert application.state == "in_audit"
    return {
        "application": application,
        "auditor": auditor,
        "reviewer": reviewer,
        "admin": admin,
        "issp": issp,
        "rubric": rubric,
    }


def _client(app, user):
    c = app.test_client()
    assert login(c, user).status_code == 302
    return c


def _section_url(case, section_id):
    return f"/applications/{case['application'].public_id}/assessment/{section_id}"


def _fill_all(app, case, overrides=None):
    c = _client(app, case["auditor"])
    for section in case["rubric"].sections:
        data = {**form_answers(case["rubric"], section), "version": "0", "action": "save"}
        data.update((overrides or {}).get(section.id, {}))
        response = c.post(_section_url(case, section.id), data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return c


def test_assessment_page_shows_progress_and_score(app, case) -> None:
    c = _client(app, case["auditor"])
    page = c.get(f"/applications/{case['application'].public_id}/assessment")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "0 of 31 criteria answered" in body
    assert "Score so far" in body


def test_preview_scores_without_saving(app, case, session) -> None:
    c = _client(app, case["auditor"])
    section = case["rubric"].sections[0]
    data = {**form_answers(case["rubric"], section), "version": "0", "action": "preview"}
    response = c.post(_section_url(case, section.id), data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Score preview with what you typed (not saved)" in body
    assert assessment_ops.audit_answers(session, case["application"]) == {}


def test_stale_saves_never_overwrite_and_keep_both_versions(app, case, session) -> None:
    section = case["rubric"].sections[1]  # TC
    first, second = _client(app, case["auditor"]), _client(app, case["auditor"])
    assert 'name="version" type="hidden" value="0"' in first.get(
        _section_url(case, section.id)
    ).get_data(as_text=True)
    data = {**form_answers(case["rubric"], section), "version": "0", "action": "save"}
    assert (
        first.post(_section_url(case, section.id), data={**data, "c_TC_1_value": "4"}).status_code
        == 302
    )
    stale = second.post(
        _section_url(case, section.id), data={**data, "c_TC_1_value": "1", "c_TC_1_notes": "mine"}
    )
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "NOT saved" in body
    assert 'value="1" checked' in body or 'checked value="1"' in body or "1: " in body
    assert "mine" in body  # the refused content is still in the form
    saved = assessment_ops.audit_answers(session, case["application"])["TC-1"]
    assert saved.data["value"] == 4  # the first save stands
    # apply mine: the form now carries the current version
    assert 'name="version" type="hidden" value="1"' in body
    again = second.post(
        _section_url(case, section.id), data={**data, "c_TC_1_value": "1", "version": "1"}
    )
    assert again.status_code == 302
    session.expire_all()
    assert assessment_ops.audit_answers(session, case["application"])["TC-1"].data["value"] == 1


def test_submit_needs_every_criterion_and_names_them(app, case, session) -> None:
    c = _client(app, case["auditor"])
    section = case["rubric"].sections[0]
    c.post(
        _section_url(case, section.id),
        data={**form_answers(case["rubric"], section), "version": "0", "action": "save"},
    )
    c.post(f"/applications/{case['application'].public_id}/assessment/submit")
    page = c.get(f"/applications/{case['application'].public_id}/assessment").get_data(as_text=True)
    assert "Still unanswered: TC-1" in page
    assert (
        session.scalar(select(Application.state).where(Application.id == case["application"].id))
        == "in_audit"
    )


def test_nonconformity_due_date_defaults_from_the_rubric(app, case, session) -> None:
    c = _client(app, case["auditor"])
    c.post(
        f"/applications/{case['application'].public_id}/nonconformities",
        data={
            "nc-grade": "major",
            "nc-criterion": "FW-7",
            "nc-description": "No log",
            "nc-corrective_action": "Keep a grievance log",
        },
    )
    nc = assessment_ops.open_nonconformities(session, case["application"])[0]
    assert nc.due_on == dt.date.today() + dt.timedelta(days=90)


def _submit(app, case, overrides=None):
    c = _fill_all(app, case, overrides)
    response = c.post(f"/applications/{case['application'].public_id}/assessment/submit")
    assert response.status_code == 302
    return c


def test_score_preview_submitted_and_review_agree_to_the_cent(app, case, session) -> None:
    auditor = _submit(app, case)
    application = session.get(Application, case["application"].id)
    session.refresh(application)
    submitted = json.loads(application.audit_score)["overall"]
    page = auditor.get(f"/applications/{application.public_id}/assessment").get_data(as_text=True)
    reviewer = _client(app, case["reviewer"])
    review = reviewer.get(f"/applications/{application.public_id}/review").get_data(as_text=True)
    assert f'<span class="figure">{submitted}</span>' in page
    assert f'<span class="figure">{submitted}</span>' in review


def test_reviewer_certifies(app, case, session) -> None:
    _submit(app, case)
    reviewer = _client(app, case["reviewer"])
    response = reviewer.post(
        f"/applications/{case['application'].public_id}/review",
        data={"outcome": "certify", "reasons": "Meets every requirement"},
    )
    assert response.status_code == 302
    application = session.get(Application, case["application"].id)
    session.refresh(application)
    assert application.state == "decided" and application.decision == "certified"
    # The reviewer lands on the case, which names the certificate just issued (not a dashboard
    # saying "no cases are assigned to you").
    assert response.headers["Location"].endswith(f"/applications/{application.public_id}")
    page = reviewer.get(response.headers["Location"]).get_data(as_text=True)
    certificate = session.scalars(
        select(Certificate).where(Certificate.application_id == application.id)
    ).one()
    assert "Certificate issued" in page and f"/registry/{certificate.serial}" in page


def test_reviewer_cannot_certify_a_not_certified_outcome(app, case, session) -> None:
    _submit(app, case, {"FW": {"c_FW_1_value": "no"}})  # a failed gate
    reviewer = _client(app, case["reviewer"])
    response = reviewer.post(
        f"/applications/{case['application'].public_id}/review",
        data={"outcome": "certify", "reasons": "Looks fine"},
    )
    assert response.status_code == 400
    assert "cannot be certified" in response.get_data(as_text=True)
    assert (
        session.scalar(select(Application.state).where(Application.id == case["application"].id))
        == "audit_submitted"
    )
    assert session.scalar(select(func.count()).select_from(Decision)) == 0
    refused = reviewer.post(
        f"/applications/{case['application'].public_id}/review",
        data={"outcome": "refuse", "reasons": "FW-1 fails"},
    )
    assert refused.status_code == 302


def test_the_auditor_cannot_decide_their_own_case(app, case, session) -> None:
    _submit(app, case)
    auditor = _client(app, case["auditor"])
    assert (
        auditor.post(
            f"/applications/{case['application'].public_id}/review",
            data={"outcome": "certify", "reasons": "x"},
        ).status_code
        == 403
    )
    # even if someone later names the auditor as reviewer, the operation refuses
    with app.app_context():
        application = session.get(Application, case["application"].id)
        auditor_user = session.get(User, case["auditor"].id)
        from certify.applications.models import ConflictDeclaration

        # the auditor is swapped out and named reviewer (with a declaration), behind the UI
        application.auditor_id = case["admin"].id
        application.reviewer_id = auditor_user.id
        application.declarations.append(
            ConflictDeclaration(
                user_id=auditor_user.id,
                role="reviewer",
                has_conflict=False,
                statement="none",
                assignment_round=application.assignment_round,
            )
        )
        session.flush()
        with pytest.raises(Exception, match="audited this case"):
            assessment_ops.decide_case(
                session, application, auditor_user, case["rubric"], outcome="certify", reasons="x"
            )
        session.rollback()


def test_return_to_auditor_shows_reasons_and_reopens(app, case, session) -> None:
    auditor = _submit(app, case)
    reviewer = _client(app, case["reviewer"])
    reviewer.post(
        f"/applications/{case['application'].public_id}/review",
        data={"outcome": "return", "reasons": "Check the payroll sample for FW-2"},
    )
    page = auditor.get(f"/applications/{case['application'].public_id}/assessment")
    assert "Check the payroll sample for FW-2" in page.get_data(as_text=True)
    section = case["rubric"].sections[3]
    versions = assessment_ops.section_versions(session, case["application"])
    response = auditor.post(
        _section_url(case, section.id),
        data={
            **form_answers(case["rubric"], section),
            "version": str(versions["FW"].version),
            "action": "save",
        },
    )
    assert response.status_code == 302
    assert (
        session.scalar(select(Application.state).where(Application.id == case["application"].id))
        == "in_audit"
    )


def test_a_failed_issuance_leaves_the_case_undecided(app, case, session, monkeypatch) -> None:
    from certify import lifecycle
    from certify.operations import OperationError

    def broken(*_a, **_k):
        raise OperationError("The signing key could not be loaded.")

    monkeypatch.setattr(lifecycle, "issue_certificate", broken)
    _submit(app, case)
    reviewer = _client(app, case["reviewer"])
    response = reviewer.post(
        f"/applications/{case['application'].public_id}/review",
        data={"outcome": "certify", "reasons": "All good"},
    )
    assert response.status_code == 400
    assert "signing key could not be loaded" in response.get_data(as_text=True)
    assert (
        session.scalar(select(Application.state).where(Application.id == case["application"].id))
        == "audit_submitted"
    )
    assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_dashboards_show_what_is_asked(app, case, session) -> None:
    auditor = _client(app, case["auditor"])
    assert "Next for you:</strong> complete and submit the audit" in auditor.get(
        "/dashboard"
    ).get_data(as_text=True)
    auditor.post(
        f"/applications/{case['application'].public_id}/nonconformities",
        data={
            "nc-grade": "minor",
            "nc-criterion": "GT-2",
            "nc-description": "Late",
            "nc-corrective_action": "Publish",
            "nc-due_on": dt.date.today().isoformat(),
        },
    )
    nc = assessment_ops.open_nonconformities(session, case["application"])[0]
    nc.due_on = dt.date.today() - dt.timedelta(days=1)
    session.commit()
    admin = _client(app, case["admin"])
    page = admin.get("/dashboard").get_data(as_text=True)
    assert "Pipeline" in page and "Audit in progress" in page
    assert "Minor non-conformity at" in page and "Patan Works" in page
    _submit(app, case)
    reviewer = _client(app, case["reviewer"])
    assert "review and decide" in reviewer.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("version", ["abc", "1.5", "-1", "9" * 40, ""])
def test_a_bad_version_in_the_section_form_is_a_400_not_a_500(app, case, session, version):
    c = _client(app, case["auditor"])
    section = case["rubric"].sections[0]
    data = {**form_answers(case["rubric"], section), "version": version, "action": "save"}
    response = c.post(_section_url(case, section.id), data=data)
    assert response.status_code == 400
    assert assessment_ops.audit_answers(session, case["application"]) == {}


def test_the_score_panel_names_each_section(app, case) -> None:
    """The score panel's rows are headed by the sections' titles (they were blank)."""
    c = _client(app, case["auditor"])
    body = c.get(f"/applications/{case['application'].public_id}/assessment").get_data(as_text=True)
    panel = body[body.index('class="section-scores"') :]
    for section in case["rubric"].sections:
        assert f'<th scope="row">{section.title}</th>' in panel
