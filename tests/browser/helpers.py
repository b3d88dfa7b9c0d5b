"""What browser tests do often: sign in and out, and run the accessibility check.

Import these in tests (``from tests.browser.helpers import login``); the fixtures live in
``conftest.py``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from playwright.sync_api import Page

from certify.demo import DEMO_TOTP_SECRET

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]

#: axe-core from npm (``package.json``; ``make test`` runs ``npm ci`` when it is missing).
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"

#: Impacts that fail the accessibility check (axe also reports "minor" and "moderate").
FAILING_IMPACTS = frozenset({"serious", "critical"})

# Only the fields a failure message needs: whole axe results carry every node's HTML and
# would be slow to ship back from the browser.
_RUN_AXE = """
async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary || ''})),
  }));
}
"""


def login(
    page: Page,
    email: str,
    password: str,
    totp_secret: str | None = DEMO_TOTP_SECRET,
    now: Callable[[], dt.datetime] | None = None,
) -> None:
    """Sign in through the login form at ``/login`` and wait for the page that follows,
    answering the second-factor step (staff whose role must hold one) with a code of
    *totp_secret* (the demo accounts' public one) at *now* (default: the real time; pass the
    server's clock when it is a ``ManualClock``).

    The page that follows is the dashboard when the credentials are right and the login form
    again (with an error) when they are not; callers check which.
    """
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    if totp_secret is not None and urlsplit(page.url).path == "/login/second-factor":
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        page.get_by_label("Code", exact=True).fill(next_totp(origin, email, totp_secret, now))
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in", exact=True).click()


#: The last TOTP step used per (server, e-mail): each code works once, so the next sign-in
#: uses a later step, waiting for it when the minute's codes are used up.
_USED_STEPS: dict[tuple[str, str], int] = {}


def next_totp(
    origin: str, email: str, secret: str, now: Callable[[], dt.datetime] | None = None
) -> str:
    """A code of *secret* the server on *origin* has not yet accepted for *email*."""
    from certify.core.second_factor import TOTP_WINDOW, step_at, totp_code

    clock = now or (lambda: dt.datetime.now(dt.UTC))
    current = step_at(clock())
    step = max(current, _USED_STEPS.get((origin, email), current - 1) + 1)
    while step > current + TOTP_WINDOW and now is None:
        time.sleep(1)  # every code of this minute was used: wait for the next step
        current = step_at(clock())
    _USED_STEPS[(origin, email)] = step
    return totp_code(secret, step)


def logout(page: Page) -> None:
    """Sign out with the header's "Sign out" button and wait for the page that follows."""
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="Sign out", exact=True).click()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its serious and critical violations.

    Each violation is a dict with ``id``, ``impact``, ``help``, ``helpUrl`` and ``nodes``
    (each with ``target``, a list of CSS selectors, and ``summary``). The page's browser context
    must have been created with ``bypass_csp=True``: axe is injected as a script the app's
    Content-Security-Policy would (rightly) refuse.
    """
    page.add_script_tag(path=str(AXE_PATH))
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE)
    return [v for v in violations if v.get("impact") in FAILING_IMPACTS]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """A readable list of violations for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}")
            for detail in node["summary"].splitlines():
                if detail.strip():
                    lines.append(f"      {detail.strip()}")
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more element(s)")
    return "\n".join(lines)


def outside_browser_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call *function* in a worker thread and return its result (or raise its error).

    While Playwright runs, the test's thread has a running asyncio loop, so code that calls
    ``asyncio.run()`` (pyHanko's PDF signing and validation do) fails there; a fresh thread has
    no loop. Use it in browser tests, e.g. to validate a PDF the browser downloaded.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def mailed_link(app: Any, to: str, kind: str) -> str:
    """The link in the newest message of *kind* to *to*: what the person finds in their mail
    (the live server writes mail to its instance's outbox and ``mail/`` folder)."""
    import re

    from sqlalchemy import select

    from certify.db import get_db
    from certify.notifications.models import Notification

    def read() -> str:
        with get_db(app).new_session(writer=False) as session:
            message = session.scalar(
                select(Notification)
                .where(Notification.to_address == to, Notification.kind == kind)
                .order_by(Notification.id.desc())
            )
            assert message is not None, f"no {kind} message to {to}"
            found = re.search(r"https?://\S+", message.body_text)
            assert found, "the message has no link"
            return found.group(0)

    return outside_browser_loop(read)
