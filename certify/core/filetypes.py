"""Evidence file types, decided by content, never by name.

ISSPs upload evidence for their certification case; auditors and reviewers download it. A file
is accepted only when its *bytes* are one of seven kinds: PDF, PNG, JPEG, XLSX, DOCX, CSV or plain
text. :func:`sniff` decides which, or raises :class:`FileTypeError` with a message a person
understands ("This is a Windows program (.exe), not a document ..."). The name the uploader gave
is only used to tell CSV from plain text; a program renamed ``report.pdf`` is still a program.

Order of the checks, and why:

1. **Dangerous or unsupported signatures at offset 0** are named first: Windows programs (``MZ``),
   ELF, Mach-O, Java classes, WebAssembly, scripts (``#!``), HTML/XML/SVG markup, archives (RAR,
   7z, gzip, ...), old binary Office files and other images. Checking these first means a polyglot
   (a program that also carries ``%PDF-`` a few bytes in) is refused as what it starts as.
2. **PNG**: the signature, a well-formed ``IHDR`` first chunk (length 13, non-zero size, correct
   CRC) and the ``IEND`` chunk as the last 12 bytes.
3. **JPEG**: ``FF D8 FF`` and an end-of-image marker ``FF D9`` in the last 1024 bytes (some
   cameras pad after it).
4. **XLSX / DOCX**: a ZIP container checked before and with :mod:`zipfile`: the end-of-central-
   directory record is read by hand first so that a forged entry count or directory size is
   refused before :mod:`zipfile` builds millions of objects; then no encrypted entries, no
   absolute or ``..`` names, no duplicate names, no overlapping entries (the "better zip bomb"),
   only stored/deflated entries, a cap on entries and on the total *declared* uncompressed size,
   ``[Content_Types].xml`` present, and exactly one of ``xl/workbook.xml`` / ``word/document.xml``.
   Macro-enabled files (``vbaProject.bin``, a ``macroEnabled`` content type, Excel 4 macro sheets,
   ActiveX parts) are refused. Nothing is extracted except ``[Content_Types].xml``, read with a
   byte cap; the XML is searched as bytes, never parsed (no entity expansion).
5. **PDF**: ``%PDF-1.x``/``%PDF-2.x`` within the first 1024 bytes (what PDF readers tolerate) and
   ``%%EOF`` within the last 1024 bytes.
6. **Text and CSV**: strict UTF-8 (a UTF-8 byte-order mark is allowed), no NUL bytes, no control
   characters other than tab, line feed, form feed and carriage return (so no terminal escape
   sequences), no UTF-16/UTF-32 (named, with the advice to save as UTF-8), no markup in the first
   1024 bytes (``<script``, ``<html``, ``<svg``, ``<iframe``: the window old browsers sniffed),
   and no ``%PDF-`` header hiding in the first 64 KB (a PDF whose header is too late is damaged or
   disguised; it must not slip through as "text").

**CSV or text** (the decision the issue asked for): a name ending in ``.csv`` makes valid text a
CSV file, and ``.txt`` makes it plain text, because the uploader said so and both are served
equally safely. With any other name (or none), text is CSV when its first 64 KB parse as at least
two rows with the same number (at least two) of comma- or semicolon-separated fields; otherwise it
is plain text. Formula injection (cells starting ``=``) is not checked: evidence is kept byte for
byte as uploaded, and the download is an attachment, never rendered by us.

The answer is a :class:`FileKind` whose ``mime`` is what the download should be served as (text
kinds say ``charset=utf-8``, which was checked) and whose ``extension`` the download name is forced
to by :func:`safe_download_name`.

:func:`sniff` takes the whole content as ``bytes`` or as a seekable binary file; the evidence
store passes its temporary file so a 20 MB upload is never held in memory. It needs the whole
content: the end markers, the ZIP central directory and the UTF-8 check all look past the first
chunk.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import BinaryIO

ACCEPTED_TYPES = "PDF, PNG, JPEG, Excel (.xlsx), Word (.docx), CSV or plain text (UTF-8)"
"""The accepted types, as people read them (used in every refusal)."""


class FileTypeError(ValueError):
    """The content is not an accepted evidence type; ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileKind:
    """An accepted evidence type.

    ``kind`` is the stable name stored with the evidence (``"pdf"``, ``"png"``, ``"jpeg"``,
    ``"xlsx"``, ``"docx"``, ``"csv"``, ``"text"``); ``mime`` the Content-Type to serve it with;
    ``extension`` (without a dot) the one its download name gets; ``label`` a name for people.
    """

    kind: str
    mime: str
    extension: str
    label: str


