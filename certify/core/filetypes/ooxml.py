"""ZIP containers (XLSX, DOCX), checked before and with :mod:`zipfile`: the end-of-central-
directory record is read by hand first, then every entry's flags, names, methods and sizes;
nothing is extracted but ``[Content_Types].xml``, read with a cap and searched as bytes."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from typing import BinaryIO

from certify.core.filetypes.kinds import (
    CONVERT,
    DOCX,
    PROGRAM,
    UNPACK,
    XLSX,
    FileKind,
    FileTypeError,
    ZipLimits,
    read_at,
    refuse,
)

_ZIP_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_ZIP_LOCAL_HEADER_MIN = 30


def _zip_damaged() -> FileTypeError:
    return refuse(
        "The file is a damaged or unusual ZIP container.",
        "If it is an Excel or Word file, please save it again as .xlsx or .docx.",
    )


def _zip_bomb() -> FileTypeError:
    return refuse(
        "The file is a ZIP container that unpacks to far more than any workbook or document "
        "(a 'zip bomb').",
        "Please save the workbook or document again, or upload it as PDF.",
    )


def _precheck_zip_directory(source: BinaryIO, size: int, limits: ZipLimits) -> None:
    """Read the end-of-central-directory record (and its ZIP64 form) before :mod:`zipfile` does,
    so a forged entry count or directory size is refused before any per-entry work."""
    window = read_at(source, max(0, size - (22 + 65535)), 22 + 65535)
    where = window.rfind(_ZIP_EOCD)
    if where < 0 or len(window) - where < 22:
        raise _zip_damaged()
    (_, _, _, _, entries, cd_size, _, _) = struct.unpack("<4s4H2LH", window[where : where + 22])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
        # ZIP64: the real values are in the ZIP64 end record the locator points at.
        locator = window[where - 20 : where] if where >= 20 else b""
        if not locator.startswith(_ZIP64_LOCATOR):
            raise _zip_damaged()
        (offset,) = struct.unpack("<Q", locator[8:16])
        record = read_at(source, offset, 56) if offset < size else b""
        if len(record) < 56 or not record.startswith(_ZIP64_EOCD):
            raise _zip_damaged()
        entries, cd_size = struct.unpack("<QQ", record[32:48])
    if entries > limits.max_entries:
        raise refuse(
            f"The file is a ZIP container with {entries} entries (at most {limits.max_entries} "
            "are accepted).",
            "Please upload it as PDF.",
        )
    if cd_size > limits.max_central_directory:
        raise _zip_bomb()


def _unsafe_member_name(name: str) -> bool:
    if not name or "\x00" in name or name.startswith(("/", "\\")):
        return True
    if re.match(r"[A-Za-z]:", name):
        return True
    parts = re.split(r"[/\\]", name)
    return any(part == ".." for part in parts)


_MACRO_MARKERS = (b"macroenabled", b"vbaproject", b"vnd.ms-office.activex", b"macrosheet")


def check_ooxml(source: BinaryIO, size: int, limits: ZipLimits) -> FileKind:
    """XLSX or DOCX, when the ZIP container in *source* is one, within *limits* and without
    macros.

    Raises:
        FileTypeError: a damaged, encrypted, oversized or unsafe container, macros, or another
            kind of ZIP file (named when recognised).
    """
    _precheck_zip_directory(source, size, limits)
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            kind = _check_zip_entries(infos, limits)
            content_types = _read_member(archive, "[Content_Types].xml", limits.max_content_types)
    except FileTypeError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        OSError,
        EOFError,
        ValueError,
        KeyError,
        struct.error,
        zlib.error,
    ) as exc:
        raise _zip_damaged() from exc
    if any(marker in content_types.lower() for marker in _MACRO_MARKERS):
        raise _macro_refusal(kind)
    return kind


def _macro_refusal(kind: FileKind | None) -> FileTypeError:
    if kind is XLSX:
        what = "an Excel workbook with macros (.xlsm)"
    elif kind is DOCX:
        what = "a Word document with macros (.docm)"
    else:
        what = "an Office file with macros"
    return refuse(
        f"This is {what}; macros can run code on the reviewer's computer.",
        "Please save it without macros (as .xlsx or .docx) or as PDF.",
    )


def _check_zip_entries(infos: list[zipfile.ZipInfo], limits: ZipLimits) -> FileKind:
    if len(infos) > limits.max_entries:
        raise refuse(
            f"The file is a ZIP container with {len(infos)} entries (at most "
            f"{limits.max_entries} are accepted).",
            "Please upload it as PDF.",
        )
    names: set[str] = set()
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise refuse(
                "The file is password-protected or encrypted, so it cannot be checked or read "
                "by the reviewers.",
                "Please remove the password and upload it again.",
            )
        if _unsafe_member_name(info.filename):
            raise refuse(
                "The file is a ZIP container with unsafe paths inside (absolute or '..').",
                CONVERT,
            )
        folded = info.filename.lower()
        if folded in names:
            # Two entries with one name are read differently by different programs.
            raise _zip_damaged()
        names.add(folded)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _zip_damaged()
        total += info.file_size
        if total > limits.max_uncompressed:
            raise _zip_bomb()
    _refuse_overlapping_entries(infos)

    has_workbook = "xl/workbook.xml" in names
    has_document = "word/document.xml" in names
    kind = XLSX if has_workbook and not has_document else None
    kind = DOCX if has_document and not has_workbook else kind
    if any(n.rsplit("/", 1)[-1] in ("vbaproject.bin", "vbadata.xml") for n in names) or any(
        n.startswith(("xl/macrosheets/", "word/activex/", "xl/activex/")) for n in names
    ):
        raise _macro_refusal(kind)
    if "[content_types].xml" in names and kind is not None:
        return kind
    raise _refuse_zip_kind(names)


def _refuse_overlapping_entries(infos: list[zipfile.ZipInfo]) -> None:
    # Entries whose data overlap let a small file declare many huge members that all unpack the
    # same compressed stream (Fifield's "better zip bomb"); no real Office file does this.
    end = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end:
            raise _zip_bomb()
        end = (
            info.header_offset
            + _ZIP_LOCAL_HEADER_MIN
            + len(info.orig_filename)
            + (info.compress_size)
        )


def _refuse_zip_kind(names: set[str]) -> FileTypeError:
    if "ppt/presentation.xml" in names:
        return refuse("This is a PowerPoint presentation.", "Please save it as PDF.")
    if "xl/workbook.xml" in names and "word/document.xml" in names:
        return _zip_damaged()
    if "mimetype" in names and any(n.startswith("meta-inf/manifest.xml") for n in names):
        return refuse(
            "This is an OpenDocument file (LibreOffice/OpenOffice).",
            "Please save it as .docx, .xlsx or PDF.",
        )
    if "classes.dex" in names or "androidmanifest.xml" in names:
        return refuse("This is an Android app (.apk), not a document.", PROGRAM)
    if "meta-inf/manifest.mf" in names or any(n.endswith(".class") for n in names):
        return refuse("This is a Java program (.jar), not a document.", PROGRAM)
    return refuse(
        "This is a ZIP archive, not a single document.",
        UNPACK,
    )


def _read_member(archive: zipfile.ZipFile, name: str, cap: int) -> bytes:
    """The member named *name* (case-insensitively), at most *cap* bytes of it."""
    for info in archive.infolist():
        if info.filename.lower() == name.lower():
            with archive.open(info) as member:
                data = member.read(cap + 1)
            if len(data) > cap:
                raise _zip_bomb()
            return data
    raise KeyError(name)
