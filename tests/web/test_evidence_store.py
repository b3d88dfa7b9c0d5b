"""The evidence store: content-addressed blobs, limits, and nothing left behind on failure.

No app is needed; this lives under tests/web because it writes to the file system (tmp_path).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from certify.core.filetypes.kinds import CSV, DOCX, JPEG, PDF, PNG, TEXT, XLSX
from certify.evidence import store as store_mod
from certify.evidence.store import (
    EmptyEvidence,
    EvidenceError,
    EvidenceMissing,
    EvidenceRejected,
    EvidenceStore,
    EvidenceTooLarge,
    InvalidDigest,
    StoredBlob,
    check_digest,
    format_size,
)
from certify.storage.backends import DIR_MODE, FILE_MODE
from tests.core.test_filetypes import ELF_EXE, PE_EXE, make_jpeg, make_ooxml, make_pdf, make_png

MB = 1024 * 1024


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "evidence"


@pytest.fixture
def store(root: Path) -> EvidenceStore:
    return EvidenceStore(root, max_bytes=20 * MB)


def all_files(root: Path) -> list[Path]:
    """Every file under *root* (blobs and temporary files alike)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_nothing_stored(store: EvidenceStore) -> None:
    assert all_files(store.root) == []
    assert list(store.iter_blobs()) == []


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class CountingStream(io.RawIOBase):
    """An endless upload that counts what was read from it (nothing is ever held whole)."""

    def __init__(self, byte: bytes = b"a") -> None:
        self.byte = byte
        self.read_total = 0
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "the store must never read an upload whole"
        self.read_total += size
        self.largest_read = max(self.largest_read, size)
        return self.byte * size


class FailingStream(io.RawIOBase):
    """Gives *good* bytes, then raises *error* (a client that disconnects mid-upload)."""

    def __init__(self, good: bytes, error: BaseException) -> None:
        self.good = io.BytesIO(good)
        self.error = error

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.good.read(size)
        if not chunk:
            raise self.error
        return chunk


# ---------------------------------------------------------------------------------------------
# Storing


@pytest.mark.parametrize(
    ("data", "filename", "kind"),
    [
        (make_pdf(), "policy.pdf", PDF),
        (make_png(), "photo.png", PNG),
        (make_jpeg(), "photo.jpg", JPEG),
        (make_ooxml("xlsx"), "staff.xlsx", XLSX),
        (make_ooxml("docx"), "policy.docx", DOCX),
        ("jméno;plat\nŽofie;1200\n".encode(), "mzdy.csv", CSV),
        ("Příliš žluťoučký kůň\n".encode(), "notes.txt", TEXT),
    ],
    ids=["pdf", "png", "jpeg", "xlsx", "docx", "csv", "text"],
)
def test_put_stores_the_bytes_under_their_sha256(
    store: EvidenceStore, data: bytes, filename: str, kind
) -> None:
    blob = store.put(io.BytesIO(data), filename)
    assert blob == StoredBlob(sha256=sha(data), size=len(data), kind=kind, created=True)
    path = store.path(blob.sha256)
    assert path == store.root / blob.sha256[:2] / blob.sha256[2:4] / blob.sha256
    assert path.read_bytes() == data
    assert list(store.iter_blobs()) == [blob.sha256]
    assert list(store.temp_dir.iterdir()) == []
    with store.open(blob.sha256) as handle:
        assert handle.read() == data
    assert store.exists(blob.sha256)
    assert store.verify(blob.sha256)


