"""An ISSP registers, signs out, signs in again, invites a colleague, and the colleague joins."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.helpers import login, logout, mailed_link

PASSWORD = "Lakeside-passphrase-2026"


def _fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def test_issp_registers_and_invites_a_colleague_who_joins(page, new_page, live_server) -> None:
    token = secrets.token_hex(3)
    organisation = f"Lakeside Impact Data {token}"
    founder = ("Wanjiru Otieno", f"wanjiru.{token}@lakeside-impact.demo")
    colleague = ("Joseph Mwangi", f"joseph.{token}@lakeside-impact.demo")

    # Register the organisation and its first member.
    page.goto("/register")
    _fill(page, "Organisation legal name", organisation)
    page.get_by_label("Country", exact=True).select_option("KE")
    _fill(page, "Registration number", f"PVT-2026-{token}")
    _fill(page, "Website", "https://lakeside-impact.example")
    page.get_by_label("Site name", exact=True).first.fill("Kisumu delivery centre")
    page.get_by_label("Site address", exact=True).first.fill("Oginga Odinga Street 12, Kisumu")
    _fill(page, "Your full name", founder[0])
    _fill(page, "Email", founder[1])
    _fill(page, "Password", PASSWORD)
    _fill(page, "Repeat password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Register", exact=True).click()
    assert urlsplit(page.url).path == "/dashboard"
    expect(page.get_by_role("heading", name=organisation).first).to_be_visible()
    expect(page.locator("header")).to_contain_text(f"Signed in as {founder[1]}")

    # Sign out and in again with the new password.
    logout(page)
    expect(page.locator("header")).not_to_contain_text("Signed in as")
    login(page, founder[1], PASSWORD)
    assert urlsplit(page.url).path == "/dashboard"
    expect(page.get_by_role("heading", name=organisation).first).to_be_visible()

    # Invite a colleague.
    with page.expect_navigation():
        page.locator("header").get_by_role("link", name="My organisation").click()
    assert urlsplit(page.url).path == "/organisation"
    _fill(page, "Your colleague's e-mail address", colleague[1])
    with page.expect_navigation():
        page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("main")).to_contain_text(f"Invitation sent to {colleague[1]}")
    expect(page.locator("main")).not_to_contain_text("/invite/")  # the link is in the mail only
    link = mailed_link(live_server.app, colleague[1], "account.invitation")

    # The colleague opens the link in a browser of their own and joins.
    other = new_page()
    response = other.goto(link)
    assert response is not None and response.ok, f"{link}: HTTP {response and response.status}"
    _fill(other, "Your full name", colleague[0])
    _fill(other, "Email", colleague[1])
    _fill(other, "Password", PASSWORD)
    _fill(other, "Repeat password", PASSWORD)
    with other.expect_navigation():
        other.get_by_role("button", name="Join", exact=True).click()
    assert urlsplit(other.url).path == "/dashboard"
    expect(other.get_by_role("heading", name=organisation).first).to_be_visible()
    expect(other.locator("header")).to_contain_text(f"Signed in as {colleague[1]}")

    # The founder's organisation page lists both members.
    page.goto("/organisation")
    members = page.locator("main")
    for name, email in (founder, colleague):
        expect(members).to_contain_text(name)
        expect(members).to_contain_text(email)
