"""RFC 3161 time-stamps on the PDF signatures (issue 20, PAdES B-T), against a TSA run
locally: with ``TSA_URL`` every signature carries a token from it (its certificates in the
DSS), the key export publishes the pinned TSA roots, certify's verification and pyHanko's
CLI accept it, the container check accepts exactly that one unsigned attribute, and a TSA
that does not answer fails the issuance with nothing recorded."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader

from certify.certificates.issuance import IssuanceError
from certify.core.pdf.pki import load_certificate
from certify.core.pdf.validation import validate_pdf
from tests.core.tools import require_tool, run
from tests.core.tsa import make_tsa
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


@pytest.fixture
def tsa(tmp_path):
    authority = make_tsa()
    authority.serve()
    yield authority
    authority.close()


@pytest.fixture
def app_config(tsa, tmp_path) -> dict[str, Any]:
    roots = tmp_path / "tsa-roots.pem"
    roots.write_bytes(tsa.root_pem())
    return {"TSA_URL": tsa.url, "TSA_ROOTS": str(roots)}


@pytest.fixture
def issued(client, make_application, issue):
    certificate = issue(make_application(org_name="Kibera Keystrokes"))
    return certificate, client.get(f"/certificates/{certificate.serial}.pdf").data


def test_signatures_carry_a_time_stamp_from_the_configured_tsa(client, issued, tsa) -> None:
    _, pdf = issued
    assert tsa.requests >= 2  # the size estimate's token, then the signature's own
    root = load_certificate(client.get("/.well-known/certify/root.pem").data)
    result = validate_pdf(pdf, [root], timestamp_roots=[tsa.root])
    assert result.ok, result.errors
    assert result.timestamp is not None and result.timestamp_trusted is True
    # not pinned: the token is checked for integrity, the document stays valid
    unpinned = validate_pdf(pdf, [root])
    assert unpinned.ok and unpinned.timestamp_trusted is None
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    unsigned = signature.signer_info["unsigned_attrs"]
    assert [a["type"].native for a in unsigned] == ["signature_time_stamp_token"]
    dss = PdfFileReader(io.BytesIO(pdf)).root["/DSS"]
    ders = {bytes(c.get_object().data) for c in dss["/Certs"]}
    assert cms.Certificate.load(tsa.cert.public_bytes(_der())).dump() in ders


def _der():
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.DER


def test_the_key_export_pins_the_tsa_and_verification_says_when(client, issued, tsa) -> None:
    _, pdf = issued
    export = json.loads(client.get("/.well-known/certify/keys.json").data)
    assert export["timestamp_roots_pem"] == tsa.root_pem().decode()
    answer = client.post("/api/v1/verify", data={"file": (io.BytesIO(pdf), "c.pdf")}).get_json()
    assert answer["verdict"] == "valid", answer
    signer = next(c for c in answer["checks"] if c["name"] == "signer_trusted")
    assert "time-stamped" in signer["detail"] and "not judged" not in signer["detail"]


def test_a_changed_time_stamp_token_is_tampering(client, issued) -> None:
    _, pdf = issued
    reader = PdfFileReader(io.BytesIO(pdf))
    signature = reader.embedded_signatures[0]
    start, end = signature.byte_range[1] + 1, signature.byte_range[2] - 1
    hex_contents = pdf[start:end]
    token = signature.signer_info["unsigned_attrs"][0]["values"][0].dump()
    at = hex_contents.find(token.hex().upper().encode())
    assert at > 0
    # flip one byte inside the token's own signature value (near its end)
    position = start + at + len(token) * 2 - 8
    changed = pdf[:position] + (b"0" if pdf[position : position + 1] != b"0" else b"1")
    changed += pdf[position + 1 :]
    answer = client.post("/api/v1/verify", data={"file": (io.BytesIO(changed), "c.pdf")}).get_json()
    assert answer["verdict"] == "tampered"


def test_pyhanko_cli_reports_the_trusted_time_stamp(client, issued, tsa, tmp_path) -> None:
    _, pdf = issued
    (tmp_path / "root.pem").write_bytes(client.get("/.well-known/certify/root.pem").data)
    (tmp_path / "tsa.pem").write_bytes(tsa.root_pem())
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    tool = shutil.which("pyhanko") or str(Path(sys.executable).with_name("pyhanko"))
    if not Path(tool).exists():
        require_tool("pyhanko")
    done = run(
        [
            tool, "sign", "validate", "--no-revocation-check", "--trust",
            str(tmp_path / "root.pem"), "--trust", str(tmp_path / "tsa.pem"),
            "--trust-replace", str(path),
        ]
    )  # fmt: skip
    assert "INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,UNTOUCHED" in done.stdout, (
        done.stdout + done.stderr
    )


def test_a_tsa_that_does_not_answer_fails_the_issuance(app, make_application, issue) -> None:
    app.config["TSA_URL"] = "http://127.0.0.1:9/tsa"  # nothing listens there
    with pytest.raises(IssuanceError, match="TSA"):
        issue(make_application(org_name="No Time Ltd"))
