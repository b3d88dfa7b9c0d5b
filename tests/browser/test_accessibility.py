"""The accessibility check: axe-core on every page in PAGES, as the role that sees it.

A new page joins the check with one line in PAGES: ``(role, path)``, where role is None for an
anonymous visitor or a key of ROLE_ACCOUNTS. Any serious or critical violation fails the test,
listing each rule, its help text and the elements at fault.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.accounts import ROLE_ACCOUNTS
from tests.browser.helpers import AXE_PATH, axe_violations, describe_violations, login

PAGES: list[tuple[str | None, str]] = [
    (None, "/"),
    (None, "/login"),
    (None, "/register"),
    (None, "/standards"),
    (None, "/standards/isrps/1.0"),
    ("admin", "/dashboard"),
    ("admin", "/account/password"),
    ("admin", "/account/security"),
    ("issp", "/account/security/totp"),
    ("admin", "/account/sessions"),
    ("admin", "/account/reauth"),
    ("issp", "/account/security"),
    ("admin", "/admin/staff"),
    ("auditor", "/dashboard"),
    ("auditor", "/account/password"),
    ("reviewer", "/dashboard"),
    ("reviewer", "/account/password"),
    ("issp", "/dashboard"),
    ("issp", "/account/password"),
    ("issp", "/organisation"),
    ("issp", "/applications"),
    ("issp", "/applications/{case:Nairobi DataWorks}"),
    ("admin", "/admin/applications"),
    ("admin", "/applications/{case:Dhaka Digital Works}"),
    ("admin", "/applications/{case:Dhaka Digital Works}/assign"),
    ("admin", "/conflicts"),
    ("auditor", "/conflicts"),
    ("auditor", "/applications/{case:Lagos Data Collective}"),
    ("auditor", "/applications/{case:Lagos Data Collective}/assessment"),
    ("auditor", "/applications/{case:Lagos Data Collective}/assessment/IH"),
    ("auditor", "/applications/{case:Lagos Data Collective}/assessment/CR"),
    ("reviewer", "/applications/{case:RuralShore Services}/review"),
    (None, "/verify"),
    (None, "/verify/{certificate:Nairobi DataWorks}"),
    (None, "/verify/{certificate:Himal Digital}"),
    ("admin", "/admin/certificates"),
    ("admin", "/admin/certificates/{certificate:Himal Digital}"),
    (None, "/registry"),
    (None, "/registry/{certificate:Nairobi DataWorks}"),
    (None, "/api/docs"),
    ("issp", "/notifications"),
    ("admin", "/notifications"),
    ("admin", "/admin/mail"),
    ("admin", "/admin/mail/{mail:first}"),
    # after the decision (issue 17): reports, non-conformities, the follow-up dashboards
    ("issp", "/applications/{case:Nairobi DataWorks}/report"),
    ("issp_suspended", "/dashboard"),
    ("issp_suspended", "/applications/{case:Himal Digital}/nonconformities/{nc:Himal Digital}"),
    ("auditor", "/applications/{case:RuralShore Services}/report"),
    (
        "auditor",
        "/applications/{case:RuralShore Services}/nonconformities/{nc:RuralShore Services}",
    ),
    ("admin", "/applications/{case:Himal Digital}/report"),
    ("admin", "/applications/{case:Himal Digital}/nonconformities/{nc:Himal Digital}"),
    ("admin", "/admin/nonconformities"),
    # the everyday pages (issue 21): a draft with its submit form, evidence and its removal
    ("issp_draft", "/applications/{case:Kampala Voice Works}"),
    ("issp_draft", "/applications/{case:Kampala Voice Works}/evidence"),
    (
        "issp_draft",
        "/applications/{case:Kampala Voice Works}/evidence/{evidence:Kampala Voice Works}/remove",
    ),
    (None, "/verify/{certificate:Andes Contact Center}"),
    ("admin", "/admin/organisations"),
    ("issp_draft", "/dashboard"),
    # evidence erasure (issue 24)
    ("admin", "/erasure-requests"),
    ("reviewer", "/erasure-requests"),
    # the three-year cycle (issue 18): calendar, the ISSP's cycle and sites, plan, interviews
    ("admin", "/admin/cycle"),
    ("issp", "/cycle"),
    ("issp", "/organisation/sites"),
    ("issp", "/organisation/sites/{site:Nairobi DataWorks}"),
    ("auditor", "/applications/{case:Kampala Impact Works}/plan"),
    ("auditor", "/applications/{case:Kampala Impact Works}/interviews"),
    ("auditor", "/applications/{case:Lagos Data Collective}/audit-evidence"),
    ("admin", "/applications/{case:Kampala Impact Works}/plan"),
    # complaints and appeals (issue 19)
    (None, "/concerns/new"),
    (None, "/concerns/track"),
    (None, "/concerns/statistics"),
    ("admin", "/complaints"),
    ("admin", "/complaints/{complaint:Nairobi DataWorks}"),
    # a founded concern and the non-conformity it opened (the demo's Accra Insight Hub)
    ("admin", "/complaints/{complaint:Accra Insight Hub}"),
    ("admin", "/applications/{case:Accra Insight Hub}/nonconformities/{nc:Accra Insight Hub}"),
    ("admin", "/appeals"),
    ("admin", "/appeals/{appeal:Himal Digital}"),
    ("issp_suspended", "/appeals"),
    ("issp_suspended", "/appeals/new"),
    ("issp_suspended", "/appeals/{appeal:Himal Digital}"),
    ("admin", "/applications/{case:Dhaka Digital Works}/new-reviewer"),
    (
        "issp_draft",
        "/applications/{case:Kampala Voice Works}/evidence/{evidence:Kampala Voice Works}/erasure",
    ),
    # clients (issue 22): impact figures, watch lists, webhooks, bulk verification
    (None, "/impact"),
    (None, "/verify/bulk"),
    (None, "/clients/register"),
    ("client", "/dashboard"),
    ("client", "/watches"),
    ("client", "/webhooks"),
    ("client", "/account/api-tokens"),
]
# "{case:NAME}" stands for the public id of the demo organisation NAME's application,
# "{nc:NAME}" for its latest non-conformity's, "{evidence:NAME}" for its first evidence file's,
# "{complaint:NAME}" and "{appeal:NAME}" for the latest complaint about it and appeal by it,
# "{site:NAME}" for its first site's.


def _skip_without_axe() -> None:
    if not AXE_PATH.exists():
        pytest.skip(f"{AXE_PATH} is missing: run `npm ci`")


@pytest.fixture
def axe_page(new_page) -> Any:
    """A page whose context ignores the app's CSP, so that axe can be injected.

    Only this check may bypass the CSP: every other browser test sees the real policy.
    """
    _skip_without_axe()
    return new_page(bypass_csp=True)


@pytest.fixture(scope="module")
def signed_in_states() -> dict[str, Any]:
    """Each role's cookies after one sign-in, so that every page need not sign in again."""
    return {}


