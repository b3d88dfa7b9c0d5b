"""Deciding a file's kind by its content (:func:`sniff`): dangerous or unsupported signatures
first, then PNG, JPEG, the Office ZIP containers, PDF, and text (see the package docstring for
the order and why)."""

from __future__ import annotations

import io
import re
import struct
import zlib
from typing import BinaryIO

from certify.core.filetypes.kinds import (
    DEFAULT_ZIP_LIMITS,
    JPEG,
    PDF,
    PNG,
    PROGRAM,
    UNPACK,
    FileKind,
    FileTypeError,
    ZipLimits,
    read_at,
    refuse,
)
from certify.core.filetypes.ooxml import check_ooxml
from certify.core.filetypes.text import check_text, refuse_markup

_HEAD = 4096
_PDF_HEADER_WINDOW = 1024  # PDF readers accept a header this far in (ISO 32000 implementation note)
_PDF_EOF_WINDOW = 1024  # and look for %%EOF this far from the end
_JPEG_EOI_WINDOW = 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_PDF_HEADER_RE = re.compile(rb"%PDF-[12]\.[0-9]")
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_EOCD = b"PK\x05\x06"

# Signatures at offset 0 of types we recognise but refuse; each with what to tell the uploader.
# Order matters only where one prefix starts another (none here do).
_REFUSED_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x7fELF", "This is a Linux/Unix program (ELF), not a document.", PROGRAM),
    (b"\xfe\xed\xfa\xce", "This is a macOS program (Mach-O), not a document.", PROGRAM),
    (b"\xfe\xed\xfa\xcf", "This is a macOS program (Mach-O), not a document.", PROGRAM),
    (b"\xce\xfa\xed\xfe", "This is a macOS program (Mach-O), not a document.", PROGRAM),
    (b"\xcf\xfa\xed\xfe", "This is a macOS program (Mach-O), not a document.", PROGRAM),
    (
        b"\xca\xfe\xba\xbe",
        "This is a macOS universal program or a Java class file, not a document.",
        PROGRAM,
    ),
    (b"\x00asm", "This is a WebAssembly program, not a document.", PROGRAM),
    (b"#!", "This is a script (it starts with '#!'), not a document.", PROGRAM),
    (
        b"L\x00\x00\x00\x01\x14\x02\x00",
        "This is a Windows shortcut (.lnk), not a document.",
        PROGRAM,
    ),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "This is an old-format Microsoft Office file (.doc, .xls, .ppt) or a Windows installer "
        "(.msi).",
        "Please save it as .docx, .xlsx or PDF and upload that.",
    ),
    (b"{\\rtf", "This is a Rich Text (.rtf) file.", "Please save it as .docx or PDF."),
    (b"%!PS", "This is a PostScript file.", "Please save it as PDF."),
    (b"Rar!\x1a\x07", "This is a RAR archive.", UNPACK),
    (
        b"7z\xbc\xaf\x27\x1c",
        "This is a 7-Zip archive.",
        UNPACK,
    ),
    (b"\x1f\x8b", "This is a gzip archive.", UNPACK),
    (b"BZh", "This is a bzip2 archive.", UNPACK),
    (b"\xfd7zXZ\x00", "This is an xz archive.", UNPACK),
    (
        b"\x28\xb5\x2f\xfd",
        "This is a Zstandard archive.",
        UNPACK,
    ),
    (b"MSCF", "This is a Windows cabinet archive.", UNPACK),
    (b"GIF87a", "This is a GIF image.", "Please convert it to PNG or JPEG."),
    (b"GIF89a", "This is a GIF image.", "Please convert it to PNG or JPEG."),
    (b"II*\x00", "This is a TIFF image.", "Please convert it to PNG, JPEG or PDF."),
    (b"MM\x00*", "This is a TIFF image.", "Please convert it to PNG, JPEG or PDF."),
)


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


def _sniff(source: BinaryIO, size: int, filename: str | None, limits: ZipLimits) -> FileKind:
    if size == 0:
        raise FileTypeError("The file is empty.")
    head = read_at(source, 0, _HEAD)
    tail = read_at(source, max(0, size - _HEAD), _HEAD)

    _refuse_known_types(head)
    if head.startswith(_PNG_SIGNATURE):
        return _check_png(head, tail)
    if head.startswith(b"\xff\xd8\xff"):
        return _check_jpeg(tail)
    if head.startswith((_ZIP_LOCAL, _ZIP_EOCD)):
        return check_ooxml(source, size, limits)
    if _PDF_HEADER_RE.search(head, 0, _PDF_HEADER_WINDOW + 8):
        return _check_pdf(tail)
    return check_text(source, head, filename)


def _refuse_known_types(head: bytes) -> None:
    # "MZ" starts DOS and Windows programs (.exe, .dll, .scr, .sys). Their header is full of NUL
    # bytes, which text never has, so a text file that happens to start with "MZ" is not refused
    # here (it goes on to the text checks).
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        raise refuse("This is a Windows program (.exe or .dll), not a document.", PROGRAM)
    for signature, what, advice in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            raise refuse(what, advice)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise refuse("This is a WebP image.", "Please convert it to PNG or JPEG.")
    if head[4:8] == b"ftyp":
        raise refuse("This is a video or HEIC/AVIF image.", "Please convert images to PNG or JPEG.")
    if head[257:262] == b"ustar":
        raise refuse("This is a tar archive.", UNPACK)
    # Markup at the very start is refused before the PDF header search, so an HTML page with a
    # "%PDF-" a few bytes in is not taken for a PDF.
    refuse_markup(head, anywhere=False)


def _check_png(head: bytes, tail: bytes) -> FileKind:
    damaged = refuse("The PNG image is incomplete or damaged.", "Please export it again.")
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
        raise refuse("The JPEG image is incomplete or damaged.", "Please export it again.")
    return JPEG


def _check_pdf(tail: bytes) -> FileKind:
    # The header may sit a little way in (readers allow it); what comes before it was already
    # checked for programs and markup by _refuse_known_types.
    if b"%%EOF" not in tail[-_PDF_EOF_WINDOW:]:
        raise refuse(
            "The PDF document is incomplete or damaged (it has no end-of-file marker).",
            "Please export or download it again.",
        )
    return PDF
