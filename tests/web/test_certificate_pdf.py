"""The signed PDF certificate: issued through the pipeline, stored append-only, served as
stored, valid for pyHanko and poppler's pdfsig, tamper-evident, QR code readable, still valid
after a key rotation; a failing PDF step or a refused self-check leaves nothing behind."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from certify.certificates import pdf as cpdf
from certify.certificates.issuance import IssuanceError
from certify.certificates.keys import get_keystore
from certify.certificates.pdf import (
    CREDENTIAL_ATTACHMENT,
    LOG_PROOF_ATTACHMENT,
    CertificateDocument,
    PdfRefusedError,
    call_outside_event_loop,
    get_pdf_signer,
)
from certify.certificates.rotation import rotate_keys
from certify.core.pdf.pki import load_certificate, make_root_ca, make_signing_cert
from certify.core.pdf.reading import extract_attachment
from certify.core.pdf.signing import PdfSigner
from certify.core.pdf.validation import validate_pdf
from certify.core.serial import generate_serial
from certify.core.tlog.proof import parse_tlog_proof
from tests.core.tools import make_nss_db, pdf_to_png, pdfsig, read_qr
from tests.web import certificate_fixtures, lifecycle_steps
from tests.web.certificate_fixtures import counts
from tests.web.conftest import login
from tests.web.independent_verifier import verify

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

PDF_STEPS = ("sign_pdf", "store_pdf")


def fetch_pdf(client, serial: str) -> bytes:
    response = client.get(f"/certificates/{serial}.pdf")
    assert response.status_code == 200, response.status_code
    return response.data


def served_root(client):
    response = client.get("/.well-known/certify/root.pem")
    assert response.status_code == 200
    return response.data, load_certificate(response.data)


def signed_ranges(pdf: bytes) -> list[tuple[int, int]]:
    found = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert len(found) == 1, "exactly one signature expected"
    a, b, c, d = (int(x) for x in found[0])
    assert a == 0 and c + d == len(pdf), "the signature must cover the whole file"
    return [(a, a + b), (c, c + d)]


def positions(pdf: bytes, count: int) -> list[int]:
    """*count* offsets spread over the signed ranges (first and last bytes included)."""
    ranges = signed_ranges(pdf)
    covered = [p for start, end in ranges for p in (start, end - 1)]
    total = sum(end - start for start, end in ranges)
    spread = max(1, count - len(covered))
    for k in range(spread):
        offset = (k * total) // spread
        for start, end in ranges:
            if offset < end - start:
                covered.append(start + offset)
                break
            offset -= end - start
    return sorted(set(covered))


def flip(pdf: bytes, position: int) -> bytes:
    data = bytearray(pdf)
    data[position] ^= 0x01
    return bytes(data)


@pytest.fixture
def issued(app, client, make_application, issue):
    certificate = issue(make_application(org_name="Kibera Keystrokes"))
    return certificate, fetch_pdf(client, certificate.serial)


# --------------------------------------------------------------------------- pipeline


def test_pdf_steps_sit_after_credential_and_record() -> None:
    index = lifecycle_steps.names().index
    assert index("make_credential") < index("sign_pdf") < index("record_certificate")
    assert index("record_certificate") < index("store_pdf") < index("audit_issuance")
    # the transparency log's proof must exist before the PDF
    assert index("append_issuance_entry") < index("sign_pdf")


def test_issuance_stores_the_signed_pdf_and_its_hash(app, session, issued) -> None:
    certificate, served = issued
    document = session.scalar(
        select(CertificateDocument).where(CertificateDocument.certificate_id == certificate.id)
    )
    assert document is not None
    assert bytes(document.pdf) == served
    assert document.pdf_sha256 == hashlib.sha256(served).hexdigest()
    with app.app_context():
        keys = get_keystore()
    assert document.signing_cert_fingerprint == keys.current_signing_cert.fingerprint


# --------------------------------------------------------------------------- the route


def test_the_pdf_is_served_unchanged_with_the_right_headers(client, session, issued) -> None:
    certificate, served = issued
    response = client.get(f"/certificates/{certificate.serial}.pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="certificate-{certificate.serial}.pdf"'
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in response.headers["Cache-Control"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    sha = hashlib.sha256(served).hexdigest()
    assert response.headers["ETag"].strip('"') == sha
    assert served.startswith(b"%PDF-")
    again = client.get(f"/certificates/{certificate.serial}.pdf", headers={"If-None-Match": sha})
    assert again.status_code == 304 and again.data == b""


def test_a_typed_serial_redirects_and_unknown_serials_are_404(client, issued) -> None:
    certificate, _ = issued
    typed = certificate.serial.lower().replace("-", " ").replace("0", "o")
    response = client.get(f"/certificates/{typed}.pdf")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/certificates/{certificate.serial}.pdf")
    # a well-formed serial nobody was issued; a broken check symbol
    assert client.get(f"/certificates/{generate_serial('ISR')}.pdf").status_code == 404
    body, check = certificate.serial[:-1], certificate.serial[-1]
    broken = body + ("0" if check != "0" else "1")
    assert client.get(f"/certificates/{broken}.pdf").status_code == 404
    assert client.get("/certificates/not-a-serial.pdf").status_code == 404


def test_holders_and_admins_find_the_pdf_link(
    app, client, create_user, make_application, issue, login_as
) -> None:
    user = create_user("issp")
    certificate = issue(make_application(user))
    link = f"/certificates/{certificate.serial}.pdf"
    assert login(client, user).status_code == 302
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert link in dashboard and "certificate (PDF)" in dashboard
    client.post("/logout")
    login_as("admin")
    page = client.get(f"/admin/certificates/{certificate.serial}").get_data(as_text=True)
    assert link in page


# --------------------------------------------------------------------------- validity


def test_pyhanko_reports_intact_trusted_untouched(client, issued) -> None:
    _, served = issued
    _, root = served_root(client)
    result = validate_pdf(served, [root])
    assert result.ok, result.errors
    assert result.summary == "INTACT:TRUSTED,UNTOUCHED"
    assert result.signature_count == 1
    # trusted against the published root only: a foreign root does not do
    _, foreign = make_root_ca("Other root", "Other registry", dt.datetime.now(dt.UTC))
    assert not validate_pdf(served, [foreign]).ok


def test_the_embedded_credential_is_the_served_one_and_verifies(client, issued) -> None:
    certificate, served = issued
    _, root = served_root(client)
    result = validate_pdf(served, [root])
    assert set(result.embedded_files) <= {CREDENTIAL_ATTACHMENT, LOG_PROOF_ATTACHMENT}
    credential = client.get(f"/certificates/{certificate.serial}.json").data
    assert result.embedded_files[CREDENTIAL_ATTACHMENT] == credential
    did = json.loads(client.get("/.well-known/did.json").data)
    assert verify(json.loads(credential), did)


def test_document_metadata_names_the_serial(issued) -> None:
    certificate, served = issued
    info = PdfFileReader(io.BytesIO(served)).trailer_view["/Info"]
    assert certificate.serial in str(info["/Title"])
    assert certificate.serial in str(info["/Subject"])
    assert certificate.serial in str(info["/Keywords"])


def test_pdfsig_reports_valid_trusted_and_whole_document(client, issued, tmp_path) -> None:
    _, served = issued
    root_pem, _ = served_root(client)
    nss = make_nss_db(tmp_path / "nss", root_pem)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(served)
    result = pdfsig(nss, path)
    assert result.ok, result.output


def test_flipping_any_signed_byte_breaks_pyhanko_validation(client, issued) -> None:
    _, served = issued
    _, root = served_root(client)
    checked = positions(served, 60)
    assert len(checked) >= 50
    for position in checked:
        result = validate_pdf(flip(served, position), [root])
        assert not result.ok, f"flipping byte {position} went unnoticed"


def test_flipping_signed_bytes_breaks_pdfsig(client, issued, tmp_path) -> None:
    _, served = issued
    root_pem, _ = served_root(client)
    nss = make_nss_db(tmp_path / "nss", root_pem)
    for position in positions(served, 8):
        path = tmp_path / f"flipped-{position}.pdf"
        path.write_bytes(flip(served, position))
        result = pdfsig(nss, path)
        assert not result.ok, f"pdfsig missed a flipped byte at {position}: {result.output}"


def test_the_qr_code_reads_back_as_the_verify_address(issued, tmp_path) -> None:
    certificate, served = issued
    path = tmp_path / "certificate.pdf"
    path.write_bytes(served)
    png = pdf_to_png(path, tmp_path / "page")
    assert read_qr(png) == [f"http://registry.test/verify/{certificate.serial}"]


def test_pdfs_issued_before_and_after_a_rotation_both_validate(
    app, client, make_application, issue, tmp_path
) -> None:
    before = issue(make_application())
    with app.app_context():
        first_signer = get_pdf_signer(get_keystore())
        rotated = rotate_keys(app)
    assert rotated["signing_cert"]
    after = issue(make_application())
    with app.app_context():
        keys = get_keystore()
        second_signer = get_pdf_signer(keys)
    assert second_signer is not first_signer
    assert second_signer.certificate == keys.current_signing_cert.certificate
    root_pem, root = served_root(client)
    nss = make_nss_db(tmp_path / "nss", root_pem)
    fingerprints = set()
    for certificate in (before, after):
        served = fetch_pdf(client, certificate.serial)
        result = validate_pdf(served, [root])
        assert result.ok, result.errors
        fingerprints.add(result.signer_fingerprint)
        path = tmp_path / f"{certificate.serial}.pdf"
        path.write_bytes(served)
        assert pdfsig(nss, path).ok
    assert fingerprints == {keys.signing_certs[0].fingerprint, keys.signing_certs[1].fingerprint}


def test_the_signer_is_built_once_per_signing_certificate(app, make_application, issue) -> None:
    with app.app_context():
        keys = get_keystore()
        signer = get_pdf_signer(keys)
        assert get_pdf_signer(keys) is signer
    issue(make_application())
    issue(make_application())
    with app.app_context():
        assert get_pdf_signer(get_keystore()) is signer


# --------------------------------------------------------------------------- log proof


def test_the_log_proof_present_at_signing_is_the_one_embedded(
    app, client, make_application, issue, monkeypatch
) -> None:
    seen = []

    def spy(ctx):
        seen.append(ctx.log_proof)

    lifecycle_steps.insert_step(monkeypatch, spy, before="sign_pdf")
    certificate = issue(make_application())
    _, root = served_root(client)
    result = validate_pdf(fetch_pdf(client, certificate.serial), [root])
    assert result.ok, result.errors
    if isinstance(seen[0], str) and seen[0]:  # a transparency-log step ran before the PDF
        assert result.embedded_files[LOG_PROOF_ATTACHMENT] == seen[0].encode("utf-8")
        parse_tlog_proof(result.embedded_files[LOG_PROOF_ATTACHMENT])
    else:
        assert LOG_PROOF_ATTACHMENT not in result.embedded_files


def test_a_log_proof_is_embedded_inside_the_signed_revision(
    app, client, make_application, issue, monkeypatch
) -> None:
    proof = "registry.test/log\n12\nproof text — with UTF-8\n"

    def log_step(ctx):
        ctx.log_proof = proof

    lifecycle_steps.insert_step(monkeypatch, log_step, before="sign_pdf")
    certificate = issue(make_application())
    served = fetch_pdf(client, certificate.serial)
    _, root = served_root(client)
    result = validate_pdf(served, [root])
    assert result.ok, result.errors
    assert result.embedded_files[LOG_PROOF_ATTACHMENT] == proof.encode("utf-8")
    assert extract_attachment(served, LOG_PROOF_ATTACHMENT) == proof.encode("utf-8")
    assert result.embedded_files[CREDENTIAL_ATTACHMENT] == bytes(certificate.credential)


@pytest.mark.parametrize("value", ["", None, b"bytes are not text", 42])
def test_no_log_proof_attachment_unless_a_non_empty_string(
    app, client, make_application, issue, value, monkeypatch
) -> None:
    def log_step(ctx):
        ctx.log_proof = value

    lifecycle_steps.insert_step(monkeypatch, log_step, before="sign_pdf")
    certificate = issue(make_application())
    _, root = served_root(client)
    result = validate_pdf(fetch_pdf(client, certificate.serial), [root])
    assert result.ok and set(result.embedded_files) == {CREDENTIAL_ATTACHMENT}


# --------------------------------------------------------------------------- event loops


def test_issuing_inside_a_running_event_loop_works(app, client, make_application, issue) -> None:
    application = make_application()

    async def inside_loop():
        return issue(application)

    certificate = asyncio.run(inside_loop())
    _, root = served_root(client)
    assert validate_pdf(fetch_pdf(client, certificate.serial), [root]).ok


def test_call_outside_event_loop_runs_in_a_worker_only_under_a_loop() -> None:
    import threading

    here = threading.get_ident()
    assert call_outside_event_loop(threading.get_ident) == here

    async def main():
        return call_outside_event_loop(threading.get_ident)

    assert asyncio.run(main()) != here
    with pytest.raises(ZeroDivisionError):
        call_outside_event_loop(lambda: 1 / 0)


# --------------------------------------------------------------------------- failures


def _document_count(session) -> int:
    return session.scalar(select(func.count()).select_from(CertificateDocument))


def _files(root: Path) -> set[tuple[str, int]]:
    return {
        (str(p.relative_to(root)), p.stat().st_size)
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm", "-journal"))
    }


@pytest.mark.parametrize("step_name", PDF_STEPS)
def test_a_failing_pdf_step_leaves_nothing_behind(
    app, session, make_application, issue, step_name, monkeypatch
) -> None:
    issue(make_application())
    application = make_application()
    before, documents = counts(session), _document_count(session)
    instance = Path(app.instance_path)
    files_before = _files(instance)
    with monkeypatch.context() as patch:
        lifecycle_steps.fail_after(patch, step_name)
        with pytest.raises(IssuanceError, match=f"step '{step_name}' failed"):
            issue(application)
    session.rollback()
    assert counts(session) == before
    assert _document_count(session) == documents
    assert _files(instance) == files_before
    assert issue(application).serial  # still works afterwards


def test_the_issuer_refuses_a_pdf_that_fails_its_own_check(
    app, session, make_application, issue, monkeypatch
) -> None:
    issue(make_application())
    application = make_application()
    before, documents = counts(session), _document_count(session)
    # A signer whose certificate does not chain to the registry's root: the PDF signs fine
    # but the issuer's validation against its own root must refuse to release it.
    now = dt.datetime.now(dt.UTC)
    foreign_root_key, foreign_root = make_root_ca("Rogue root", "Rogue", now)
    key, cert = make_signing_cert(foreign_root_key, foreign_root, "Rogue signing", "Rogue", now)
    monkeypatch.setattr(
        cpdf, "get_pdf_signer", lambda keys, app=None: PdfSigner(key, cert, [foreign_root])
    )
    with pytest.raises(PdfRefusedError, match="not released"):
        issue(application)
    session.rollback()
    assert counts(session) == before
    assert _document_count(session) == documents


def test_the_issuer_refuses_a_pdf_whose_attachment_differs(
    app, session, make_application, issue, monkeypatch
) -> None:
    application = make_application()
    before = counts(session)
    real = cpdf._attachments

    def tampered(credential_bytes, log_proof):
        files = real(credential_bytes, log_proof)
        return {**files, "extra.txt": b"not what was asked for"}

    # the signer embeds more than the check expects: refused
    original_check = cpdf._check
    monkeypatch.setattr(
        cpdf,
        "_check",
        lambda pdf, keys, expected, now, *rest: original_check(
            pdf, keys, {k: v for k, v in expected.items() if k != "extra.txt"}, now
        ),
    )
    monkeypatch.setattr(cpdf, "_attachments", tampered)
    with pytest.raises(PdfRefusedError, match="embedded files differ"):
        issue(application)
    session.rollback()
    assert counts(session) == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE certificate_document SET pdf_sha256 = 'x' WHERE id = :id",
        "UPDATE certificate_document SET pdf = :b WHERE id = :id",
        "DELETE FROM certificate_document WHERE id = :id",
    ],
)
def test_stored_pdfs_are_append_only(session, issued, statement) -> None:
    certificate, _ = issued
    document_id = session.scalar(
        select(CertificateDocument.id).where(CertificateDocument.certificate_id == certificate.id)
    )
    params: dict = {"id": document_id}
    if ":b" in statement:
        params["b"] = b"%PDF-1.7 forged"
    nested = session.begin_nested()
    with pytest.raises(DBAPIError):
        session.execute(text(statement), params)
    nested.rollback()
