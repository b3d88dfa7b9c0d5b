"""Genuine means byte-exact (issue 25, finding 1): bytes changed inside the signature container
are caught online and offline, the registry's certificates must be the published ones, and
online an uploaded PDF must be the very file the registry issued."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from benchmarks.bench_byte_changes import COUNT, SEED, single_byte_changes
from certify import verify_cli
from certify.certificates.keys import get_keystore
from certify.core.verification.document import verify_document
from certify.core.verification.model import NotADocument, RegistryKeys
from tests.core.test_pdf_container import MESSAGE, cms_of, with_contents
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

#: Single-byte changes checked both online and offline: the 1,000 of the acceptance (about
#: 10 s on two cores; ``benchmarks/bench_byte_changes.py`` runs as many, timed, in
#: ``make bench``), from the benchmark's fixed seed: every run makes the same changes.
SAMPLE = COUNT


@pytest.fixture
def issued(client, issue, make_application):
    certificate = issue(make_application())
    response = client.get(f"/certificates/{certificate.serial}.pdf")
    assert response.status_code == 200
    return certificate, response.get_data()


@pytest.fixture
def export(app) -> dict:
    with app.app_context():
        return get_keystore().export(app.config["PUBLIC_URL"])


def _api(client, data: bytes):
    return client.post(
        "/api/v1/verify",
        data={"file": (io.BytesIO(data), "certificate.pdf")},
        content_type="multipart/form-data",
    )


def _page(client, data: bytes):
    return client.post(
        "/verify",
        data={"file": (io.BytesIO(data), "certificate.pdf")},
        content_type="multipart/form-data",
    )


def _cli(tmp_path, data: bytes, export: dict, capsys) -> tuple[int, str]:
    pdf, keys = tmp_path / "c.pdf", tmp_path / "keys.json"
    pdf.write_bytes(data)
    keys.write_text(json.dumps(export))
    capsys.readouterr()
    code = verify_cli.main([str(pdf), "--keys", str(keys)])
    return code, capsys.readouterr().out


def test_a_message_written_into_the_padding_is_tampered_everywhere(
    client, issued, export, tmp_path, capsys
) -> None:
    _certificate, pdf = issued
    altered = with_contents(pdf, cms_of(pdf) + b"\0" * 8 + MESSAGE)
    assert len(altered) == len(pdf) and MESSAGE.hex().upper().encode() in altered
    body = _api(client, altered).json
    assert body["verdict"] == "tampered"
    coverage = next(c for c in body["checks"] if c["name"] == "pdf_coverage")
    assert coverage["ok"] is False
    assert "/Contents" in coverage["detail"] and "covers the whole file" not in coverage["detail"]
    page = _page(client, altered).get_data(as_text=True)
    assert "Altered after signing" in page and "Genuine and valid" not in page
    code, out = _cli(tmp_path, altered, export, capsys)
    assert code == 1 and "verdict: TAMPERED" in out
    assert "covers the whole file" not in out


def test_the_key_export_publishes_the_document_signing_certificates(app, export) -> None:
    with app.app_context():
        store = get_keystore()
    keys = RegistryKeys.from_export(export)
    assert keys.signing_certificates == tuple(s.certificate for s in store.signing_certs)
    older = {k: v for k, v in export.items() if k != "signing_certs_pem"}
    assert RegistryKeys.from_export(older).signing_certificates is None


def test_a_pdf_the_registry_did_not_issue_for_the_serial_is_tampered_online(
    app, client, issued, export
) -> None:
    """A second file the registry's key signed over the same credential (say, one re-rendered
    by a bug) passes every offline check; the registry knows the one it issued."""
    from certify.certificates.pdf import LOG_PROOF_ATTACHMENT, sign_certificate_pdf
    from certify.core.pdf.reading import extract_attachment

    certificate, pdf = issued
    with app.app_context():
        other = sign_certificate_pdf(
            certificate.snapshot_data,
            certificate.credential,
            keys=get_keystore(),
            public_url=app.config["PUBLIC_URL"],
            registry_name="certify",
            signing_time=certificate.issued_at + dt.timedelta(seconds=1),
            log_proof=extract_attachment(pdf, LOG_PROOF_ATTACHMENT).decode(),
        )
    assert other != pdf
    now = dt.datetime.now(dt.UTC)
    assert verify_document(other, RegistryKeys.from_export(export), now=now).verdict == "valid"
    body = _api(client, other).json
    assert body["verdict"] == "tampered"
    record = next(c for c in body["checks"] if c["name"] == "record_match")
    assert record["ok"] is False and "not byte for byte the file" in record["detail"]
    genuine = next(c for c in _api(client, pdf).json["checks"] if c["name"] == "record_match")
    assert genuine["ok"] is True and "byte for byte the PDF it issued" in genuine["detail"]


def test_no_single_byte_change_verifies_online_or_offline(client, issued, export) -> None:
    _certificate, pdf = issued
    keys = RegistryKeys.from_export(export)
    now = dt.datetime.now(dt.UTC)
    valid, refused = [], 0
    for position, value in single_byte_changes(pdf, SAMPLE, SEED):
        changed = bytearray(pdf)
        changed[position] = value
        data = bytes(changed)
        try:
            offline = verify_document(data, keys, now=now).verdict
        except NotADocument:
            offline = "not a document"
        response = _api(client, data)
        # never a 500: a verdict, or a 400 saying plainly what the file is not
        assert response.status_code in (200, 400), (position, response.status_code)
        online = response.json["verdict"] if response.status_code == 200 else "not a document"
        if response.status_code == 400:
            refused += 1
            assert response.json["error"]["message"]
        if "valid" in (offline, online):
            valid.append((position, value, offline, online))
    assert valid == [], f"{len(valid)} of {SAMPLE} changes verified: {valid[:10]}"
    assert refused < SAMPLE // 10  # almost every change is read as a (damaged) certificate


@pytest.mark.parametrize("position", [0, 1, 4, 5, -1, -3])
def test_a_damaged_header_or_end_marker_is_a_damaged_certificate(client, issued, position) -> None:
    """Not "neither a PDF nor a credential": what is left of a certificate is a damaged
    certificate, and the answer says so in a verdict."""
    _certificate, pdf = issued
    changed = bytearray(pdf)
    changed[position] ^= 0x20
    response = _api(client, bytes(changed))
    assert response.status_code == 200, response.json
    assert response.json["verdict"] == "tampered"
