"""Clients through the API (tokens: hashed at rest, scoped, revocable) and the badge."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from certify.clients.models import ApiToken
from certify.core.actor import Actor
from tests.web import certificate_fixtures
from tests.web.conftest import login

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


def _token(client, scopes: list[str]) -> str:
    page = client.post("/account/api-tokens", data={"name": "ERP", "scopes": scopes})
    assert page.status_code == 200
    return re.search(r"cfy_[\w-]+", page.get_data(as_text=True)).group(0)


def test_a_token_is_hashed_scoped_and_revocable(
    app, client, session, create_user, make_application, issue
) -> None:
    certificate = issue(make_application())
    login(client, create_user("client"))
    reader, writer = _token(client, ["read"]), _token(client, ["read", "write"])
    rows = session.scalars(select(ApiToken)).all()
    assert all(reader not in (r.token_hash, r.name) and len(r.token_hash) == 64 for r in rows)
    api = app.test_client()  # no cookie: the token alone
    auth = {"Authorization": f"Bearer {writer}"}
    added = api.post("/api/v1/watches", json={"subject": certificate.serial}, headers=auth)
    assert added.status_code == 201
    assert added.get_json()["certificate"]["serial"] == certificate.serial
    listed = api.get("/api/v1/watches", headers={"Authorization": f"Bearer {reader}"})
    assert [w["id"] for w in listed.get_json()["items"]] == [added.get_json()["id"]]
    refused = api.post(
        "/api/v1/watches",
        json={"subject": certificate.serial},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert refused.status_code == 403
    assert (
        api.get("/api/v1/watches", headers={"Authorization": "Bearer cfy_nope"}).status_code == 401
    )
    assert api.get("/api/v1/watches").status_code == 401
    unknown = api.post("/api/v1/watches", json={"subject": "ISR-0000"}, headers=auth)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["message"]
    webhook = api.post("/api/v1/webhooks", json={"url": "https://10.0.0.1/x"}, headers=auth)
    assert webhook.status_code == 400 and "private" in webhook.get_json()["error"]["message"]
    page = client.get("/account/api-tokens").get_data(as_text=True)
    revoke = re.findall(r"/account/api-tokens/([\w-]+)/revoke", page)
    for public_id in revoke:
        assert client.post(f"/account/api-tokens/{public_id}/revoke").status_code == 302
    assert api.get("/api/v1/watches", headers=auth).status_code == 401
    deleted = api.delete(f"/api/v1/watches/{added.get_json()['id']}", headers=auth)
    assert deleted.status_code == 401


def test_a_tokens_last_use_is_recorded_at_most_once_a_minute_and_listed(
    app, client, session, create_user, clock
) -> None:
    login(client, create_user("client"))
    token = _token(client, ["read"])
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    def last_used() -> dt.datetime | None:
        session.expire_all()
        return session.scalars(select(ApiToken.last_used_at)).one()

    assert last_used() is None
    assert "never" in client.get("/account/api-tokens").get_data(as_text=True)
    first = clock.now()
    assert api.get("/api/v1/watches", headers=auth).status_code == 200  # a GET: no commit
    assert last_used() == first
    clock.advance(dt.timedelta(seconds=30))
    api.get("/api/v1/watches", headers=auth)
    assert last_used() == first  # not a write per request
    later = clock.advance(dt.timedelta(minutes=2))
    # a refused write still used the token: it authenticated
    refused = api.post("/api/v1/watches", json={"subject": "x"}, headers=auth)
    assert refused.status_code == 403
    assert last_used() == later
    assert (
        api.get("/api/v1/watches", headers={"Authorization": "Bearer cfy_nope"}).status_code == 401
    )
    assert last_used() == later
    page = client.get("/account/api-tokens").get_data(as_text=True)
    assert "Last used" in page and later.strftime("%H:%M UTC") in page


def test_a_signed_in_client_reads_but_does_not_write_by_cookie(client, create_user) -> None:
    login(client, create_user("client"))
    assert client.get("/api/v1/webhooks").get_json() == {"items": []}
    assert client.post("/api/v1/webhooks", json={"url": "https://example.com/"}).status_code == 401


@pytest.mark.parametrize("role", ["admin", "issp"])
def test_other_roles_have_no_watch_list(client, create_user, role) -> None:
    login(client, create_user(role))
    assert client.get("/watches").status_code == 403
    assert client.get("/api/v1/watches").status_code == 403


def test_the_badge_shows_the_live_status_and_is_cacheable_for_minutes(
    app, client, session, make_application, issue
) -> None:
    from certify import lifecycle

    certificate = issue(make_application(org_name="Badge Holder"))
    answer = client.get(f"/registry/{certificate.serial}/badge.svg")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    body = answer.get_data(as_text=True)
    assert "Certified: valid" in body and certificate.serial in body and "<script" not in body
    with app.app_context():
        lifecycle.suspend_certificate(session, certificate, Actor.cli("t"), "administrative", "x")
        session.commit()
    assert "Suspended" in client.get(f"/registry/{certificate.serial}/badge.svg").get_data(
        as_text=True
    )
    typed = client.get(f"/registry/{certificate.serial.lower()}/badge.svg")
    assert typed.status_code == 301
    unknown = client.get("/registry/ISR-0000-0000-0000-0/badge.svg")
    assert unknown.status_code == 404 and "Unknown certificate" in unknown.get_data(as_text=True)
    page = client.get(f"/registry/{certificate.serial}").get_data(as_text=True)
    assert f"/registry/{certificate.serial}/badge.svg" in page
