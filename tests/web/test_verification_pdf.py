"""Verification of PDF certificates: byte flips, appended updates, foreign signers, junk."""

from __future__ import annotations

import datetime as dt
import io
import random
import re

import pytest

from certify.certificates.keys import get_keystore
from certify.core.verification.document import verify_document
from certify.core.verification.model import NotADocument, RegistryKeys
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


@pytest.fixture
def issued_pdf(client, issue, make_application) -> tuple[object, bytes]:
    certificate = issue(make_application())
    response = client.get(f"/certificates/{certificate.serial}.pdf")
    assert response.status_code == 200
    return certificate, response.get_data()


@pytest.fixture
def keys(app) -> RegistryKeys:
    with app.app_context():
        return RegistryKeys.from_export(get_keystore().export(app.config["PUBLIC_URL"]))


def _upload(client, data: bytes, name: str = "certificate.pdf"):
    return client.post(
        "/api/v1/verify",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_an_issued_pdf_is_valid_online_and_offline(client, issued_pdf, keys) -> None:
    _certificate, pdf = issued_pdf
    body = _upload(client, pdf).json
    assert body["verdict"] == "valid", body
    checks = {c["name"]: c["ok"] for c in body["checks"]}
    for name in (
        "file_readable",
        "pdf_signature",
        "pdf_coverage",
        "signer_trusted",
        "credential_proof",
        "credential_issuer",
        "record_match",
        "status",
        "validity_period",
    ):
        assert checks[name] is True, name
    offline = verify_document(pdf, keys, now=dt.datetime.now(dt.UTC))
    assert offline.verdict == "valid"
    assert offline.check("status").ok is None


def _signed_ranges(pdf: bytes) -> list[range]:
    a, b, c, d = map(
        int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", pdf).groups()
    )
    return [range(a, a + b), range(c, c + d)]


def test_flipping_any_signed_byte_is_caught(issued_pdf, keys) -> None:
    _certificate, pdf = issued_pdf
    positions = [p for r in _signed_ranges(pdf) for p in r]
    rng = random.Random(7)
    sample = sorted(rng.sample(positions, 240))
    now = dt.datetime.now(dt.UTC)
    for position in sample:
        data = bytearray(pdf)
        data[position] ^= 0xFF
        result = verify_document(bytes(data), keys, now=now)
        assert result.verdict != "valid", position
        if result.check("file_readable").ok:
            assert result.verdict == "tampered", (position, result.to_dict())


def test_an_incremental_update_appended_after_signing_is_caught(issued_pdf, keys) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _certificate, pdf = issued_pdf
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root["/PageMode"] = writer.root.get("/PageMode", "/UseNone")
    from pyhanko.pdf_utils import generic

    writer.root["/Lang"] = generic.TextStringObject("fr")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = verify_document(out.getvalue(), keys, now=dt.datetime.now(dt.UTC))
    assert result.verdict == "tampered"
    assert result.check("pdf_coverage").ok is False
    appended = verify_document(
        pdf + b"\n% a comment added later\n", keys, now=dt.datetime.now(dt.UTC)
    )
    assert appended.verdict == "tampered"


def test_an_unsigned_pdf_and_a_foreign_signer_are_untrusted(keys) -> None:
    from reportlab.pdfgen import canvas

    from certify.core.pdf.pki import make_root_ca, make_signing_cert
    from certify.core.pdf.signing import PdfSigner

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Certificate of impact sourcing (not really)")
    page.save()
    unsigned = buffer.getvalue()
    now = dt.datetime.now(dt.UTC)
    assert verify_document(unsigned, keys, now=now).verdict == "untrusted"
    root_key, root = make_root_ca("Forger root", "Forgers", now)
    key, cert = make_signing_cert(root_key, root, "Forger signer", "Forgers", now)
    forged = PdfSigner(key, cert, [root]).sign(unsigned)
    result = verify_document(forged, keys, now=now)
    assert result.verdict == "untrusted"
    assert result.check("signer_trusted").ok is False


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_truncated_files_are_not_valid(issued_pdf, keys, cut) -> None:
    _certificate, pdf = issued_pdf
    result = verify_document(pdf[: int(len(pdf) * cut)], keys, now=dt.datetime.now(dt.UTC))
    assert result.verdict == "tampered"


def test_huge_uploads_are_refused_and_junk_is_a_400(client, issued_pdf) -> None:
    _certificate, pdf = issued_pdf
    huge = pdf + b"\0" * (11 * 1024 * 1024)
    with pytest.raises(NotADocument, match="larger than 10 MB"):
        verify_document(huge, keys_for(client), now=dt.datetime.now(dt.UTC))
    # (sent as a raw body: the test client spools big multipart bodies to files it never closes)
    response = client.post(
        "/api/v1/verify",
        data=b"{" + b" " * (11 * 1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert _upload(client, b"MZ\x90\x00 not a document").status_code == 400
    assert _upload(client, b"").status_code == 400


def keys_for(client) -> RegistryKeys:
    app = client.application
    with app.app_context():
        return RegistryKeys.from_export(get_keystore().export(app.config["PUBLIC_URL"]))


def test_thousands_of_mutations_never_pass(issued_pdf, keys) -> None:
    """Random mutations (flips, cuts, insertions, appended junk): never `valid`, never an
    exception other than 'not a document'. Changes inside the signature's /Contents count
    too: a genuine certificate is byte-exact (issue 25)."""
    _certificate, pdf = issued_pdf
    rng = random.Random(1128)
    now = dt.datetime.now(dt.UTC)
    for _ in range(1000):
        data = bytearray(pdf)
        kind = rng.random()
        if kind < 0.5:
            spots = {rng.randrange(len(data)) for _ in range(rng.randint(1, 4))}
            for spot in spots:
                data[spot] ^= rng.randrange(1, 256)  # always a different byte
        elif kind < 0.7:
            start = rng.randrange(len(data))
            del data[start : start + rng.randint(1, 64)]
        elif kind < 0.9:
            data[rng.randrange(len(data)) : 0] = rng.randbytes(rng.randint(1, 32))
        else:
            data += rng.randbytes(rng.randint(1, 200))
        try:
            result = verify_document(bytes(data), keys, now=now)
        except NotADocument:
            continue
        assert result.verdict != "valid", kind


def test_log_inclusion_is_checked_online_and_offline(client, issued_pdf, keys, tmp_path) -> None:
    _certificate, pdf = issued_pdf
    body = _upload(client, pdf).json
    assert {c["name"]: c["ok"] for c in body["checks"]}["log_inclusion"] is True
    from certify import verify_cli

    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    export = tmp_path / "keys.json"
    app = client.application
    with app.app_context():
        import json

        export.write_text(json.dumps(get_keystore().export(app.config["PUBLIC_URL"])))
    # genuine, no saved status lists: 3 (status unknown), which the flag accepts
    assert verify_cli.main([str(path), "--keys", str(export), "--json"]) == 3
    assert verify_cli.main([str(path), "--keys", str(export), "--accept-unknown-status"]) == 0


def test_a_corrupted_log_proof_is_caught_only_by_the_log_check(
    app, client, issue, make_application, keys, tmp_path, capsys, monkeypatch
) -> None:
    """The proof is corrupted before signing, so the PDF signature is sound: only
    `log_inclusion` can catch it."""
    from tests.web.lifecycle_steps import insert_step

    def corrupt(ctx) -> None:
        import base64

        lines = ctx.log_proof.split("\n")
        # the first proof hash: the line right after "index N"; flip one bit of its hash
        at = next(i for i, line in enumerate(lines) if line.startswith("index ")) + 1
        assert lines[at], "the proof has a hash line to corrupt"
        digest = bytearray(base64.b64decode(lines[at]))
        digest[0] ^= 0x01
        lines[at] = base64.b64encode(bytes(digest)).decode("ascii")
        ctx.log_proof = "\n".join(lines)

    insert_step(monkeypatch, corrupt, before="sign_pdf")
    certificate = issue(make_application())
    pdf = client.get(f"/certificates/{certificate.serial}.pdf").get_data()
    result = verify_document(
        pdf, keys, now=dt.datetime.now(dt.UTC), log_check=_offline_log_check(keys)
    )
    assert result.check("pdf_signature").ok is True
    assert result.check("credential_proof").ok is True
    assert result.check("log_inclusion").ok is False
    assert result.verdict == "tampered"
    # and the offline verifier says the same, with no network at all
    import json

    from certify import verify_cli

    path, export = tmp_path / "c.pdf", tmp_path / "keys.json"
    path.write_bytes(pdf)
    with app.app_context():
        export.write_text(json.dumps(get_keystore().export(app.config["PUBLIC_URL"])))
    assert verify_cli.main([str(path), "--keys", str(export)]) == 1
    assert "[FAIL] log_inclusion" in capsys.readouterr().out


def _offline_log_check(keys: RegistryKeys):
    from certify.core.tlog.checkpoint import log_origin
    from certify.core.tlog.logproof import verify_certificate_log_proof

    origin = log_origin(keys.registry)
    return lambda proof, credential: verify_certificate_log_proof(
        proof, credential, keys.log_key, origin
    )
