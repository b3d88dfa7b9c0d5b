"""PAdES signing and validation of certificate PDFs, checked by pyHanko and by poppler/NSS."""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.pdf_utils import embed, generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from certify.certificates.fonts import find_fonts
from certify.core.pdf.certificate.drawing import render_certificate
from certify.core.pdf.certificate.sample import sample_snapshot
from certify.core.pdf.pki import (
    KeyMaterialError,
    cert_fingerprint,
    certificate_pem,
    make_root_ca,
    make_signing_cert,
)
from certify.core.pdf.reading import PdfInputError, extract_attachment
from certify.core.pdf.signing import PdfSigner
from certify.core.pdf.validation import PdfValidation, validate_pdf
from tests.core.tools import make_nss_db, pdf_to_png, pdfsig, read_qr, require_tool

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
SIGNED_AT = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
ORG = "Impact Sourcing Registry"
CREDENTIAL = (
    b'{"@context":["https://www.w3.org/ns/credentials/v2"],"credentialSubject":'
    b'{"name":"Ng\xc5\xa9g\xc4\xa9 Digital Works Ltd"},"type":["VerifiableCredential"]}'
)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def root():
    return make_root_ca(f"{ORG} Root CA", ORG, NOW)


@pytest.fixture(scope="module")
def signing(root):
    return make_signing_cert(*root, f"{ORG} document signing 2025", ORG, NOW)


@pytest.fixture(scope="module")
def signer(root, signing):
    return PdfSigner(signing[0], signing[1], [root[1]])


@pytest.fixture(scope="module")
def unsigned_pdf() -> bytes:
    snapshot = sample_snapshot()
    return render_certificate(
        snapshot,
        verify_url=f"https://registry.example.org/certificates/{snapshot['serial']}",
        registry_name=ORG,
        public_url="https://registry.example.org",
        fonts=find_fonts(),
    )


@pytest.fixture(scope="module")
def signed_pdf(signer, unsigned_pdf) -> bytes:
    return signer.sign(
        unsigned_pdf,
        attachments={"certificate.json": CREDENTIAL},
        reason="Certificate ISR-7K2M-9QXD-4HVT-B issued",
        location="Nairobi, KE",
        name=ORG,
        signing_time=SIGNED_AT,
    )


@pytest.fixture(scope="module")
def nss_db(tmp_path_factory, root) -> str:
    return make_nss_db(tmp_path_factory.mktemp("nss"), certificate_pem(root[1]))


def signed_ranges(pdf: bytes) -> list[tuple[int, int]]:
    """The two [start, end) byte ranges the signature covers, read from /ByteRange."""
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found, "no /ByteRange"
    a, b, c, d = (int(x) for x in found.groups())
    return [(a, a + b), (c, c + d)]


