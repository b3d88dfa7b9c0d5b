"""The browser harness itself: the live server, the real CSP and CSRF, and the asyncio caveat."""

from __future__ import annotations

import asyncio

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.helpers import outside_browser_loop


def test_live_server_serves_the_app_at_its_public_url(page, live_server) -> None:
    assert live_server.url.startswith("http://localhost:")
    assert live_server.app.config["PUBLIC_URL"] == live_server.url
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert page.url == live_server.url + "/"
    assert page.evaluate("document.documentElement.lang") == "en"


def test_pages_run_under_the_apps_real_content_security_policy(page) -> None:
    """Only the accessibility check bypasses the CSP; an inline script must not run here."""
    page.goto("/")
    with pytest.raises(PlaywrightError):
        page.add_script_tag(content="window.injected = true;")
    assert page.evaluate("window.injected === undefined")


def test_forms_need_a_real_csrf_token(page) -> None:
    response = page.request.post(
        "/login", form={"email": "admin@demo.certify.test", "password": "demo-admin-2026"}
    )
    assert response.status == 400, f"HTTP {response.status}: {response.text()[:500]}"


def test_asyncio_run_works_outside_the_browser_loop(page) -> None:
    page.goto("/")  # the browser is running, so this thread has a running event loop

    async def answer() -> int:
        return 42

    coroutine = answer()
    with pytest.raises(RuntimeError, match="running event loop"):
        asyncio.run(coroutine)
    coroutine.close()  # asyncio.run refused it; close it so it is not reported as never awaited
    assert outside_browser_loop(lambda: asyncio.run(answer())) == 42
