"""The corrective-action loop in a browser, and deadlines acting by themselves.

``pytest -k corrective`` selects it. On a server of its own (``clocked_server``: demo data, a
``ManualClock``, overdue major non-conformities suspend at once): the auditor records a major
non-conformity on Nairobi DataWorks' certified case; its member submits a corrective-action
plan; the auditor returns it; the member submits it again; the auditor accepts it; the member
uploads evidence; the auditor verifies the closure. Each step tells the next party. Then the
clock moves past the due date of RuralShore's major non-conformity (a plan still awaiting the
auditor) and the daily duties, run as the scheduler, suspend its certificate: its member sees
why, the registry shows it, ``log verify`` and ``audit verify`` pass.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from certify.clock import ManualClock
from certify.state import app_state
from tests.browser.conftest import LiveServer
from tests.browser.helpers import login, outside_browser_loop


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Grievance log, March to May")
    pdf.save()
    return buffer.getvalue()


def _case(app: Any, organisation: str) -> str:
    from certify.accounts.models import Organisation
    from certify.applications.models import Application
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        public_id = session.scalar(
            select(Application.public_id)
            .join(Organisation)
            .where(Organisation.legal_name == organisation)
        )
    assert public_id
    return public_id


def _kinds(app: Any) -> list[str]:
    from certify.db import get_db
    from certify.notifications.models import Notification

    with get_db(app).new_session(writer=False) as session:
        return list(session.scalars(select(Notification.kind).order_by(Notification.id)))


def _cli(app: Any, *args: str) -> str:
    result = outside_browser_loop(app.test_cli_runner().invoke, args=list(args))
    assert result.exit_code == 0, result.output
    return str(result.output)


def _fill_plan(page: Page, owner: str) -> None:
    page.get_by_label("Root cause").fill("Nobody owned the grievance log after the HR lead left.")
    page.get_by_label("Correction", exact=True).fill("Every open grievance was answered.")
    page.get_by_label("Corrective action", exact=True).fill("The HR lead owns the log.")
    page.get_by_label("Owner").fill(owner)
    target = dt.date.today() + dt.timedelta(days=45)
    page.get_by_label("Target date").fill(target.isoformat())
    page.get_by_role("button", name="Submit the plan").click()
    expect(page.get_by_text("Plan submitted.")).to_be_visible()


def test_corrective_action_loop_in_a_browser_and_an_overdue_case_suspended_by_the_scheduler(
    new_page: Callable[..., Page], clocked_server: LiveServer
) -> None:
    server = clocked_server

    def person(email: str, password: str) -> Page:
        page = new_page(base_url=server.url)
        # the second-factor code is the one for the server's (moved) time, not the wall clock
        login(page, email, password, now=server.app.extensions["certify"].clock.now)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        return page

    nairobi = _case(server.app, "Nairobi DataWorks")
    auditor = person("auditor1@demo.certify.test", "demo-auditor-2026")
    issp = person("amina@nairobi-dataworks.demo", "demo-issp-2026")

    # -- the auditor records a major non-conformity on the certified case
    auditor.goto(f"/applications/{nairobi}/report")
    auditor.get_by_text("Record a non-conformity found after the decision").click()
    auditor.get_by_label("Grade").select_option("major")
    auditor.get_by_label("Criterion").select_option("FW-7")
    auditor.get_by_label("What is wrong").fill("Grievances are not logged.")
    auditor.get_by_label("Corrective action required").fill("Keep a grievance log.")
    auditor.get_by_role("button", name="Record the non-conformity").click()
    expect(auditor.get_by_text("Non-conformity recorded")).to_be_visible()
    nc_path = re.sub(r"^https?://[^/]+", "", auditor.url)

    # -- the member sees it on the dashboard and submits a plan
    issp.goto("/dashboard")
    expect(issp.get_by_text("next for you:")).to_be_visible()
    issp.get_by_role("link", name="Major non-conformity on FW-7").click()
    _fill_plan(issp, "Amina Wanjiku")

    # -- the auditor finds it waiting, and returns it with reasons
    auditor.goto("/dashboard")
    auditor.get_by_role("link", name=re.compile("Nairobi DataWorks: major on FW-7")).click()
    auditor.get_by_label("Return it for changes").check()
    auditor.get_by_label("Reasons").fill("Name who checks the log every month.")
    auditor.get_by_role("button", name="Record your decision").click()
    expect(auditor.get_by_text("Plan returned with your reasons.")).to_be_visible()

    # -- the member reads why, and submits again; the auditor accepts
    issp.goto(nc_path)
    expect(issp.get_by_text("Name who checks the log every month.")).to_be_visible()
    _fill_plan(issp, "Amina Wanjiku, checked monthly by the director")
    auditor.goto(nc_path)
    auditor.get_by_label("Accept the plan").check()
    auditor.get_by_role("button", name="Record your decision").click()
    expect(auditor.get_by_text("Plan accepted.")).to_be_visible()

    # -- the member uploads evidence of closure; the auditor verifies it
    issp.goto(nc_path)
    issp.set_input_files(
        'input[type="file"]',
        files=[{"name": "grievance-log.pdf", "mimeType": "application/pdf", "buffer": _pdf()}],
    )
    issp.get_by_label("What the evidence shows").fill("The log since March, signed.")
    issp.get_by_role("button", name="Send the evidence for verification").click()
    expect(issp.get_by_text("Evidence sent.")).to_be_visible()
    auditor.goto(nc_path)
    expect(auditor.get_by_role("link", name="grievance-log.pdf")).to_be_visible()
    auditor.get_by_label("Verified: close the non-conformity").check()
    auditor.get_by_label("How you verified it, or what is missing").fill("Log seen on site.")
    auditor.get_by_role("button", name="Record your verification").click()
    expect(auditor.get_by_text("Closure verified")).to_be_visible()
    issp.goto(nc_path)
    expect(issp.get_by_text("Closed (verified)").first).to_be_visible()
    kinds = _kinds(server.app)
    for kind in (
        "nonconformity.raised",
        "nonconformity.plan_submitted",
        "nonconformity.plan_reviewed",
        "nonconformity.evidence_submitted",
        "nonconformity.closure_reviewed",
    ):
        assert kind in kinds, kind

    # -- RuralShore's major non-conformity passes its due date: the scheduler suspends
    clock = app_state(server.app).clock
    assert isinstance(clock, ManualClock)
    clock.advance(dt.timedelta(days=92))
    assert "act_on_overdue_nonconformities: 1 suspended" in _cli(server.app, "jobs", "run-daily")
    assert "act_on_overdue_nonconformities: none overdue" in _cli(server.app, "jobs", "run-daily")
    priya = person("priya@ruralshore.demo", "demo-issp-2026")
    priya.goto("/dashboard")
    expect(priya.get_by_text(re.compile(r"Certificate .* is suspended"))).to_be_visible()
    expect(priya.get_by_text(re.compile("because of: major non-conformity"))).to_be_visible()
    expect(priya.get_by_text(re.compile("it is withdrawn on that day"))).to_be_visible()
    serial = priya.locator(".flash-error code").first.inner_text()
    visitor = new_page(base_url=server.url)
    visitor.goto(f"/registry/{serial}")
    expect(visitor.locator(".status-line")).to_contain_text("Suspended")
    expect(visitor.get_by_text("Major non-conformity")).to_be_visible()
    _cli(server.app, "log", "verify")
    _cli(server.app, "audit", "verify")