def test_files_and_folders_get_their_modes_whatever_the_umask(store: EvidenceStore) -> None:
    old = os.umask(0o077)  # stricter than wanted: 0o640/0o750 must still be set exactly
    try:
        blob = store.put(io.BytesIO(make_pdf()), "a.pdf")
    finally:
        os.umask(old)
    path = store.path(blob.sha256)
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE == 0o640
    for folder in (store.root, store.temp_dir, path.parent, path.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == DIR_MODE == 0o750

    old = os.umask(0o000)  # looser: nothing may become world-readable
    try:
        other = store.put(io.BytesIO(make_png()), "b.png")
    finally:
        os.umask(old)
    assert stat.S_IMODE(store.path(other.sha256).stat().st_mode) == 0o640
    assert stat.S_IMODE(store.path(other.sha256).parent.stat().st_mode) == 0o750


def test_the_same_file_twice_is_stored_once(store: EvidenceStore) -> None:
    data = make_pdf()
    first = store.put(io.BytesIO(data), "policy.pdf")
    second = store.put(io.BytesIO(data), "policy (copy).exe")
    assert first.created is True
    assert second.created is False
    assert (second.sha256, second.size, second.kind) == (first.sha256, first.size, first.kind)
    assert list(store.iter_blobs()) == [first.sha256]
    assert len(all_files(store.root)) == 1


def test_a_damaged_blob_is_repaired_by_the_next_upload_of_the_same_bytes(
    store: EvidenceStore,
) -> None:
    data = make_pdf()
    blob = store.put(io.BytesIO(data), "a.pdf")
    path = store.path(blob.sha256)
    path.write_bytes(data[:100])  # bit rot / a truncated copy
    assert not store.verify(blob.sha256)
    again = store.put(io.BytesIO(data), "a.pdf")
    assert again.created is False
    assert store.verify(blob.sha256)
    assert path.read_bytes() == data


def test_put_accepts_werkzeug_like_streams_that_return_short_reads(store: EvidenceStore) -> None:
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self.data.read(min(size, 7))  # a slow network: 7 bytes at a time

    data = make_png()
    assert store.put(Trickle(data), "p.png").sha256 == sha(data)


# ---------------------------------------------------------------------------------------------
# Refusals leave nothing behind


def test_an_empty_file_is_refused_and_nothing_is_written(store: EvidenceStore) -> None:
    with pytest.raises(EmptyEvidence) as caught:
        store.put(io.BytesIO(b""), "report.pdf")
    assert "empty" in caught.value.message
    assert_nothing_stored(store)


@pytest.mark.parametrize("executable", [ELF_EXE, PE_EXE], ids=["elf", "pe"])
def test_an_executable_renamed_pdf_is_refused_and_nothing_is_written(
    store: EvidenceStore, executable: bytes
) -> None:
    with pytest.raises(EvidenceRejected) as caught:
        store.put(io.BytesIO(executable), "report.pdf")
    assert "program" in caught.value.message
    assert isinstance(caught.value.__cause__, ValueError)  # the FileTypeError, for the logs
    assert_nothing_stored(store)


def test_a_file_of_exactly_the_limit_is_accepted(root: Path) -> None:
    store = EvidenceStore(root, max_bytes=1 * MB)
    data = b"x" * (MB - 1) + b"\n"
    assert len(data) == store.max_bytes
    blob = store.put(io.BytesIO(data), "big.txt")
    assert blob.size == MB and blob.kind == TEXT


def test_one_byte_over_the_limit_is_refused_and_nothing_is_written(root: Path) -> None:
    store = EvidenceStore(root, max_bytes=1 * MB)
    with pytest.raises(EvidenceTooLarge) as caught:
        store.put(io.BytesIO(b"x" * (MB + 1)), "big.txt")
    assert "1 MB limit" in caught.value.message
    assert caught.value.max_bytes == MB
    assert store.temp_dir.is_dir() and list(store.temp_dir.iterdir()) == []
    assert_nothing_stored(store)


def test_the_default_limit_is_named_in_megabytes(store: EvidenceStore) -> None:
    with pytest.raises(EvidenceTooLarge, match="larger than the 20 MB limit"):
        store.put(CountingStream(), "huge.txt")


def test_a_huge_upload_is_never_read_past_the_limit(root: Path) -> None:
    store = EvidenceStore(root, max_bytes=3 * MB + 5)
    endless = CountingStream()
    with pytest.raises(EvidenceTooLarge):
        store.put(endless, "endless.txt")
    assert endless.read_total == store.max_bytes + 1
    assert endless.largest_read <= store_mod.CHUNK_SIZE
    assert_nothing_stored(store)


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "UTF-16 text".encode("utf-16"),
        b"\x00" * 2000 + make_pdf(),
        make_ooxml("xlsx", extra={"xl/vbaProject.bin": b"\xd0\xcf"}),
    ],
    ids=["html", "svg", "utf16", "late-pdf", "xlsm"],
)
def test_every_refused_type_leaves_nothing(store: EvidenceStore, data: bytes) -> None:
    with pytest.raises(EvidenceRejected) as caught:
        store.put(io.BytesIO(data), "evidence.pdf")
    assert caught.value.message.endswith(".")
    assert_nothing_stored(store)


