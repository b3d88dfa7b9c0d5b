"""Metrics at /metrics (restricted by setting), request ids in responses, logs and jobs, and
JSON logs."""

from __future__ import annotations

import json
import logging

import pytest

from certify.logs import JsonFormatter, RequestIdFilter, request_id_var
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def app_config(request):
    name = request.node.name
    if "token" in name:
        return {"METRICS_TOKEN": TOKEN}
    if "address" in name:
        return {"METRICS_ALLOW_FROM": ["10.0.0.0/8", "127.0.0.1"]}
    if "proxy" in name:
        return {"TRUSTED_PROXIES": 1}
    return {}


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of the series *name* with *labels* in exposition *text* (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, value = line.rsplit(" ", 1)
        if series.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            return float(value)
    return 0.0


def test_nobody_reads_metrics_unless_a_setting_says_so(client) -> None:
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 403


def test_metrics_with_the_token(client) -> None:
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert "certify_http_requests_total" in response.get_data(as_text=True)


def test_metrics_from_an_allowed_address(client) -> None:
    assert client.get("/metrics").status_code == 200
    stranger = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert stranger.status_code == 403


def test_metrics_count_requests_issuances_and_the_log_token(
    app, client, make_application, issue
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get("/metrics", headers=auth).get_data(as_text=True)
    certificate = issue(make_application())
    assert client.get("/registry").status_code == 200
    assert client.get(f"/verify/{certificate.serial}").status_code == 200
    after = client.get("/metrics", headers=auth).get_data(as_text=True)

    def grew(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    assert grew("certify_http_requests_total", endpoint="registry.index", status="200") == 1
    assert grew("certify_http_request_duration_seconds_count", endpoint="registry.index") == 1
    assert grew("certify_verifications_total", kind="serial", status="200") == 1
    assert grew("certify_issuances_total", outcome="issued") == 1
    assert grew("certify_issuance_duration_seconds_count") == 1
    assert _sample(after, "certify_transparency_log_entries") >= 1
    assert "certify_jobs_queue_depth" in after
    assert 'certify_outbox_messages{status="failed"}' in after


def test_every_response_names_its_request(client) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second
    # Without a trusted proxy a client cannot choose the id written in the logs.
    sent = client.get("/healthz", headers={"X-Request-ID": "chosen-by-the-client"})
    assert sent.headers["X-Request-ID"] != "chosen-by-the-client"


def test_the_proxy_names_the_request(client) -> None:
    sent = client.get("/healthz", headers={"X-Request-ID": "0123456789abcdef-nginx"})
    assert sent.headers["X-Request-ID"] == "0123456789abcdef-nginx"
    bad = client.get("/healthz", headers={"X-Request-ID": "spaces are not allowed"})
    assert bad.headers["X-Request-ID"] != "spaces are not allowed"


def test_json_logs_carry_the_request_id() -> None:
    record = logging.LogRecord(
        "certify.x", logging.WARNING, __file__, 1, "hello %s", ("you",), None
    )
    token = request_id_var.set("req-123456789")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello you" and entry["request_id"] == "req-123456789"
    assert entry["level"] == "WARNING" and entry["time"].endswith("+00:00")


def test_a_job_carries_the_id_of_the_request_that_enqueued_it(app) -> None:
    from huey.storage import MemoryStorage

    from certify.jobs.engine import huey
    from certify.logs import current_request_id

    seen: list[str | None] = []

    @huey.task(name="certify-test-seen-request-id")
    def remember() -> None:
        seen.append(current_request_id())

    immediate, storage = huey.immediate, huey.storage
    huey.immediate, huey.storage = False, MemoryStorage("certify-test")
    try:
        token = request_id_var.set("request-abcdef12")
        try:
            remember()  # enqueued: serialised with the id
        finally:
            request_id_var.reset(token)
        remember()  # enqueued outside any request
        for _ in range(2):
            task = huey.dequeue()
            huey.execute(task)
    finally:
        huey.immediate, huey.storage = immediate, storage
    assert seen[0] == "request-abcdef12"
    assert seen[1] is not None and seen[1].startswith("job-")
    assert current_request_id() is None