PDF = FileKind("pdf", "application/pdf", "pdf", "PDF document")
PNG = FileKind("png", "image/png", "png", "PNG image")
JPEG = FileKind("jpeg", "image/jpeg", "jpg", "JPEG image")
XLSX = FileKind(
    "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    "Excel workbook",
)
DOCX = FileKind(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    "Word document",
)
CSV = FileKind("csv", "text/csv; charset=utf-8", "csv", "CSV table")
TEXT = FileKind("text", "text/plain; charset=utf-8", "txt", "plain text")

KINDS: Mapping[str, FileKind] = MappingProxyType(
    {k.kind: k for k in (PDF, PNG, JPEG, XLSX, DOCX, CSV, TEXT)}
)
"""Every accepted kind by its stored name (``KINDS["pdf"]``)."""


@dataclass(frozen=True)
class ZipLimits:
    """Caps for ZIP-based (Office) files, against zip bombs and parser abuse.

    ``max_entries``: entries in the archive (real workbooks and documents have tens, a document
    with many images a few hundred). ``max_uncompressed``: the sum of the entries' declared
    uncompressed sizes; a 20 MB workbook of XML is rarely over 200 MB unpacked.
    ``max_central_directory``: bytes of the central directory, bounding what :mod:`zipfile` parses
    even when the entry count in the end record is forged. ``max_content_types``: bytes read from
    ``[Content_Types].xml``.
    """

    max_entries: int = 5000
    max_uncompressed: int = 256 * 1024 * 1024
    max_central_directory: int = 4 * 1024 * 1024
    max_content_types: int = 1024 * 1024


DEFAULT_ZIP_LIMITS = ZipLimits()

_HEAD = 4096
_PDF_HEADER_WINDOW = 1024  # PDF readers accept a header this far in (ISO 32000 implementation note)
_PDF_EOF_WINDOW = 1024  # and look for %%EOF this far from the end
_JPEG_EOI_WINDOW = 1024
_TEXT_MARKUP_WINDOW = 1024
_PDF_HIDDEN_WINDOW = 64 * 1024
_CSV_WINDOW = 64 * 1024
_CHUNK = 1024 * 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_PDF_HEADER_RE = re.compile(rb"%PDF-[12]\.[0-9]")
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_ZIP_LOCAL_HEADER_MIN = 30

_CONVERT = "Please upload it as " + ACCEPTED_TYPES + "."


def _refuse(what: str, advice: str = _CONVERT) -> FileTypeError:
    return FileTypeError(f"{what} {advice}")


_PROGRAM = "Programs and scripts are never accepted as evidence."
_UNPACK = "Please upload the files inside it one by one."