@pytest.mark.parametrize(
    "error", [OSError("connection reset"), KeyboardInterrupt()], ids=["oserror", "interrupt"]
)
def test_an_upload_that_breaks_midway_leaves_nothing(
    store: EvidenceStore, error: BaseException
) -> None:
    with pytest.raises(type(error)):
        store.put(FailingStream(make_pdf(), error), "a.pdf")
    assert_nothing_stored(store)


def test_a_failure_while_placing_the_blob_leaves_nothing(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_link(src, dst) -> None:
        raise FileNotFoundError("disk went away")

    def broken_replace(src, dst) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(store_mod.os, "link", broken_link)
    monkeypatch.setattr(store_mod.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk went away"):
        store.put(io.BytesIO(make_pdf()), "a.pdf")
    assert_nothing_stored(store)


def test_all_store_errors_share_a_base_with_a_message() -> None:
    for cls in (EmptyEvidence, EvidenceRejected, EvidenceMissing, InvalidDigest):
        assert issubclass(cls, EvidenceError)
        assert cls("words").message == "words"
    assert issubclass(EvidenceTooLarge, EvidenceError)
    assert issubclass(InvalidDigest, ValueError)


# ---------------------------------------------------------------------------------------------
# Digests are checked before any path is built


@pytest.mark.parametrize(
    "digest",
    [
        "../../../../etc/passwd",
        "../" + "a" * 61,
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        "a" * 64 + "\n",
        " " + "a" * 63,
        "a" * 62 + "/x",
        "",
        None,
        b"a" * 64,
        64,
    ],
)
def test_bad_digests_are_refused_everywhere(store: EvidenceStore, digest) -> None:
    for method in (store.path, store.exists, store.open, store.verify, store.delete, check_digest):
        with pytest.raises(InvalidDigest):
            method(digest)


def test_the_error_does_not_echo_the_bad_input(store: EvidenceStore) -> None:
    with pytest.raises(InvalidDigest) as caught:
        store.path("../../secret")
    assert "secret" not in caught.value.message


# ---------------------------------------------------------------------------------------------
# Reading, verifying, deleting


def test_missing_blobs(store: EvidenceStore) -> None:
    digest = sha(b"never stored")
    assert not store.exists(digest)
    assert not store.verify(digest)
    assert store.delete(digest) is False
    with pytest.raises(EvidenceMissing):
        store.open(digest)


def test_verify_notices_tampering(store: EvidenceStore) -> None:
    blob = store.put(io.BytesIO(make_pdf()), "a.pdf")
    path = store.path(blob.sha256)
    assert store.verify(blob.sha256)
    data = bytearray(path.read_bytes())
    data[50] ^= 0x01
    path.write_bytes(bytes(data))
    assert not store.verify(blob.sha256)


def test_a_symlink_planted_in_the_store_is_not_followed(
    store: EvidenceStore, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"top secret\n")
    digest = sha(b"top secret\n")
    link = store.path(digest)
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    with pytest.raises(OSError):
        store.open(digest)
    assert not store.verify(digest)


def test_delete_undoes_a_put(store: EvidenceStore) -> None:
    blob = store.put(io.BytesIO(make_png()), "p.png")
    assert store.delete(blob.sha256) is True
    assert not store.exists(blob.sha256)
    assert store.delete(blob.sha256) is False
    # The same bytes can be stored again afterwards, and count as new.
    assert store.put(io.BytesIO(make_png()), "p.png").created is True


def test_the_rollback_pattern(store: EvidenceStore) -> None:
    """put -> database write fails -> delete only what this put created."""
    existing = store.put(io.BytesIO(make_pdf()), "old.pdf")

    def upload_then_fail_db(data: bytes) -> None:
        blob = store.put(io.BytesIO(data), "x")
        try:
            raise RuntimeError("database said no")
        except RuntimeError:
            if blob.created:
                store.delete(blob.sha256)

    upload_then_fail_db(make_pdf())  # same bytes as a blob another row uses: kept
    upload_then_fail_db(make_png())  # new bytes: removed
    assert list(store.iter_blobs()) == [existing.sha256]


def test_iter_blobs_ignores_strangers(store: EvidenceStore) -> None:
    blob = store.put(io.BytesIO(make_pdf()), "a.pdf")
    (store.root / "README").write_text("x")
    (store.root / "zz").mkdir()
    misplaced = store.root / "00" / "00"
    misplaced.mkdir(parents=True)
    (misplaced / blob.sha256).write_bytes(b"wrong folder")
    (store.path(blob.sha256).parent / "notes.txt").write_text("x")
    assert list(store.iter_blobs()) == [blob.sha256]


def test_iter_blobs_of_a_store_never_used(store: EvidenceStore) -> None:
    assert not store.root.exists()
    assert list(store.iter_blobs()) == []
    assert store.remove_stale_temp() == 0


def test_remove_stale_temp(store: EvidenceStore) -> None:
    store.put(io.BytesIO(make_pdf()), "a.pdf")  # creates the folders
    old = store.temp_dir / "upload-crashed.part"
    young = store.temp_dir / "upload-running.part"
    other = store.temp_dir / "keep-me"
    for path in (old, young, other):
        path.write_bytes(b"partial")
    now = time.time()
    os.utime(old, (now - 2 * 86400, now - 2 * 86400))
    os.utime(other, (now - 2 * 86400, now - 2 * 86400))
    assert store.remove_stale_temp(older_than=86400, now=now) == 1
    assert not old.exists() and young.exists() and other.exists()


def test_without_hard_links_put_falls_back_to_rename(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src, dst) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(store_mod.os, "link", no_links)
    data = make_pdf()
    assert store.put(io.BytesIO(data), "a.pdf").created is True
    assert store.put(io.BytesIO(data), "a.pdf").created is False
    assert store.verify(sha(data))
    assert list(store.temp_dir.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Concurrency


def test_concurrent_puts_of_the_same_content_end_with_one_intact_blob(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_ooxml("xlsx", extra={"xl/media/big.bin": os.urandom(256 * 1024)})
    threads_count = 4
    barrier = threading.Barrier(threads_count)
    placing = threading.Barrier(threads_count)
    real_sniff = store_mod.sniff

    def sniff_then_wait(*args, **kwargs):
        # All four uploads reach the final placement together: the race is real every run.
        kind = real_sniff(*args, **kwargs)
        placing.wait(timeout=10)
        return kind

    monkeypatch.setattr(store_mod, "sniff", sniff_then_wait)
    results: list[StoredBlob] = []
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(store.put(io.BytesIO(data), "staff.xlsx"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == threads_count
    assert {r.sha256 for r in results} == {sha(data)}
    # os.link makes exactly one of them the creator, which alone may delete on rollback.
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert list(store.iter_blobs()) == [sha(data)]
    assert store.verify(sha(data))
    assert list(store.temp_dir.iterdir()) == []


def test_concurrent_puts_of_different_content(store: EvidenceStore) -> None:
    payloads = [f"row {i};value\n{i};{i * 2}\n".encode() for i in range(4)]
    results: list[StoredBlob] = []
    barrier = threading.Barrier(len(payloads))

    def upload(data: bytes) -> None:
        barrier.wait(timeout=10)
        results.append(store.put(io.BytesIO(data), "t.csv"))

    threads = [threading.Thread(target=upload, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r.sha256 for r in results) == sorted(sha(p) for p in payloads)
    assert all(r.created for r in results)
    assert all(store.verify(sha(p)) for p in payloads)


# ---------------------------------------------------------------------------------------------
# Small helpers


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (20 * MB, "20 MB"),
        (MB, "1 MB"),
        (MB + MB // 2, "1.5 MB"),
        (512 * 1024, "512 KB"),
        (100, "100 bytes"),
    ],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize("bad", [0, -1, 1.5, "20", True])
def test_the_limit_must_be_a_positive_number_of_bytes(root: Path, bad) -> None:
    with pytest.raises(ValueError):
        EvidenceStore(root, max_bytes=bad)


def test_the_store_creates_nothing_until_the_first_put(root: Path) -> None:
    store = EvidenceStore(root, max_bytes=MB)
    assert not root.exists()
    assert "max_bytes=1048576" in repr(store)
