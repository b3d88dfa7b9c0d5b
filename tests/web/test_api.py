"""The JSON API, its OpenAPI document, the response validator and the rate limits."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from jsonschema import Draft202012Validator

from certify.api.openapi import openapi_document
from certify.api.validation import ApiContractError, ResponseValidator
from certify.certificates.models import Certificate
from certify.core.actor import Actor
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

ADMIN = Actor.cli("tests")


@pytest.fixture
def certified(make_application, issue):
    def make(name: str, level: int = 3) -> Certificate:
        return issue(make_application(org_name=name), level=level)

    return make


def test_ping(client) -> None:
    response = client.get("/api/v1/ping")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_certificate_has_the_record_and_live_status(app, client, session, certified) -> None:
    certificate = certified("Nairobi DataWorks")
    response = client.get(f"/api/v1/certificates/{certificate.serial}")
    assert response.status_code == 200
    data = response.json
    snapshot = certificate.snapshot_data
    assert data["serial"] == certificate.serial and data["status"] == "active"
    for key in (
        "holder",
        "sites",
        "scope",
        "level",
        "overallScore",
        "sectionScores",
        "validFrom",
        "validUntil",
        "issuedOn",
        "surveillanceDue",
    ):
        assert data[key] == snapshot[key], key
    assert data["standard"]["sha256"] == snapshot["standard"]["sha256"]
    assert data["links"] == {
        "page": f"http://registry.test/registry/{certificate.serial}",
        "credential": f"http://registry.test/certificates/{certificate.serial}.json",
        "pdf": f"http://registry.test/certificates/{certificate.serial}.pdf",
        "verify": f"http://registry.test/verify/{certificate.serial}",
        "api": f"http://registry.test/api/v1/certificates/{certificate.serial}",
    }
    assert [h["change"] for h in data["statusHistory"]] == ["issued"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"

    # suspended: the very next request says so, although the record is cached
    from certify.lifecycle import reinstate_certificate, suspend_certificate

    with app.app_context():
        suspend_certificate(session, certificate, ADMIN, "fraud", "Found out")
        session.commit()
    data = client.get(f"/api/v1/certificates/{certificate.serial}").json
    assert data["status"] == "suspended" and data["suspendedUntil"]
    assert [h["change"] for h in data["statusHistory"]] == ["issued", "suspended"]
    assert data["statusHistory"][1]["reasonCategory"] == "fraud"
    assert "Found out" not in json.dumps(data)  # reason texts may name people
    with app.app_context():
        reinstate_certificate(session, certificate, ADMIN, "Fixed")
        session.commit()
    data = client.get(f"/api/v1/certificates/{certificate.serial}").json
    assert data["status"] == "active" and data["suspendedUntil"] is None
    assert [h["change"] for h in data["statusHistory"]] == ["issued", "suspended", "reinstated"]


def test_a_suspension_shows_everywhere_at_once(app, client, session, certified) -> None:
    """The acceptance check: search, page, feed, CSV and API within one request."""
    certificate = certified("Dhaka Digital Works")
    for url in (
        "/registry?q=dhaka",
        f"/registry/{certificate.serial}",
        f"/api/v1/certificates/{certificate.serial}",
        "/api/v1/certificates?q=dhaka",
    ):
        assert client.get(url).status_code == 200  # warm every cache
    from certify.lifecycle import suspend_certificate

    with app.app_context():
        suspend_certificate(session, certificate, ADMIN, "fraud", "x")
        session.commit()
    assert 'badge-warn">Suspended' in client.get("/registry?q=dhaka").get_data(as_text=True)
    page = client.get(f"/registry/{certificate.serial}").get_data(as_text=True)
    assert 'badge-warn">Suspended' in page
    assert f"{certificate.serial} suspended" in client.get("/registry/feed.atom").get_data(
        as_text=True
    )
    assert ",suspended," in client.get("/registry/export.csv?q=dhaka").get_data(as_text=True)
    assert client.get(f"/api/v1/certificates/{certificate.serial}").json["status"] == "suspended"
    items = client.get("/api/v1/certificates?q=dhaka").json["items"]
    assert [i["status"] for i in items] == ["suspended"]


def test_certificate_serial_normalised_redirects_and_404(client, certified) -> None:
    certificate = certified("Nairobi DataWorks")
    typed = certificate.serial.lower()
    response = client.get(f"/api/v1/certificates/{typed}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/api/v1/certificates/{certificate.serial}")
    response = client.get("/api/v1/certificates/nope")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_list_shape_filters_and_paging(app, client, session, certified) -> None:
    a = certified("Alpha Annotation")
    b = certified("Beta Annotation")
    certified("Gamma Services")
    data = client.get("/api/v1/certificates?q=annotation&per_page=1").json
    assert set(data) == {"items", "page", "per_page", "total"}
    assert (data["page"], data["per_page"], data["total"]) == (1, 1, 2)
    assert [i["serial"] for i in data["items"]] == [a.serial]
    data = client.get("/api/v1/certificates?q=annotation&per_page=1&page=2").json
    assert [i["serial"] for i in data["items"]] == [b.serial]
    from certify.lifecycle import withdraw_certificate

    with app.app_context():
        withdraw_certificate(session, b, ADMIN, "fraud", "x")
        session.commit()
    data = client.get("/api/v1/certificates?status=withdrawn").json
    assert [i["serial"] for i in data["items"]] == [b.serial]
    data = client.get("/api/v1/certificates?status=active&q=annotation").json
    assert [i["serial"] for i in data["items"]] == [a.serial]
    data = client.get("/api/v1/certificates?standard=isrps&country=KE").json
    assert data["total"] == 3


def test_status_active_excludes_expired(client, certified, clock) -> None:
    certificate = certified("Old Org")
    # the clock moves past the end of validity (the record itself cannot change)
    later = certificate.expires_after
    clock.set(later)
    assert client.get("/api/v1/certificates?status=active&q=old").json["items"] == []
    data = client.get("/api/v1/certificates?status=expired&q=old").json
    assert [i["status"] for i in data["items"]] == ["expired"]
    assert client.get(f"/api/v1/certificates/{certificate.serial}").json["status"] == "expired"
    clock.set(later - dt.timedelta(seconds=1))
    data = client.get("/api/v1/certificates?status=active&q=old").json
    assert [i["status"] for i in data["items"]] == ["active"]


@pytest.mark.parametrize(
    "query",
    [
        "per_page=201",
        "per_page=0",
        "page=0",
        "page=abc",
        "status=revoked",
        "level=gold",
        "country=KEN",
        "standard=%40",
    ],
)
def test_bad_list_input_is_400_with_the_error_shape(client, query) -> None:
    response = client.get("/api/v1/certificates?" + query)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert response.json["error"]["message"]


@pytest.mark.parametrize("serial", ["a%00b", "%0A", "x" * 65, "ISR%E2%80%AE"])
def test_hostile_serials_are_404_not_500(client, serial) -> None:
    # found by the property run: PostgreSQL refuses a NUL in a query parameter
    response = client.get(f"/api/v1/certificates/{serial}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_unknown_api_address_is_json_404(client) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and "error" in response.json


# ------------------------------------------------------------------------- OpenAPI


def test_openapi_document_is_valid_and_covers_every_api_route(app, client) -> None:
    response = client.get("/api/v1/openapi.json")
    document = response.json
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "http://registry.test"}]
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # each schema is valid JSON Schema
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not in the document"
    for path in (
        "/api/v1/verify",
        "/api/v1/certificates/{serial}/status",
        "/api/v1/log/checkpoint",
        "/api/v1/log/entries",
        "/api/v1/log/proof/inclusion",
        "/api/v1/log/proof/consistency",
        "/api/v1/ping",
    ):
        assert path in document["paths"]


def test_openapi_document_passes_the_openapi_31_meta_schema_shape() -> None:
    document = openapi_document()
    assert set(document) >= {"openapi", "info", "paths", "components"}
    for item in document["paths"].values():
        for operation in item.values():
            assert operation["operationId"] and operation["responses"]
            for status, response in operation["responses"].items():
                assert status.isdigit()
                assert "$ref" in response or "description" in response


def test_docs_page_is_rendered_on_the_server(client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for path in ("/api/v1/certificates/{serial}", "/api/v1/verify", "/api/v1/log/entries"):
        assert path in html
    assert "<script" not in html and "style=" not in html
    assert "http://" not in html.replace("http://registry.test", "")  # no CDN


def test_docs_show_working_examples_and_code_instead_of_backticks(client, certified) -> None:
    import html as html_module
    import re

    certificate = certified("Mombasa Transcripts")
    page = client.get("/api/docs").get_data(as_text=True)
    assert "`" not in page.split("<main", 1)[1]  # CommonMark code spans became <code>
    assert '<code>{"error": {"code", "message"}}</code>' in html_module.unescape(page)
    examples = [
        html_module.unescape(e)
        for e in re.findall(r'<pre class="example"[^>]*><code>(.*?)</code>', page)
    ]
    gets = [e for e in examples if e.startswith("curl -s '") and "{" not in e]
    assert len(gets) >= 8
    assert any(certificate.serial in e for e in gets)  # a real serial of this registry
    assert any("-F 'file=@certificate.pdf'" in e for e in examples)
    secured = [e for e in examples if "/api/v1/watches" in e]
    assert secured and all("Authorization: Bearer $CERTIFY_API_TOKEN" in e for e in secured)
    for example in gets:
        url = example.split("'")[1].removeprefix("http://registry.test")
        response = client.get(url)
        assert response.status_code == 200, (example, response.status_code)
        response.close()


# ------------------------------------------------------------------------- the validator


@pytest.fixture
def validator() -> ResponseValidator:
    return ResponseValidator(openapi_document())


def test_validator_accepts_a_documented_response(validator) -> None:
    validator.check("GET", "/api/v1/ping", 200, "application/json", b'{"status": "ok"}')


@pytest.mark.parametrize(
    ("method", "path", "status", "mimetype", "body", "words"),
    [
        ("GET", "/api/v1/ping", 200, "application/json", b'{"status": "up"}', "schema"),
        ("GET", "/api/v1/ping", 200, "application/json", b"not json", "not JSON"),
        ("GET", "/api/v1/ping", 200, "text/html", b"<p>", "media type"),
        ("GET", "/api/v1/ping", 201, "application/json", b"{}", "not documented"),
        ("GET", "/api/v1/undocumented", 200, "application/json", b"{}", "route not in"),
        (
            "GET",
            "/api/v1/certificates",
            200,
            "application/json",
            b'{"items": [], "page": 1, "per_page": 500, "total": 0}',
            "per_page",
        ),
        ("GET", "/api/v1/certificates/X", 404, "application/json", b'{"error": "x"}', "schema"),
        (
            "GET",
            "/api/v1/log/entries",
            200,
            "application/json",
            b'{"entries": [{"index": 0, "entry": "x", "leaf_hash": "not base64!"}]}',
            "leaf_hash",
        ),
        (
            "POST",
            "/api/v1/verify",
            200,
            "application/json",
            b'{"verdict": "fine", "checks": [], "certificate": null}',
            "verdict",
        ),
    ],
)
def test_validator_refuses_what_the_document_does_not_allow(
    validator, method, path, status, mimetype, body, words
) -> None:
    with pytest.raises(ApiContractError, match=words):
        validator.check(method, path, status, mimetype, body)


def test_validator_runs_on_every_api_response_in_tests(app, client) -> None:
    """A view answering outside the contract fails the request loudly."""
    from flask import jsonify

    from certify.access import public

    @public
    def broken():  # type: ignore[no-untyped-def]
        return jsonify({"status": "broken"})

    app.view_functions["api.ping"] = broken
    with pytest.raises(ApiContractError):
        client.get("/api/v1/ping")


# ------------------------------------------------------------------------- rate limits


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "RATELIMIT_API": "2/minute", "RATELIMIT_SEARCH": "2/minute"}],
)
def test_rate_limits_answer_429_with_retry_after(client) -> None:
    for _ in range(2):
        assert client.get("/api/v1/certificates").status_code == 200
    response = client.get("/api/v1/certificates")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.json["error"]["code"] == "too_many_requests"
    # the registry pages: the friendly page, their own budget
    for _ in range(2):
        assert client.get("/registry").status_code == 200
    page = client.get("/registry")
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert "Too many requests" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) > 0
    # another client address has its own budget
    other = client.get("/api/v1/certificates", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200


def test_rate_limits_are_off_in_tests(client) -> None:
    for _ in range(40):
        assert client.get("/api/v1/ping").status_code == 200
        assert client.get("/api/v1/certificates").status_code == 200


def test_the_live_reader_sees_every_status_change(fresh_database_url) -> None:
    """Production's fast path (a pooled DBAPI connection, no session) reads live columns."""
    from sqlalchemy import update

    from benchmarks.bench_registry import bulk_load
    from certify.certificates.queries import LiveReader
    from certify.db import make_engine

    serial = bulk_load(fresh_database_url, 1)[0]
    engine = make_engine(fresh_database_url)
    reader = LiveReader(engine)
    first = reader(serial)
    assert first is not None and first.valid_until.tzinfo is not None
    with engine.begin() as conn:
        conn.execute(
            update(Certificate.__table__)
            .where(Certificate.__table__.c.serial == serial)
            .values(status="withdrawn", status_changed_at=first.valid_until)
        )
    second = reader(serial)
    assert second.status == "withdrawn" and second.status_changed_at == first.valid_until
    assert reader("ISR-0000-0000-0000-0") is None
    reader.close()
    engine.dispose()