def _page_as(new_page, states: dict[str, Any], role: str | None, path: str, **options: Any) -> Any:
    """A CSP-bypassing page opened on *path* as *role* (None: anonymous), and its response;
    *options* go to the browser context (a viewport, say)."""
    _skip_without_axe()
    if role is not None and role in states:
        page = new_page(bypass_csp=True, storage_state=states[role], **options)
        response = page.goto(path)
        if urlsplit(page.url).path != "/login":
            return page, response
        # The saved sign-in no longer holds (a test signed out everywhere): sign in anew.
        del states[role]
    page = new_page(bypass_csp=True, **options)
    if role is not None:
        login(page, *ROLE_ACCOUNTS[role])
        assert urlsplit(page.url).path != "/login", f"{role} could not sign in"
        states[role] = page.context.storage_state()
    return page, page.goto(path)


def _resolve(app: Any, path: str) -> str:
    """Replace ``{case:NAME}`` with the public id of that organisation's application,
    ``{certificate:NAME}`` with its certificate's serial, ``{mail:first}`` with the first
    message's public id."""
    if "{mail:first}" in path:
        return path.replace("{mail:first}", _first_mail(app))
    for kind in ("complaint", "appeal"):
        found = re.search(r"\{" + kind + r":([^}]+)\}", path)
        if found is not None:
            return path.replace(found.group(0), _latest_of(app, kind, found.group(1)))
    site = re.search(r"\{site:([^}]+)\}", path)
    if site is not None:
        return path.replace(site.group(0), _first_site_of(app, site.group(1)))
    nc = re.search(r"\{nc:([^}]+)\}", path)
    if nc is not None:
        path = path.replace(nc.group(0), _latest_nc_of(app, nc.group(1)))
    evidence = re.search(r"\{evidence:([^}]+)\}", path)
    if evidence is not None:
        path = path.replace(evidence.group(0), _first_evidence_of(app, evidence.group(1)))
    match = re.search(r"\{certificate:([^}]+)\}", path)
    if match is not None:
        return path.replace(match.group(0), _serial_of(app, match.group(1)))
    match = re.search(r"\{case:([^}]+)\}", path)
    if match is None:
        return path
    from sqlalchemy import select

    from certify.accounts.models import Organisation
    from certify.applications.models import Application
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        public_id = session.scalar(
            select(Application.public_id)
            .join(Organisation)
            .where(Organisation.legal_name == match.group(1))
            .order_by(Application.created_at.desc())
            .limit(1)
        )
    assert public_id, f"no demo application for {match.group(1)}"
    return path.replace(match.group(0), public_id)