def append_swapped_json(signed: bytes, forged: bytes) -> bytes:
    """An unsigned incremental update that points certificate.json at *forged* bytes."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    spec_ref = names.raw_get(1)
    spec = spec_ref.get_object()
    stream = embed.EmbeddedFileObject.from_file_data(
        writer, data=forged, mime_type="application/json"
    )
    spec["/EF"] = generic.DictionaryObject(
        {
            generic.pdf_name("/F"): stream.ef_stream_ref,
            generic.pdf_name("/UF"): stream.ef_stream_ref,
        }
    )
    writer.mark_update(spec_ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ----------------------------------------------------------------------------- signing


def test_signed_pdf_is_intact_trusted_untouched(signed_pdf, root, signing):
    result = validate_pdf(signed_pdf, [root[1]])
    assert result.ok, result.errors
    assert result.summary == "INTACT:TRUSTED,UNTOUCHED"
    assert result.coverage_entire
    assert result.errors == ()
    assert result.signature_count == 1
    assert "document signing 2025" in (result.signer_subject or "")
    assert result.signer_fingerprint == cert_fingerprint(signing[1])
    assert result.signing_time == SIGNED_AT


def test_embedded_credential_comes_back_byte_identical(signed_pdf):
    assert validate_pdf(signed_pdf, []).embedded_files == {"certificate.json": CREDENTIAL}
    assert extract_attachment(signed_pdf, "certificate.json") == CREDENTIAL
    assert extract_attachment(signed_pdf, "other.json") is None


def test_attachment_is_inside_the_signed_revision_as_json(signed_pdf):
    reader = PdfFileReader(io.BytesIO(signed_pdf))
    assert reader.total_revisions == 2  # ReportLab's original + one signed update
    signature = reader.embedded_signatures[0]
    assert signature.signed_revision == 1
    spec = reader.root["/Names"]["/EmbeddedFiles"]["/Names"][1]
    assert spec["/EF"]["/F"]["/Subtype"] == "/application/json"
    assert reader.trailer["/Info"]["/Author"] == ORG  # metadata survives signing


def test_signature_metadata(signed_pdf):
    reader = PdfFileReader(io.BytesIO(signed_pdf))
    sig = reader.embedded_signatures[0]
    assert sig.field_name == "CertifySignature"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.sig_object["/Reason"] == "Certificate ISR-7K2M-9QXD-4HVT-B issued"
    assert sig.sig_object["/Location"] == "Nairobi, KE"
    assert sig.md_algorithm == "sha256"
    certs = sig.signed_data["certificates"]
    assert len(certs) == 2  # signer + root: the chain is embedded


def test_several_attachments(signer, unsigned_pdf, root):
    files = {"certificate.json": CREDENTIAL, "status.json": b'{"ok":true}', "note.txt": b"hi"}
    result = validate_pdf(signer.sign(unsigned_pdf, attachments=files), [root[1]])
    assert result.ok
    assert result.embedded_files == files


def test_signing_without_time_uses_the_clock(signer, unsigned_pdf, root):
    before = datetime.now(UTC) - timedelta(seconds=2)
    result = validate_pdf(signer.sign(unsigned_pdf), [root[1]])
    assert result.ok
    assert result.embedded_files == {}
    assert result.signing_time is not None
    assert result.signing_time >= before


def test_signer_refuses_a_key_that_is_not_the_certificates(root, signing):
    other_key, _ = make_signing_cert(*root, "Other", ORG, NOW)
    with pytest.raises(KeyMaterialError):
        PdfSigner(other_key, signing[1], [root[1]])


def test_signer_refuses_non_pdf_input(signer):
    with pytest.raises(PdfInputError):
        signer.sign(b"this is not a pdf")


def test_signer_refuses_naive_time(signer, unsigned_pdf):
    with pytest.raises(ValueError, match="timezone"):
        signer.sign(unsigned_pdf, signing_time=datetime(2025, 1, 1))


# ----------------------------------------------------------------------------- tampering


def test_flipping_any_signed_byte_breaks_validation(signed_pdf, root):
    """>= 200 positions spread over both signed ranges (stratified, fixed seed)."""
    rng = random.Random(20250601)
    positions = []
    for start, end in signed_ranges(signed_pdf):
        strata = 110
        step = (end - start) / strata
        positions += [int(start + i * step + rng.random() * step) for i in range(strata)]
    positions += [0, 1, 4, len(signed_pdf) - 1, len(signed_pdf) - 6]  # header, %%EOF
    assert len(set(positions)) >= 200
    failures = []
    for position in positions:
        tampered = bytearray(signed_pdf)
        tampered[position] ^= rng.randint(1, 255)
        result = validate_pdf(bytes(tampered), [root[1]])
        assert isinstance(result, PdfValidation)
        if result.ok:
            failures.append(position)
        else:
            assert result.errors
    assert failures == []


def test_appended_update_swapping_the_json_is_caught(signed_pdf, root):
    forged = CREDENTIAL.replace(b"Digital Works", b"Forged Holdings")
    tampered = append_swapped_json(signed_pdf, forged)
    # The forged JSON is what a plain PDF reader now shows...
    latest = PdfFileReader(io.BytesIO(tampered)).root["/Names"]["/EmbeddedFiles"]["/Names"][1]
    assert latest["/EF"]["/F"].data == forged
    result = validate_pdf(tampered, [root[1]])
    # ...the signature itself still verifies (NOTES: `valid` alone is not enough)...
    assert result.intact
    assert result.valid
    assert result.trusted
    # ...but coverage catches it, and we only ever hand out the signed revision's files.
    assert not result.coverage_entire
    assert not result.ok
    assert "UNTOUCHED" not in result.summary
    assert result.embedded_files == {"certificate.json": CREDENTIAL}
    assert extract_attachment(tampered, "certificate.json") == CREDENTIAL


def test_trailing_bytes_after_signing_are_caught(signed_pdf, root):
    result = validate_pdf(signed_pdf + b"\n%% appended\n1 0 obj (x) endobj\n", [root[1]])
    assert not result.ok


def test_another_roots_signature_is_not_trusted(unsigned_pdf, root):
    other_root = make_root_ca("Look-alike Registry Root CA", "Look-alike Registry", NOW)
    key, cert = make_signing_cert(*other_root, "Look-alike signing", "Look-alike Registry", NOW)
    forged = PdfSigner(key, cert, [other_root[1]]).sign(
        unsigned_pdf, attachments={"certificate.json": CREDENTIAL}
    )
    result = validate_pdf(forged, [root[1]])
    assert result.intact
    assert result.valid
    assert not result.trusted
    assert not result.ok
    assert "UNTRUSTED" in result.summary
    assert validate_pdf(forged, [other_root[1]]).ok


def test_no_trust_roots_means_untrusted(signed_pdf):
    result = validate_pdf(signed_pdf, [])
    assert result.intact
    assert not result.trusted
    assert not result.ok


def _truncations(pdf: bytes) -> list[bytes]:
    return [pdf[:n] for n in (5, 100, len(pdf) // 3, len(pdf) // 2, len(pdf) - 40, len(pdf) - 1)]


def test_hostile_inputs_give_a_clean_result(signed_pdf, unsigned_pdf, root):
    rng = random.Random(7)
    inputs = [
        b"",
        b"hello",
        b"%PDF-",
        b"%PDF-1.7\n%%EOF\n",
        b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(5000)),
        bytes(rng.randrange(256) for _ in range(5000)),
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        signed_pdf.replace(b"/ByteRange", b"/ByteRangX"),
        signed_pdf.replace(b"/Contents <", b"/Contents (", 1),
        signed_pdf.replace(b"/Type /Catalog", b"/Type /Catalgo"),
        *_truncations(signed_pdf),
    ]
    for data in inputs:
        result = validate_pdf(data, [root[1]])
        assert not result.ok, data[:40]
        assert result.errors, data[:40]
    unsigned = validate_pdf(unsigned_pdf, [root[1]])
    assert unsigned.readable
    assert not unsigned.signed
    assert unsigned.summary == "UNSIGNED"
    assert not validate_pdf("not bytes", [root[1]]).ok  # type: ignore[arg-type]


def test_empty_and_non_pdf_flags(root):
    empty = validate_pdf(b"", [root[1]])
    assert not empty.readable
    assert "empty" in empty.errors[0]
    assert not validate_pdf(b"GIF89a", [root[1]]).readable


def test_size_cap(signed_pdf, root):
    result = validate_pdf(signed_pdf, [root[1]], max_bytes=len(signed_pdf) - 1)
    assert not result.readable
    assert "larger" in result.errors[0]
    with pytest.raises(PdfInputError):
        extract_attachment(signed_pdf, "certificate.json", max_bytes=1000)


def test_compression_bomb_attachment_is_refused(signer, unsigned_pdf, root):
    bomb = b"\0" * (48 * 1024 * 1024)  # compresses to ~50 KB
    signed = signer.sign(unsigned_pdf, attachments={"certificate.json": bomb})
    assert len(signed) < 400_000
    result = validate_pdf(signed, [root[1]])
    assert result.embedded_files == {}
    assert any("embedded" in e for e in result.errors)
    with pytest.raises(PdfInputError):
        extract_attachment(signed, "certificate.json")
    # Under the cap, a large attachment is still fine.
    assert extract_attachment(signed, "certificate.json", max_attachment_bytes=64 << 20) == bomb


def test_attachment_cap_is_exact(signer, unsigned_pdf):
    signed = signer.sign(unsigned_pdf, attachments={"certificate.json": b"x" * 5000})
    assert extract_attachment(signed, "certificate.json", max_attachment_bytes=5000)
    with pytest.raises(PdfInputError, match="exceeds"):
        extract_attachment(signed, "certificate.json", max_attachment_bytes=4999)


# ----------------------------------------------------------------------------- keys and time


def test_key_rotation_keeps_old_pdfs_valid(root, signer, unsigned_pdf, signed_pdf):
    new_key, new_cert = make_signing_cert(
        *root, f"{ORG} document signing 2026", ORG, NOW + timedelta(days=365)
    )
    new_signed = PdfSigner(new_key, new_cert, [root[1]]).sign(
        unsigned_pdf, attachments={"certificate.json": CREDENTIAL}
    )
    old_result = validate_pdf(signed_pdf, [root[1]])
    new_result = validate_pdf(new_signed, [root[1]])
    assert old_result.ok
    assert new_result.ok
    assert old_result.signer_fingerprint != new_result.signer_fingerprint
    assert new_result.signer_fingerprint == cert_fingerprint(new_cert)


def test_validation_uses_the_clock_it_is_given(signed_pdf, root, signing):
    expiry = signing[1].not_valid_after_utc
    assert validate_pdf(signed_pdf, [root[1]], now=expiry - timedelta(days=1)).ok
    late = validate_pdf(signed_pdf, [root[1]], now=expiry + timedelta(days=1))
    assert late.intact
    assert not late.trusted
    assert not late.ok


# ----------------------------------------------------------------------------- poppler / NSS


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_pdfsig_reports_valid_trusted_whole_document(signed_pdf, nss_db, tmp_path):
    result = pdfsig(nss_db, _write(tmp_path, "signed.pdf", signed_pdf))
    assert result.signature_valid, result.output
    assert result.certificate_trusted, result.output
    assert result.total_document_signed, result.output


def test_pdfsig_sees_the_foreign_root_as_untrusted(unsigned_pdf, nss_db, tmp_path):
    other_root = make_root_ca("Look-alike Root CA", "Look-alike", NOW)
    key, cert = make_signing_cert(*other_root, "Look-alike signing", "Look-alike", NOW)
    forged = PdfSigner(key, cert, [other_root[1]]).sign(unsigned_pdf)
    result = pdfsig(nss_db, _write(tmp_path, "forged.pdf", forged))
    assert result.signature_valid, result.output
    assert not result.certificate_trusted, result.output


def test_pdfsig_rejects_flipped_bytes(signed_pdf, nss_db, tmp_path):
    rng = random.Random(99)
    (a0, a1), (b0, b1) = signed_ranges(signed_pdf)
    positions = [rng.randrange(a0, a1) for _ in range(7)] + [
        rng.randrange(b0, b1) for _ in range(3)
    ]
    for index, position in enumerate(positions):
        tampered = bytearray(signed_pdf)
        tampered[position] ^= rng.randint(1, 255)
        result = pdfsig(nss_db, _write(tmp_path, f"flip{index}.pdf", bytes(tampered)))
        assert not result.ok, (position, result.output)


def test_pdfsig_does_not_call_an_appended_update_whole(signed_pdf, nss_db, tmp_path):
    tampered = append_swapped_json(signed_pdf, b'{"forged":true}')
    result = pdfsig(nss_db, _write(tmp_path, "appended.pdf", tampered))
    assert result.signature_valid, result.output  # as NOTES says: the signature still verifies
    assert not result.total_document_signed, result.output


def test_pdfsig_sees_a_rotated_key_as_trusted(root, unsigned_pdf, nss_db, tmp_path):
    key, cert = make_signing_cert(*root, f"{ORG} document signing 2026", ORG, NOW)
    signed = PdfSigner(key, cert, [root[1]]).sign(unsigned_pdf)
    assert pdfsig(nss_db, _write(tmp_path, "rotated.pdf", signed)).ok


def test_signed_pdf_still_renders_and_scans(signed_pdf, tmp_path):
    png = pdf_to_png(_write(tmp_path, "signed.pdf", signed_pdf), tmp_path / "signed", dpi=150)
    assert read_qr(png) == ["https://registry.example.org/certificates/ISR-7K2M-9QXD-4HVT-B"]


def test_require_tool_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CERTIFY_REQUIRE_TOOLS", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_tool("certify-no-such-tool")
    monkeypatch.setenv("CERTIFY_REQUIRE_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception):
        require_tool("certify-no-such-tool")
    assert require_tool("sh")
