"""The three-year cycle in a browser, the clock moved: ``pytest -k surveillance`` selects it.

On a server of its own (``clocked_server``: demo data, a ``ManualClock``): the clock moves to
60 days before the Nairobi DataWorks certificate's first surveillance and the daily duties
open its surveillance case by themselves; the admin assigns it (seeing each auditor's
workload), the auditor plans it and assesses the visit's subset only, the reviewer certifies,
its member sees the plan, and the registry shows the surveillance done. The clock then moves
past the grace period: another demo certificate whose surveillance was never decided is
proposed for suspension on the admin's calendar. The demo's renewal (Kampala Impact Works)
shows a recertification superseding its predecessor with "certified since" kept; then one is
made here: five months before Nairobi's certificate expires its recertification case opens by
itself, is assigned, planned, assessed in full and certified, and the new certificate
supersedes the old one, "certified since" its first issue, the old one's verify page linking
to it. ``log verify`` and ``audit verify`` pass. Staff sign in again after each move of the
clock (their sessions ran out; a new TOTP step).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from certify.clock import ManualClock
from certify.standards.files import DEFAULT_RUBRICS_DIR, load_rubric
from certify.state import app_state
from tests.browser.accounts import ROLE_ACCOUNTS
from tests.browser.conftest import LiveServer
from tests.browser.helpers import login, outside_browser_loop

RUBRIC = load_rubric(DEFAULT_RUBRICS_DIR / "isrps" / "1.0.yaml")
CRITERIA = {c.id: c for c in RUBRIC.criteria}
SECTION_OF = {c.id: s.id for s in RUBRIC.sections for c in s.criteria}


def _certificates(app: Any) -> dict[str, tuple[str, list[str], str | None]]:
    """Holder name → (serial, surveillance due dates, serial it superseded by) of each demo
    certificate."""
    from certify.certificates.models import Certificate
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        rows = session.scalars(select(Certificate).order_by(Certificate.id)).all()
        return {
            f"{c.holder_name}#{c.id}": (
                c.serial,
                c.snapshot_data["surveillanceDue"],
                c.superseded_by.serial if c.superseded_by else None,
            )
            for c in rows
        }


def _dates(app: Any, serial: str) -> tuple[dt.date, dt.date]:
    from certify.certificates.models import Certificate
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
        assert certificate is not None
        return certificate.valid_from.date(), certificate.valid_until.date()


def _issued_on(app: Any, serial: str) -> dt.date:
    return outside_browser_loop(_dates, app, serial)[0]


def _expires_on(app: Any, serial: str) -> dt.date:
    return outside_browser_loop(_dates, app, serial)[1]


def _open_case(app: Any, serial: str, audit_type: str = "surveillance") -> str:
    from certify.applications.models import Application
    from certify.certificates.models import Certificate
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        public_id = session.scalar(
            select(Application.public_id)
            .join(Certificate, Certificate.id == Application.certificate_id)
            .where(Certificate.serial == serial, Application.audit_type == audit_type)
            .order_by(Application.id.desc())
        )
    assert public_id, f"no {audit_type} case on {serial}"
    return public_id


def _cli(app: Any, *args: str) -> str:
    result = outside_browser_loop(app.test_cli_runner().invoke, args=list(args))
    assert result.exit_code == 0, result.output
    return str(result.output)


def _answer(page: Page, criterion_id: str) -> None:
    """The visit's answer to *criterion_id* (a good one) and a finding."""
    c = CRITERIA[criterion_id]
    name = "c_" + c.id.replace("-", "_")
    if c.kind == "gate":
        page.check(f'input[name="{name}_value"][value="yes"]')
    elif c.kind == "level":
        page.check(f'input[name="{name}_value"][value="3"]')
    else:
        band = c.bases[0].bands[-1]
        value = band.lower + (0 if band.lower_inclusive else 1)
        page.fill(f'input[name="{name}_value"]', str(value))
        if len(c.bases) > 1:
            page.check(f'input[name="{name}_basis"][value="{c.bases[0].id}"]')
    page.fill(f'textarea[name="{name}_notes"]', f"Seen at the surveillance visit: {c.id} holds.")


