"""The auditor's section form (issue 21): the preview lands on the score, a score line stays
in view, evidence is grouped by criterion with what tells two files apart, changes are
guarded by a same-origin script, and the form is read-only once the audit is submitted."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from certify.accounts.models import User
from certify.applications import assessment as assessment_ops
from certify.applications.assignment import assign_case, declare_conflict
from certify.applications.evidence import add_evidence
from certify.applications.operations import (
    ScopeData,
    accept_application,
    save_scope,
    save_section_answers,
    start_application,
    submit_application,
)
from certify.standards.operations import get_rubric
from certify.storage.setup import evidence_store
from tests.web.conftest import login
from tests.web.test_applications import form_answers
from tests.web.test_assessment import self_answers


@pytest.fixture
def case(app, session, create_user):
    """A case in audit with two evidence files called notes.txt: one tagged IH-1 with a
    description, one untagged."""
    issp = create_user("issp", org_name="Kisumu Text Works")
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
                "Transcription", 40, 25, ["Women"], "Achieng", "a@example.org", None,
                application.scope_site_ids,
            ),
        )  # fmt: skip
        for section in rubric.sections:
            save_section_answers(
                session, application, issp, rubric, section.id, self_answers(rubric, section)
            )
        store = evidence_store(app)
        add_evidence(
            session, application, issp, store, io.BytesIO(b"Hiring log, March 2026\n" * 40),
            "notes.txt", "IH-1", "Hiring log for the March intake", rubric,
        )  # fmt: skip
        add_evidence(
            session, application, issp, store, io.BytesIO(b"Canteen menu\n"),
            "notes.txt", None, None, rubric,
        )  # fmt: skip
        submit_application(session, application, issp, rubric)
        accept_application(session, application, admin)
        assign_case(session, application, admin, auditor, reviewer, dt.date.today())
        declare_conflict(session, application, auditor, False, "")
        declare_conflict(session, application, reviewer, False, "")
        session.commit()
    return {"application": application, "auditor": auditor, "rubric": rubric}


def _auditor(app, case):
    c = app.test_client()
    assert login(c, case["auditor"]).status_code == 302
    return c


def _url(case, section_id):
    return f"/applications/{case['application'].public_id}/assessment/{section_id}"


def _criterion(body: str, cid: str) -> str:
    return body.split(f'id="criterion-{cid}"', 1)[1].split("</section>", 1)[0]


def test_section_names_a_sticky_score_line_and_a_preview_that_lands_on_the_score(app, case):
    c = _auditor(app, case)
    body = c.get(_url(case, "IH")).get_data(as_text=True)
    # every section is named in the steps, not only by its code
    for section in case["rubric"].sections:
        assert f"{section.id} {section.title} (" in body
    assert 'class="score-sticky"' in body and "0 of 31 criteria answered" in body
    preview = re.search(r'<button[^>]*value="preview"[^>]*>', body).group(0)
    assert f'formaction="{_url(case, "IH")}#score-title"' in preview
    assert 'id="score-title"' in body


def test_evidence_seen_lists_tagged_files_first_with_description_size_and_link(app, case):
    c = _auditor(app, case)
    body = c.get(_url(case, "IH")).get_data(as_text=True)
    tagged_for, elsewhere = _criterion(body, "IH-1"), _criterion(body, "IH-2")
    application = case["application"]
    tagged = next(e for e in application.evidence if e.criterion_id == "IH-1")
    other = next(e for e in application.evidence if e.criterion_id is None)
    # under IH-1: the tagged file first, told apart by its description and size, with a link
    assert tagged_for.index(tagged.public_id) < tagged_for.index("Other files in this case")
    assert "Hiring log for the March intake" in tagged_for
    assert "920 Bytes" in tagged_for and "13 Bytes" in tagged_for
    link = f"/applications/{application.public_id}/evidence/{tagged.public_id}"
    assert f'href="{link}"' in tagged_for
    # under IH-2 nothing is tagged: both files are "other files", and the box is open
    assert "Tagged by the ISSP" not in elsewhere
    assert "<details open>" in elsewhere
    assert tagged.public_id in elsewhere and other.public_id in elsewhere


def test_the_editable_form_is_guarded_by_a_same_origin_script(app, case):
    c = _auditor(app, case)
    response = c.get(_url(case, "IH"))
    body = response.get_data(as_text=True)
    assert "data-unsaved-warning" in body
    assert '<script src="/static/js/unsaved-changes.js" defer></script>' in body
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    script = c.get("/static/js/unsaved-changes.js")
    assert script.status_code == 200 and b"beforeunload" in script.data
    script.close()


def _answer_everything(c, case):
    for section in case["rubric"].sections:
        data = {**form_answers(case["rubric"], section), "version": "0", "action": "save"}
        assert c.post(_url(case, section.id), data=data).status_code == 302


def test_after_submission_the_form_is_read_only_and_a_late_save_changes_nothing(app, case, session):
    c = _auditor(app, case)
    _answer_everything(c, case)
    c.post(_url(case, "IH"), data={"c_IH_1_notes": "Seen the hiring log.", "version": "1",
           **{k: v for k, v in form_answers(case["rubric"], case["rubric"].sections[0]).items()},
           "action": "save"})  # fmt: skip
    public_id = case["application"].public_id
    assert c.post(f"/applications/{public_id}/assessment/submit").status_code == 302

    page = c.get(_url(case, "IH"))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Read-only:" in body
    assert "data-unsaved-warning" not in body and 'value="save"' not in body
    assert "unsaved-changes.js" not in body
    assert "Seen the hiring log." in _criterion(body, "IH-1")

    before = assessment_ops.audit_answers(session, case["application"])["IH-1"].notes
    late = c.post(
        _url(case, "IH"),
        data={**form_answers(case["rubric"], case["rubric"].sections[0]), "version": "2",
              "c_IH_1_notes": "changed after submission", "action": "save"},
    )  # fmt: skip
    assert late.status_code == 409
    assert "can no longer be changed" in late.get_data(as_text=True)
    session.expire_all()
    after = assessment_ops.audit_answers(session, case["application"])["IH-1"].notes
    assert after == before == "Seen the hiring log."
