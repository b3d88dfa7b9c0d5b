"""Credential JSON from outside is read strictly: a key repeated in one object is refused at
every entry point (the API's JSON body, an uploaded .json, the credential inside a PDF), and a
leading UTF-8 byte order mark is skipped (issue 25, findings 2 and 3)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from certify.certificates.keys import get_keystore
from certify.certificates.pdf import CREDENTIAL_ATTACHMENT, get_pdf_signer
from certify.core.verification.document import verify_document
from certify.core.verification.model import NotADocument, RegistryKeys
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def certificate(issue, make_application):
    return issue(make_application())


def fake_subject_first(credential: bytes) -> bytes:
    """The genuine credential with a fake ``credentialSubject`` written before the genuine one:
    a person reading the text sees the fake, Python's ``json`` keeps the genuine (last) one."""
    subject = json.loads(credential)["credentialSubject"]
    fake = {**subject, "name": "Impostor Holdings Ltd", "level": "certified_with_distinction"}
    text = credential.decode("utf-8")
    assert text.startswith("{")
    return ('{"credentialSubject": ' + json.dumps(fake) + ", " + text[1:]).encode("utf-8")


def _api_json(client, body: bytes):
    return client.post("/api/v1/verify", data=body, content_type="application/json")


def _api_file(client, body: bytes, name: str):
    return client.post(
        "/api/v1/verify",
        data={"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def _page_file(client, body: bytes, name: str):
    return client.post(
        "/verify",
        data={"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def test_the_fake_first_credential_still_means_the_genuine_one_to_python(certificate) -> None:
    """The premise of the finding: without strict parsing this text verifies as genuine."""
    doubled = fake_subject_first(certificate.credential)
    assert json.loads(doubled) == json.loads(certificate.credential)


def test_a_repeated_key_in_the_api_body_is_refused(client, certificate) -> None:
    response = _api_json(client, fake_subject_first(certificate.credential))
    assert response.status_code == 400
    assert "'credentialSubject' appears twice" in response.json["error"]["message"]


def test_a_repeated_key_in_an_uploaded_credential_is_refused(client, certificate) -> None:
    doubled = fake_subject_first(certificate.credential)
    api = _api_file(client, doubled, "certificate.json")
    assert api.status_code == 400
    assert "appears twice" in api.json["error"]["message"]
    page = _page_file(client, doubled, "certificate.json")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "appears twice" in text and "Genuine and valid" not in text


def test_a_repeated_key_in_the_credential_inside_a_signed_pdf_is_refused(
    app, client, certificate
) -> None:
    """Even signed by the registry's own document-signing key (say, a bug in an old issuer):
    a certificate.json with a repeated key is never read as the genuine credential."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Certificate")
    page.save()
    doubled = fake_subject_first(certificate.credential)
    with app.app_context():
        store = get_keystore()
        pdf = get_pdf_signer(store).sign(
            buffer.getvalue(), attachments={CREDENTIAL_ATTACHMENT: doubled}
        )
        keys = RegistryKeys.from_export(store.export(app.config["PUBLIC_URL"]))
    offline = verify_document(pdf, keys, now=dt.datetime.now(dt.UTC))
    assert offline.check("pdf_signature").ok is True
    assert offline.check("credential_proof").ok is False
    assert "appears twice" in offline.check("credential_proof").detail
    assert offline.verdict == "tampered"
    body = _api_file(client, pdf, "certificate.pdf").json
    assert body["verdict"] == "tampered"
    proof = next(c for c in body["checks"] if c["name"] == "credential_proof")
    assert "appears twice" in proof["detail"]


def test_a_credential_with_a_byte_order_mark_verifies(client, certificate) -> None:
    with_bom = BOM + certificate.credential
    assert _api_json(client, with_bom).json["verdict"] == "valid"
    assert _api_file(client, with_bom, "certificate.json").json["verdict"] == "valid"
    page = _page_file(client, with_bom, "certificate.json")
    assert page.status_code == 200
    assert "Genuine and valid" in page.get_data(as_text=True)


def test_a_byte_order_mark_changes_nothing_else(app, certificate) -> None:
    with app.app_context():
        keys = RegistryKeys.from_export(get_keystore().export(app.config["PUBLIC_URL"]))
    now = dt.datetime.now(dt.UTC)
    altered = certificate.credential.replace(b'"certified', b'"Certified', 1)
    assert verify_document(BOM + altered, keys, now=now).verdict == "tampered"
    with pytest.raises(NotADocument, match="appears twice"):
        verify_document(BOM + fake_subject_first(certificate.credential), keys, now=now)
