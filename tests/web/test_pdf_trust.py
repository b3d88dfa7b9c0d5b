"""Trust that outside tools can see (issue 20): a certification signature that permits no
changes, so a revision painted over the holder's name shows in readers; the root's CRL named
in the signing certificate, served, and embedded with the chain in the signed revision, so
pyHanko validates with revocation checking required (online from the CRL address, and
offline, AdES-style, from the document alone)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from certify.certificates.crl import CRL_PATH
from certify.certificates.keys import get_keystore
from certify.certificates.rotation import resign_crl
from certify.core.pdf.pki import load_certificate
from certify.core.pdf.validation import validate_pdf
from tests.core.tools import make_nss_db, pdfsig, require_tool, run
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


class _CrlServer:
    """A local HTTP server answering the CRL address with whatever ``crl`` holds."""

    def __init__(self) -> None:
        self.crl = b""
        self.requests = 0
        holder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                holder.requests += 1
                ok = self.path == CRL_PATH and holder.crl
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "application/pkix-crl")
                self.end_headers()
                if ok:
                    self.wfile.write(holder.crl)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def crl_server() -> Iterator[_CrlServer]:
    server = _CrlServer()
    yield server
    server.close()


@pytest.fixture
def app_config(crl_server) -> dict[str, Any]:
    # The registry's public address is the local server, so the CRL address in the signing
    # certificate is one pyHanko's CLI can fetch in the test.
    return {"PUBLIC_URL": crl_server.url}


@pytest.fixture
def issued(app, client, make_application, issue, crl_server):
    certificate = issue(make_application(org_name="Kibera Keystrokes"))
    pdf = client.get(f"/certificates/{certificate.serial}.pdf").data
    crl_server.crl = client.get(CRL_PATH).data
    return certificate, pdf


def served_root(client) -> tuple[bytes, x509.Certificate]:
    pem = client.get("/.well-known/certify/root.pem").data
    return pem, load_certificate(pem)


def forged(pdf: bytes) -> bytes:
    """An unsigned incremental update painting a white box and "FORGED" over the page, as a
    forger would over the holder's name."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    font = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica-Bold"),
        }
    )
    resources = page["/Resources"]
    fonts = generic.DictionaryObject(dict(resources["/Font"].get_object()))
    fonts[generic.pdf_name("/ForgedF")] = writer.add_object(font)
    resources = generic.DictionaryObject(dict(resources))
    resources[generic.pdf_name("/Font")] = fonts
    page[generic.pdf_name("/Resources")] = resources
    paint = b"q 1 1 1 rg 60 520 470 60 re f 0.8 0 0 rg BT /ForgedF 40 Tf 80 535 Td (FORGED) Tj ET Q"
    stream = writer.add_object(generic.StreamObject(stream_data=paint))
    contents = page["/Contents"]
    kids = (
        list(contents) if isinstance(contents, generic.ArrayObject) else [page.raw_get("/Contents")]
    )
    page[generic.pdf_name("/Contents")] = generic.ArrayObject([*kids, stream])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------- certification


def test_the_signature_certifies_the_document_permitting_no_changes(client, issued) -> None:
    _, pdf = issued
    _, root = served_root(client)
    result = validate_pdf(pdf, [root])
    assert result.ok and result.certified, result.errors
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    assert signature.docmdp_level == MDPPerm.NO_CHANGES
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root_asn1(root)]))
    assert status.docmdp_ok and status.bottom_line


def root_asn1(root: x509.Certificate):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    return asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))


def test_pdfsig_and_mupdf_see_a_fresh_certificate_untouched(client, issued, tmp_path) -> None:
    _, pdf = issued
    root_pem, _ = served_root(client)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    result = pdfsig(make_nss_db(tmp_path / "nss", root_pem), path)
    assert result.ok, result.output
    mutool = run([require_tool("mutool"), "sign", "-v", str(path)])
    assert "The document is unchanged since signing" in mutool.stdout, mutool.stdout


def test_a_forged_revision_is_reported_by_pdfsig_mupdf_pyhanko_and_certify(
    client, issued, tmp_path
) -> None:
    _, pdf = issued
    root_pem, root = served_root(client)
    tampered = forged(pdf)
    path = tmp_path / "forged.pdf"
    path.write_bytes(tampered)
    result = pdfsig(make_nss_db(tmp_path / "nss", root_pem), path)
    assert result.signature_valid and not result.total_document_signed, result.output
    assert "Not total document signed" in result.output
    mutool = run([require_tool("mutool"), "sign", "-v", str(path)])
    assert "there have been edits since signing" in mutool.stdout, mutool.stdout
    signature = PdfFileReader(io.BytesIO(tampered)).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root_asn1(root)]))
    assert not status.docmdp_ok and not status.bottom_line
    answer = client.post(
        "/api/v1/verify", data={"file": (io.BytesIO(tampered), "forged.pdf")}
    ).get_json()
    assert answer["verdict"] == "tampered"
    coverage = next(c for c in answer["checks"] if c["name"] == "pdf_coverage")
    assert coverage["ok"] is False
    assert "certified this document, which permits no changes" in coverage["detail"]
    page = client.post("/verify", data={"file": (io.BytesIO(tampered), "forged.pdf")})
    assert b"permits no changes" in page.data


# --------------------------------------------------------------------------- revocation


def test_the_signing_certificate_names_the_served_crl(app, client, issued, crl_server) -> None:
    with app.app_context():
        store = get_keystore()
    signing = store.current_signing_cert.certificate
    points = signing.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [n.value for p in points for n in p.full_name] == [crl_server.url + CRL_PATH]
    response = client.get(CRL_PATH)
    assert response.status_code == 200
    assert response.mimetype == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.data)
    _, root = served_root(client)
    assert crl.issuer == root.subject and crl.is_signature_valid(root.public_key())
    assert crl.get_revoked_certificate_by_serial_number(signing.serial_number) is None


