"""The evidence key-encryption key in a PKCS#11 token (issue 24, items 4 and 6), against a
real SoftHSM2 token: data keys are wrapped inside the token in the same format, and a KEK
kept in a file moves into the token without any stored file becoming unreadable."""

from __future__ import annotations

import io

import pytest

from certify.core.envelope import wrapped_kek_id
from certify.evidence.kek import kek_path, read_kek
from certify.state import app_state
from certify.storage.setup import evidence_store
from tests.web.test_evidence_encryption import _pdf


@pytest.fixture
def app_config(token_config):
    return {**token_config, "EVIDENCE_KEK_IN_TOKEN": True}


def _fresh_store(app) -> None:
    app_state(app).evidence_store = None


def _wrapped(store, digest: str) -> bytes:
    with store.backend.keys.open(digest) as handle:
        return handle.read()


def test_with_the_kek_in_the_token_evidence_is_encrypted_and_read_back(app) -> None:
    pdf = _pdf()
    with app.app_context():
        store = evidence_store()
        digest = store.put(io.BytesIO(pdf), "payslip.pdf").sha256
        raw = store.path(digest).read_bytes()
        assert raw.startswith(b"CFYE1") and b"%PDF" not in raw
        with store.open(digest) as handle:
            assert handle.read() == pdf
        assert store.verify(digest)
        assert wrapped_kek_id(_wrapped(store, digest)) == store.backend.kek.key_id
    assert not kek_path(app.config).exists()  # no key file was made


def test_moving_the_file_kek_into_the_token_keeps_every_file_readable(app) -> None:
    app.config["EVIDENCE_KEK_IN_TOKEN"] = False
    _fresh_store(app)
    with app.app_context():
        digest = evidence_store().put(io.BytesIO(_pdf()), "p.pdf").sha256
    file_kek = read_kek(kek_path(app.config))
    runner = app.test_cli_runner()
    moved = runner.invoke(args=["evidence", "kek-to-token"])
    assert moved.exit_code == 0, moved.output
    assert f"evidence key-encryption key {file_kek.key_id} is now in the token" in moved.output
    again = runner.invoke(args=["evidence", "kek-to-token"])
    assert again.exit_code == 1 and "already holds" in again.output
    assert "Traceback" not in again.output
    app.config["EVIDENCE_KEK_IN_TOKEN"] = True
    kek_path(app.config).unlink()  # the operator removes the file once it is backed up
    _fresh_store(app)
    with app.app_context():
        store = evidence_store()
        assert store.backend.kek.key_id == file_kek.key_id
        assert store.verify(digest)
        newer = store.put(io.BytesIO(_pdf(b"after the move")), "q.pdf").sha256
        assert store.verify(newer)


def test_a_token_without_the_kek_is_not_given_a_new_one_once_files_are_encrypted(app) -> None:
    app.config["EVIDENCE_KEK_IN_TOKEN"] = False
    _fresh_store(app)
    with app.app_context():
        digest = evidence_store().put(io.BytesIO(_pdf()), "p.pdf").sha256
    app.config["EVIDENCE_KEK_IN_TOKEN"] = True
    _fresh_store(app)
    result = app.test_cli_runner().invoke(args=["evidence", "encrypt"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "evidence kek-to-token" in result.output
    with app.app_context():
        assert not evidence_store().verify(digest)


def test_with_the_kek_in_the_token_totp_secrets_are_sealed_there(
    app, client, create_user, session
) -> None:
    from sqlalchemy import text

    from certify.core.column_seal import is_sealed, sealed_kek_id
    from tests.web.conftest import TEST_TOTP_SECRET, login

    admin = create_user("admin")
    raw = session.execute(
        text("SELECT secret FROM totp_credential WHERE user_id = :user"), {"user": admin.id}
    ).scalar_one()
    assert is_sealed(raw) and TEST_TOTP_SECRET not in raw
    with app.app_context():
        assert sealed_kek_id(raw) == evidence_store().backend.kek.key_id
    assert login(client, admin).status_code == 302
    assert not kek_path(app.config).exists()  # sealed in the token, no key file made
