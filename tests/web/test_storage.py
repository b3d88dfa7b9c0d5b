"""The storage interface: the local folder and S3-compatible object storage (a real SeaweedFS
started by the test session, not a mock) behave alike; the evidence store's checks hold on S3;
certificate PDFs go to the document store; ``storage verify`` and ``storage migrate``."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path

import pytest

from certify.evidence.store import EvidenceRejected, EvidenceStore, EvidenceTooLarge
from certify.storage.backends import BlobMissing, InvalidDigest, LocalBackend
from certify.storage.encrypted import EncryptedBackend
from certify.storage.s3 import S3Backend
from certify.storage.setup import document_store, evidence_store, make_backend
from tests.core.test_filetypes import PE_EXE, make_pdf
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

MB = 1024 * 1024


def _file(folder: Path, data: bytes) -> tuple[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"f-{hashlib.sha256(data).hexdigest()[:8]}"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return LocalBackend(tmp_path / "blobs")
    settings = request.getfixturevalue("s3_settings")
    return make_backend(settings, "documents")  # a plain area (evidence is encrypted)


def test_a_backend_stores_reads_lists_and_deletes(backend, tmp_path) -> None:
    path, digest = _file(tmp_path / "in", b"%PDF-1.7 certify " * 1000)
    assert not backend.exists(digest) and backend.size(digest) is None
    assert backend.store_file(path, digest, path.stat().st_size) is True
    assert backend.store_file(path, digest, path.stat().st_size) is False  # stored once
    assert backend.exists(digest) and backend.size(digest) == path.stat().st_size
    with backend.open(digest) as handle:
        assert handle.read() == path.read_bytes()
    assert list(backend.iter_digests()) == [digest]
    assert backend.modified_at(digest) is not None
    assert backend.delete(digest) is True and backend.delete(digest) is False
    with pytest.raises(BlobMissing):
        backend.open(digest)
    backend.check()


def test_a_backend_refuses_names_that_are_not_digests(backend) -> None:
    for bad in ("../../config.py", "A" * 64, "", "ab/cd"):
        with pytest.raises(InvalidDigest):
            backend.exists(bad)


def test_a_damaged_blob_is_replaced_by_the_next_store_of_the_same_bytes(backend, tmp_path) -> None:
    data = b"the real bytes" * 100
    path, digest = _file(tmp_path / "in", data)
    _plant(backend, digest, b"the real")  # a damaged copy under the name
    assert backend.store_file(path, digest, len(data)) is False
    with backend.open(digest) as handle:
        assert handle.read() == data


def _plant(backend, digest: str, data: bytes) -> None:
    """Put *data* under *digest* behind the backend's back (as damage on disk would)."""
    if isinstance(backend, S3Backend):
        backend.client.put_object(Bucket=backend.bucket, Key=backend.key(digest), Body=data)
        return
    path = backend.path(digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_s3_refuses_bytes_that_do_not_match_their_name(s3_settings, tmp_path) -> None:
    backend = make_backend(s3_settings, "documents")
    path, _digest = _file(tmp_path / "in", b"these bytes")
    wrong = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(Exception, match="BadDigest"):  # the server checks ChecksumSHA256
        backend.store_file(path, wrong, path.stat().st_size)
    assert not backend.exists(wrong)


def test_concurrent_stores_of_the_same_bytes_have_exactly_one_creator(backend, tmp_path) -> None:
    data = os.urandom(300 * 1024)
    digest = hashlib.sha256(data).hexdigest()
    paths = []
    for n in range(4):
        path = tmp_path / f"copy{n}"
        path.write_bytes(data)
        paths.append(path)
    results: list[bool] = []
    barrier = threading.Barrier(len(paths))

    def store(path: Path) -> None:
        barrier.wait()
        results.append(backend.store_file(path, digest, len(data)))

    threads = [threading.Thread(target=store, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    with backend.open(digest) as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest


# -- the evidence store on S3 -----------------------------------------------------------------


@pytest.fixture
def s3_evidence(s3_settings, tmp_path) -> EvidenceStore:
    settings = {
        **s3_settings,
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "KEYS_DIR": str(tmp_path / "keys"),
    }
    return EvidenceStore(tmp_path / "evidence", MB, make_backend(settings, "evidence"))


def _objects(store: EvidenceStore) -> list[str]:
    assert isinstance(store.backend, EncryptedBackend)
    backend = store.backend.inner
    assert isinstance(backend, S3Backend)
    response = backend.client.list_objects_v2(Bucket=backend.bucket, Prefix=backend.prefix)
    return [item["Key"].removeprefix(backend.prefix) for item in response.get("Contents", [])]


def test_evidence_on_s3_is_checked_then_stored_under_its_hash(s3_evidence) -> None:
    pdf = make_pdf()
    blob = s3_evidence.put(io.BytesIO(pdf), "policy.pdf")
    digest = hashlib.sha256(pdf).hexdigest()
    assert (blob.sha256, blob.created, blob.kind.kind) == (digest, True, "pdf")
    name = f"{digest[:2]}/{digest[2:4]}/{digest}"
    assert _objects(s3_evidence) == [f"evidence/{name}", f"evidence-keys/{name}"]
    # encrypted at rest: the object's raw bytes are not the file, nor contain any of it
    backend = s3_evidence.backend
    assert isinstance(backend, EncryptedBackend) and isinstance(backend.inner, S3Backend)
    raw = backend.inner.client.get_object(
        Bucket=backend.inner.bucket, Key=backend.inner.key(digest)
    )
    stored = raw["Body"].read()
    assert stored.startswith(b"CFYE1") and pdf[:64] not in stored and b"%PDF" not in stored
    assert s3_evidence.put(io.BytesIO(pdf), "again.pdf").created is False
    assert s3_evidence.verify(digest)
    with s3_evidence.open(digest) as handle:
        assert handle.read() == pdf
    assert list(s3_evidence.temp_dir.iterdir()) == []  # checked on disk, then uploaded


def test_refused_evidence_never_reaches_the_bucket(s3_evidence) -> None:
    with pytest.raises(EvidenceRejected):
        s3_evidence.put(io.BytesIO(PE_EXE), "policy.pdf")
    with pytest.raises(EvidenceTooLarge):
        s3_evidence.put(io.BytesIO(b"a,b\n" * (MB // 4 + 1)), "big.csv")
    assert _objects(s3_evidence) == []
    assert list(s3_evidence.temp_dir.iterdir()) == []


def test_an_object_altered_in_the_bucket_fails_verification(s3_evidence) -> None:
    blob = s3_evidence.put(io.BytesIO(make_pdf()), "policy.pdf")
    wrapper = s3_evidence.backend
    assert isinstance(wrapper, EncryptedBackend)
    backend = wrapper.inner
    assert isinstance(backend, S3Backend)
    backend.client.put_object(Bucket=backend.bucket, Key=backend.key(blob.sha256), Body=b"x")
    assert not s3_evidence.verify(blob.sha256)


# -- the app on S3 ----------------------------------------------------------------------------


@pytest.fixture
def app_config(request):
    if "s3" in request.node.name:
        return request.getfixturevalue("s3_settings")
    return {}


def test_issuance_on_s3_stores_the_pdf_in_the_bucket(app, session, make_application, issue):
    from certify.certificates.pdf import document_for

    certificate = issue(make_application())
    document = document_for(session, certificate)
    assert document is not None
    with app.app_context():
        store = document_store()
        assert store.backend.kind == "s3"
        assert store.read(document.pdf_sha256) == bytes(document.pdf)


def test_issuance_on_the_local_folder_stores_the_pdf_in_documents(
    app, session, make_application, issue
):
    from certify.certificates.pdf import document_for

    document = document_for(session, issue(make_application()))
    assert document is not None
    digest = document.pdf_sha256
    path = Path(app.config["DOCUMENTS_DIR"]) / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == bytes(document.pdf)


def test_readyz_names_storage_when_the_bucket_is_unreachable_on_s3(app, client) -> None:
    assert client.get("/readyz").json["checks"]["storage"] == {"ok": True}
    with app.app_context():
        backend = evidence_store().backend
        assert isinstance(backend, EncryptedBackend) and isinstance(backend.inner, S3Backend)
        backend.inner.bucket = "no-such-bucket-here"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["storage"]["ok"] is False


def test_the_storage_settings_are_checked_at_start(tmp_path) -> None:
    from certify import create_app
    from certify.config import ConfigurationError
    from tests.web.conftest import make_test_config

    for bad, message in (
        ({"STORAGE_BACKEND": "ftp"}, "one of"),
        ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET"),
    ):
        with pytest.raises(ConfigurationError, match=message):
            create_app(make_test_config("sqlite://", str(tmp_path), **bad))


# -- storage verify and storage migrate -------------------------------------------------------


def _invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_storage_migrate_to_s3_copies_everything_and_checks_every_hash(
    app, session, make_application, issue, s3_settings
) -> None:
    from certify.certificates.pdf import document_for

    document = document_for(session, issue(make_application()))
    assert document is not None
    with app.app_context():
        blob = evidence_store().put(io.BytesIO(make_pdf("migrated")), "m.pdf")
    app.config.update({k: v for k, v in s3_settings.items() if k != "STORAGE_BACKEND"})
    result = _invoke(app, "storage", "migrate", "--to", "s3")
    assert result.exit_code == 0, result.output + result.stderr
    assert "every hash checked" in result.output
    s3 = {area: make_backend(app.config, area, "s3") for area in ("evidence", "documents")}
    assert list(s3["evidence"].iter_digests()) == [blob.sha256]
    assert document.pdf_sha256 in list(s3["documents"].iter_digests())
    again = _invoke(app, "storage", "migrate", "--to", "s3")
    assert again.exit_code == 0 and "0 copied" in again.output
    # switched over, the registry finds every file
    app.config["STORAGE_BACKEND"] = "s3"
    with app.app_context():
        from certify.state import app_state

        app_state(app).evidence_store = app_state(app).document_store = None
    verified = _invoke(app, "storage", "verify")
    assert verified.exit_code == 0, verified.output + verified.stderr


def test_storage_migrate_refuses_a_damaged_file(app, s3_settings) -> None:
    with app.app_context():
        store = evidence_store()
        blob = store.put(io.BytesIO(make_pdf("to be damaged")), "d.pdf")
        store.path(blob.sha256).write_bytes(b"%PDF- not what was stored")
    app.config.update({k: v for k, v in s3_settings.items() if k != "STORAGE_BACKEND"})
    result = _invoke(app, "storage", "migrate", "--to", "s3")
    assert result.exit_code == 1
    assert f"evidence {blob.sha256}: the source copy is damaged" in result.stderr
    assert list(make_backend(app.config, "evidence", "s3").iter_digests()) == []


def test_storage_verify_names_a_missing_document(app, session, make_application, issue) -> None:
    from certify.certificates.pdf import document_for

    document = document_for(session, issue(make_application()))
    assert document is not None
    with app.app_context():
        document_store().backend.delete(document.pdf_sha256)
    result = _invoke(app, "storage", "verify")
    assert result.exit_code == 1
    assert f"document {document.pdf_sha256}: missing or altered in storage" in result.stderr


def test_evidence_upload_and_download_through_the_app_on_s3(app, client, login_as) -> None:
    from tests.web.test_applications import _pdf_bytes, _upload, start

    login_as("issp")
    public_id = start(client)
    pdf = _pdf_bytes()
    assert _upload(client, public_id, pdf, "policy.pdf", "IH-1").status_code == 302
    assert not Path(app.config["EVIDENCE_DIR"], pdf_digest(pdf)[:2]).exists()  # not on disk
    with app.app_context():
        assert evidence_store().backend.exists(pdf_digest(pdf))
    page = client.get(f"/applications/{public_id}/evidence").get_data(as_text=True)
    link = page.split(f"/applications/{public_id}/evidence/")[1].split('"')[0]
    response = client.get(f"/applications/{public_id}/evidence/{link}")
    body = response.get_data()
    response.close()
    assert response.status_code == 200 and body == pdf


def pdf_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_store_without_conditional_writes_still_stores(tmp_path) -> None:
    # No such store runs here (SeaweedFS honours If-None-Match), so a stand-in client answers
    # as one would: 501 NotImplemented for the condition, then accepts the plain write.
    from botocore.exceptions import ClientError

    class NoConditions:
        def __init__(self) -> None:
            self.objects: dict[str, bytes] = {}

        def head_object(self, Bucket: str, Key: str) -> dict:
            if Key not in self.objects:
                raise ClientError({"Error": {"Code": "404"}}, "HeadObject")
            return {"ContentLength": len(self.objects[Key])}

        def put_object(self, Bucket: str, Key: str, Body, **kwargs) -> None:
            if "IfNoneMatch" in kwargs:
                raise ClientError({"Error": {"Code": "NotImplemented"}}, "PutObject")
            self.objects[Key] = Body.read()

    client = NoConditions()
    backend = S3Backend(client, "bucket", "evidence")
    path, digest = _file(tmp_path / "in", b"bytes to keep")
    assert backend.store_file(path, digest, path.stat().st_size) is True
    assert client.objects[backend.key(digest)] == b"bytes to keep"
