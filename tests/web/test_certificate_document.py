"""What the certificate PDF says about itself and about who certifies (issue 20): a real
creation date and an XMP title; the log proof as ``.tlog-proof`` (the old ``.txt`` still read);
an honest word on what a PDF reader shows; the certification body, its accreditation and
signatory from the settings; the holder's country by name."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from certify.certificates.pdf import LOG_PROOF_ATTACHMENT
from certify.core.pdf.reading import extract_attachment
from tests.core.tools import require_tool, run
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

BODY = {
    "ISSUER_LEGAL_NAME": "Impact Sourcing Certification Ltd",
    "ISSUER_ADDRESS": "14 Riverside Drive, Nairobi 00100, Kenya",
    "ISSUER_ACCREDITATION": "Accredited to ISO/IEC 17065 by KENAS, no. PC-0012",
    "ISSUER_SIGNATORY_NAME": "Wanjiru Kamau",
    "ISSUER_SIGNATORY_TITLE": "Head of Certification",
}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(BODY)


@pytest.fixture
def issued(client, make_application, issue):
    certificate = issue(make_application(org_name="Kibera Keystrokes"))
    return certificate, client.get(f"/certificates/{certificate.serial}.pdf").data


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    done = run([require_tool("pdftotext"), "-layout", str(path), "-"])
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())


def test_the_pdf_has_its_issue_date_and_an_xmp_title(issued) -> None:
    certificate, pdf = issued
    reader = PdfFileReader(io.BytesIO(pdf))
    info = reader.trailer_view["/Info"]
    valid_from = json.loads(certificate.credential)["validFrom"]  # 2026-...Z
    stamp = "D:" + valid_from.replace("-", "").replace(":", "").replace("T", "")[:14]
    assert str(info["/CreationDate"]).startswith(stamp)
    xmp = reader.root["/Metadata"].get_object().data.decode("utf-8")
    assert f"Certificate {certificate.serial}" in xmp  # dc:title
    assert valid_from[:19] in xmp  # xmp:CreateDate


def test_the_log_proof_is_a_tlog_proof_file(issued) -> None:
    _, pdf = issued
    assert LOG_PROOF_ATTACHMENT == "transparency-log.tlog-proof"
    proof = extract_attachment(pdf, LOG_PROOF_ATTACHMENT)
    assert proof.startswith(b"c2sp.org/tlog-proof@v1\n")


def test_a_proof_under_its_old_name_is_still_checked(app, client, issued) -> None:
    """Certificates issued before issue 20 carry transparency-log-proof.txt."""
    from certify.certificates.keys import get_keystore
    from certify.core.pdf.signing import PdfSigner
    from certify.core.verification.document import verify_document
    from certify.core.verification.model import RegistryKeys
    from certify.verify.service import _log_check

    certificate, pdf = issued
    proof = extract_attachment(pdf, LOG_PROOF_ATTACHMENT)
    with app.app_context():
        store = get_keystore()
        signer = PdfSigner(
            store.current_signing_cert.private_key, store.current_signing_cert.certificate,
            [store.root_cert],
        )  # fmt: skip
        from certify.certificates.fonts import find_fonts
        from certify.core.pdf.certificate.drawing import render_certificate

        unsigned = render_certificate(
            json.loads(certificate.snapshot), verify_url="http://registry.test/verify/x",
            registry_name="r", public_url="http://registry.test", fonts=find_fonts(None),
        )  # fmt: skip
        old = signer.sign(
            unsigned,
            attachments={
                "certificate.json": certificate.credential,
                "transparency-log-proof.txt": proof,
            },
        )
        keys = RegistryKeys.from_export(store.export(app.config["PUBLIC_URL"]))
        result = verify_document(old, keys, now=certificate.issued_at, log_check=_log_check())
    assert result.check("log_inclusion").ok is True


def test_the_page_names_the_certification_body_and_the_holders_country(issued, tmp_path) -> None:
    _, pdf = issued
    text = _text(pdf, tmp_path)
    for value in BODY.values():
        assert value in text, value
    assert "Authorised signatory" in text and "Certification body" in text
    assert "Kenya · Registration no. REG-1" in text
    assert "Country: KE" not in text
    # an honest word on PDF readers, and where the signing time is proven
    assert "your PDF reader shows the signature" not in text
    assert "only once the registry's root" in text and "transparency log" in text


def test_the_snapshot_keeps_the_body_as_it_was_at_issuance(app, issued) -> None:
    certificate, _ = issued
    snapshot = json.loads(certificate.snapshot)
    assert snapshot["certificationBody"] == {
        "legalName": BODY["ISSUER_LEGAL_NAME"],
        "address": BODY["ISSUER_ADDRESS"],
        "accreditation": BODY["ISSUER_ACCREDITATION"],
        "signatory": {"name": "Wanjiru Kamau", "title": "Head of Certification"},
    }


def test_the_pdf_is_tagged_in_reading_order(issued, tmp_path) -> None:
    """pdfinfo (poppler) reads the logical structure: top to bottom, the QR code a figure
    with alternate text, every marked piece of text reachable from the structure."""
    import re

    certificate, pdf = issued
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    info = run([require_tool("pdfinfo"), str(path)])
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M), info.stdout
    done = run([require_tool("pdfinfo"), "-struct-text", str(path)])
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("Document")
    order = [
        "Certificate of Conformity",
        "Kibera Keystrokes",
        "Certification body",
        "Section scores",
        certificate.serial,
        "Verify this certificate",
        "Figure",
        "Scan the code",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions), positions
    assert "the address begins with" in text and "theregistry" not in text
    reader = PdfFileReader(io.BytesIO(pdf))
    assert bool(reader.root["/MarkInfo"]["/Marked"]) is True
    assert str(reader.root["/Lang"]) == "en"
    figure = _figure(reader.root["/StructTreeRoot"])
    assert "QR code linking to" in str(figure["/Alt"])
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    content = page["/Contents"]
    streams = list(content) if isinstance(content, list) else [content]
    data = b"".join(s.get_object().data for s in streams)
    used = {int(m) for m in re.findall(rb"/MCID (\d+)", data)}
    parents = reader.root["/StructTreeRoot"]["/ParentTree"]["/Nums"][1].get_object()
    assert used == {i for i, p in enumerate(parents) if p is not None and not _null(p)}


def _null(value: Any) -> bool:
    from pyhanko.pdf_utils import generic

    return isinstance(value, generic.NullObject)


def _figure(tree: Any) -> Any:
    document = tree["/K"].get_object()
    kids = (k.get_object() for k in document["/K"])
    return next(k for k in kids if str(k["/S"]) == "/Figure")


def test_every_font_is_embedded(issued, tmp_path) -> None:
    """What an archival (PDF/A) check asks first: no font without its program in the file."""
    _, pdf = issued
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    done = run([require_tool("pdffonts"), str(path)])
    rows = [line.split() for line in done.stdout.splitlines()[2:] if line.strip()]
    assert rows, done.stdout
    assert all(row[-5] == "yes" for row in rows), done.stdout  # the "emb" column