def _assign(admin: Page, case: str) -> None:
    """The admin names Wanjiru as auditor and Sofia as reviewer of *case*."""
    admin.goto(f"/applications/{case}/assign")
    expect(admin.get_by_role("heading", name="Workload: cases in progress")).to_be_visible()
    admin.get_by_label("Auditor").select_option(label="Wanjiru Auditor")
    admin.get_by_label("Reviewer").select_option(label="Sofia Reviewer")
    admin.get_by_role("button", name="Assign").click()
    expect(admin.get_by_text("Each must now declare")).to_be_visible()


def _declare(case: str, *people: Page) -> None:
    for someone in people:
        someone.goto(f"/applications/{case}")
        someone.get_by_label(re.compile("^No: I have not advised")).check()
        someone.get_by_role("button", name="Declare").click()


def _plan(auditor: Page, start: dt.date, days: int, mode: str, team: str) -> None:
    """Fill and save the plan form the auditor has open."""
    auditor.get_by_label("First audit day").fill(start.isoformat())
    auditor.get_by_label("Last audit day").fill((start + dt.timedelta(days=days - 1)).isoformat())
    auditor.get_by_label("Auditor-days").fill(str(days))
    auditor.get_by_label(mode).check()
    auditor.get_by_label("Audit team").fill(team)
    auditor.get_by_role("button", name="Save the plan").click()
    expect(auditor.get_by_text("Audit plan saved.")).to_be_visible()


def _submit_and_certify(auditor: Page, reviewer: Page, case: str, reasons: str) -> None:
    auditor.goto(f"/applications/{case}/assessment")
    auditor.get_by_role("button", name="Submit the audit").click()
    expect(auditor.get_by_text("Audit submitted.")).to_be_visible()
    reviewer.goto(f"/applications/{case}/review")
    reviewer.get_by_label("Certify", exact=True).check()
    reviewer.get_by_label("Reasons").fill(reasons)
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(reviewer.get_by_text("Decision recorded: certified.")).to_be_visible()


