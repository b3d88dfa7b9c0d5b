"""Browser fixtures: the app served on a free loopback port, and Debian's Chromium via Playwright.

- ``live_server``: one server per test session on ``http://localhost:<free port>`` (bound to
  127.0.0.1; named ``localhost`` because browsers treat that as a secure context, which
  WebAuthn needs), with a database of its own (migrated, then demo data), real CSRF and
  ``PUBLIC_URL`` set to its own origin. Tests share it, so they must not depend on data other
  tests change.
- ``clocked_server``: the same, for one test, on a clock the test moves (``ManualClock``).
- ``browser``: Debian's Chromium, always ``/usr/bin/chromium`` (never a browser that Playwright
  downloads), started once for the browser tests and stopped after them; skipped with a reason
  when it is missing, which CI turns into a failure.
- ``page``: a new context and page per test, whose relative URLs go to the live server.
- ``new_page(**context_options)``: more pages in new contexts (another person, or
  ``bypass_csp=True`` for the accessibility check).

Every test under ``tests/browser/`` is marked ``browser``. When a test fails, a screenshot of
each of its open pages is saved in a temporary folder and its path printed in the report.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from certify import create_app
from certify.clock import ManualClock
from certify.db import get_db, make_engine, upgrade_database
from tests.conftest import new_database_url
from tests.web.conftest import make_test_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests may run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
#: Playwright's default is 30 s; a page of ours that takes 10 s is a failure worth seeing fast.
TIMEOUT_MS = 10_000

_HERE = Path(__file__).resolve().parent
_OPEN_PAGES = pytest.StashKey[list[Page]]()
_SCREENSHOT_DIR = pytest.StashKey[str]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# ---------------------------------------------------------------------------------------------
# The live server


@dataclass
class LiveServer:
    """The app served over HTTP: ``url`` is its origin (no trailing slash)."""

    url: str
    app: Flask


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without its per-request access log (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _Deferred:
    """A WSGI app set after the server is bound (the app needs the server's port first),
    whose responses are read into memory and closed before they are sent.

    Werkzeug's server skips closing a response when the browser drops the connection early
    (a page closed while its favicon loads): the static file stays open and pytest reports the
    ResourceWarning, as an error, in whichever later test the garbage collector runs.
    """

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        response = self.app(environ, start_response)
        try:
            return list(response)
        finally:
            if hasattr(response, "close"):
                response.close()


def _prepare_data(app: Flask) -> None:
    """What ``flask init`` does on an empty database, after the migrations: init steps, demo."""
    from certify.db import db_session
    from certify.demo import load_demo

    with app.app_context():
        for step in app.extensions.get("certify.init_steps", []):
            step()
        db_session().commit()
    with app.app_context():
        load_demo(echo=lambda _message: None)
        db_session().commit()


@contextmanager
def serve(tmp: Path, label: str, **settings: Any) -> Iterator[LiveServer]:
    """Serve a new app (its own database, migrated, with demo data; *settings* on top of the
    test settings) on a free loopback port until the block ends."""
    url, cleanup = new_database_url(str(tmp), label)
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()

    deferred = _Deferred()
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, deferred, threaded=True, request_handler=_QuietHandler
    )
    # "localhost", not the address: a secure context for WebAuthn, and the passkeys' RP id
    origin = f"http://localhost:{server.port}"
    app: Flask | None = None
    thread: threading.Thread | None = None
    try:
        app = deferred.app = create_app(
            make_test_config(
                url,
                str(tmp / "instance"),
                WTF_CSRF_ENABLED=True,  # browsers must go through real CSRF protection
                PUBLIC_URL=origin,
                **settings,
            )
        )
        _prepare_data(app)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        yield LiveServer(url=origin, app=app)
    finally:
        if thread is not None:
            server.shutdown()
            thread.join(timeout=10)
        server.server_close()
        if app is not None:
            get_db(app).engine.dispose()
        cleanup()  # type: ignore[operator]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app, migrated and with demo data, served on a free loopback port for the session."""
    with serve(tmp_path_factory.mktemp("live_server"), "live") as server:
        yield server


@pytest.fixture
def clocked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server of the test's own whose clock the test moves: the app is built with a
    :class:`~certify.clock.ManualClock` (``CLOCK`` in its test settings, the one way in for a
    clock object), so time passes on the server, in its requests and in the daily duties the
    test runs, without waiting and without patching anything. Its own database, so moving
    time cannot disturb the tests sharing ``live_server``. Major non-conformities past their
    due date suspend at once here (``NC_OVERDUE_ACTION = "suspend"``)."""
    with serve(
        tmp_path_factory.mktemp("clocked_server"),
        "clocked",
        CLOCK=ManualClock(),
        NC_OVERDUE_ACTION="suspend",
    ) as server:
        yield server


# ---------------------------------------------------------------------------------------------
# The browser


class _Chromium:
    """One Playwright and one Chromium, started on first use and stopped when the browser
    tests are done.

    Why not a plain session-scoped fixture: while Playwright's sync API is alive, the main
    thread has a running asyncio loop, so ``asyncio.run()`` (which pyHanko's signing and
    validation use) fails in every later test. The browser is therefore stopped as soon as the
    next test is not a browser test (see ``pytest_runtest_teardown``); browser tests sit
    together in this folder, so a session starts it once.
    """

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self.browser: Browser | None = None

    def get(self, tmp_path_factory: pytest.TempPathFactory) -> Browser:
        if self.browser is not None:
            return self.browser
        from playwright.sync_api import sync_playwright

        home = tmp_path_factory.mktemp("chromium-home")
        # Chromium writes settings, caches and an NSS database under these: keep them out of
        # the real home folder.
        env: dict[str, str | float | bool] = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
        }
        self._playwright = playwright = sync_playwright().start()
        try:
            self.browser = browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env
            )
        except BaseException:
            self.stop()
            raise
        return browser

    def stop(self) -> None:
        browser, playwright = self.browser, self._playwright
        self.browser = self._playwright = None
        try:
            if browser is not None:
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


_CHROMIUM = _Chromium()


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    """Debian's Chromium driven by Playwright (one for all the browser tests in a row)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    return _CHROMIUM.get(tmp_path_factory)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    try:
        return (yield)
    finally:
        if nextitem is None or nextitem.get_closest_marker("browser") is None:
            _CHROMIUM.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _CHROMIUM.stop()  # after -x or Ctrl+C the last test run may not have stopped it


@pytest.fixture
def new_page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """Open a page in a new browser context: ``new_page(**context_options)``.

    Contexts share nothing (cookies, storage), so each is a different person. Relative URLs
    go to the live server. Everything opened is closed after the test.
    """
    contexts = []
    pages = request.node.stash.setdefault(_OPEN_PAGES, [])

    def open_page(**context_options: Any) -> Page:
        context_options.setdefault("base_url", live_server.url)
        context = browser.new_context(**context_options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    pages.clear()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A page in a new browser context on the live server."""
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failure, save a screenshot of each of the test's open pages and print its path."""
    report = yield
    pages = item.stash.get(_OPEN_PAGES, [])
    if report.when == "call" and report.failed and pages:
        config = item.config
        if _SCREENSHOT_DIR not in config.stash:
            config.stash[_SCREENSHOT_DIR] = tempfile.mkdtemp(prefix="certify-browser-failures-")
        folder = Path(config.stash[_SCREENSHOT_DIR])
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in item.name)[:120]
        saved = []
        for number, open_page in enumerate(pages, 1):
            path = folder / f"{safe}-{number}.png"
            try:
                open_page.screenshot(path=str(path), full_page=True, timeout=5_000)
            except Exception as exc:  # a crashed page must not hide the real failure
                saved.append(f"(page {number}: no screenshot: {exc.__class__.__name__})")
            else:
                saved.append(f"{path}  (at {open_page.url})")
        report.sections.append(("browser screenshots", "\n".join(saved)))
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Say once more, at the end, where the failure screenshots are."""
    folder = config.stash.get(_SCREENSHOT_DIR, None)
    if folder:
        terminalreporter.write_line(f"browser failure screenshots: {folder}")
