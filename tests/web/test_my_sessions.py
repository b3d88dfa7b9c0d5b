"""My sessions (issue 24): where I am signed in, revoking one or all the others, and the idle
and absolute limits from the settings."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from certify.accounts.models import UserSession
from certify.audit.models import AuditEvent
from certify.core.useragent import describe_browser
from tests.web.conftest import login
from tests.web.test_sessions import captured, replay, shows_the_sign_in_page

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def _browser(app, agent: str, address: str):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address})
    return client


def test_the_list_shows_device_address_and_last_seen(app, create_user) -> None:
    user = create_user("admin")
    laptop = _browser(app, FIREFOX, "198.51.100.7")
    phone = _browser(app, ANDROID, "203.0.113.9")
    login(laptop, user)
    login(phone, user)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Firefox on Windows" in page and "(this browser)" in page
    assert "Chrome on Android" in page
    assert "198.51.100.7" in page and "203.0.113.9" in page
    assert "Last seen" in page and "Sign out everywhere else" in page


def test_revoking_one_session_signs_that_browser_out(app, create_user, session) -> None:
    user = create_user("admin")
    laptop, phone = _browser(app, FIREFOX, "198.51.100.7"), _browser(app, ANDROID, "203.0.113.9")
    login(laptop, user)
    login(phone, user)
    stolen = captured(phone)
    phone_session = session.scalar(select(UserSession).where(UserSession.address == "203.0.113.9"))
    answer = laptop.post(f"/account/sessions/{phone_session.public_id}/revoke")
    assert answer.status_code == 302
    assert shows_the_sign_in_page(replay(app, stolen))
    assert laptop.get("/dashboard").status_code == 200
    events = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == user.public_id)
    )
    assert "session.revoked" in list(events)


def test_nobody_revokes_someone_elses_session(app, create_user, session) -> None:
    mine, theirs = app.test_client(), app.test_client()
    login(mine, create_user("auditor"))
    login(theirs, create_user("auditor"))
    other = session.scalars(select(UserSession).order_by(UserSession.id)).all()[-1]
    assert mine.post(f"/account/sessions/{other.public_id}/revoke").status_code == 404
    assert theirs.get("/dashboard").status_code == 200


def test_signing_out_everywhere_else_keeps_this_browser(app, create_user, clock) -> None:
    user = create_user("reviewer")
    browsers = [app.test_client() for _ in range(3)]
    for browser in browsers:
        login(browser, user)
    stolen = [captured(b) for b in browsers[1:]]
    assert browsers[0].post("/account/sessions/revoke-others").status_code == 302
    assert browsers[0].get("/dashboard").status_code == 200
    assert all(shows_the_sign_in_page(replay(app, cookie)) for cookie in stolen)


def test_revoking_this_session_signs_me_out(client, create_user, session) -> None:
    login(client, create_user("issp"))
    mine = session.scalar(select(UserSession))
    answer = client.post(f"/account/sessions/{mine.public_id}/revoke")
    assert answer.headers["Location"] == "/login"
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize("app_config", [{"SESSION_ABSOLUTE_HOURS": 2, "SESSION_IDLE_MINUTES": 30}])
def test_idle_and_absolute_limits_come_from_the_settings(app, client, create_user, clock) -> None:
    login(client, create_user("auditor"))
    for _ in range(4):  # busy: never idle for 30 minutes...
        clock.advance(dt.timedelta(minutes=25))
        assert client.get("/dashboard").status_code == 200
    clock.advance(dt.timedelta(minutes=21))  # ...but 2 hours after signing in, it ends
    assert client.get("/dashboard").status_code == 302
    other = app.test_client()
    login(other, create_user("auditor"))
    clock.advance(dt.timedelta(minutes=31))
    assert other.get("/dashboard").status_code == 302


def test_browsers_are_described_for_people() -> None:
    assert describe_browser(FIREFOX) == "Firefox on Windows"
    assert describe_browser(ANDROID) == "Chrome on Android"
    assert describe_browser(None) == "Unknown browser"
    assert describe_browser("something odd") == "Unknown browser"
