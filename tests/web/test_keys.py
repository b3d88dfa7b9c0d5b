"""The key store: creation by the init step, permissions, passphrase, rotation with the root
kept offline, and the published key documents."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import func

from certify.certificates.cli import create_missing_keys
from certify.certificates.keys import (
    KeyStoreError,
    ensure_keys,
    get_keystore,
)
from certify.certificates.rotation import rotate_keys
from certify.core.pdf import pki
from certify.core.tlog.note import parse_verifier_key
from certify.state import app_state
from tests.web import certificate_fixtures
from tests.web.independent_verifier import verify

# fixtures shared by the certificate tests
issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


def test_the_init_step_creates_every_key_once(app, capsys) -> None:
    folder = Path(app.config["KEYS_DIR"])
    assert not folder.exists()
    step = create_missing_keys
    with app.app_context():
        step()
        assert (
            "created credential key, root CA, document-signing certificate, root CRL, log key"
            in (capsys.readouterr().out)
        )
        before = {p.name: p.read_bytes() for p in folder.iterdir()}
        step()
        assert "keys: present" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert os.stat(folder).st_mode & 0o777 == 0o700
    keys = [p for p in folder.iterdir() if p.suffix == ".key"]
    assert {p.name for p in keys} >= {"root-ca.key", "log.key", "signing-1.key"}
    for path in keys:
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert b"ENCRYPTED" not in path.read_bytes()  # no passphrase configured


def test_root_and_signing_certificates(app) -> None:
    with app.app_context():
        store = get_keystore()
    root, signing = store.root_cert, store.current_signing_cert.certificate
    basic = root.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca is True
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert 19 <= (root.not_valid_after_utc - root.not_valid_before_utc).days // 365 <= 20
    usage = signing.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    with pytest.raises(x509.ExtensionNotFound):
        signing.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert pki.verify_issued_by(signing, root)
    assert 9 <= (signing.not_valid_after_utc - signing.not_valid_before_utc).days // 365 <= 10


@pytest.mark.parametrize("app_config", [{"KEY_PASSPHRASE": "correct horse"}])
def test_a_passphrase_encrypts_every_private_key(app, app_config) -> None:
    folder = Path(app.config["KEYS_DIR"])
    with app.app_context():
        get_keystore()
    for path in folder.glob("*.key"):
        assert b"ENCRYPTED" in path.read_bytes(), path
    app.config["KEY_PASSPHRASE"] = "wrong"
    app_state(app).caches.keystore.clear()
    with app.app_context(), pytest.raises(KeyStoreError, match="passphrase"):
        get_keystore()


def test_without_keys_and_auto_create_the_documents_say_unavailable(app, client) -> None:
    app.config["KEYS_AUTO_CREATE"] = False
    response = client.get("/.well-known/did.json")
    assert response.status_code == 503
    assert b"not available" in response.data


def test_published_key_documents(app, client) -> None:
    did = json.loads(client.get("/.well-known/did.json").data)
    assert did["id"] == "did:web:registry.test"
    assert did["assertionMethod"] == [m["id"] for m in did["verificationMethod"]]
    response = client.get("/.well-known/certify/keys.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    export = json.loads(response.data)
    assert export["registry"] == "http://registry.test"
    root = client.get("/.well-known/certify/root.pem")
    assert root.data.decode() == export["root_ca_pem"]
    assert root.headers["Access-Control-Allow-Origin"] == "*"
    assert [k["id"] for k in export["credential_keys"]] == [
        m["id"] for m in did["verificationMethod"]
    ]
    log_pub = client.get("/.well-known/certify/log.pub").data.decode().strip()
    assert log_pub == export["log_key"]
    assert parse_verifier_key(log_pub).name == "registry.test/log"
    etag = client.get("/.well-known/did.json").headers["ETag"]
    assert client.get("/.well-known/did.json", headers={"If-None-Match": etag}).status_code == 304


def test_keys_export_and_list_commands(app) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        ensure_keys(app)
    exported = runner.invoke(args=["keys", "export"])
    assert exported.exit_code == 0, exported.output
    export = json.loads(exported.output)
    with app.app_context():
        assert export == get_keystore().export("http://registry.test")
    listed = runner.invoke(args=["keys", "list"])
    assert listed.exit_code == 0
    assert export["credential_keys"][0]["id"].split("#")[1] in listed.output
    assert "private key present" in listed.output


def test_credentials_from_before_and_after_rotation_both_verify(
    app, client, make_application, issue
) -> None:
    before = issue(make_application())
    with app.app_context():
        old_key = get_keystore().current_credential_key.id
        result = rotate_keys(now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    assert result["credential_key"] != old_key and result["signing_cert"] == "signing-2"
    after = issue(make_application())
    assert after.credential_key_id == result["credential_key"] != before.credential_key_id
    did = json.loads(client.get("/.well-known/did.json").data)
    assert len(did["verificationMethod"]) == 2
    for certificate in (before, after):
        assert verify(json.loads(client.get(f"/certificates/{certificate.serial}.json").data), did)
    export = json.loads(client.get("/.well-known/certify/keys.json").data)
    old, new = export["credential_keys"]
    assert old["valid_until"] == new["valid_from"] and new["valid_until"] is None
    with app.app_context():
        store = get_keystore()
    assert [c.name for c in store.signing_certs] == ["signing-1", "signing-2"]
    assert store.signing_certs[0].valid_until is not None


def test_rotation_with_the_root_key_offline(app, tmp_path) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        ensure_keys(app)
    folder = Path(app.config["KEYS_DIR"])
    offline = tmp_path / "usb" / "root-ca.key"
    offline.parent.mkdir()
    shutil.move(folder / "root-ca.key", offline)
    refused = runner.invoke(args=["keys", "rotate", "--yes"])
    assert refused.exit_code != 0
    assert "--root-key PATH" in refused.output
    with app.app_context():
        assert len(get_keystore().credential_keys) == 1  # nothing changed
    done = runner.invoke(args=["keys", "rotate", "--root-key", str(offline)], input="y\n")
    assert done.exit_code == 0, done.output
    assert "signing-2" in done.output
    assert not (folder / "root-ca.key").exists()  # never copied back
    only = runner.invoke(args=["keys", "rotate", "--credential-only", "--yes"])
    assert only.exit_code == 0, only.output
    with app.app_context():
        store = get_keystore()
    assert len(store.credential_keys) == 3 and len(store.signing_certs) == 2
    assert not store.root_key_present


def test_a_foreign_root_key_is_refused(app, tmp_path) -> None:
    with app.app_context():
        ensure_keys(app)
    key, _cert = pki.make_root_ca("Other", "Other", dt.datetime.now(dt.UTC))
    path = tmp_path / "other.key"
    path.write_bytes(pki.private_key_pem(key))
    with app.app_context(), pytest.raises(KeyStoreError, match="does not belong"):
        rotate_keys(root_key_path=path)


def test_keys_rotate_records_the_rotation_and_announces_the_keys_at_once(app) -> None:
    from sqlalchemy import select

    from certify.audit.models import AuditEvent
    from certify.db import db_session
    from certify.translog.models import LogEntry

    runner = app.test_cli_runner()
    with app.app_context():
        ensure_keys(app)
        session = db_session()
        before = session.scalar(select(func.count()).select_from(LogEntry)) or 0
    done = runner.invoke(args=["keys", "rotate", "--yes"])
    assert done.exit_code == 0, done.output
    assert "announced in the transparency log" in done.output
    with app.app_context():
        store = get_keystore()
        session = db_session()
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.rotated")).one()
        after = json.loads(event.after)
        assert after["credential_key"] == store.current_credential_key.id
        assert after["signing_cert"] == "signing-2"
        assert after["signing_cert_fingerprint"] == store.current_signing_cert.fingerprint
        assert event.actor.startswith("cli:")
        announced = {
            (row.event, json.loads(row.entry)["key_id"])
            for row in session.scalars(select(LogEntry).where(LogEntry.idx >= before))
        }
    # the new credential key and signing certificate are in the log now, not at the next
    # issuance or `flask init`
    assert ("credential_key_added", store.current_credential_key.id) in announced
    assert ("signing_cert_added", store.current_signing_cert.fingerprint) in announced
    again = runner.invoke(args=["init", "--no-demo"])
    assert "every key is in the log" in again.output


def test_keys_rotate_asks_first_and_a_no_changes_nothing(app) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        ensure_keys(app)
        before = [k.id for k in get_keystore().credential_keys]
    declined = runner.invoke(args=["keys", "rotate"], input="n\n")
    assert declined.exit_code != 0
    assert "Rotate the credential key and signing certificate?" in declined.output
    assert "Aborted" in declined.output
    with app.app_context():
        assert [k.id for k in get_keystore().credential_keys] == before
