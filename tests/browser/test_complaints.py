"""Complaints and appeals in a browser (issue 19); ``pytest -k complaint`` selects it.

On a server of its own (``clocked_server``: demo data): on a 390 px phone, an anonymous
visitor raises a concern from RuralShore Services' certificate page and gets a tracking code;
the admin cannot give the concern to RuralShore's own auditor and gives it to an uninvolved
reviewer, who acknowledges it and finds it founded (a special audit is needed); the visitor
reads the outcome with the code. Then Nairobi DataWorks' certificate is suspended, its member
appeals, the admin who suspended it cannot decide the appeal, an uninvolved reviewer upholds
it and the certificate is active again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.browser.helpers import login, outside_browser_loop

PHONE = {"width": 390, "height": 844}


def _serial(app: Any, organisation: str) -> str:
    from certify.certificates.models import Certificate
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        serial = session.scalar(
            select(Certificate.serial).where(Certificate.holder_name == organisation)
        )
    assert serial
    return serial


def _suspend(app: Any, serial: str) -> None:
    from certify.accounts.models import User
    from certify.certificates.models import Certificate
    from certify.core.actor import Actor
    from certify.db import get_db
    from certify.lifecycle import suspend_certificate

    with app.app_context(), get_db(app).new_session() as session:
        admin = session.scalar(select(User).where(User.email == "admin@demo.certify.test"))
        certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
        assert admin is not None and certificate is not None
        suspend_certificate(
            session, certificate, Actor.user(admin.public_id), "misuse_of_certificate",
            "The certification logo was used on a site outside the certified scope.",
        )  # fmt: skip
        session.commit()


def _status(app: Any, serial: str) -> str:
    from certify.certificates.models import Certificate
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        return str(session.scalar(select(Certificate.status).where(Certificate.serial == serial)))


def test_an_anonymous_complaint_on_a_phone_and_an_appeal_decided_by_someone_uninvolved(
    new_page: Callable[..., Page], clocked_server: LiveServer
) -> None:
    server = clocked_server

    def person(email: str, password: str) -> Page:
        page = new_page(base_url=server.url)
        # the second-factor code is the one for the server's (moved) time, not the wall clock
        login(page, email, password, now=server.app.extensions["certify"].clock.now)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        return page

    # -- an anonymous visitor, on a phone, from the certificate page
    visitor = new_page(base_url=server.url, viewport=PHONE)
    visitor.goto(f"/registry/{_serial(server.app, 'RuralShore Services')}")
    visitor.get_by_role("link", name="Raise a concern about RuralShore Services").click()
    expect(visitor.get_by_label("Which organisation is the concern about?")).to_have_value(
        re.compile(".+")
    )
    visitor.get_by_label("Recruitment fees charged to workers").check()
    visitor.get_by_label("What happened?").fill(
        "A trainee who is hearing-impaired was never paid for her first two months."
    )
    visitor.get_by_role("button", name="Send the concern").click()
    expect(visitor.get_by_role("heading", name="Your concern was received")).to_be_visible()
    code = visitor.locator(".tracking-code code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code), code
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # -- the admin cannot give it to RuralShore's auditor; gives it to an uninvolved reviewer
    admin = person("admin@demo.certify.test", "demo-admin-2026")
    admin.goto("/complaints")
    admin.get_by_role("link", name=re.compile("concern about RuralShore Services")).click()
    complaint_path = re.sub(r"^https?://[^/]+", "", admin.url)
    expect(admin.get_by_text("Shown to the handler only")).to_be_visible()
    admin.get_by_label("Handler").select_option(label="Wanjiru Auditor (not impartial)")
    admin.get_by_role("button", name="Assign").click()
    refused = admin.get_by_text("a complaint is handled by someone not involved")
    expect(refused.first).to_be_visible()
    admin.get_by_label("Handler").select_option(label="Kwame Reviewer")
    admin.get_by_role("button", name="Assign").click()
    expect(admin.get_by_text("Kwame Reviewer handles this concern")).to_be_visible()

    # -- the handler acknowledges it and finds it founded: a special audit is needed
    handler = person("reviewer2@demo.certify.test", "demo-reviewer-2026")
    handler.goto(complaint_path)
    expect(handler.get_by_text("Anonymous")).to_be_visible()
    handler.get_by_label("Message to the complainant").fill("Thank you; we are looking into it.")
    handler.get_by_role("button", name="Acknowledge the concern").click()
    expect(handler.get_by_text("Acknowledged.")).to_be_visible()
    handler.get_by_label("Founded: special audit needed").check()
    handler.get_by_label("Reasons").fill("Payroll records confirm two unpaid months.")
    handler.get_by_role("button", name="Record the outcome").click()
    expect(handler.get_by_text("Outcome recorded")).to_be_visible()
    expect(handler.get_by_text("A special audit of this organisation is needed")).to_be_visible()

    # -- the visitor follows it with the code (typed in lower case, without hyphens)
    visitor.goto("/concerns/track")
    visitor.get_by_label("Tracking code").fill(code.lower().replace("-", ""))
    visitor.get_by_role("button", name="Open my concern").click()
    expect(visitor.get_by_text("Founded: special audit needed")).to_be_visible()
    expect(visitor.get_by_text("Thank you; we are looking into it.")).to_be_visible()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # -- an appeal against a suspension, decided by an uninvolved reviewer
    serial = _serial(server.app, "Nairobi DataWorks")
    outside_browser_loop(_suspend, server.app, serial)
    issp = person("amina@nairobi-dataworks.demo", "demo-issp-2026")
    issp.goto("/appeals/new")
    issp.get_by_label(re.compile(f"Suspension of certificate {serial}")).check()
    issp.get_by_label("Grounds of your appeal").fill(
        "The site is a partner's training room, listed in our certified scope."
    )
    issp.get_by_role("button", name="Lodge the appeal").click()
    expect(issp.get_by_text("Your appeal is lodged")).to_be_visible()
    appeal_path = re.sub(r"^https?://[^/]+", "", issp.url)
    admin.goto(appeal_path)
    admin.get_by_label("Who decides the appeal").select_option(
        label="Ada Admin (took part or has a conflict)"
    )
    admin.get_by_role("button", name="Assign").click()
    expect(admin.get_by_text("took part in the decision appealed").first).to_be_visible()
    admin.get_by_label("Who decides the appeal").select_option(label="Sofia Reviewer")
    admin.get_by_role("button", name="Assign").click()
    expect(admin.get_by_text("Sofia Reviewer decides this appeal")).to_be_visible()
    reviewer = person("reviewer1@demo.certify.test", "demo-reviewer-2026")
    reviewer.goto(appeal_path)
    reviewer.get_by_label("Uphold: change the decision").check()
    reviewer.get_by_label("Reasons").fill("The partner's room is in the certified scope.")
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(reviewer.get_by_text("Appeal decided")).to_be_visible()
    assert _status(server.app, serial) == "active"
    issp.goto(appeal_path)
    expect(issp.get_by_text(f"Certificate {serial} reinstated.")).to_be_visible()