# Signatures at offset 0 of types we recognise but refuse; each with what to tell the uploader.
# Order matters only where one prefix starts another (none here do).
_REFUSED_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x7fELF", "This is a Linux/Unix program (ELF), not a document.", _PROGRAM),
    (b"\xfe\xed\xfa\xce", "This is a macOS program (Mach-O), not a document.", _PROGRAM),
    (b"\xfe\xed\xfa\xcf", "This is a macOS program (Mach-O), not a document.", _PROGRAM),
    (b"\xce\xfa\xed\xfe", "This is a macOS program (Mach-O), not a document.", _PROGRAM),
    (b"\xcf\xfa\xed\xfe", "This is a macOS program (Mach-O), not a document.", _PROGRAM),
    (
        b"\xca\xfe\xba\xbe",
        "This is a macOS universal program or a Java class file, not a document.",
        _PROGRAM,
    ),
    (b"\x00asm", "This is a WebAssembly program, not a document.", _PROGRAM),
    (b"#!", "This is a script (it starts with '#!'), not a document.", _PROGRAM),
    (
        b"L\x00\x00\x00\x01\x14\x02\x00",
        "This is a Windows shortcut (.lnk), not a document.",
        _PROGRAM,
    ),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "This is an old-format Microsoft Office file (.doc, .xls, .ppt) or a Windows installer "
        "(.msi).",
        "Please save it as .docx, .xlsx or PDF and upload that.",
    ),
    (b"{\\rtf", "This is a Rich Text (.rtf) file.", "Please save it as .docx or PDF."),
    (b"%!PS", "This is a PostScript file.", "Please save it as PDF."),
    (b"Rar!\x1a\x07", "This is a RAR archive.", _UNPACK),
    (
        b"7z\xbc\xaf\x27\x1c",
        "This is a 7-Zip archive.",
        _UNPACK,
    ),
    (b"\x1f\x8b", "This is a gzip archive.", _UNPACK),
    (b"BZh", "This is a bzip2 archive.", _UNPACK),
    (b"\xfd7zXZ\x00", "This is an xz archive.", _UNPACK),
    (
        b"\x28\xb5\x2f\xfd",
        "This is a Zstandard archive.",
        _UNPACK,
    ),
    (b"MSCF", "This is a Windows cabinet archive.", _UNPACK),
    (b"GIF87a", "This is a GIF image.", "Please convert it to PNG or JPEG."),
    (b"GIF89a", "This is a GIF image.", "Please convert it to PNG or JPEG."),
    (b"II*\x00", "This is a TIFF image.", "Please convert it to PNG, JPEG or PDF."),
    (b"MM\x00*", "This is a TIFF image.", "Please convert it to PNG, JPEG or PDF."),
)

# Markup at the start of a file (after a BOM and whitespace): browsers may render it as a page
# and run its scripts if it is ever served inline, so it is refused outright.
_MARKUP_START_RE = re.compile(rb"(?:\xef\xbb\xbf)?[\t\n\f\r ]*<[A-Za-z!?/]")
_MARKUP_ANYWHERE_RE = re.compile(
    rb"<(?:script|html|svg|iframe|object|embed|body|head|meta|frameset|xml)\b|javascript:",
    re.IGNORECASE,
)
_SVG_RE = re.compile(rb"<svg\b", re.IGNORECASE)

# Text may contain tab, LF, FF and CR; other C0 and all C1 control characters are refused
# (terminal escape sequences, mojibake, binary data that happens to be valid UTF-8).
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x80-\x9f]")


