"""The whole journey, every mail through the real things: a threaded server on a fresh
database, the Redis job engine, a worker process, an SMTP server (aiosmtpd).

An ISSP registers and invites a colleague, who joins from the mailed link and resets her
password from another mailed link; a case goes through to a certificate; each step's mail
arrives once, and no page shows anyone else's secret link.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from certify.applications.models import Application
from certify.db import get_db
from certify.standards.operations import get_rubric
from tests.mail_server import MailServer
from tests.web.conftest import PASSWORD, totp_code_for
from tests.web.test_applications import SCOPE, SUBMIT, form_answers
from tests.web.test_concurrency import Browser, _user
from tests.web.test_jobs import Live, _redis_url

NEW_PASSWORD = "a fresh long passphrase"


@pytest.fixture
def journey(fresh_database_url, tmp_path, worker_id) -> Iterator[tuple[Live, str, MailServer]]:
    import redis

    mail = MailServer().start()
    redis.Redis.from_url(_redis_url(worker_id)).flushdb()
    live = Live(
        fresh_database_url,
        tmp_path / "instance",
        JOBS_URL=_redis_url(worker_id),
        **mail.config(),
    )
    server = make_server("127.0.0.1", 0, live.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    live.start_worker()
    try:
        yield live, f"http://127.0.0.1:{server.server_port}", mail
    finally:
        server.shutdown()
        live.stop()
        mail.stop()
        redis.Redis.from_url(_redis_url(worker_id)).flushdb()


def _mail(server: MailServer, to: str, subject_part: str, timeout: float = 30) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in server.messages:
            if message["To"] == to and subject_part in str(message["Subject"]):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to} about {subject_part!r}: {_subjects(server)}")


def _subjects(server: MailServer) -> list[tuple[str, str]]:
    return [(str(m["To"]), str(m["Subject"])) for m in server.messages]


def _link(message: Message) -> str:
    text = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    return re.search(r"http://registry\.test(/\S+)", text).group(1)


def _ok(answer: tuple[int, str], *expected: int) -> str:
    status, body = answer
    assert status in (expected or (302,)), body[:2000]
    return body


def _accounts(browser: Browser, mail: MailServer) -> None:
    """Register, invite, join from the mail, reset a password from the mail."""
    _ok(
        browser.post(
            "/register",
            {
                "legal_name": "Mombasa Transcribe Ltd",
                "country": "KE",
                "registration_number": "PVT-2026-7788",
                "sites-0-name": "Old Town centre",
                "sites-0-address": "Ndia Kuu Road, Mombasa",
                "full_name": "Amina Hassan",
                "email": "amina@mombasa-transcribe.example",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
            },
        )
    )
    _ok(browser.post("/organisation/invitations", {"email": "baraka@mombasa-transcribe.example"}))
    invitation = _mail(mail, "baraka@mombasa-transcribe.example", "invited")
    colleague = Browser(browser.base)
    _ok(
        colleague.post(
            _link(invitation),
            {
                "full_name": "Baraka Mwangi",
                "email": "baraka@mombasa-transcribe.example",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
            },
        )
    )
    forgetful = Browser(browser.base)
    _ok(forgetful.post("/password/forgot", {"email": "baraka@mombasa-transcribe.example"}))
    reset = _mail(mail, "baraka@mombasa-transcribe.example", "Reset your password")
    _ok(forgetful.post(_link(reset), {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}))
    _mail(mail, "baraka@mombasa-transcribe.example", "password was changed")
    status, _ = Browser(browser.base).post(
        "/login", {"email": "baraka@mombasa-transcribe.example", "password": NEW_PASSWORD}
    )
    assert status == 302


def _apply(browser: Browser, live: Live, rubric: Any) -> str:
    body = _ok(browser.post("/applications/new", {}))
    del body
    with live.session() as session:
        application = session.scalars(select(Application)).one()
        public_id, sites = application.public_id, application.scope_site_ids
    _ok(browser.post(f"/applications/{public_id}/scope", {**SCOPE, "sites": sites}))
    for section in rubric.sections:
        _ok(browser.post(f"/applications/{public_id}/self-assessment/{section.id}",
                         form_answers(rubric, section)))  # fmt: skip
    _ok(browser.post(f"/applications/{public_id}/submit", SUBMIT))
    return public_id


def _staff(live: Live) -> tuple[dict[str, str], dict[str, str]]:
    """An admin, an auditor and a reviewer: their public ids and e-mail addresses."""
    with live.app.app_context(), live.session() as session:
        staff = {role: _user(session, role) for role in ("admin", "auditor", "reviewer")}
        ids = {role: user.public_id for role, user in staff.items()}
        emails = {role: user.email for role, user in staff.items()}
        session.commit()
    return ids, emails


def _audit_and_decide(
    live: Live, url: str, public_id: str, rubric: Any, ids: dict[str, str], emails: dict[str, str]
) -> None:
    admin, auditor, reviewer = (
        _signed_in(url, emails[r], live) for r in ("admin", "auditor", "reviewer")
    )
    _ok(admin.post(f"/applications/{public_id}/accept", {}))
    assign = {"auditor": ids["auditor"], "reviewer": ids["reviewer"]}
    _ok(admin.post(f"/applications/{public_id}/assign", assign))
    for person in (auditor, reviewer):
        _ok(person.post(f"/applications/{public_id}/declaration", {"has_conflict": "no"}))
    for section in rubric.sections:
        data = {**form_answers(rubric, section), "version": "0", "action": "save"}
        _ok(auditor.post(f"/applications/{public_id}/assessment/{section.id}", data))
    _ok(auditor.post(f"/applications/{public_id}/assessment/submit", {}))
    decision = {"outcome": "certify", "reasons": "Every requirement is met."}
    _ok(reviewer.post(f"/applications/{public_id}/review", decision))


def _signed_in(url: str, email: str, live: Live) -> Browser:
    browser = Browser(url)
    assert browser.post("/login", {"email": email, "password": PASSWORD})[0] == 302
    code = totp_code_for(live.app, email)  # staff who must hold a second factor have one
    if code is not None:
        assert browser.post("/login/second-factor", {"code": code})[0] == 302
    return browser


def test_every_step_of_the_journey_mails_the_next_person_once(journey) -> None:
    live, url, mail = journey
    ids, emails = _staff(live)
    founder = Browser(url)
    _accounts(founder, mail)
    with live.app.app_context():
        rubric = get_rubric("isrps", "1.0")
    public_id = _apply(founder, live, rubric)
    _audit_and_decide(live, url, public_id, rubric, ids, emails)
    issp = "amina@mombasa-transcribe.example"
    _mail(mail, emails["admin"], "New application: Mombasa Transcribe Ltd")
    _mail(mail, issp, "Your application was accepted")
    _mail(mail, emails["auditor"], "New case: Mombasa Transcribe Ltd (auditor)")
    _mail(mail, emails["reviewer"], "New case: Mombasa Transcribe Ltd (reviewer)")
    _mail(mail, emails["reviewer"], "Audit ready for your decision")
    _mail(mail, issp, "Decision on your application: certified")
    issued = _mail(mail, issp, "is issued")
    assert ".pdf" in issued.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    time.sleep(1)  # anything late would be a duplicate
    ids = [m["Message-ID"] for m in mail.messages]
    assert len(ids) == len(set(ids)), "a message was delivered twice"
    _no_secret_links_on_the_admins_pages(url, emails["admin"], live)


def _no_secret_links_on_the_admins_pages(url: str, admin_email: str, live: Live) -> None:
    from certify.notifications.models import Notification

    admin = _signed_in(url, admin_email, live)
    pages = ["/admin/mail"]
    with get_db(live.app).new_session() as session:
        pages += [f"/admin/mail/{pid}" for pid in session.scalars(select(Notification.public_id))]
    for path in pages:
        request = admin.opener.open(url + path, timeout=30)
        body = request.read().decode()
        assert "/password/reset/" not in body and "/invite/" not in body, path
