"""Production serving, with real processes: gunicorn with the repository's configuration
(JSON access log, metrics added up over its workers), two app servers sharing rate limits in
Redis, and the nginx example in front of them (retrying when one is killed)."""

from __future__ import annotations

import http.client
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.appserver import AppServer, app_environment, start_gunicorn
from tests.core.tools import require_tool
from tests.nginx import start_nginx
from tests.s3_server import free_port

REDIS = "redis://127.0.0.1:6379/0"
TOKEN = "metrics-" + secrets.token_hex(16)


def get(
    url: str, headers: dict[str, str] | None = None, source: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """GET *url*; *source* is the loopback address to send from (a client of its own)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=10, source_address=(source, 0) if source else None
    )
    try:
        connection.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {}
        )
        answer = connection.getresponse()
        return answer.status, dict(answer.headers), answer.read()
    finally:
        connection.close()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[AppServer]]:
    started: list[AppServer] = []
    yield started
    for server in started:
        server.stop()


def test_gunicorn_serves_with_the_repository_configuration(
    fresh_database_url, tmp_path, servers
) -> None:
    env = app_environment(
        fresh_database_url, tmp_path / "instance", METRICS_TOKEN=TOKEN, RATELIMIT_ENABLED=False
    )
    server = start_gunicorn(env, tmp_path / "gunicorn.log", workers=2)
    servers.append(server)
    before = _healthz_count(server)
    ids = [get(f"{server.url}/healthz")[1]["X-Request-ID"] for _ in range(12)]
    assert _healthz_count(server) == before + 12  # added up over both workers
    assert get(f"{server.url}/metrics")[0] == 403
    server.stop()
    access = [
        json.loads(x) for x in server.log.with_suffix(".access.json").read_text().splitlines()
    ]
    assert {e["request_id"] for e in access} >= set(ids)
    assert {e["status"] for e in access if e["path"] == "/healthz"} == {200}
    assert len({e["pid"] for e in access}) >= 1
    server_log = [json.loads(x) for x in server.log.read_text().splitlines()]  # all JSON
    assert any("Booting worker" in e["message"] for e in server_log)


def _healthz_count(server: AppServer) -> float:
    status, _headers, body = get(f"{server.url}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    prefix = 'certify_http_requests_total{endpoint="main.healthz"'
    line = next(x for x in body.decode().splitlines() if x.startswith(prefix))
    return float(line.rsplit(" ", 1)[1])


def _two_servers(database_url: str, tmp_path: Path, storage: str, **settings: object):
    prefix = f"certify-test-{secrets.token_hex(4)}"
    env = app_environment(
        database_url,
        tmp_path / "instance",
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_KEY_PREFIX=prefix,
        RATELIMIT_SEARCH="5/minute",
        **settings,
    )
    return [start_gunicorn(env, tmp_path / f"app{n}.log") for n in (1, 2)]


def test_a_client_is_counted_once_across_two_app_processes_with_redis(
    fresh_database_url, tmp_path, servers
) -> None:
    servers.extend(_two_servers(fresh_database_url, tmp_path, REDIS))
    statuses = [get(f"{servers[n % 2].url}/registry")[0] for n in range(10)]
    assert statuses == [200] * 5 + [429] * 5


def test_in_memory_each_process_counts_on_its_own(fresh_database_url, tmp_path, servers) -> None:
    # What the shared store is for: in memory a client gets the rate once per process.
    servers.extend(_two_servers(fresh_database_url, tmp_path, "memory://"))
    statuses = [get(f"{servers[n % 2].url}/registry")[0] for n in range(10)]
    assert statuses == [200] * 10


def test_the_nginx_example_in_front_of_two_app_servers(
    fresh_database_url, tmp_path, servers
) -> None:
    require_tool("nginx")
    servers.extend(_two_servers(fresh_database_url, tmp_path, REDIS, TRUSTED_PROXIES=1))
    nginx = start_nginx(tmp_path / "nginx", [s.address for s in servers], free_port())
    try:
        status, headers, _ = get(f"{nginx.url}/healthz")
        assert status == 200
        assert get(f"{nginx.url}/metrics")[0] == 404  # operators scrape the app servers
        # Each client's address came through nginx (X-Forwarded-For, one trusted hop): each
        # has a budget of its own, counted once over both servers.
        first = [get(f"{nginx.url}/registry", source="127.0.0.5")[0] for _ in range(7)]
        assert first == [200] * 5 + [429] * 2
        assert get(f"{nginx.url}/registry", source="127.0.0.6")[0] == 200
        # one server killed: nginx retries the GETs on the other one
        servers[0].kill()
        assert [get(f"{nginx.url}/healthz")[0] for _ in range(6)] == [200] * 6
    finally:
        nginx.stop()
    entries = nginx.entries()
    assert entries[0]["request_id"] == headers["X-Request-ID"]  # nginx's id, in the app too
    assert {e["remote"] for e in entries} >= {"127.0.0.5", "127.0.0.6"}
    proxied = [e for e in entries[:10] if e["upstream"]]
    assert {e["upstream"].split(",")[0].strip() for e in proxied} == {s.address for s in servers}