def test_surveillance_opens_by_itself_is_planned_audited_decided_and_overdue_is_proposed(
    new_page: Callable[..., Page], clocked_server: LiveServer
) -> None:
    server = clocked_server
    clock = app_state(server.app).clock
    assert isinstance(clock, ManualClock)

    def person(email: str, password: str) -> Page:
        page = new_page(base_url=server.url)
        login(page, email, password, now=server.app.extensions["certify"].clock.now)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        return page

    certificates = _certificates(server.app)
    nairobi = next(v for k, v in certificates.items() if k.startswith("Nairobi DataWorks#"))
    serial, due_dates, _ = nairobi
    due = dt.date.fromisoformat(due_dates[0])

    # -- the clock moves into the window: the daily duties open the case by themselves
    clock.set(dt.datetime.combine(due - dt.timedelta(days=60), dt.time(8), tzinfo=dt.UTC))
    assert re.search(
        r"open_due_cycle_cases: [1-9]\d* case\(s\) opened", _cli(server.app, "jobs", "run-daily")
    )
    case = _open_case(server.app, serial)

    # -- the admin sees it on the calendar and assigns it, with each auditor's workload
    admin = person(*ROLE_ACCOUNTS["admin"])
    admin.goto("/admin/cycle")
    expect(admin.get_by_role("heading", name="Surveillance by month")).to_be_visible()
    expect(admin.get_by_text(serial).first).to_be_visible()
    _assign(admin, case)
    auditor = person(*ROLE_ACCOUNTS["auditor"])
    reviewer = person(*ROLE_ACCOUNTS["reviewer"])
    _declare(case, auditor, reviewer)

    # -- the auditor plans the visit on the proposed sample
    auditor.goto(f"/applications/{case}/plan")
    covers = auditor.get_by_text(re.compile("^This surveillance assesses")).inner_text()
    subset = re.findall(r"\b[A-Z]{2}-\d+\b", covers.split(":", 1)[1])
    assert subset and len(subset) < len(CRITERIA)  # a subset, not the whole rubric
    team = "lead: Wanjiru Auditor\ninterpreter: Otieno Kamau"
    _plan(auditor, due - dt.timedelta(days=30), 2, "Hybrid", team)

    # -- the member sees the plan on the cycle page
    issp = person(*ROLE_ACCOUNTS["issp"])
    issp.goto(f"/applications/{case}/plan")
    expect(issp.get_by_text("Otieno Kamau")).to_be_visible()

    # -- the auditor assesses the subset only (the rest stands as carried over) and submits
    auditor.goto(f"/applications/{case}/assessment")
    expect(auditor.get_by_role("heading", name="This surveillance visit")).to_be_visible()
    for section in dict.fromkeys(SECTION_OF[c] for c in subset):
        auditor.goto(f"/applications/{case}/assessment/{section}")
        for criterion in (c for c in subset if SECTION_OF[c] == section):
            _answer(auditor, criterion)
        auditor.get_by_role("button", name="Save section").click()
        expect(auditor.get_by_text(f"Section {section} saved")).to_be_visible()
    # -- submitted; the reviewer certifies: the certificate is maintained, the registry says so
    _submit_and_certify(auditor, reviewer, case, "The visit confirms the certified practice.")
    visitor = new_page(base_url=server.url)
    visitor.goto(f"/registry/{serial}")
    expect(visitor.get_by_text(re.compile(rf"\(due {due:%-d %b %Y}\)"))).to_be_visible()
    expect(visitor.locator(".status-line")).to_contain_text("Active")

    # -- past the grace period: an undecided surveillance is proposed for suspension
    clock.set(dt.datetime.combine(due + dt.timedelta(days=31), dt.time(8), tzinfo=dt.UTC))
    ran = _cli(server.app, "jobs", "run-daily")
    assert re.search(r"act_on_overdue_surveillance: [1-9]\d* overdue", ran), ran
    admin = person(*ROLE_ACCOUNTS["admin"])  # the session ran out
    admin.goto("/admin/cycle")
    overdue = admin.locator(
        "section", has=admin.get_by_role("heading", name="Overdue surveillance")
    )
    expect(overdue.get_by_text("suspension proposed").first).to_be_visible()
    expect(overdue).not_to_contain_text(serial)  # Nairobi's visit was decided

    # -- a recertification superseded its predecessor, "certified since" kept (the demo's)
    renewed = [(k, v) for k, v in certificates.items() if v[2] is not None]
    assert renewed, "the demo has a renewal"
    _name, (old_serial, _due, new_serial) = renewed[0]
    visitor.goto(f"/registry/{new_serial}")
    expect(visitor.get_by_text("Certified since")).to_be_visible()
    visitor.goto(f"/verify/{old_serial}")
    visitor.get_by_role("link", name=new_serial).click()
    expect(visitor).to_have_url(re.compile(f"/verify/{new_serial}$"))

    # -- and one made here: months before Nairobi's certificate expires, its recertification
    # opens by itself, is assessed in full, decided, and supersedes it
    first_issued = _issued_on(server.app, serial)
    expires = _expires_on(server.app, serial)
    clock.set(dt.datetime.combine(expires - dt.timedelta(days=150), dt.time(8), tzinfo=dt.UTC))
    assert re.search(
        r"open_due_cycle_cases: [1-9]\d* case\(s\) opened", _cli(server.app, "jobs", "run-daily")
    )
    recert = _open_case(server.app, serial, "recertification")
    _assign(person(*ROLE_ACCOUNTS["admin"]), recert)
    auditor = person(*ROLE_ACCOUNTS["auditor"])
    reviewer = person(*ROLE_ACCOUNTS["reviewer"])
    _declare(recert, auditor, reviewer)
    auditor.goto(f"/applications/{recert}/plan")
    _plan(auditor, expires - dt.timedelta(days=120), 3, "On site", "lead: Wanjiru Auditor")
    for section in RUBRIC.sections:  # a recertification assesses everything
        auditor.goto(f"/applications/{recert}/assessment/{section.id}")
        for criterion in section.criteria:
            _answer(auditor, criterion.id)
        auditor.get_by_role("button", name="Save section").click()
        expect(auditor.get_by_text(f"Section {section.id} saved")).to_be_visible()
    _submit_and_certify(
        auditor, reviewer, recert, "Three years of practice confirmed at recertification."
    )
    successor = _certificates(server.app)
    renewal = next(v[2] for v in successor.values() if v[0] == serial)
    assert renewal is not None, "the recertification superseded Nairobi's certificate"
    visitor.goto(f"/registry/{renewal}")
    since = visitor.locator("dt", has_text="Certified since").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(since).to_contain_text(f"{first_issued:%-d %b %Y}")
    visitor.goto(f"/verify/{serial}")
    expect(visitor.get_by_text(re.compile("superseded", re.IGNORECASE)).first).to_be_visible()
    visitor.get_by_role("link", name=renewal).click()
    expect(visitor).to_have_url(re.compile(f"/verify/{renewal}$"))
    _cli(server.app, "log", "verify")
    _cli(server.app, "audit", "verify")
