"""``certify-verify``: offline with pinned keys, online with --registry, and its exit codes."""

from __future__ import annotations

import json
import threading

import pytest
from werkzeug.serving import make_server

from certify import verify_cli
from certify.certificates.keys import get_keystore
from certify.core.actor import Actor
from certify.lifecycle import suspend_certificate
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


@pytest.fixture
def served(app):
    """The test app on a free loopback port; its PUBLIC_URL is that address."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    origin = f"http://127.0.0.1:{server.port}"
    app.config["PUBLIC_URL"] = origin
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield origin
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def pins(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "certify" / "pins"


def _files(app, tmp_path, certificate):
    cred = tmp_path / "certificate.json"
    cred.write_bytes(certificate.credential)
    keys = tmp_path / "keys.json"
    with app.app_context():
        keys.write_text(json.dumps(get_keystore().export(app.config["PUBLIC_URL"])))
    return cred, keys


def test_offline_with_pinned_keys_needs_no_server(
    app, tmp_path, issue, make_application, capsys
) -> None:
    certificate = issue(make_application())
    cred, keys = _files(app, tmp_path, certificate)
    # genuine, but no status information: 3, never 0 (issue 20)
    assert verify_cli.main([str(cred), "--keys", str(keys)]) == 3
    out = capsys.readouterr().out
    assert "verdict: STATUS_UNKNOWN" in out and "status unknown: offline" in out
    assert verify_cli.main([str(cred), "--keys", str(keys), "--accept-unknown-status"]) == 0
    tampered = tmp_path / "t.json"
    tampered.write_bytes(certificate.credential.replace(b'"certified', b'"Certified', 1))
    assert verify_cli.main([str(tampered), "--keys", str(keys)]) == 1


def test_registry_gives_live_status_and_pins_keys(
    app, session, served, pins, tmp_path, issue, make_application, capsys
) -> None:
    certificate = issue(make_application())
    cred, _keys = _files(app, tmp_path, certificate)
    assert verify_cli.main([str(cred), "--registry", served]) == 0
    assert "live from the registry at" in capsys.readouterr().out
    assert list(pins.iterdir())  # the keys are pinned now
    with app.app_context():
        suspend_certificate(session, certificate, Actor.cli("tests"), "fraud", "Forged records")
        session.commit()
    assert verify_cli.main([str(cred), "--registry", served]) == 1
    assert "verdict: SUSPENDED" in capsys.readouterr().out


def test_changed_keys_are_flagged_loudly(
    app, served, pins, tmp_path, issue, make_application, capsys
) -> None:
    certificate = issue(make_application())
    cred, _keys = _files(app, tmp_path, certificate)
    assert verify_cli.main([str(cred), "--registry", served]) == 0
    pin = next(pins.iterdir())
    # Pretend we pinned another registry's root: what an impostor swap would look like.
    from cryptography.hazmat.primitives import serialization

    from certify import clock
    from certify.core.pdf.pki import make_root_ca

    _key, other_root = make_root_ca("Someone else", "Elsewhere", clock.now())
    pinned = json.loads(pin.read_text())
    pinned["root_ca_pem"] = other_root.public_bytes(serialization.Encoding.PEM).decode()
    pin.write_text(json.dumps(pinned))
    capsys.readouterr()
    verify_cli.main([str(cred), "--registry", served])
    assert "CHANGED SINCE YOU PINNED THEM" in capsys.readouterr().err
    assert verify_cli.main([str(cred), "--registry", served, "--accept-new-keys"]) == 0


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["x.pdf"],
        ["missing.pdf", "--keys", "k.json"],
        ["x.pdf", "--keys", "a", "--registry", "b"],
    ],
)
def test_usage_and_file_errors_exit_2(tmp_path, monkeypatch, args) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.7")
    assert verify_cli.main(args) == 2


def test_unreachable_registry_and_non_documents_exit_2(tmp_path, pins, capsys) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"just text")
    assert verify_cli.main([str(doc), "--registry", "http://127.0.0.1:9"]) == 2
    assert "cannot reach" in capsys.readouterr().err
    keys = tmp_path / "keys.json"
    keys.write_text("{}")
    assert verify_cli.main([str(doc), "--keys", str(keys)]) == 2


# -- strict JSON from outside (issue 25, findings 2 and 3) ------------------------------------


@pytest.fixture
def stub_registry(app):
    """A registry that answers fixed bytes per path (``routes``), on a free loopback port; the
    app's PUBLIC_URL is its address, so certificates issued now name it."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    routes: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body or b"{}")

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    app.config["PUBLIC_URL"] = origin
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield origin, routes
    server.shutdown()
    thread.join(5)
    server.server_close()


def _doubled(text: bytes, key: str, first: object) -> bytes:
    """*text* (a JSON object) with *key* written once more, first, holding *first*."""
    return b"{" + json.dumps(key).encode() + b": " + json.dumps(first).encode() + b", " + text[1:]


def test_a_key_export_with_a_repeated_key_is_refused(
    app, tmp_path, issue, make_application, capsys
) -> None:
    certificate = issue(make_application())
    cred, keys = _files(app, tmp_path, certificate)
    doubled = tmp_path / "doubled-keys.json"
    doubled.write_bytes(_doubled(keys.read_bytes(), "registry", "https://impostor.example"))
    assert verify_cli.main([str(cred), "--keys", str(doubled)]) == 2
    assert "'registry' appears twice" in capsys.readouterr().err