def test_the_pdf_carries_the_chain_and_the_crl_inside_the_signed_revision(client, issued) -> None:
    _, pdf = issued
    reader = PdfFileReader(io.BytesIO(pdf))
    assert reader.xrefs.total_revisions == 2  # the page, then the certified revision
    signature = reader.embedded_signatures[0]
    assert signature.signed_revision == 1
    dss = reader.get_historical_root(1)["/DSS"]
    crls = [bytes(s.get_object().data) for s in dss["/CRLs"]]
    assert crls == [client.get(CRL_PATH).data]
    assert len(dss["/Certs"]) == 2  # the signing certificate and the root


def _pyhanko(*args: str) -> Any:
    import shutil
    import sys

    tool = shutil.which("pyhanko") or str(Path(sys.executable).with_name("pyhanko"))
    if not Path(tool).exists():
        require_tool("pyhanko")
    return run([tool, *args])


def test_pyhanko_cli_validates_with_revocation_checking_required(
    client, issued, crl_server, tmp_path
) -> None:
    _, pdf = issued
    root_pem, _ = served_root(client)
    (tmp_path / "root.pem").write_bytes(root_pem)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    trust = ["--trust", str(tmp_path / "root.pem"), "--trust-replace"]
    online = _pyhanko("sign", "validate", "--force-revinfo", *trust, str(path))
    assert ":INTACT:TRUSTED,UNTOUCHED" in online.stdout, online.stdout + online.stderr
    assert crl_server.requests >= 1  # the CRL was fetched from the address in the certificate
    crl_server.crl = b""  # offline now: the document's own DSS must do
    offline = _pyhanko("sign", "adesverify", *trust, str(path))
    assert ":INTACT:TRUSTED,UNTOUCHED" in offline.stdout, offline.stdout + offline.stderr


def test_a_revoked_signing_certificate_fails_revocation_checking(
    app, client, issued, crl_server, tmp_path
) -> None:
    _, pdf = issued
    with app.app_context():
        name = get_keystore().current_signing_cert.name
        resign_crl(revoke=(name,))
    crl_server.crl = client.get(CRL_PATH).data
    root_pem, _ = served_root(client)
    (tmp_path / "root.pem").write_bytes(root_pem)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    done = _pyhanko(
        "sign",
        "validate",
        "--force-revinfo",
        "--trust",
        str(tmp_path / "root.pem"),
        "--trust-replace",
        str(path),
    )
    assert ":INTACT:TRUSTED" not in done.stdout, done.stdout
    assert "revoked" in (done.stdout + done.stderr).lower()


def test_keys_crl_signs_a_new_crl_and_revokes_by_name(app, client, issued) -> None:
    runner = app.test_cli_runner()
    before = x509.load_der_x509_crl(client.get(CRL_PATH).data)
    with app.app_context():
        name = get_keystore().signing_certs[0].name
    result = runner.invoke(args=["keys", "crl", "--revoke", name])
    assert result.exit_code == 0, result.output
    assert "root CRL signed, valid to" in result.output and f"revoked: {name}" in result.output
    after = x509.load_der_x509_crl(client.get(CRL_PATH).data)
    number = after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number == before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
    assert len(list(after)) == 1
    assert runner.invoke(args=["keys", "crl", "--revoke", "signing-99"]).exit_code == 1
    listed = runner.invoke(args=["keys", "list"])
    assert "root CRL: valid to" in listed.output


def test_a_certificate_signed_as_before_issue_20_still_verifies(app, client, issued) -> None:
    """An approval signature, no DSS, a signing certificate naming no CRL, the log proof as
    transparency-log-proof.txt: what certify wrote before. It verifies as before."""
    from pyhanko.sign import fields, signers

    from certify.certificates.fonts import find_fonts
    from certify.core.pdf.certificate.drawing import render_certificate
    from certify.core.pdf.pki import make_signing_cert
    from certify.core.pdf.signing import PdfSigner, _embed_attachments
    from certify.core.verification.document import verify_document
    from certify.core.verification.model import RegistryKeys

    certificate, _ = issued
    with app.app_context():
        store = get_keystore()
        root_key = _root_key(app)
        key, cert = make_signing_cert(root_key, store.root_cert, "Old signing", "Registry", _now())
        old_signer = PdfSigner(key, cert, [store.root_cert])
        unsigned = render_certificate(
            json.loads(certificate.snapshot), verify_url="http://x/verify", registry_name="R",
            public_url=app.config["PUBLIC_URL"], fonts=find_fonts(None),
        )  # fmt: skip
        writer = IncrementalPdfFileWriter(io.BytesIO(unsigned))
        _embed_attachments(writer, {"certificate.json": certificate.credential})
        meta = signers.PdfSignatureMetadata(
            field_name="CertifySignature", subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
        )  # fmt: skip
        out = io.BytesIO()
        signers.PdfSigner(meta, signer=old_signer._signer).sign_pdf(writer, output=out)
        export = store.export(app.config["PUBLIC_URL"])
        export["signing_certs_pem"] += cert.public_bytes(_pem()).decode()
        keys = RegistryKeys.from_export(export)
        result = verify_document(out.getvalue(), keys, now=_now())
    assert all(result.check(n).ok for n in ("pdf_signature", "pdf_coverage", "signer_trusted"))
    assert result.check("credential_proof").ok and result.verdict == "valid"
    assert not validate_pdf(out.getvalue(), [store.root_cert]).certified


def _root_key(app):
    from certify.certificates.keys import ROOT_KEY, keys_folder, load_root_key

    return load_root_key(keys_folder(app) / ROOT_KEY, None)


def _now():
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def _pem():
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.PEM
