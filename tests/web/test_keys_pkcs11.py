"""Signing keys in a PKCS#11 token (issue 24, item 6), against a real SoftHSM2 token: issuance
signs through the token and the PDF and the credential validate as before; ``keys`` commands
work with either location and move a key set into the token; bad token settings give a
message, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certify.certificates.keys import KeyStoreError, ensure_keys, get_keystore
from certify.certificates.pdf import CREDENTIAL_ATTACHMENT
from certify.core.pdf.validation import validate_pdf
from certify.hsm.objects import TokenEd25519Key
from certify.hsm.token import TOKEN_LOCK, open_session, token_settings
from certify.state import app_state
from tests.core.tools import make_nss_db, pdfsig
from tests.web import certificate_fixtures
from tests.web.independent_verifier import verify
from tests.web.test_certificate_pdf import fetch_pdf, served_root

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric


@pytest.fixture
def app_config(token_config):
    return token_config


def manifest(app) -> dict:
    return json.loads((Path(app.config["KEYS_DIR"]) / "manifest.json").read_text())


def check_pdf(client, certificate, tmp_path) -> None:
    """The PDF validates as every certificate does: pyHanko, pdfsig, the embedded credential
    verified by the independent verifier against the DID document."""
    served = fetch_pdf(client, certificate.serial)
    root_pem, root = served_root(client)
    result = validate_pdf(served, [root])
    assert result.ok, result.errors
    assert result.summary == "INTACT:TRUSTED,UNTOUCHED"
    path = tmp_path / f"{certificate.serial}.pdf"
    path.write_bytes(served)
    checked = pdfsig(make_nss_db(tmp_path / f"nss-{certificate.serial}", root_pem), path)
    assert checked.ok, checked.output
    credential = json.loads(result.embedded_files[CREDENTIAL_ATTACHMENT])
    assert verify(credential, json.loads(client.get("/.well-known/did.json").data))


def test_issuance_signs_through_the_token_and_the_pdf_validates(
    app, client, make_application, issue, tmp_path
) -> None:
    certificate = issue(make_application(org_name="Token Typists"))
    keys = manifest(app)
    # the private keys are token objects, not files
    assert all("pkcs11_id" in e and "file" not in e for e in keys["credential_keys"])
    assert all("pkcs11_id" in e and "key" not in e for e in keys["signing_certs"])
    folder = Path(app.config["KEYS_DIR"])
    assert not list(folder.glob("credential-*.key")) and not (folder / "signing-1.key").exists()
    with app.app_context():
        store = get_keystore()
    assert isinstance(store.current_credential_key.private_key, TokenEd25519Key)
    assert store.current_signing_cert.token_key_id is not None
    check_pdf(client, certificate, tmp_path)


def test_token_keys_are_sensitive_and_never_extractable(app) -> None:
    from pkcs11 import Attribute, ObjectClass

    with app.app_context():
        ensure_keys(app)
    settings = token_settings(app.config)
    assert settings is not None
    ids = [
        bytes.fromhex(e["pkcs11_id"])
        for k in ("credential_keys", "signing_certs")
        for e in manifest(app)[k]
    ]
    with TOKEN_LOCK:
        session = open_session(settings)
        for object_id in ids:
            (key,) = session.get_objects(
                {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: object_id}
            )
            assert key[Attribute.SENSITIVE] and not key[Attribute.EXTRACTABLE]
            assert key[Attribute.NEVER_EXTRACTABLE]


def test_the_credential_key_is_found_once_per_session_and_again_after_a_failure(
    app, monkeypatch
) -> None:
    import pkcs11

    from certify.hsm import objects

    with app.app_context():
        ensure_keys(app)
        key = get_keystore().current_credential_key.private_key
    assert isinstance(key, TokenEd25519Key)
    key.sign(b"warm")  # the first signature in a process also checks the public key
    key._found = None
    finds: list[tuple[object, bytes]] = []
    find_one = objects._find_one

    def counting(session, object_class, object_id, what):
        finds.append((object_class, object_id))
        return find_one(session, object_class, object_id, what)

    monkeypatch.setattr(objects, "_find_one", counting)
    signatures = [key.sign(b"first"), key.sign(b"second")]
    assert len(finds) == 1
    for data, signature in zip((b"first", b"second"), signatures, strict=True):
        key.public_key().verify(signature, data)  # raises when it does not verify

    class Refusing:
        def sign(self, *_args, **_kwargs):
            raise pkcs11.exceptions.ObjectHandleInvalid()

    assert key._found is not None
    key._found = (key._found[0], Refusing())  # the handle went stale (say, the key was removed)
    with pytest.raises(objects.TokenError, match="signing with the credential key"):
        key.sign(b"third")
    key.public_key().verify(key.sign(b"fourth"), b"fourth")  # found again
    assert len(finds) == 2


def test_keys_generate_and_list_say_where_the_keys_live(app) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(args=["keys", "generate", "--pkcs11"])
    assert made.exit_code == 0, made.output
    assert "(signing keys in the PKCS#11 token)" in made.output
    listed = runner.invoke(args=["keys", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("private key: in PKCS#11 token 'certify-test'") == 2
    assert "PKCS#11 token: 'certify-test'" in listed.output and "logged in" in listed.output
    again = runner.invoke(args=["keys", "generate", "--pkcs11"])
    assert "keys: present" in again.output


def test_rotating_moves_a_file_key_set_into_the_token_and_back(
    app, client, make_application, issue, tmp_path
) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "generate", "--files"]).exit_code == 0
    before = issue(make_application(org_name="File Keys Ltd"))
    moved = runner.invoke(args=["keys", "rotate", "--pkcs11", "--yes"])
    assert moved.exit_code == 0, moved.output
    after = issue(make_application(org_name="Token Keys Ltd"))
    entries = manifest(app)
    assert ["pkcs11_id" in e for e in entries["signing_certs"]] == [False, True]
    again = runner.invoke(args=["keys", "rotate", "--yes"])  # stays where the keys are
    assert again.exit_code == 0, again.output
    assert ["pkcs11_id" in e for e in manifest(app)["credential_keys"]] == [False, True, True]
    back = runner.invoke(args=["keys", "rotate", "--files", "--yes"])
    assert back.exit_code == 0, back.output
    last = issue(make_application(org_name="Files Again Ltd"))
    for certificate in (before, after, last):
        check_pdf(client, certificate, tmp_path)
    listed = runner.invoke(args=["keys", "list"]).output
    assert "private key: file" in listed and "private key: in PKCS#11 token" in listed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PKCS11_PIN": "000000"}, "wrong PIN for the token 'certify-test'"),
        ({"PKCS11_MODULE": "/nowhere/libnothing.so"}, "does not exist (PKCS11_MODULE)"),
        ({"PKCS11_TOKEN_LABEL": "no-such-token"}, "no token labelled 'no-such-token'"),
        ({"PKCS11_TOKEN_LABEL": None}, "PKCS11_TOKEN_LABEL"),
        ({"PKCS11_PIN_FILE": "/nowhere/pin"}, "PIN file /nowhere/pin does not exist"),
    ],
)
def test_bad_token_settings_give_a_message_and_exit_status_1(app, change, message) -> None:
    app.config.update(change)
    result = app.test_cli_runner().invoke(args=["keys", "generate", "--pkcs11"])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert "000000" not in result.output  # never the PIN


def test_a_configured_token_that_cannot_open_fails_keys_list_and_issuance(
    app, make_application, issue
) -> None:
    with app.app_context():
        ensure_keys(app)
    app.config["PKCS11_TOKEN_LABEL"] = "gone"
    app_state(app).caches.keystore.clear()
    app_state(app).caches.pdf_signer.clear()
    listed = app.test_cli_runner().invoke(args=["keys", "list"])
    assert listed.exit_code == 1
    assert "no token labelled 'gone'" in listed.output and "Traceback" not in listed.output
    from certify.certificates.issuance import IssuanceError

    with pytest.raises(IssuanceError, match="no token labelled 'gone'"):
        issue(make_application())


def test_token_keys_without_token_settings_are_a_key_store_error(app) -> None:
    with app.app_context():
        ensure_keys(app)
    app.config["PKCS11_MODULE"] = None
    app_state(app).caches.keystore.clear()
    with app.app_context(), pytest.raises(KeyStoreError, match="PKCS11_MODULE is not set"):
        get_keystore()
