"""Signing in: each demo account reaches its own dashboard and navigation; bad passwords do not."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.accounts import DEMO_ACCOUNTS
from tests.browser.helpers import login, logout


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=[a.email for a in DEMO_ACCOUNTS])
def test_demo_account_signs_in_and_sees_its_own_navigation(page, account) -> None:
    login(page, account.email, account.password)

    assert urlsplit(page.url).path == "/dashboard"
    expect(page.get_by_role("heading", name=account.dashboard_title).first).to_be_visible()
    header = page.locator("header")
    expect(header).to_contain_text(f"Signed in as {account.email}")
    staff_link = header.get_by_role("link", name="Staff accounts")
    organisation_link = header.get_by_role("link", name="My organisation")
    if account.role == "admin":
        expect(staff_link).to_be_visible()
    else:
        expect(staff_link).to_have_count(0)
    if account.role == "issp":
        expect(organisation_link).to_be_visible()
    else:
        expect(organisation_link).to_have_count(0)

    logout(page)
    expect(page.locator("header")).not_to_contain_text("Signed in as")
    # Signed out means signed out: the dashboard now asks for a login.
    page.goto("/dashboard")
    assert urlsplit(page.url).path == "/login"


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page) -> None:
    # auditor2 rather than an account other tests sign in with: failures make this client wait.
    login(page, "auditor2@demo.certify.test", "not-the-demo-password")

    assert urlsplit(page.url).path == "/login"
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_role("alert").first).not_to_be_empty()
    expect(page.locator("header")).not_to_contain_text("Signed in as")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    page.goto("/dashboard")
    assert urlsplit(page.url).path == "/login"


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(page) -> None:
    """The login form must not tell who has an account."""
    login(page, "auditor2@demo.certify.test", "not-the-demo-password")
    wrong_password = page.get_by_role("alert").first.inner_text()
    login(page, "nobody@nowhere.demo", "not-the-demo-password")

    assert urlsplit(page.url).path == "/login"
    assert page.get_by_role("alert").first.inner_text() == wrong_password
    assert not re.search(r"no (such )?(account|user)|not (found|registered)", wrong_password, re.I)