def _latest_of(app: Any, kind: str, organisation: str) -> str:
    """The public id of the demo's latest complaint about, or appeal by, *organisation*."""
    from sqlalchemy import select

    from certify.accounts.models import Organisation
    from certify.complaints.models import Appeal, Complaint
    from certify.db import get_db

    model = Complaint if kind == "complaint" else Appeal
    with get_db(app).new_session(writer=False) as session:
        public_id = session.scalar(
            select(model.public_id)
            .join(Organisation, Organisation.id == model.organisation_id)
            .where(Organisation.legal_name == organisation)
            .order_by(model.id.desc())
            .limit(1)
        )
    assert public_id, f"no demo {kind} for {organisation}"
    return public_id


def _latest_nc_of(app: Any, organisation: str) -> str:
    from sqlalchemy import select

    from certify.accounts.models import Organisation
    from certify.applications.models import Application, NonConformity
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        public_id = session.scalar(
            select(NonConformity.public_id)
            .join(Application)
            .join(Organisation)
            .where(Organisation.legal_name == organisation)
            .order_by(NonConformity.id.desc())
            .limit(1)
        )
    assert public_id, f"no demo non-conformity for {organisation}"
    return public_id


def _first_evidence_of(app: Any, organisation: str) -> str:
    from sqlalchemy import select

    from certify.accounts.models import Organisation
    from certify.applications.models import Application, Evidence
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        public_id = session.scalar(
            select(Evidence.public_id)
            .join(Application)
            .join(Organisation)
            .where(Organisation.legal_name == organisation)
            .order_by(Evidence.id)
            .limit(1)
        )
    assert public_id, f"no demo evidence for {organisation}"
    return public_id


def _first_site_of(app: Any, organisation: str) -> str:
    from sqlalchemy import select

    from certify.accounts.models import Organisation, Site
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        public_id = session.scalar(
            select(Site.public_id)
            .join(Organisation, Organisation.id == Site.organisation_id)
            .where(Organisation.legal_name == organisation)
            .order_by(Site.id)
            .limit(1)
        )
    assert public_id, f"no demo site for {organisation}"
    return public_id


def _first_mail(app: Any) -> str:
    from sqlalchemy import select

    from certify.db import get_db
    from certify.notifications.models import Notification

    with get_db(app).new_session(writer=False) as session:
        public_id = session.scalar(select(Notification.public_id).order_by(Notification.id))
    assert public_id, "the demo wrote no message"
    return public_id


def _serial_of(app: Any, organisation: str) -> str:
    from sqlalchemy import select

    from certify.accounts.models import Organisation
    from certify.certificates.models import Certificate
    from certify.db import get_db

    with get_db(app).new_session(writer=False) as session:
        serial = session.scalar(
            select(Certificate.serial)
            .join(Organisation, Organisation.id == Certificate.organisation_id)
            .where(Organisation.legal_name == organisation)
            .limit(1)
        )
    assert serial, f"no demo certificate for {organisation}"
    return serial


@pytest.mark.parametrize(
    ("role", "path"), PAGES, ids=[f"{role or 'anonymous'}:{path}" for role, path in PAGES]
)
def test_page_has_no_serious_accessibility_violations(
    new_page, signed_in_states, live_server, role, path
) -> None:
    path = _resolve(live_server.app, path)
    axe_page, response = _page_as(new_page, signed_in_states, role, path)
    assert response is not None and response.status == 200, (
        f"{path} as {role or 'anonymous'}: HTTP {response and response.status}"
    )
    # A redirect (to the login page, say) would check the wrong page.
    assert urlsplit(axe_page.url).path == path, f"{path} went to {axe_page.url}"
    violations = axe_violations(axe_page)
    assert not violations, (
        f"{path} as {role or 'anonymous'}: {len(violations)} serious or critical "
        f"accessibility violation(s):\n{describe_violations(violations)}"
    )


