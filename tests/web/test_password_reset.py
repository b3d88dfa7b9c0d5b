"""Forgotten passwords: a single-use, expiring link by e-mail, the same answer for every
address, other sessions ended, the owner told."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from certify.accounts.models import AccountToken
from certify.notifications.models import Notification
from tests.web.conftest import PASSWORD, login

NEW = "a brand new long password"


def _messages(session, to: str, kind: str) -> list[Notification]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.to_address == to, Notification.kind == kind)
            .order_by(Notification.id)
        )
    )


def _reset_path(session, to: str) -> str:
    body = _messages(session, to, "account.password_reset")[-1].body_text
    return re.search(r"http://registry\.test(/password/reset/\S+)", body).group(1)


def test_the_answer_is_the_same_whether_or_not_the_account_exists(
    client, create_user, session
) -> None:
    user = create_user("issp")
    known = client.post("/password/forgot", data={"email": user.email}, follow_redirects=True)
    unknown = client.post(
        "/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    said = [
        r.get_data(as_text=True).replace(user.email, "X").replace("nobody@example.org", "X")
        for r in (known, unknown)
    ]
    assert said[0] == said[1]
    assert len(_messages(session, user.email, "account.password_reset")) == 1
    assert _messages(session, "nobody@example.org", "account.password_reset") == []


def test_the_link_sets_a_new_password_once_and_ends_every_session(
    app, client, create_user, session
) -> None:
    user = create_user("issp")
    elsewhere = app.test_client()
    assert login(elsewhere, user).status_code == 302
    client.post("/password/forgot", data={"email": user.email})
    path = _reset_path(session, user.email)
    token = path.rsplit("/", 1)[1]
    assert token not in {row.token_hash for row in session.scalars(select(AccountToken))}
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW, "password_confirm": NEW})
    assert response.status_code == 302
    assert elsewhere.get("/dashboard").status_code == 302  # signed out everywhere
    assert login(client, user, PASSWORD).status_code != 302
    assert login(app.test_client(), user, NEW).status_code == 302
    again = app.test_client().post(path, data={"password": NEW, "password_confirm": NEW})
    assert again.status_code == 404 and "not valid" in again.get_data(as_text=True)
    assert _messages(session, user.email, "account.password_changed")


def test_an_expired_link_is_refused(app, client, create_user, session, clock) -> None:
    user = create_user("admin")
    client.post("/password/forgot", data={"email": user.email})
    path = _reset_path(session, user.email)
    clock.advance(dt.timedelta(minutes=61))
    response = client.get(path)
    assert response.status_code == 404
    assert "Ask for a new one" in response.get_data(as_text=True)


def test_a_mismatched_confirmation_changes_nothing(app, client, create_user, session) -> None:
    user = create_user("issp")
    client.post("/password/forgot", data={"email": user.email})
    path = _reset_path(session, user.email)
    response = client.post(path, data={"password": NEW, "password_confirm": NEW + "!"})
    assert response.status_code == 400
    assert login(app.test_client(), user, PASSWORD).status_code == 302


def test_changing_the_password_tells_its_owner(client, login_as, session) -> None:
    user = login_as("auditor")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW, "password_confirm": NEW},
    )
    assert response.status_code == 302
    assert _messages(session, user.email, "account.password_changed")


def test_repeated_failed_sign_ins_tell_the_owner(app, create_user, session) -> None:
    user = create_user("issp")
    limit = app.config["LOGIN_ACCOUNT_ALERT"]
    for n in range(limit + 1):
        attacker = app.test_client()
        # from many addresses, so no per-address wait stops the count
        attacker.post(
            "/login",
            data={"email": user.email, "password": "wrong"},
            environ_base={"REMOTE_ADDR": f"10.0.{n // 200}.{n % 200 + 1}"},
        )
    alerts = _messages(session, user.email, "account.throttled")
    assert len(alerts) == 1 and str(limit) in alerts[0].body_text


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_asking_for_reset_mail_is_rate_limited(client, create_user, app_config) -> None:
    user = create_user("issp")
    answers = [
        client.post("/password/forgot", data={"email": user.email}).status_code for _ in range(11)
    ]
    assert answers[:10] == [302] * 10 and answers[10] == 429
