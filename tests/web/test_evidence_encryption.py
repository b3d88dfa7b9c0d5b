"""Evidence encrypted at rest (issue 24, item 4): what is on disk is not the file, the app
still serves the file, and ``evidence encrypt`` migrates what was stored before, checking
each file; wrong keys and damage give a clear message and a non-zero exit."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from certify.applications.models import Evidence
from certify.core.envelope import new_kek
from certify.evidence.kek import kek_path
from certify.state import app_state
from certify.storage.encrypted import EncryptedBackend
from certify.storage.setup import evidence_store
from tests.web.conftest import login
from tests.web.test_applications import _pdf_bytes, _upload, start

PDF_TEXT = b"Payslip of Amina W., Kibera"


def _pdf(text: bytes = PDF_TEXT) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=0)
    pdf.drawString(100, 750, text.decode())
    pdf.save()
    return buffer.getvalue()


def _fresh_store(app) -> None:
    app_state(app).evidence_store = None


def test_evidence_on_disk_is_not_plaintext_and_is_served_decrypted(app, client, login_as):
    login_as("issp")
    public_id = start(client)
    pdf = _pdf()
    assert PDF_TEXT in pdf  # uncompressed: the words are in the file's bytes
    assert _upload(client, public_id, pdf, "payslip.pdf", "IH-1").status_code == 302
    digest = hashlib.sha256(pdf).hexdigest()
    with app.app_context():
        store = evidence_store()
        raw = store.path(digest).read_bytes()
        assert raw.startswith(b"CFYE1") and PDF_TEXT not in raw and b"%PDF" not in raw
        key_file = Path(app.config["EVIDENCE_DIR"], "keys", digest[:2], digest[2:4], digest)
        assert len(key_file.read_bytes()) == 73
        assert oct(kek_path(app.config).stat().st_mode & 0o777) == "0o600"
        assert store.verify(digest)
        from certify.db import db_session

        item = db_session().scalar(select(Evidence).where(Evidence.sha256 == digest))
        assert item is not None
    response = client.get(f"/applications/{public_id}/evidence/{item.public_id}")
    body = response.get_data()
    response.close()
    assert response.status_code == 200 and body == pdf


def _plain_blobs(app, count: int) -> list[str]:
    """Store *count* files the way certify did before encryption (plaintext)."""
    app.config["EVIDENCE_ENCRYPTION"] = False
    _fresh_store(app)
    with app.app_context():
        store = evidence_store()
        digests = [
            store.put(io.BytesIO(_pdf(b"file %d" % n)), "f.pdf").sha256 for n in range(count)
        ]
        assert all(b"%PDF" in store.path(d).read_bytes() for d in digests)
    app.config["EVIDENCE_ENCRYPTION"] = True
    _fresh_store(app)
    return digests


def _encrypt(app):
    return app.test_cli_runner().invoke(args=["evidence", "encrypt"])


def test_evidence_encrypt_migrates_and_checks_each_file_and_can_run_again(app) -> None:
    digests = _plain_blobs(app, 3)
    with app.app_context():
        backend = evidence_store().backend
        assert isinstance(backend, EncryptedBackend)
        # one file encrypted already (as when a run was interrupted after it)
        from certify.storage.encrypted import encrypt_in_place

        assert encrypt_in_place(backend, digests[1]) == "encrypted"
    result = _encrypt(app)
    assert result.exit_code == 0, result.output + result.stderr
    assert "[3/3]" in result.output and "2 encrypted, 1 already encrypted, 0 with problems" in (
        result.output
    )
    with app.app_context():
        store = evidence_store()
        for digest in digests:
            raw = store.path(digest).read_bytes()
            assert raw.startswith(b"CFYE1") and b"%PDF" not in raw
            assert store.verify(digest)
    again = _encrypt(app)
    assert again.exit_code == 0 and "0 encrypted, 3 already encrypted" in again.output


def test_a_damaged_plaintext_file_is_named_and_left_alone(app) -> None:
    digests = _plain_blobs(app, 2)
    with app.app_context():
        path = evidence_store().path(digests[0])
    path.write_bytes(b"%PDF- damaged on disk")
    result = _encrypt(app)
    assert result.exit_code == 1
    assert f"{digests[0]}  PROBLEM: " in result.stderr and "does not match its name" in (
        result.stderr
    )
    assert "Traceback" not in result.output + result.stderr
    assert path.read_bytes() == b"%PDF- damaged on disk"  # untouched
    assert "1 encrypted, 0 already encrypted, 1 with problems" in result.output


def test_a_wrong_kek_is_named_and_nothing_is_written(app, client, login_as) -> None:
    login_as("issp")
    public_id = start(client)
    pdf = _pdf_bytes()
    assert _upload(client, public_id, pdf, "policy.pdf", "IH-1").status_code == 302
    digest = hashlib.sha256(pdf).hexdigest()
    with app.app_context():
        before = evidence_store().path(digest).read_bytes()
    kek_path(app.config).write_text(new_kek().key.hex() + "\n")
    _fresh_store(app)
    result = _encrypt(app)
    assert result.exit_code == 1
    assert "wrapped by key-encryption key" in result.stderr and "restore the key" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    with app.app_context():
        assert evidence_store().path(digest).read_bytes() == before
        assert not evidence_store().verify(digest)
    item_id = client.get(f"/applications/{public_id}/evidence").get_data(as_text=True)
    link = item_id.split(f"/applications/{public_id}/evidence/")[1].split('"')[0]
    response = client.get(f"/applications/{public_id}/evidence/{link}")
    assert response.status_code == 500
    assert "cannot be read" in response.get_data(as_text=True)


@pytest.mark.parametrize("content", ["not hex at all", "ab" * 16])
def test_an_unreadable_kek_file_is_a_clear_error(app, content: str) -> None:
    kek_path(app.config).parent.mkdir(parents=True, exist_ok=True)
    kek_path(app.config).write_text(content)
    result = _encrypt(app)
    assert result.exit_code == 1
    assert "is not a key-encryption key" in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_corrupted_ciphertext_fails_verification_with_a_clear_message(app) -> None:
    with app.app_context():
        store = evidence_store()
        digest = store.put(io.BytesIO(_pdf()), "p.pdf").sha256
        path = store.path(digest)
    data = bytearray(path.read_bytes())
    data[40] ^= 0xFF
    path.write_bytes(bytes(data))
    result = _encrypt(app)
    assert result.exit_code == 1
    assert "altered or cut short" in result.stderr and "Traceback" not in result.stderr
    with app.app_context():
        assert not evidence_store().verify(digest)


# -- item 7: every download of evidence by staff is an audit event ----------------------------


def _downloads(session) -> list:
    from certify.audit.models import AuditEvent

    query = select(AuditEvent).where(AuditEvent.action == "evidence.downloaded")
    return list(session.scalars(query))


def test_a_staff_download_is_an_audit_event_and_an_applicants_is_not(
    app, client, login_as, create_user, session
) -> None:
    login_as("issp")
    public_id = start(client)
    pdf = _pdf()
    assert _upload(client, public_id, pdf, "payslip-amina.pdf", "IH-1").status_code == 302
    item = session.scalar(
        select(Evidence).where(Evidence.sha256 == hashlib.sha256(pdf).hexdigest())
    )
    assert item is not None
    url = f"/applications/{public_id}/evidence/{item.public_id}"
    response = client.get(url)
    response.close()
    assert response.status_code == 200 and _downloads(session) == []
    admin = create_user("admin")
    staff = app.test_client()
    assert login(staff, admin).status_code == 302
    response = staff.get(url)
    assert response.get_data() == pdf
    response.close()
    [event] = _downloads(session)
    assert admin.public_id in event.actor
    assert event.subject_id == public_id
    assert item.public_id in event.after and "payslip" not in event.after


def test_a_backup_keeps_evidence_encrypted_and_restores_it(app, tmp_path) -> None:
    from certify.backup.archive import _backup_backend, _copy_storage, _encrypted_blob_size
    from certify.storage.backends import LocalBackend
    from certify.storage.setup import encrypted
    from certify.storage.transfer import copy_blobs, hash_blob

    pdf = _pdf()
    with app.app_context():
        digest = evidence_store().put(io.BytesIO(pdf), "payslip.pdf").sha256
        folder = tmp_path / "backup"
        listed = _copy_storage(app, {"evidence": {digest}, "documents": set()}, folder)
    raw = LocalBackend(folder / "storage" / "evidence")
    stored = raw.path(digest).read_bytes()
    assert stored.startswith(b"CFYE1") and PDF_TEXT not in stored and b"%PDF" not in stored
    assert listed["evidence"] == [{"sha256": digest, "size": len(stored)}]
    assert _encrypted_blob_size(raw, digest) == len(stored)  # what the manifest check sees
    # restored into another instance with the same keys: decrypted, hash checked, re-encrypted
    other = {**app.config, "EVIDENCE_DIR": str(tmp_path / "restored")}
    target = encrypted(
        other,
        LocalBackend(tmp_path / "restored"),
        LocalBackend(tmp_path / "restored" / "keys"),
        tmp_path / "restored" / "tmp",
    )
    source = _backup_backend(app.config, folder, "evidence", folder / "tmp")
    report = copy_blobs(source, target, tmp_path / "restored" / "tmp", label="evidence")
    assert report.ok and report.copied == 1
    assert hash_blob(target, digest) == digest
    assert PDF_TEXT not in LocalBackend(tmp_path / "restored").path(digest).read_bytes()


def test_a_missing_kek_is_not_silently_replaced_once_files_are_encrypted(app) -> None:
    with app.app_context():
        digest = evidence_store().put(io.BytesIO(_pdf()), "p.pdf").sha256
    kek_path(app.config).unlink()
    _fresh_store(app)
    result = _encrypt(app)
    assert result.exit_code == 1 and "Traceback" not in result.output + result.stderr
    assert "is missing, but evidence is stored encrypted under it" in result.stderr
    assert not kek_path(app.config).exists()  # no new key was made
    with app.app_context():
        assert not evidence_store().verify(digest)
