"""Issue 25, sessions survive sign-out: a signed-in session is a server-side record the cookie
names; signing out or changing the password ends it on the server."""

from __future__ import annotations

import datetime as dt
import hashlib

from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from certify.accounts.models import User, UserSession
from tests.web import certificate_fixtures
from tests.web.conftest import PASSWORD, login

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

COOKIE = "certify_session"
NEW_PASSWORD = "a brand new password"


def captured(client) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def replay(app, value: str):
    """A new browser presenting a cookie captured earlier."""
    attacker = app.test_client()
    attacker.set_cookie(COOKIE, value)
    return attacker


def shows_the_sign_in_page(client) -> bool:
    response = client.get("/dashboard", follow_redirects=True)
    return response.request.path == "/login" and "Sign in" in response.get_data(as_text=True)


def test_a_cookie_captured_before_sign_out_opens_nothing_after_it(app, client, create_user):
    user = create_user("admin")
    assert login(client, user).status_code == 302
    stolen = captured(client)
    assert replay(app, stolen).get("/dashboard").status_code == 200  # the capture works...
    assert client.post("/logout").status_code == 302
    # ...until the owner signs out: then it opens nothing, anywhere
    assert shows_the_sign_in_page(replay(app, stolen))
    assert shows_the_sign_in_page(client)


def test_after_a_password_change_the_other_sessions_cookie_is_void(app, create_user) -> None:
    user = create_user("auditor")
    mine, other = app.test_client(), app.test_client()
    login(mine, user)
    login(other, user)
    stolen = captured(other)
    response = mine.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert mine.get("/dashboard").status_code == 200  # the session that changed it goes on
    assert shows_the_sign_in_page(replay(app, stolen))
    assert shows_the_sign_in_page(other)


def test_the_cookie_holds_a_token_and_the_database_only_its_hash(app, client, create_user, session):
    user = create_user("reviewer")
    login(client, user)
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    content = serializer.loads(captured(client))
    assert "uid" not in content and user.public_id not in str(content)
    record = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert record.token_hash == hashlib.sha256(content["sid"].encode()).hexdigest()
    assert content["sid"] not in record.token_hash and len(content["sid"]) >= 43


def test_a_cookie_signed_with_the_key_but_naming_no_session_signs_nobody_in(
    app, create_user
) -> None:
    """Even someone who knows the secret key cannot forge a session: it must exist."""
    user = create_user("admin")
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    for forged in (
        {"_permanent": True, "sid": "a" * 43},
        {"_permanent": True, "uid": user.public_id, "sv": 1},  # the old format
    ):
        assert shows_the_sign_in_page(replay(app, serializer.dumps(forged)))


def test_an_idle_session_ends_on_the_server(app, client, create_user, clock) -> None:
    login(client, create_user("auditor"))
    stolen = captured(client)
    clock.advance(dt.timedelta(hours=7, minutes=59))
    assert client.get("/dashboard").status_code == 200  # seen: idle time starts again
    clock.advance(dt.timedelta(hours=8, minutes=1))
    # the browser would have dropped the cookie; a replayed copy is refused by the server
    assert shows_the_sign_in_page(replay(app, stolen))


def test_last_seen_is_recorded_on_reads_at_most_once_a_minute(
    client, create_user, session, clock
) -> None:
    user = create_user("auditor")
    login(client, user)
    started = clock.now()

    def last_seen() -> dt.datetime:
        session.expire_all()
        return session.scalars(
            select(UserSession.last_seen_at).where(UserSession.user_id == user.id)
        ).one()

    clock.advance(dt.timedelta(seconds=30))
    client.get("/dashboard")
    assert last_seen() == started
    later = clock.advance(dt.timedelta(minutes=2))
    assert client.get("/dashboard").status_code == 200  # a GET, which never commits
    assert last_seen() == later


def test_a_deactivated_users_session_ends(client, create_user, session) -> None:
    user = create_user("auditor")
    login(client, user)
    session.get(User, user.id).is_active = False
    session.commit()
    assert shows_the_sign_in_page(client)


def test_signing_in_again_starts_a_new_session(client, create_user, session) -> None:
    user = create_user("auditor")
    login(client, user)
    first = captured(client)
    client.post("/logout")
    login(client, user)
    assert captured(client) != first
    records = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert sorted(r.revoked_reason or "open" for r in records) == ["open", "signed_out"]


def test_a_signed_in_persons_verify_page_is_never_shown_to_others(
    app, client, login_as, make_application, issue
) -> None:
    """The QR-target page is cached for anonymous visitors only; a session cookie (now a
    token, not a user id) marks a visitor who is not anonymous."""
    certificate = issue(make_application())
    user = login_as("auditor")
    client.get("/dashboard")  # shows (and so clears) the flashed "Signed in" message
    mine = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert f"Signed in as {user.email}" in mine
    theirs = app.test_client().get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "Genuine and valid" in theirs and user.email not in theirs
