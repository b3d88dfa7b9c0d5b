"""Two requests changing the same thing at the same moment: exactly one takes effect.

Real concurrent requests: a threaded server in the test process on a database of the test's
own (real commits), two HTTP clients released together by a barrier. On PostgreSQL (CI runs the
suite there too) this is what found a reviewer's double click issuing two certificates, and a
withdrawal racing a suspension ending "suspended"; each state change now reads its row under a
lock. Every race is run several times: on the old code the pairs overlapped every time.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from certify import create_app, lifecycle
from certify.accounts.factors import add_totp
from certify.accounts.models import Role, User
from certify.accounts.operations import SiteData, create_staff_user, register_issp
from certify.applications import assessment as assessment_ops
from certify.applications.assignment import assign_case, declare_conflict
from certify.applications.models import Application, Decision, NonConformity
from certify.applications.nonconformities import add_nonconformity
from certify.applications.operations import (
    ScopeData,
    accept_application,
    save_scope,
    save_section_answers,
    start_application,
    submit_application,
)
from certify.audit.models import AuditEvent
from certify.certificates.models import Certificate, CertificateStatusChange
from certify.config import defaults
from certify.core.actor import Actor
from certify.core.rubric.samples import sample_answers
from certify.db import get_db
from certify.standards.operations import get_rubric
from tests.web.conftest import PASSWORD, TEST_TOTP_SECRET, make_test_config, totp_code_for

ROUNDS = 3


@dataclass
class Live:
    app: Any
    url: str

    def session(self):
        return get_db(self.app).new_session()

    def browser(self, email: str) -> Browser:
        browser = Browser(self.url)
        status, _ = browser.post("/login", {"email": email, "password": PASSWORD})
        assert status == 302
        code = totp_code_for(self.app, email)  # staff who must hold a second factor have one
        if code is not None:
            status, _ = browser.post("/login/second-factor", {"code": code})
            assert status == 302
        return browser


class Browser:
    """A client with its own cookies, speaking HTTP to the live server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def at_once(*posts: tuple[Browser, str, dict[str, str]]) -> list[tuple[int, str]]:
    """POST each ``(browser, path, data)`` from its own thread, all released together;
    the ``(status, body)`` answers in order."""
    barrier = threading.Barrier(len(posts))
    results: list[Any] = [None] * len(posts)

    def run(position: int, browser: Browser, path: str, data: dict[str, str]) -> None:
        barrier.wait()
        results[position] = browser.post(path, data)

    threads = [threading.Thread(target=run, args=(i, *p)) for i, p in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


@pytest.fixture
def live(fresh_database_url: str, tmp_path) -> Iterator[Live]:
    app = create_app(
        make_test_config(fresh_database_url, str(tmp_path / "instance"), VALIDATE_API_RESPONSES=0)
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        yield Live(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    get_db(app).engine.dispose()


_counter = iter(range(1_000_000))


def _user(session, *roles: str) -> User:
    n = next(_counter)
    email = f"{'-'.join(roles)}{n}@race.example"
    if roles == ("issp",):
        return register_issp(
            session,
            legal_name=f"Race Works {n}",
            country="KE",
            registration_number=f"R-{n}",
            website=None,
            sites=[SiteData(f"Site {n}", "Nairobi", "KE")],
            full_name=f"Member {n}",
            email=email,
            password=PASSWORD,
        )
    user = create_staff_user(
        session,
        Actor.cli("tests"),
        email=email,
        full_name=f"Staff {n}",
        password=PASSWORD,
        roles={Role(r) for r in roles},
    )
    if set(roles) & set(defaults("")["SECOND_FACTOR_ROLES"]):  # as enrolled staff are
        add_totp(session, Actor.cli("tests"), user, TEST_TOTP_SECRET)
    return user


def _case(live: Live, stage: str = "in_audit") -> dict[str, Any]:
    """A case at *stage* (``accepted``, ``in_audit`` or ``submitted``), every answer good."""
    with live.session() as session:
        return _build_case(session, stage)


def _build_case(session: Any, stage: str) -> dict[str, Any]:
    rubric = get_rubric("isrps", "1.0", session=session)
    issp, admin = _user(session, "issp"), _user(session, "admin")
    auditor, reviewer = _user(session, "auditor"), _user(session, "reviewer")
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
    answers = sample_answers(rubric, 3)
    for section in rubric.sections:
        ids = {c.id for c in section.criteria}
        save_section_answers(
            session,
            application,
            issp,
            rubric,
            section.id,
            {k: v for k, v in answers.items() if k in ids},
        )
    submit_application(session, application, issp, rubric)
    accept_application(session, application, admin)
    if stage != "accepted":
        assign_case(session, application, admin, auditor, reviewer, dt.date.today())
        declare_conflict(session, application, auditor, False, "")
        declare_conflict(session, application, reviewer, False, "")
    if stage == "submitted":
        for section in rubric.sections:
            inputs = {
                c.id: assessment_ops.CriterionInput(answers[c.id], "", []) for c in section.criteria
            }
            assessment_ops.save_assessment_section(
                session, application, auditor, rubric, section.id, inputs, 0
            )
        assessment_ops.submit_assessment(session, application, auditor, rubric)
    session.commit()
    case = {
        "id": application.public_id,
        "pk": application.id,
        "admin": admin.email,
        "auditor": auditor.email,
        "reviewer": reviewer.email,
        "staff": [auditor.public_id, reviewer.public_id],
        "rubric": rubric,
    }
    return case


def _count(live: Live, model: Any, *where: Any) -> int:
    with live.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _chains_intact(live: Live, *, log: bool = True) -> None:
    """``audit verify`` passes, and ``log verify`` where certificates were issued (without
    one, the log has not announced the keys yet, which it reports)."""
    runner = live.app.test_cli_runner()
    audit = runner.invoke(args=["audit", "verify"])
    assert audit.exit_code == 0, audit.output
    if log:
        result = runner.invoke(args=["log", "verify"])
        assert result.exit_code == 0, result.output


def test_a_double_click_on_certify_issues_one_certificate(live) -> None:
    for _ in range(ROUNDS):
        case = _case(live, "submitted")
        first, second = live.browser(case["reviewer"]), live.browser(case["reviewer"])
        data = {"outcome": "certify", "reasons": "Meets every requirement."}
        path = f"/applications/{case['id']}/review"
        results = at_once((first, path, data), (second, path, data))
        assert sorted(status for status, _ in results) == [302, 400], results
        refused = next(body for status, body in results if status == 400)
        assert "no submitted audit to decide on" in refused
        assert _count(live, Decision, Decision.application_id == case["pk"]) == 1
        assert _count(live, Certificate, Certificate.application_id == case["pk"]) == 1
    _chains_intact(live)


def test_two_issuances_at_once_both_issue_with_their_own_serial_index_and_pdf(live) -> None:
    # Two reviewers certify two different cases at the same moment: both must be issued, each
    # with its own serial, status-list bits and log index (they contend for the log head,
    # the status lists and the audit head), and each PDF stored whole.
    for _ in range(ROUNDS):
        cases = [_case(live, "submitted"), _case(live, "submitted")]
        data = {"outcome": "certify", "reasons": "Meets every requirement."}
        results = at_once(
            *((live.browser(c["reviewer"]), f"/applications/{c['id']}/review", data) for c in cases)
        )
        assert [status for status, _ in results] == [302, 302], results
        for case in cases:
            assert _count(live, Certificate, Certificate.application_id == case["pk"]) == 1
    with live.session() as session:
        certificates = session.scalars(select(Certificate)).all()
        serials = [c.serial for c in certificates]
        assert len(serials) == 2 * ROUNDS == len(set(serials))
    _chains_intact(live)
    stored = live.app.test_cli_runner().invoke(args=["storage", "verify"])
    assert stored.exit_code == 0, stored.output
    assert f"{2 * ROUNDS} document(s) checked, 0 problem(s)" in stored.output


def _certificate(live: Live) -> tuple[str, str]:
    case = _case(live, "submitted")
    with live.session() as session:
        application = session.get(Application, case["pk"])
        reviewer = session.scalar(select(User).where(User.email == case["reviewer"]))
        assessment_ops.decide_case(
            session, application, reviewer, case["rubric"], outcome="certify", reasons="Good."
        )
        session.commit()
        serial = session.scalar(
            select(Certificate.serial).where(Certificate.application_id == case["pk"])
        )
    return serial, case["admin"]


def test_a_withdrawal_racing_a_suspension_stays_withdrawn(live) -> None:
    for _ in range(ROUNDS):
        serial, admin = _certificate(live)
        one, two = live.browser(admin), live.browser(admin)
        withdraw = {
            "withdraw-category": "fraud",
            "withdraw-reason": "Forged payroll",
            "withdraw-confirm": "y",
        }
        suspend = {
            "suspend-category": "major_nonconformity",
            "suspend-reason": "Wages late",
            "suspend-confirm": "y",
        }
        results = at_once(
            (one, f"/admin/certificates/{serial}/withdraw", withdraw),
            (two, f"/admin/certificates/{serial}/suspend", suspend),
        )
        statuses = [status for status, _ in results]
        with live.session() as session:
            certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
            changes = [
                c.new_status
                for c in session.scalars(
                    select(CertificateStatusChange)
                    .where(CertificateStatusChange.certificate_id == certificate.id)
                    .order_by(CertificateStatusChange.id)
                )
            ]
        # Withdrawal is final: whichever came first, it ends withdrawn.
        assert certificate.status == "withdrawn", (statuses, changes)
        assert changes in (["active", "withdrawn"], ["active", "suspended", "withdrawn"])
        if changes == ["active", "withdrawn"]:
            assert statuses == [302, 400]
    _chains_intact(live)


def test_two_suspensions_at_once_suspend_once(live) -> None:
    for _ in range(ROUNDS):
        serial, admin = _certificate(live)
        one, two = live.browser(admin), live.browser(admin)
        suspend = {
            "suspend-category": "major_nonconformity",
            "suspend-reason": "Wages late",
            "suspend-confirm": "y",
        }
        path = f"/admin/certificates/{serial}/suspend"
        results = at_once((one, path, suspend), (two, path, suspend))
        assert sorted(status for status, _ in results) == [302, 400], results
        with live.session() as session:
            certificate_id = session.scalar(
                select(Certificate.id).where(Certificate.serial == serial)
            )
        assert (
            _count(
                live,
                CertificateStatusChange,
                CertificateStatusChange.certificate_id == certificate_id,
                CertificateStatusChange.new_status == "suspended",
            )
            == 1
        )
    _chains_intact(live)


def test_two_saves_of_one_section_from_one_version_keep_one(live) -> None:
    from tests.web.test_applications import form_answers

    for _ in range(ROUNDS):
        case = _case(live)
        section = case["rubric"].sections[0]
        one, two = live.browser(case["auditor"]), live.browser(case["auditor"])
        path = f"/applications/{case['id']}/assessment/{section.id}"
        data = {**form_answers(case["rubric"], section), "version": "0", "action": "save"}
        results = at_once((one, path, data), (two, path, data))
        assert sorted(status for status, _ in results) == [302, 409], [s for s, _ in results]
        saved = _count(
            live,
            AuditEvent,
            AuditEvent.action == "assessment.section_saved",
            AuditEvent.subject_id == case["id"],
        )
        assert saved == 1
    _chains_intact(live, log=False)


def test_two_assignments_at_once_assign_once(live) -> None:
    for _ in range(ROUNDS):
        case = _case(live, "accepted")
        with live.session() as session:
            others = [_user(session, "auditor").public_id, _user(session, "reviewer").public_id]
            session.commit()
        one, two = live.browser(case["admin"]), live.browser(case["admin"])
        path = f"/applications/{case['id']}/assign"
        results = at_once(
            (one, path, dict(zip(("auditor", "reviewer"), case["staff"], strict=True))),
            (two, path, dict(zip(("auditor", "reviewer"), others, strict=True))),
        )
        assert sorted(status for status, _ in results) == [302, 400], [s for s, _ in results]
        assigned = _count(
            live,
            AuditEvent,
            AuditEvent.action == "application.assign",
            AuditEvent.subject_id == case["id"],
        )
        assert assigned == 1
    _chains_intact(live, log=False)


def test_two_closures_of_one_nonconformity_close_it_once(live) -> None:
    for _ in range(ROUNDS):
        case = _case(live)
        with live.session() as session:
            application = session.get(Application, case["pk"])
            auditor = session.scalar(select(User).where(User.email == case["auditor"]))
            nc = add_nonconformity(
                session,
                application,
                auditor,
                case["rubric"],
                grade="minor",
                criterion_id="FW-7",
                description="No grievance log",
                corrective_action="Keep one",
                due_on=None,
                today=dt.date.today(),
            )
            session.commit()
            nc_id = nc.public_id
        one, two = live.browser(case["auditor"]), live.browser(case["auditor"])
        path = f"/applications/{case['id']}/nonconformities/{nc_id}/close"
        data = {"close-note": "Log seen, 12 entries"}
        at_once((one, path, data), (two, path, data))
        closed = _count(
            live,
            AuditEvent,
            AuditEvent.action == "assessment.nonconformity_closed",
            AuditEvent.subject_id == case["id"],
        )
        assert closed == 1
        assert (
            _count(
                live,
                NonConformity,
                NonConformity.public_id == nc_id,
                NonConformity.status == "closed",
            )
            == 1
        )
    _chains_intact(live, log=False)


def test_lifecycle_withdrawal_is_final_whatever_the_caller(live) -> None:
    """Below the web: the status table refuses any change out of withdrawn."""
    serial, _admin = _certificate(live)
    with live.session() as session:
        certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
        lifecycle.withdraw_certificate(session, certificate, Actor.cli("t"), "fraud", "Forged")
        session.commit()
        from certify.certificates.operations import CertificateError

        with pytest.raises(CertificateError):
            lifecycle.suspend_certificate(session, certificate, Actor.cli("t"), "fraud", "Again")
        session.rollback()


def test_failed_sign_ins_at_once_are_each_counted(live) -> None:
    """Wrong passwords at once (issue 25's throttle): none fails and none is lost, whether the
    counter rows are new (both race to create them) or already there (both update them)."""
    from certify.accounts.models import SignInThrottle

    with live.session() as session:
        first, second = _user(session, "auditor").email, _user(session, "reviewer").email
        session.commit()
    for email in (first, first, second):
        wrong = {"email": email, "password": "not the password"}
        answers = at_once(*[(Browser(live.url), "/login", wrong) for _ in range(2)])
        assert [status for status, _body in answers] == [401, 401]
    with live.session() as session:
        rows = session.execute(select(SignInThrottle.scope, SignInThrottle.level)).all()
    # each e-mail's pair and account rows; the one client's row counted all six
    assert sorted((scope, round(level, 1)) for scope, level in rows) == [
        ("account", 2.0),
        ("account", 4.0),
        ("address", 6.0),
        ("pair", 2.0),
        ("pair", 4.0),
    ]


def test_two_verifications_of_one_closure_at_once_close_it_once(live) -> None:
    """The auditor's double click on "verify": the second finds it closed and is refused."""
    from certify.followup import deadlines

    for _ in range(ROUNDS):
        serial, _admin = _certificate(live)
        with live.session() as session:
            certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
            application = session.get(Application, certificate.application_id)
            auditor, rubric = application.auditor, get_rubric("isrps", "1.0", session=session)
            nc = deadlines.raise_after_decision(
                session, application, auditor, rubric, grade="major", criterion_id="FW-7",
                description="No log", corrective_action="Keep one", due_on=None,
            )  # fmt: skip
            nc.status = "evidence_submitted"  # the loop so far, as the other tests walk it
            session.commit()
            path = f"/applications/{application.public_id}/nonconformities/{nc.public_id}"
            email, nc_id = auditor.email, nc.id
        one, two = live.browser(email), live.browser(email)
        data = {"verify-decision": "verify", "verify-note": "Seen on site"}
        results = at_once((one, path + "/verification", data), (two, path + "/verification", data))
        assert sorted(status for status, _ in results) == [302, 400], [s for s, _ in results]
        closed = _count(
            live,
            AuditEvent,
            AuditEvent.action == "nonconformity.verify_closure",
            AuditEvent.subject_id == application.public_id,
        )
        assert closed == 1
        with live.session() as session:
            assert session.get(NonConformity, nc_id).status == "closed"
    _chains_intact(live)
