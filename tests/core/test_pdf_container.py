"""The signature container: ``/Contents`` must be exactly the DER CMS certify writes and zero
padding (issue 25, finding 1). Every change here leaves the signature itself valid: pyHanko
alone called each of these files genuine."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from asn1crypto import cms, core
from cryptography.hazmat.primitives import serialization

from certify.core.pdf.container import check_signature_container
from certify.core.pdf.pki import make_root_ca, make_signing_cert
from certify.core.pdf.signing import PdfSigner
from certify.core.pdf.validation import validate_pdf

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
ORG = "Impact Sourcing Registry"
MESSAGE = b"NOTICE: this certificate was withdrawn; call +1 555 0100 before relying on it. OK!"


@pytest.fixture(scope="module")
def root():
    return make_root_ca(f"{ORG} Root CA", ORG, NOW)


@pytest.fixture(scope="module")
def signing(root):
    return make_signing_cert(*root, f"{ORG} document signing 2025", ORG, NOW)


@pytest.fixture(scope="module")
def signed_pdf(root, signing) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Certificate ISR-7K2M-9QXD-4HVT-B")
    page.save()
    signer = PdfSigner(signing[0], signing[1], [root[1]])
    return signer.sign(buffer.getvalue(), attachments={"certificate.json": b"{}"}, signing_time=NOW)


def gap_of(pdf: bytes) -> tuple[int, int]:
    """Where ``<hex>`` of /Contents starts and ends (the gap in the byte range)."""
    match = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+\d+\s*\]", pdf)
    assert match is not None
    return int(match.group(1)), int(match.group(2))


def cms_of(pdf: bytes) -> bytes:
    """The CMS's own bytes (without the zero padding)."""
    start, end = gap_of(pdf)
    raw = bytes.fromhex(pdf[start + 1 : end - 1].decode())
    return raw[: len(cms.ContentInfo.load(raw, strict=False).dump())]


def with_contents(pdf: bytes, raw: bytes, *, upper: bool = True) -> bytes:
    """*pdf* with /Contents holding *raw*, zero-padded to the same size (nothing signed moves)."""
    start, end = gap_of(pdf)
    digits = raw.hex().upper() if upper else raw.hex()
    digits = digits.ljust(end - start - 2, "0")
    assert len(digits) == end - start - 2, "the new container must fit"
    return pdf[: start + 1] + digits.encode() + pdf[end - 1 :]


def validate(pdf: bytes, root, signing, **kwargs):
    return validate_pdf(pdf, [root[1]], signing_certificates=[signing[1]], now=NOW, **kwargs)


def test_a_genuine_container_is_exact(signed_pdf, root, signing) -> None:
    result = validate(signed_pdf, root, signing)
    assert result.ok and result.container_exact, result.errors
    assert with_contents(signed_pdf, cms_of(signed_pdf)) == signed_pdf
    # an older key export names no signing certificates: the chain to the root vouches
    legacy = validate_pdf(signed_pdf, [root[1]], now=NOW)
    assert legacy.ok and legacy.container_exact


def test_a_message_written_into_the_padding_is_caught(signed_pdf, root, signing) -> None:
    assert len(MESSAGE) == 82
    raw = cms_of(signed_pdf) + b"\0" * 16 + MESSAGE
    altered = with_contents(signed_pdf, raw)
    result = validate(altered, root, signing)
    # pyHanko's own verdict: everything fine, the whole file covered
    assert result.intact and result.valid and result.trusted and result.coverage_entire
    assert not result.container_exact and not result.ok
    assert "non-zero bytes follow the CMS" in result.container_problem


def test_a_changed_byte_in_the_embedded_root_copy_is_caught(signed_pdf, root, signing) -> None:
    raw = bytearray(cms_of(signed_pdf))
    root_der = root[1].public_bytes(serialization.Encoding.DER)
    at = bytes(raw).index(root_der)
    raw[at + len(root_der) - 3] ^= 0x01  # inside the root's own signature value
    result = validate(with_contents(signed_pdf, bytes(raw)), root, signing)
    assert not result.ok and not result.container_exact
    assert "not byte for byte one this registry published" in result.container_problem


def test_unsigned_attributes_are_caught(signed_pdf, root, signing) -> None:
    info = cms.ContentInfo.load(cms_of(signed_pdf))
    signer_info = info["content"]["signer_infos"][0]
    signer_info["unsigned_attrs"] = [
        {"type": "1.2.3.4.5", "values": [core.UTF8String("not certify")]}
    ]
    result = validate(with_contents(signed_pdf, info.dump(force=True)), root, signing)
    assert not result.ok
    assert "unsigned attributes" in result.container_problem


def test_ber_and_changed_headers_are_caught(signed_pdf, root, signing) -> None:
    raw = cms_of(signed_pdf)
    assert raw[:2] == b"\x30\x82"
    ber = b"\x30\x83\x00" + raw[2:]  # the same length, written in a longer (BER) form
    assert cms.ContentInfo.load(ber).dump() == ber  # asn1crypto (so pyHanko) reads it
    assert not validate(with_contents(signed_pdf, ber), root, signing).ok
    version = bytearray(raw)
    at = raw.index(b"\x02\x01\x01")  # SignedData's version 1, not covered by the signature
    version[at + 2] = 3
    result = validate(with_contents(signed_pdf, bytes(version)), root, signing)
    assert not result.ok
    assert "differs from what this registry writes" in result.container_problem


def test_the_hex_must_stand_as_written(signed_pdf, root, signing) -> None:
    lower = with_contents(signed_pdf, cms_of(signed_pdf), upper=False)
    assert "upper-case" in validate(lower, root, signing).container_problem
    start, _end = gap_of(signed_pdf)
    spaced = bytearray(signed_pdf)
    spaced[start + 3] = ord(" ")  # whitespace is legal in a PDF hex string; not here
    assert not validate(bytes(spaced), root, signing).ok


def test_a_foreign_signature_is_only_asked_to_be_well_formed(signed_pdf, root, signing) -> None:
    """Another signer's CMS is its own affair: its file stays "untrusted", not "tampered";
    zero padding is still required of it."""
    other_root = make_root_ca("Other Root", "Elsewhere", NOW)
    result = validate_pdf(signed_pdf, [other_root[1]], signing_certificates=[], now=NOW)
    assert not result.trusted and result.container_exact
    padded = with_contents(signed_pdf, cms_of(signed_pdf) + b"\0" + MESSAGE)
    result = validate_pdf(padded, [other_root[1]], signing_certificates=[], now=NOW)
    assert not result.container_exact


@pytest.mark.parametrize(
    "byte_range", [[0, 10, 20], [1, 10, 20, 30], [0, 10, 20, 5], ["x", 1, 2, 3]]
)
def test_odd_byte_ranges_never_raise(signed_pdf, byte_range) -> None:
    check = check_signature_container(
        signed_pdf, byte_range, b"", roots=[], signing_certs=None, signer_trusted=True
    )
    assert not check.exact and check.problem