def test_the_live_reader_reconnects_after_a_broken_connection(fresh_database_url) -> None:
    from benchmarks.bench_registry import bulk_load
    from certify.certificates.queries import LiveReader
    from certify.db import make_engine

    serial = bulk_load(fresh_database_url, 1)[0]
    engine = make_engine(fresh_database_url)
    reader = LiveReader(engine)
    assert reader(serial) is not None
    reader.local.connection.driver_connection.close()  # e.g. the database restarted
    assert reader(serial) is not None
    reader.close()
    engine.dispose()


def test_the_live_reader_never_hands_back_an_autocommit_connection(fresh_database_url) -> None:
    """A threaded server gives each request a new thread: the reader's connection returns to
    the pool when the thread ends, and the next session must still get transactions."""
    import gc
    import threading

    from sqlalchemy import text

    from certify.certificates.queries import LiveReader
    from certify.db import make_engine

    engine = make_engine(fresh_database_url, echo=False)
    reader = LiveReader(engine)
    thread = threading.Thread(target=reader, args=("ISR-0000-0000-0000-0",))
    thread.start()
    thread.join()
    del thread
    gc.collect()
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SAVEPOINT probe"))  # fails when the connection is in autocommit
        conn.execute(text("RELEASE SAVEPOINT probe"))
    engine.dispose()
