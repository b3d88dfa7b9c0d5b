"""Issue 25, behind the documented TLS proxy: with ``TRUSTED_PROXIES`` the client's own address
and scheme count (rate limits, sign-in throttles, HSTS); without it, forwarding headers are
ignored, so no client can choose its address."""

from __future__ import annotations

import pytest
from flask import request

from certify import create_app
from certify.access import public
from certify.config import ConfigurationError
from tests.web.conftest import PASSWORD, make_test_config

BEHIND_PROXY = {"TRUSTED_PROXIES": 1}
LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_SEARCH": "2/minute"}


def forwarded(address: str, proto: str = "http") -> dict[str, str]:
    """What the proxy adds in front of the app."""
    return {"X-Forwarded-For": address, "X-Forwarded-Proto": proto}


@pytest.fixture
def probe(app):
    """A route answering what the app believes about the client."""

    @public
    def client_seen():
        return {"address": request.remote_addr, "secure": request.is_secure, "host": request.host}

    app.add_url_rule("/_probe", "client_seen", client_seen)
    return lambda client, headers: client.get("/_probe", headers=headers).json


@pytest.mark.parametrize("app_config", [BEHIND_PROXY])
def test_behind_a_trusted_proxy_the_client_is_the_forwarded_one(client, probe) -> None:
    seen = probe(client, {**forwarded("203.0.113.9", "https"), "X-Forwarded-Host": "reg.example"})
    assert seen == {"address": "203.0.113.9", "secure": True, "host": "reg.example"}
    # a client that sends its own X-Forwarded-For gets it prepended to by the proxy: only the
    # entry the trusted proxy added counts
    spoofed = probe(client, forwarded("10.0.0.1, 203.0.113.9"))
    assert spoofed["address"] == "203.0.113.9"


def test_without_trusted_proxies_forwarding_headers_are_ignored(client, probe) -> None:
    seen = probe(client, {**forwarded("203.0.113.9", "https"), "X-Forwarded-Host": "evil.example"})
    assert seen == {"address": "127.0.0.1", "secure": False, "host": "localhost"}


@pytest.mark.parametrize("app_config", [BEHIND_PROXY])
def test_hsts_is_sent_behind_an_https_proxy(client) -> None:
    assert (
        "Strict-Transport-Security"
        in client.get("/", headers=forwarded("203.0.113.9", "https")).headers
    )
    assert (
        "Strict-Transport-Security" not in client.get("/", headers=forwarded("203.0.113.9")).headers
    )


def test_a_client_cannot_claim_https_without_a_trusted_proxy(client) -> None:
    response = client.get("/", headers=forwarded("203.0.113.9", "https"))
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("app_config", [{**BEHIND_PROXY, **LIMITED}])
def test_rate_limits_count_each_client_behind_the_proxy(client) -> None:
    for _ in range(2):
        assert client.get("/registry", headers=forwarded("203.0.113.1")).status_code == 200
    assert client.get("/registry", headers=forwarded("203.0.113.1")).status_code == 429
    assert client.get("/registry", headers=forwarded("203.0.113.2")).status_code == 200


@pytest.mark.parametrize("app_config", [LIMITED])
def test_a_forged_forwarded_for_does_not_escape_the_rate_limit(client) -> None:
    for n in range(2):
        assert client.get("/registry", headers=forwarded(f"198.51.100.{n}")).status_code == 200
    assert client.get("/registry", headers=forwarded("198.51.100.77")).status_code == 429


def guess_until_refused(client, address: str) -> int:
    """Wrong passwords for ever new e-mail addresses from *address* until refused (429)."""
    for n in range(200):
        data = {"email": f"guess{n}@example.org", "password": "not the password"}
        status = client.post("/login", data=data, headers=forwarded(address)).status_code
        if status == 429:
            return n
        assert status == 401
    raise AssertionError("never refused")


@pytest.mark.parametrize("app_config", [BEHIND_PROXY])
def test_sign_in_throttling_counts_each_client_behind_the_proxy(app, create_user) -> None:
    user = create_user("auditor")
    guess_until_refused(app.test_client(), "203.0.113.1")
    right = {"email": user.email, "password": PASSWORD}
    other = app.test_client().post("/login", data=right, headers=forwarded("203.0.113.2"))
    assert other.status_code == 302  # another client behind the same proxy is not affected


def test_without_trusted_proxies_a_forged_address_does_not_escape_throttling(
    app, create_user
) -> None:
    user = create_user("auditor")
    guess_until_refused(app.test_client(), "203.0.113.1")
    right = {"email": user.email, "password": PASSWORD}
    again = app.test_client().post("/login", data=right, headers=forwarded("203.0.113.2"))
    assert again.status_code == 429


@pytest.mark.parametrize("hops", [-1, "one", True, 1.5])
def test_trusted_proxies_must_be_a_count(tmp_path, hops) -> None:
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        create_app(make_test_config("sqlite://", str(tmp_path), TRUSTED_PROXIES=hops))


def test_trusted_proxies_comes_from_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CERTIFY_TRUSTED_PROXIES", "2")
    app = create_app(make_test_config("sqlite://", str(tmp_path)))
    assert app.config["TRUSTED_PROXIES"] == 2
    assert type(app.wsgi_app).__name__ == "ProxyFix"
