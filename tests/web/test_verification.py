"""Verification online: every verdict through the page and the API; hostile input."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from certify.certificates.keys import get_keystore
from certify.core.actor import Actor
from certify.core.credentials.keys import generate_private_key
from certify.core.credentials.proofs import sign_credential
from certify.core.verification.document import verify_document
from certify.core.verification.model import NotADocument, RegistryKeys
from certify.lifecycle import suspend_certificate, withdraw_certificate
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric
ADMIN = Actor.cli("tests")


def api(client, body: bytes, content_type: str = "application/json"):
    return client.post("/api/v1/verify", data=body, content_type=content_type)


@pytest.fixture
def certificate(issue, make_application):
    return issue(make_application())


def test_a_genuine_credential_is_valid(client, certificate) -> None:
    response = api(client, certificate.credential)
    assert response.status_code == 200
    body = response.json
    assert body["verdict"] == "valid"
    assert [c["name"] for c in body["checks"]] == [
        "file_readable",
        "pdf_signature",
        "pdf_coverage",
        "signer_trusted",
        "credential_proof",
        "credential_issuer",
        "record_match",
        "status",
        "validity_period",
        "log_inclusion",
    ]
    checks = {c["name"]: c["ok"] for c in body["checks"]}
    assert checks["credential_proof"] and checks["record_match"] and checks["status"]
    assert body["certificate"]["serial"] == certificate.serial


def test_the_qr_target_shows_the_verdict_the_registry_and_its_key(client, certificate) -> None:
    page = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "Genuine and valid" in page
    assert "http://registry.test" in page
    assert "SHA256:" in page  # the root key's fingerprint, to compare


def test_typed_serials_redirect_and_unknown_ones_say_so(client, certificate) -> None:
    typed = certificate.serial.lower().replace("-", " ").replace("0", "o")
    response = client.get(f"/verify/{typed}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/verify/{certificate.serial}")
    from certify.core.serial import check_symbol

    body = "ZZZZZZZZZZZZ"
    missing = f"ISR-ZZZZ-ZZZZ-ZZZZ-{check_symbol(body)}"
    page = client.get(f"/verify/{missing}")
    assert page.status_code == 404 and "No such certificate" in page.get_data(as_text=True)
    form = client.post("/verify", data={"serial": typed})
    assert form.status_code == 302


def test_suspended(app, client, session, certificate) -> None:
    with app.app_context():
        suspend_certificate(session, certificate, ADMIN, "major_nonconformity", "No grievance log")
        session.commit()
    body = api(client, certificate.credential).json
    assert body["verdict"] == "suspended"
    page = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "Suspended" in page and "major nonconformity" in page


REASON = "Told by Jane Roe (payroll clerk) about unpaid wages - see ticket 4471"


@pytest.mark.parametrize("change", ["suspend", "withdraw"])
def test_the_free_text_reason_never_reaches_the_public(
    app, client, session, certificate, change
) -> None:
    """Like the registry and its API, verification shows only the reason's category: the
    admin's own words may name people (issue 25, finding 4)."""
    import io

    operation = suspend_certificate if change == "suspend" else withdraw_certificate
    with app.app_context():
        operation(session, certificate, ADMIN, "major_nonconformity", REASON)
        session.commit()
    serial_page = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    upload_page = client.post(
        "/verify",
        data={"file": (io.BytesIO(certificate.credential), "cert.json")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    api_answer = api(client, certificate.credential).get_data(as_text=True)
    for answer in (serial_page, upload_page, api_answer):
        assert "major nonconformity" in answer
        assert "Jane Roe" not in answer and "4471" not in answer
        assert "unpaid wages" not in answer


def test_withdrawn(app, client, session, certificate) -> None:
    with app.app_context():
        withdraw_certificate(session, certificate, ADMIN, "fraud", "Forged payroll")
        session.commit()
    assert api(client, certificate.credential).json["verdict"] == "withdrawn"
    assert "Withdrawn" in client.get(f"/verify/{certificate.serial}").get_data(as_text=True)


def test_superseded(client, issue, make_application) -> None:
    application = make_application()
    old = issue(application)
    new = issue(application)
    assert api(client, old.credential).json["verdict"] == "superseded"
    assert f"superseded by {new.serial}" in client.get(f"/verify/{old.serial}").get_data(
        as_text=True
    )
    assert api(client, new.credential).json["verdict"] == "valid"


def test_expired(client, certificate, clock) -> None:
    clock.set(certificate.valid_until + dt.timedelta(days=2))
    assert api(client, certificate.credential).json["verdict"] == "expired"
    assert "Expired" in client.get(f"/verify/{certificate.serial}").get_data(as_text=True)


def test_tampered(client, certificate) -> None:
    document = json.loads(certificate.credential)
    document["credentialSubject"]["level"] = (
        "certified_with_distinction"
        if document["credentialSubject"]["level"] == "certified"
        else "certified"
    )
    body = api(client, json.dumps(document).encode()).json
    assert body["verdict"] == "tampered"


def test_untrusted_other_key_or_issuer(client, certificate) -> None:
    document = json.loads(certificate.credential)
    document.pop("proof")
    stranger = generate_private_key()
    forged = sign_credential(
        document,
        stranger,
        "did:web:registry.test#forged00",
        dt.datetime.now(dt.UTC).replace(microsecond=0),
    )
    assert api(client, json.dumps(forged).encode()).json["verdict"] == "untrusted"
    # another registry altogether: its own issuer id and its own key
    document["issuer"] = {"id": "did:web:evil.example", "name": "Evil"}
    forged = sign_credential(
        document,
        stranger,
        "did:web:evil.example#k1",
        dt.datetime.now(dt.UTC).replace(microsecond=0),
    )
    body = api(client, json.dumps(forged).encode()).json
    assert body["verdict"] == "untrusted"
    assert {c["name"]: c["ok"] for c in body["checks"]}["credential_issuer"] is False


def test_unknown_signed_by_us_but_never_recorded(app, client, certificate) -> None:
    document = json.loads(certificate.credential)
    document.pop("proof")
    document["credentialSubject"]["serial"] = "ISR-0000-0000-0000-0"
    with app.app_context():
        store = get_keystore()
        forged = sign_credential(
            document,
            store.current_credential_key.private_key,
            store.verification_method(app.config["PUBLIC_URL"]),
            dt.datetime.now(dt.UTC).replace(microsecond=0),
        )
    assert api(client, json.dumps(forged).encode()).json["verdict"] == "unknown"


@pytest.mark.parametrize(
    "body", [b"hello", b"", b"[1, 2]", b"\xff\xfe", b"{" * 100 + b"}" * 100, b"null"]
)
def test_what_is_not_a_document_is_a_400(client, body) -> None:
    response = api(client, body)
    assert response.status_code == 400
    assert response.json["error"]["message"]


def test_api_wants_a_file_or_json(client) -> None:
    response = client.post("/api/v1/verify", data="x", content_type="text/plain")
    assert response.status_code == 400


def test_upload_on_the_page(client, certificate) -> None:
    import io

    response = client.post(
        "/verify",
        data={"file": (io.BytesIO(certificate.credential), "cert.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "Genuine and valid" in response.get_data(as_text=True)
    junk = client.post(
        "/verify",
        data={"file": (io.BytesIO(b"MZ\x90"), "cert.pdf")},
        content_type="multipart/form-data",
    )
    assert junk.status_code == 400


def test_mutated_credentials_never_pass_unless_unchanged(app, certificate) -> None:
    """Thousands of random byte mutations: never an exception, never `valid` unless the JSON
    still means exactly the same document."""
    with app.app_context():
        keys = RegistryKeys.from_export(get_keystore().export(app.config["PUBLIC_URL"]))
    original = certificate.credential
    meaning = json.loads(original)
    rng = random.Random(20261128)
    now = dt.datetime.now(dt.UTC)
    checked = 0
    for _ in range(2000):
        data = bytearray(original)
        for _ in range(rng.randint(1, 3)):
            op = rng.random()
            pos = rng.randrange(len(data))
            if op < 0.6:
                data[pos] = rng.randrange(256)
            elif op < 0.8:
                del data[pos]
            else:
                data.insert(pos, rng.randrange(256))
        try:
            result = verify_document(bytes(data), keys, now=now)
        except NotADocument:
            continue
        checked += 1
        if result.verdict == "valid":
            assert json.loads(bytes(data)) == meaning
    assert checked > 300


def test_every_verdict_reads_plainly_on_the_page(app, client, certificate) -> None:
    import io

    document = json.loads(certificate.credential)
    document["credentialSubject"]["name"] = "Someone Else Ltd"
    altered = client.post(
        "/verify",
        data={"file": (io.BytesIO(json.dumps(document).encode()), "cert.json")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Altered after signing" in altered
    document.pop("proof")
    forged = sign_credential(
        document,
        generate_private_key(),
        "did:web:evil.example#k1",
        dt.datetime.now(dt.UTC).replace(microsecond=0),
    )
    foreign = client.post(
        "/verify",
        data={"file": (io.BytesIO(json.dumps(forged).encode()), "cert.json")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Not issued by this registry" in foreign


def test_the_serial_page_checks_the_log(client, certificate) -> None:
    page = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "of the public log" in page and "Genuine and valid" in page


def test_the_serial_page_is_never_stale(app, client, session, certificate, clock) -> None:
    first = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    second = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)  # from the cache
    assert "Genuine and valid" in first and "Genuine and valid" in second
    later = clock.advance(dt.timedelta(seconds=7))
    third = client.get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert f"{later:%Y-%m-%d %H:%M:%S}" in third  # the check time is today's, not the cache's
    with app.app_context():
        suspend_certificate(session, certificate, ADMIN, "fraud", "Forged payroll")
        session.commit()
    assert "Suspended" in client.get(f"/verify/{certificate.serial}").get_data(as_text=True)


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_VERIFY": "3/minute"}]
)
def test_verification_is_rate_limited(client, certificate) -> None:
    statuses = [api(client, certificate.credential).status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429
    limited = api(client, certificate.credential)
    assert limited.json["error"]["code"] == "too_many_requests"
    assert "Retry-After" in limited.headers
