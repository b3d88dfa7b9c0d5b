"""Issue 24's acceptance in Chromium: the demo admin enrols a passkey (Chromium's virtual
authenticator, driven through the DevTools protocol: a real WebAuthn ceremony, nothing mocked)
and a TOTP app, signs in with each, and is refused a withdrawal without a fresh second factor.

The test has a server of its own (its factors change the demo admin's) on a clock it moves.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from certify.clock import ManualClock
from certify.core.second_factor import step_at, totp_code
from certify.state import app_state
from tests.browser.accounts import ROLE_ACCOUNTS
from tests.browser.conftest import LiveServer, serve
from tests.browser.helpers import (
    axe_violations,
    describe_violations,
    login,
    logout,
    outside_browser_loop,
)

ADMIN, ADMIN_PASSWORD = ROLE_ACCOUNTS["admin"]


@pytest.fixture
def factor_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("second_factor"), "factors", CLOCK=ManualClock()) as server:
        yield server


def _virtual_authenticator(page: Page) -> Any:
    """A platform authenticator that holds passkeys and verifies its user (as Touch ID or
    Windows Hello would), through Chromium's DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp


def _serial(app: Any, organisation: str) -> str:
    from sqlalchemy import select

    from certify.accounts.models import Organisation
    from certify.certificates.models import Certificate
    from certify.db import get_db

    def read() -> str:
        with get_db(app).new_session(writer=False) as session:
            serial = session.scalar(
                select(Certificate.serial)
                .join(Organisation, Organisation.id == Certificate.organisation_id)
                .where(Organisation.legal_name == organisation, Certificate.status == "active")
            )
            assert serial is not None
            return serial

    return outside_browser_loop(read)


def _status(app: Any, serial: str) -> str:
    from sqlalchemy import select

    from certify.certificates.models import Certificate
    from certify.db import get_db

    def read() -> str:
        with get_db(app).new_session(writer=False) as session:
            return str(
                session.scalar(select(Certificate.status).where(Certificate.serial == serial))
            )

    return outside_browser_loop(read)


def _password_step(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(ADMIN)
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert urlsplit(page.url).path == "/login/second-factor"


def _code(clock: ManualClock, secret: str) -> str:
    """A code of *secret* in a step no earlier code used: the clock moves a minute on first."""
    clock.advance(dt.timedelta(minutes=1))
    return totp_code(secret, step_at(clock.now()))


def test_passkey_and_totp_enrolled_used_and_a_withdrawal_needs_a_fresh_factor(
    new_page: Callable[..., Page], factor_server: LiveServer
) -> None:
    server = factor_server
    clock = app_state(server.app).clock
    assert isinstance(clock, ManualClock)
    page = new_page(base_url=server.url)
    _virtual_authenticator(page)

    # -- signed in with the demo TOTP (the secret `make run` prints)
    login(page, ADMIN, ADMIN_PASSWORD, now=clock.now)
    assert urlsplit(page.url).path == "/dashboard"

    # -- a passkey, from the Security page
    page.locator("header").get_by_role("link", name="Security").first.click()
    page.get_by_label("Name for this passkey").fill("Virtual laptop key")
    with page.expect_navigation():
        page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Your passkey is added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Virtual laptop key", exact=True)).to_be_visible()

    # -- a TOTP app of the admin's own instead of the demo one
    page.get_by_role("button", name="Remove the authenticator app").click()
    expect(page.get_by_text("Your authenticator app is removed.")).to_be_visible()
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    secret = page.locator("code.secret").inner_text().strip()
    page.get_by_label("Code from the app").fill(_code(clock, secret))
    page.get_by_role("button", name="Set up").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert page.locator(".recovery-codes li").count() == 10
    logout(page)

    # -- signing in with the passkey
    _password_step(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Use a passkey").click()
    assert urlsplit(page.url).path == "/dashboard"
    logout(page)

    # -- signing in with the new TOTP app (the demo secret no longer works)
    _password_step(page)
    page.get_by_label("Code", exact=True).fill(_code(clock, secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert urlsplit(page.url).path == "/dashboard"

    # -- ten minutes later, a withdrawal is refused until a second factor is shown again
    clock.advance(dt.timedelta(minutes=10))
    serial = _serial(server.app, "Nairobi DataWorks")
    page.goto(f"/admin/certificates/{serial}")
    withdraw = page.locator("section.danger-zone").filter(has_text="Withdraw")
    withdraw.get_by_label("Reason category (public)").select_option("fraud")
    withdraw.get_by_label("Reason", exact=True).fill("Forged payroll")
    withdraw.get_by_role("checkbox").check()
    with page.expect_navigation():
        withdraw.get_by_role("button", name="Withdraw the certificate for good").click()
    assert urlsplit(page.url).path == "/account/reauth"
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_text("Nothing was changed")).to_be_visible()
    assert _status(server.app, serial) == "active"

    # -- confirmed with the passkey, the withdrawal goes through
    page.goto(f"/account/reauth?next=/admin/certificates/{serial}")
    with page.expect_navigation():
        page.get_by_role("button", name="Use a passkey").click()
    assert urlsplit(page.url).path == f"/admin/certificates/{serial}"
    withdraw.get_by_label("Reason category (public)").select_option("fraud")
    withdraw.get_by_label("Reason", exact=True).fill("Forged payroll")
    withdraw.get_by_role("checkbox").check()
    withdraw.get_by_role("button", name="Withdraw the certificate for good").click()
    expect(page.get_by_text(f"Certificate {serial} is withdrawn for good.")).to_be_visible()
    assert _status(server.app, serial) == "withdrawn"


def test_the_second_factor_pages_pass_the_accessibility_check(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    """The sign-in's second step (reachable only between password and code, so not in PAGES)
    and the re-authentication page, as the demo admin sees them."""
    from tests.browser.helpers import AXE_PATH

    if not AXE_PATH.exists():
        pytest.skip(f"{AXE_PATH} is missing: run `npm ci`")
    page = new_page(bypass_csp=True)
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(ADMIN)
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert urlsplit(page.url).path == "/login/second-factor"
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