#: Where the phone test leaves its screenshots (not committed: /artifacts/ is ignored), when
#: asked for: ``make screenshots`` (CERTIFY_SCREENSHOTS=1). Full-page shots of every page at two
#: widths cost more than the check itself, so the suite's own runs take none.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TAKE_SCREENSHOTS = os.environ.get("CERTIFY_SCREENSHOTS", "") not in ("", "0")
PHONE, DESKTOP = 390, 1280


def _shot_name(role: str | None, path: str) -> str:
    return f"{role or 'anonymous'}{re.sub(r'[^A-Za-z0-9]+', '_', path)}".rstrip("_") + ".png"


@pytest.mark.parametrize(
    ("role", "path"), PAGES, ids=[f"{role or 'anonymous'}:{path}" for role, path in PAGES]
)
def test_page_fits_a_phone_screen(new_page, signed_in_states, live_server, role, path) -> None:
    """At 390 px nothing makes the page scroll sideways (wide tables scroll inside their own
    box); with CERTIFY_SCREENSHOTS=1, screenshots at 390 and 1280 px go to
    artifacts/screenshots/<width>/."""
    resolved = _resolve(live_server.app, path)
    for width in (PHONE, DESKTOP) if TAKE_SCREENSHOTS else (PHONE,):
        page, response = _page_as(
            new_page, signed_in_states, role, resolved, viewport={"width": width, "height": 900}
        )
        assert response is not None and response.status == 200, f"{resolved}: {response}"
        if TAKE_SCREENSHOTS:
            folder = SCREENSHOTS / str(width)
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / _shot_name(role, path)), full_page=True)
        if width == PHONE:
            wide = page.evaluate("document.documentElement.scrollWidth")
            offenders = page.evaluate(_WIDE_ELEMENTS, PHONE)
            assert wide <= PHONE, f"{path} is {wide} px wide at {PHONE} px: {offenders}"


# The elements that stick out past the viewport (for the failure message).
_WIDE_ELEMENTS = """(limit) => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > limit + 1 && !e.closest('.table-scroll'))
  .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
    + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""


def test_the_check_finds_violations(axe_page) -> None:
    """The check can fail: an unlabeled field and grey-on-white text are both reported."""
    axe_page.set_content(
        """<!doctype html><html lang="en"><head><title>Bad page</title></head><body>
        <main><h1>Bad page</h1>
        <p style="color:#bbb;background:#fff">Hard to read text</p>
        <form><input type="text" name="who"></form></main></body></html>"""
    )
    violations = axe_violations(axe_page)
    ids = {v["id"] for v in violations}
    assert "color-contrast" in ids
    assert "label" in ids
    message = describe_violations(violations)
    assert "color-contrast (serious)" in message and "input" in message


def test_the_check_passes_a_clean_page(axe_page) -> None:
    """...and it does not fail everything: the same page, fixed, has no serious violation."""
    axe_page.set_content(
        """<!doctype html><html lang="en"><head><title>Good page</title></head><body>
        <main><h1>Good page</h1>
        <p style="color:#222;background:#fff">Easy to read text</p>
        <form><label for="who">Who</label><input id="who" type="text" name="who"></form>
        </main></body></html>"""
    )
    assert axe_violations(axe_page) == []


@pytest.mark.parametrize("role", [None, "admin"])
def test_phones_get_a_compact_menu(new_page, signed_in_states, role) -> None:
    """At 390 px the header is one row (the brand and a "Menu" button) so content starts near
    the top; opening the menu shows every link, keyboard included; wide screens show the links."""
    page, _ = _page_as(
        new_page, signed_in_states, role, "/registry", viewport={"width": PHONE, "height": 800}
    )
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] <= 80, header
    assert page.locator("nav.nav-wide").is_hidden()
    menu = page.locator("details.nav-compact > summary")
    assert menu.is_visible()
    registry = page.locator("details.nav-compact a", has_text="Standards")
    assert registry.is_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    assert registry.is_visible()
    if TAKE_SCREENSHOTS:
        (SCREENSHOTS / str(PHONE)).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / str(PHONE) / _shot_name(role, "/menu-open")))
    if role == "admin":
        assert page.locator("details.nav-compact button", has_text="Sign out").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE

    wide, _ = _page_as(
        new_page, signed_in_states, role, "/registry", viewport={"width": DESKTOP, "height": 800}
    )
    assert wide.locator("details.nav-compact").is_hidden()
    assert wide.locator("nav.nav-wide a", has_text="Standards").is_visible()