def sniff(
    data: bytes | BinaryIO,
    *,
    filename: str | None = None,
    zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS,
) -> FileKind:
    """Decide what an uploaded file really is, by its content.

    Args:
        data: the whole content, as bytes or as a readable, seekable binary file (its position
            is restored afterwards).
        filename: the name the uploader gave, or ``None``. It never decides the type; it only
            tells CSV from plain text (see the module docstring).
        zip_limits: caps for XLSX/DOCX containers.

    Returns:
        The accepted :class:`FileKind`.

    Raises:
        FileTypeError: the content is empty, damaged, dangerous or of a type not accepted; the
            message names what it is when it is recognised and says what to upload instead.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        source: BinaryIO = io.BytesIO(bytes(data))
        start = 0
    else:
        source = data
        start = source.tell()
    try:
        source.seek(0, io.SEEK_END)
        size = source.tell()
        return _sniff(source, size, filename, zip_limits)
    finally:
        source.seek(start)


def _read_at(source: BinaryIO, offset: int, length: int) -> bytes:
    source.seek(offset)
    return source.read(length)


def _sniff(source: BinaryIO, size: int, filename: str | None, limits: ZipLimits) -> FileKind:
    if size == 0:
        raise FileTypeError("The file is empty.")
    head = _read_at(source, 0, _HEAD)
    tail = _read_at(source, max(0, size - _HEAD), _HEAD)

    _refuse_known_types(head)
    if head.startswith(_PNG_SIGNATURE):
        return _check_png(head, tail)
    if head.startswith(b"\xff\xd8\xff"):
        return _check_jpeg(tail)
    if head.startswith((_ZIP_LOCAL, _ZIP_EOCD)):
        return _check_ooxml(source, size, limits)
    if _PDF_HEADER_RE.search(head, 0, _PDF_HEADER_WINDOW + 8):
        return _check_pdf(tail)
    return _check_text(source, head, filename)


def _refuse_known_types(head: bytes) -> None:
    # "MZ" starts DOS and Windows programs (.exe, .dll, .scr, .sys). Their header is full of NUL
    # bytes, which text never has, so a text file that happens to start with "MZ" is not refused
    # here (it goes on to the text checks).
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        raise _refuse("This is a Windows program (.exe or .dll), not a document.", _PROGRAM)
    for signature, what, advice in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            raise _refuse(what, advice)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise _refuse("This is a WebP image.", "Please convert it to PNG or JPEG.")
    if head[4:8] == b"ftyp":
        raise _refuse(
            "This is a video or HEIC/AVIF image.", "Please convert images to PNG or JPEG."
        )
    if head[257:262] == b"ustar":
        raise _refuse("This is a tar archive.", _UNPACK)
    # Markup at the very start is refused before the PDF header search, so an HTML page with a
    # "%PDF-" a few bytes in is not taken for a PDF.
    _refuse_markup(head, anywhere=False)


def _refuse_markup(head: bytes, *, anywhere: bool) -> None:
    window = head[:_TEXT_MARKUP_WINDOW]
    if _MARKUP_START_RE.match(window) or (anywhere and _MARKUP_ANYWHERE_RE.search(window)):
        if _SVG_RE.search(window):
            raise _refuse(
                "This is an SVG image, which can carry scripts.", "Please convert it to PNG."
            )
        raise _refuse(
            "This is an HTML or XML page, which can carry scripts.",
            "Please save it as PDF (for example with your browser's Print to PDF).",
        )


def _check_png(head: bytes, tail: bytes) -> FileKind:
    damaged = _refuse("The PNG image is incomplete or damaged.", "Please export it again.")
    if len(head) < 33:
        raise damaged
    length, chunk_type = struct.unpack(">I4s", head[8:16])
    ihdr = head[16:29]
    (crc,) = struct.unpack(">I", head[29:33])
    if length != 13 or chunk_type != b"IHDR" or zlib.crc32(b"IHDR" + ihdr) != crc:
        raise damaged
    width, height = struct.unpack(">II", ihdr[:8])
    if width == 0 or height == 0 or not tail.endswith(_PNG_IEND):
        raise damaged
    return PNG


def _check_jpeg(tail: bytes) -> FileKind:
    if b"\xff\xd9" not in tail[-_JPEG_EOI_WINDOW:]:
        raise _refuse("The JPEG image is incomplete or damaged.", "Please export it again.")
    return JPEG


def _check_pdf(tail: bytes) -> FileKind:
    # The header may sit a little way in (readers allow it); what comes before it was already
    # checked for programs and markup by _refuse_known_types.
    if b"%%EOF" not in tail[-_PDF_EOF_WINDOW:]:
        raise _refuse(
            "The PDF document is incomplete or damaged (it has no end-of-file marker).",
            "Please export or download it again.",
        )
    return PDF


# ---------------------------------------------------------------------------------------------
# ZIP containers (XLSX, DOCX)


def _zip_damaged() -> FileTypeError:
    return _refuse(
        "The file is a damaged or unusual ZIP container.",
        "If it is an Excel or Word file, please save it again as .xlsx or .docx.",
    )


def _zip_bomb() -> FileTypeError:
    return _refuse(
        "The file is a ZIP container that unpacks to far more than any workbook or document "
        "(a 'zip bomb').",
        "Please save the workbook or document again, or upload it as PDF.",
    )


def _precheck_zip_directory(source: BinaryIO, size: int, limits: ZipLimits) -> None:
    """Read the end-of-central-directory record (and its ZIP64 form) before :mod:`zipfile` does,
    so a forged entry count or directory size is refused before any per-entry work."""
    window = _read_at(source, max(0, size - (22 + 65535)), 22 + 65535)
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
        record = _read_at(source, offset, 56) if offset < size else b""
        if len(record) < 56 or not record.startswith(_ZIP64_EOCD):
            raise _zip_damaged()
        entries, cd_size = struct.unpack("<QQ", record[32:48])
    if entries > limits.max_entries:
        raise _refuse(
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


def _check_ooxml(source: BinaryIO, size: int, limits: ZipLimits) -> FileKind:
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
    return _refuse(
        f"This is {what}; macros can run code on the reviewer's computer.",
        "Please save it without macros (as .xlsx or .docx) or as PDF.",
    )


def _check_zip_entries(infos: list[zipfile.ZipInfo], limits: ZipLimits) -> FileKind:
    if len(infos) > limits.max_entries:
        raise _refuse(
            f"The file is a ZIP container with {len(infos)} entries (at most "
            f"{limits.max_entries} are accepted).",
            "Please upload it as PDF.",
        )
    names: set[str] = set()
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(
                "The file is password-protected or encrypted, so it cannot be checked or read "
                "by the reviewers.",
                "Please remove the password and upload it again.",
            )
        if _unsafe_member_name(info.filename):
            raise _refuse(
                "The file is a ZIP container with unsafe paths inside (absolute or '..').",
                _CONVERT,
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
        return _refuse("This is a PowerPoint presentation.", "Please save it as PDF.")
    if "xl/workbook.xml" in names and "word/document.xml" in names:
        return _zip_damaged()
    if "mimetype" in names and any(n.startswith("meta-inf/manifest.xml") for n in names):
        return _refuse(
            "This is an OpenDocument file (LibreOffice/OpenOffice).",
            "Please save it as .docx, .xlsx or PDF.",
        )
    if "classes.dex" in names or "androidmanifest.xml" in names:
        return _refuse("This is an Android app (.apk), not a document.", _PROGRAM)
    if "meta-inf/manifest.mf" in names or any(n.endswith(".class") for n in names):
        return _refuse("This is a Java program (.jar), not a document.", _PROGRAM)
    return _refuse(
        "This is a ZIP archive, not a single document.",
        _UNPACK,
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


# ---------------------------------------------------------------------------------------------
# Text and CSV


def _check_text(source: BinaryIO, head: bytes, filename: str | None) -> FileKind:
    # A PDF header too far in is the strongest signal, so it is named before anything else.
    if b"%PDF-" in _read_at(source, 0, _PDF_HIDDEN_WINDOW):
        raise _refuse(
            "This file contains a PDF header too far from its start: it is a damaged or "
            "disguised PDF.",
            "Please export or download the PDF again.",
        )
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise _refuse(
            "This text file is in UTF-32, which is not accepted.", "Please save it as UTF-8."
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(head):
        raise _refuse(
            "This text file is in UTF-16, which is not accepted.",
            "Please save it as UTF-8 (in Excel: 'CSV UTF-8'; in Notepad: encoding 'UTF-8').",
        )
    _refuse_markup(head, anywhere=True)
    not_text = _refuse(
        "This file is not a supported type: it is not a PDF, image or Office file, and it is "
        "not UTF-8 text.",
        "If it is text, please save it as UTF-8; otherwise please upload it as "
        + ACCEPTED_TYPES
        + ".",
    )
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    source.seek(0)
    sample: list[str] = []
    sampled = 0
    while True:
        chunk = source.read(_CHUNK)
        final = not chunk
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            raise not_text from exc
        if _CONTROL_RE.search(text):
            raise not_text
        if sampled < _CSV_WINDOW:
            sample.append(text[: _CSV_WINDOW - sampled])
            sampled += len(sample[-1])
        if final:
            # CPython's utf-8-sig decoder keeps a short start that could be a BOM (b"\xef")
            # even when told the input is final: anything left over is not text.
            if decoder.getstate()[0]:
                raise not_text
            break
    return _text_or_csv("".join(sample), filename)


def _looks_like_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text then has a NUL in every other byte."""
    sample = head[:512]
    if len(sample) < 4:
        return False
    evens, odds = sample[0::2], sample[1::2]
    even_nuls, odd_nuls = evens.count(0) / len(evens), odds.count(0) / len(odds)
    return (even_nuls > 0.6 and odd_nuls < 0.1) or (odd_nuls > 0.6 and even_nuls < 0.1)