def test_a_credential_file_with_a_repeated_key_is_refused(
    app, tmp_path, issue, make_application, capsys
) -> None:
    certificate = issue(make_application())
    cred, keys = _files(app, tmp_path, certificate)
    subject = json.loads(certificate.credential)["credentialSubject"]
    cred.write_bytes(
        _doubled(certificate.credential, "credentialSubject", {**subject, "name": "Impostor"})
    )
    assert verify_cli.main([str(cred), "--keys", str(keys)]) == 2
    assert "'credentialSubject' appears twice" in capsys.readouterr().err


def test_a_credential_file_with_a_byte_order_mark_verifies(
    app, tmp_path, issue, make_application, capsys
) -> None:
    certificate = issue(make_application())
    cred, keys = _files(app, tmp_path, certificate)
    cred.write_bytes(b"\xef\xbb\xbf" + certificate.credential)
    assert verify_cli.main([str(cred), "--keys", str(keys), "--accept-unknown-status"]) == 0
    assert "verdict: STATUS_UNKNOWN" in capsys.readouterr().out


def test_registry_answers_with_a_repeated_key_are_refused(
    app, stub_registry, pins, tmp_path, issue, make_application, capsys
) -> None:
    origin, routes = stub_registry
    certificate = issue(make_application())
    cred, keys = _files(app, tmp_path, certificate)
    export = keys.read_bytes()
    serial = certificate.serial
    status = {"serial": serial, "status": "active", "statusDetail": "active"}
    routes["/.well-known/certify/keys.json"] = export
    routes[f"/api/v1/certificates/{serial}"] = json.dumps(status).encode()
    routes[f"/certificates/{serial}.json"] = certificate.credential
    assert verify_cli.main([str(cred), "--registry", origin]) == 0  # the stub is a registry
    capsys.readouterr()
    # What a person reads first says withdrawn; Python alone would keep the last, "active".
    routes[f"/api/v1/certificates/{serial}"] = _doubled(
        json.dumps(status).encode(), "status", "withdrawn"
    )
    assert verify_cli.main([str(cred), "--registry", origin]) == 2
    assert "'status' appears twice" in capsys.readouterr().err
    routes[f"/api/v1/certificates/{serial}"] = json.dumps(status).encode()
    routes["/.well-known/certify/keys.json"] = _doubled(export, "log_key", None)
    assert verify_cli.main([str(cred), "--registry", origin]) == 2
    assert "'log_key' appears twice" in capsys.readouterr().err
    routes["/.well-known/certify/keys.json"] = export
    subject = json.loads(certificate.credential)["credentialSubject"]
    routes[f"/certificates/{serial}.json"] = _doubled(
        certificate.credential, "credentialSubject", {**subject, "name": "Someone Else"}
    )
    # the registry's copy of the credential cannot be read strictly: it does not match
    assert verify_cli.main([str(cred), "--registry", origin]) == 1
    assert "[FAIL] record_match" in capsys.readouterr().out


# -- damaged files and what reaches the terminal (issue 25, finding 6) ------------------------


@pytest.fixture
def issued_pdf(app, client, tmp_path, issue, make_application):
    """(the issued PDF's bytes, the path of the key export)."""
    certificate = issue(make_application())
    _cred, keys = _files(app, tmp_path, certificate)
    return client.get(f"/certificates/{certificate.serial}.pdf").get_data(), keys


def _run(tmp_path, data: bytes, keys, capsys) -> tuple[int, str, str]:
    path = tmp_path / "checked.pdf"
    path.write_bytes(data)
    capsys.readouterr()
    code = verify_cli.main([str(path), "--keys", str(keys)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_pdf_is_a_file_error(tmp_path, issued_pdf, capsys, cut) -> None:
    pdf, keys = issued_pdf
    code, _out, err = _run(tmp_path, pdf[: int(len(pdf) * cut)], keys, capsys)
    assert code == 2
    assert "damaged or truncated" in err and "Traceback" not in err


def test_library_tracebacks_never_reach_the_terminal(tmp_path, issued_pdf) -> None:
    """A changed SubFilter name makes pyHanko log a warning with a traceback, which Python
    prints to stderr when nothing handles it; the user gets the verdict and one line about
    it. Run as a process, as people run it: under pytest a logging handler of pytest's own
    would swallow the traceback and hide the problem."""
    import subprocess
    import sys
    from pathlib import Path

    import certify

    pdf, keys = issued_pdf
    assert pdf.count(b"/ETSI.CAdES.detached") == 1
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf.replace(b"/ETSI.CAdES.detached", b"/ETSI.CAdVS.detached"))
    done = subprocess.run(
        [sys.executable, "-m", "certify.verify_cli", str(path), "--keys", str(keys)],
        capture_output=True,
        text=True,
        cwd=Path(certify.__file__).parent.parent,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and "verdict: TAMPERED" in done.stdout
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1
    assert "note: the PDF reader reported a problem" in done.stderr


def test_an_altered_document_is_called_altered_not_untrusted(tmp_path, issued_pdf, capsys) -> None:
    pdf, keys = issued_pdf
    at = pdf.index(b"/MediaBox")  # in the signed page, nowhere near the signature
    changed = pdf[:at] + b"/MediaBoy" + pdf[at + len(b"/MediaBox") :]
    code, out, err = _run(tmp_path, changed, keys, capsys)
    assert code == 1 and "verdict: TAMPERED (altered after signing" in out
    assert "[FAIL] pdf_signature" in out
    assert "did not certify" not in out and "[FAIL] signer_trusted" not in out
    assert "not judged: the document was altered after signing" in out
    assert "Traceback" not in err