def _text_or_csv(sample: str, filename: str | None) -> FileKind:
    suffix = (filename or "").strip().lower().rsplit(".", 1)
    extension = suffix[1] if len(suffix) == 2 else ""
    if extension == "csv":
        return CSV
    if extension == "txt":
        return TEXT
    return CSV if _parses_as_csv(sample) else TEXT


def _parses_as_csv(sample: str) -> bool:
    """True when *sample* has at least two rows, all with the same number (two or more) of
    comma- or semicolon-separated fields (quoted fields allowed)."""
    if len(sample) >= _CSV_WINDOW and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # the cut may have split the last row
    for delimiter in (",", ";"):
        try:
            rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        except csv.Error:
            continue
        widths = {len(row) for row in rows}
        if len(rows) >= 2 and len(widths) == 1 and widths.pop() >= 2:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Download names

_MAX_STEM = 100
_FALLBACK_STEM = "evidence"
# Characters that are special in file names on some system or in a Content-Disposition header.
_NAME_SPECIALS_RE = re.compile(r'[<>:"/\\|?*;]')
_SPACES_RE = re.compile(r"\s+")
_EXTENSION_RE = re.compile(r"(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,8}")
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)


def safe_download_name(original_name: str | None, kind: FileKind | str) -> str:
    """A readable, harmless name to offer a download under.

    Keeps the base name the uploader gave (NFC-normalised), drops any folder part (``C:\\x\\``,
    ``../``), control and formatting characters (including right-to-left overrides that make
    ``"exe.pdf"`` read backwards), characters special in file names or headers, and leading dots;
    shortens it to about 100 characters; and forces the extension to the sniffed kind's, so
    ``report.exe`` that is really a PDF downloads as ``report.pdf``. Never returns an empty name.

    The result may contain non-ASCII letters: Werkzeug's ``send_file(download_name=...)`` then
    writes an ASCII ``filename=`` fallback and an RFC 5987 ``filename*=UTF-8''...`` parameter.

    Args:
        original_name: the name given at upload (may be ``None`` or anything at all).
        kind: the sniffed :class:`FileKind`, or its stored name (``"pdf"``).

    Raises:
        KeyError: *kind* is a string that names no accepted kind.
    """
    file_kind = KINDS[kind] if isinstance(kind, str) else kind
    name = unicodedata.normalize("NFC", original_name or "")
    name = re.split(r"[/\\]", name)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if char in "\t\n\r\f\v" or category in ("Zs", "Zl", "Zp"):
            kept.append(" ")
        elif not category.startswith("C"):
            # Cc controls, Cf formatting (right-to-left overrides, zero-width characters),
            # surrogates, private-use and unassigned code points are dropped.
            kept.append(char)
    # Dropping characters can leave a combining mark next to a new base letter: normalise again.
    name = _NAME_SPECIALS_RE.sub("_", unicodedata.normalize("NFC", "".join(kept)))
    name = _SPACES_RE.sub(" ", name).strip().rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot or not _EXTENSION_RE.fullmatch(extension):
        stem = name  # "v1.2" or "notes. final": no extension to replace
    # "report.pdf.exe" that is really a PDF becomes "report.pdf", not "report.pdf.pdf".
    for known in (file_kind.extension, "jpeg") if file_kind is JPEG else (file_kind.extension,):
        if stem.lower().endswith("." + known):
            stem = stem[: -len(known) - 1]
    stem = unicodedata.normalize("NFC", stem[:_MAX_STEM]).strip(" .")
    if not stem:
        stem = _FALLBACK_STEM
    if stem.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        stem = "_" + stem  # CON, NUL, COM1 ... cannot be file names on Windows
    return f"{stem}.{file_kind.extension}"
