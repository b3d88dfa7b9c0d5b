"""Evidence file types are decided by content: real samples pass, disguised and ugly ones don't.

The sample builders at the top (``make_pdf``, ``make_png``, ``make_jpeg``, ``make_ooxml``) make
real files; ``tests/web/test_evidence_store.py`` imports them too.
"""

from __future__ import annotations

import gzip
import io
import random
import struct
import unicodedata
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from certify.core.filetypes.kinds import (
    CSV,
    DOCX,
    JPEG,
    KINDS,
    PDF,
    PNG,
    TEXT,
    XLSX,
    FileKind,
    FileTypeError,
    ZipLimits,
)
from certify.core.filetypes.names import safe_download_name
from certify.core.filetypes.sniffing import sniff

# ---------------------------------------------------------------------------------------------
# Sample builders


def make_pdf(text: str = "Evidence: payroll policy, version 3") -> bytes:
    """A real one-page PDF made by ReportLab."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return out.getvalue()


def png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def make_png(width: int = 3, height: int = 2) -> bytes:
    """A real RGB PNG built by hand with zlib (every row: filter byte 0, then red pixels)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


def make_jpeg() -> bytes:
    """A real 8x8 JPEG (Pillow is installed as ReportLab's dependency)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 255)).save(out, "JPEG", quality=80)
    return out.getvalue()


_CT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
)
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _content_types(main_part: str, main_type: str) -> str:
    return _CT_HEAD + f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>'


def ooxml_parts(kind: str = "xlsx", *, main_type: str | None = None) -> dict[str, bytes]:
    """The parts of a minimal valid workbook ("xlsx") or document ("docx")."""
    if kind == "xlsx":
        main, main_type = "xl/workbook.xml", main_type or XLSX_MAIN
        parts = {
            "xl/workbook.xml": (
                '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns='
                '"http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'xmlns:r="{_REL}"><sheets><sheet name="Staff" sheetId="1" r:id="rId1"/>'
                "</sheets></workbook>"
            ),
            "xl/_rels/workbook.xml.rels": (
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL}">'
                f'<Relationship Id="rId1" Type="{_REL}/worksheet" '
                'Target="worksheets/sheet1.xml"/></Relationships>'
            ),
            "xl/worksheets/sheet1.xml": (
                '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                '<row r="1"><c r="A1" t="inlineStr"><is><t>Zaměstnanci</t></is></c></row>'
                "</sheetData></worksheet>"
            ),
        }
        extra_override = (
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
    else:
        main, main_type = "word/document.xml", main_type or DOCX_MAIN
        parts = {
            "word/document.xml": (
                '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w='
                '"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                "<w:p><w:r><w:t>Politika odměňování</w:t></w:r></w:p></w:body></w:document>"
            ),
        }
        extra_override = ""
    content_types = _content_types(main, main_type).replace("</Types>", extra_override + "</Types>")
    rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="{main}"/>'
        "</Relationships>"
    )
    everything = {"[Content_Types].xml": content_types, "_rels/.rels": rels, **parts}
    return {name: text.encode("utf-8") for name, text in everything.items()}


def make_zip(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, compression)
    return out.getvalue()


def make_ooxml(kind: str = "xlsx", *, extra: dict[str, bytes] | None = None, **kw) -> bytes:
    """A minimal valid .xlsx or .docx, with *extra* parts added."""
    return make_zip({**ooxml_parts(kind, **kw), **(extra or {})})


def _central_records(data: bytes) -> list[int]:
    """Offsets of the central directory file headers in a ZIP."""
    offsets, at = [], data.find(b"PK\x01\x02")
    while at >= 0:
        offsets.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    return offsets


def patch(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    size = struct.calcsize(fmt)
    return data[:offset] + struct.pack(fmt, value) + data[offset + size :]


def refused(data: bytes | io.BytesIO, *, filename: str | None = None, **kw) -> str:
    """The refusal message for *data*; fails the test if it is accepted."""
    with pytest.raises(FileTypeError) as caught:
        sniff(data, filename=filename, **kw)
    message = caught.value.message
    assert message == str(caught.value) and message.strip()
    return message


# A tiny but structurally real Windows PE header: "MZ", DOS header with e_lfanew = 0x40, "PE\0\0".
PE_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + struct.pack("<I", 0x40)
    + b"PE\x00\x00\x4c\x01\x03\x00"
    + b"\x00" * 200
)
ELF_EXE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
MACHO_EXE = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 200

# ---------------------------------------------------------------------------------------------
# The builders make real files


def test_sample_builders_make_files_other_readers_accept() -> None:
    assert Image.open(io.BytesIO(make_png())).size == (3, 2)
    assert Image.open(io.BytesIO(make_jpeg())).format == "JPEG"
    assert make_pdf().startswith(b"%PDF-1.")
    with zipfile.ZipFile(io.BytesIO(make_ooxml("docx"))) as archive:
        assert archive.testzip() is None


# ---------------------------------------------------------------------------------------------
# Accepted kinds


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (make_pdf(), "policy.pdf", PDF),
        (make_png(), "photo.png", PNG),
        (make_jpeg(), "photo.jpg", JPEG),
        (make_ooxml("xlsx"), "staff.xlsx", XLSX),
        (make_ooxml("docx"), "policy.docx", DOCX),
        ("jméno;plat\nŽofie;1200\nOndřej;1300\n".encode(), "mzdy.csv", CSV),
        ("Příliš žluťoučký kůň úpěl ďábelské ódy.\n".encode(), "notes.txt", TEXT),
    ],
    ids=["pdf", "png", "jpeg", "xlsx", "docx", "csv", "text"],
)
def test_real_files_are_recognised(data: bytes, filename: str, expected: FileKind) -> None:
    assert sniff(data, filename=filename) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (make_pdf(), PDF),
        (make_png(), PNG),
        (make_jpeg(), JPEG),
        (make_ooxml("xlsx"), XLSX),
        (make_ooxml("docx"), DOCX),
    ],
    ids=["pdf", "png", "jpeg", "xlsx", "docx"],
)
@pytest.mark.parametrize("name", ["evidence.exe", "evidence.txt", "evidence.csv", None, ""])
def test_the_name_never_decides_a_binary_type(
    data: bytes, expected: FileKind, name: str | None
) -> None:
    assert sniff(data, filename=name) == expected


def test_file_kinds_are_frozen_and_complete() -> None:
    assert set(KINDS) == {"pdf", "png", "jpeg", "xlsx", "docx", "csv", "text"}
    assert all(KINDS[name].kind == name for name in KINDS)
    assert JPEG.extension == "jpg" and TEXT.extension == "txt"
    assert TEXT.mime == "text/plain; charset=utf-8" and CSV.mime == "text/csv; charset=utf-8"
    with pytest.raises(AttributeError):
        PDF.kind = "exe"  # type: ignore[misc]


def test_sniff_reads_a_file_object_and_restores_its_position() -> None:
    handle = io.BytesIO(make_ooxml("xlsx"))
    handle.seek(7)
    assert sniff(handle) == XLSX
    assert handle.tell() == 7


def test_sniff_accepts_bytearray_and_memoryview() -> None:
    pdf = make_pdf()
    assert sniff(bytearray(pdf)) == PDF
    assert sniff(memoryview(pdf)) == PDF


# ---------------------------------------------------------------------------------------------
# Programs and scripts, whatever they are called


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (PE_EXE, "Windows program"),
        (ELF_EXE, "ELF"),
        (MACHO_EXE, "Mach-O"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + b"\x00" * 40, "Java class"),
        (b"#!/bin/sh\nrm -rf ~\n", "script"),
        (b"#!/usr/bin/env python3\nprint('hi')\n", "script"),
        (b"\x00asm\x01\x00\x00\x00", "WebAssembly"),
        (b"L\x00\x00\x00\x01\x14\x02\x00" + b"\x00" * 60, "shortcut"),
    ],
    ids=["pe", "elf", "macho", "java", "sh", "python", "wasm", "lnk"],
)
@pytest.mark.parametrize("name", ["invoice.pdf", "photo.png", "data.csv", None])
def test_programs_are_refused_by_name_whatever_they_are_called(
    data: bytes, words: str, name: str | None
) -> None:
    message = refused(data, filename=name)
    assert words in message
    assert "never accepted" in message


def test_an_executable_carrying_a_pdf_header_is_still_a_program() -> None:
    polyglot = PE_EXE[:100] + make_pdf()
    assert b"%PDF-" in polyglot[:1024]
    assert "Windows program" in refused(polyglot, filename="report.pdf")


def test_an_elf_renamed_pdf_with_a_pdf_appended_is_refused() -> None:
    assert "ELF" in refused(ELF_EXE + make_pdf(), filename="report.pdf")


def test_text_that_merely_starts_with_mz_is_text() -> None:
    # Real PE/DOS headers are full of NUL bytes; "MZ Holdings" in a letter is not a program.
    assert sniff(b"MZ Holdings Ltd, annual report\n", filename="a.txt") == TEXT


# ---------------------------------------------------------------------------------------------
# Markup: HTML and SVG can carry scripts


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<html><body><script>alert(document.cookie)</script></body></html>", "HTML"),
        (b"<!DOCTYPE html>\n<title>x</title>", "HTML"),
        (b"\xef\xbb\xbf  \n<script>fetch('/api')</script>", "HTML"),
        (b"Dear auditor,\n<script src=//evil.example/x.js></script>\n", "HTML"),
        (b"Hello <IFRAME src=x>", "HTML"),
        (b'<a href="javascript:alert(1)">click</a>', "HTML"),
        (b"<?xml version='1.0'?><note>hi</note>", "HTML or XML"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "SVG",
        ),
        (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1"/>',
            "SVG",
        ),
    ],
)
@pytest.mark.parametrize("name", ["notes.txt", "image.png", "table.csv", None])
def test_markup_is_refused(data: bytes, words: str, name: str | None) -> None:
    message = refused(data, filename=name)
    assert words in message
    assert "scripts" in message


def test_an_html_page_with_a_pdf_header_soon_after_is_refused() -> None:
    assert "HTML" in refused(b"<html><body>" + make_pdf(), filename="x.pdf")


def test_text_with_a_less_than_sign_is_still_text() -> None:
    assert sniff(b"Turnover < 5% and staff > 20.\n", filename="n.txt") == TEXT


# ---------------------------------------------------------------------------------------------
# Other types that are named but refused


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "GIF"),
        (b"II*\x00\x08\x00\x00\x00" + b"\x00" * 20, "TIFF"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "WebP"),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 20, "HEIC"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old-format Microsoft Office"),
        (b"{\\rtf1\\ansi hello}", "Rich Text"),
        (b"%!PS-Adobe-3.0\n", "PostScript"),
        (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 20, "RAR"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 20, "7-Zip"),
        (gzip.compress(b"payroll", mtime=0), "gzip"),
        (b"BZh91AY&SY" + b"\x00" * 20, "bzip2"),
        (b"MSCF\x00\x00\x00\x00" + b"\x00" * 20, "cabinet"),
    ],
)
def test_known_unsupported_types_are_named(data: bytes, words: str) -> None:
    message = refused(data, filename="evidence.pdf")
    assert words in message


def test_a_tar_archive_is_named() -> None:
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        info = tarfile.TarInfo("policy.pdf")
        pdf = make_pdf()
        info.size = len(pdf)
        archive.addfile(info, io.BytesIO(pdf))
    assert "tar archive" in refused(out.getvalue())


def test_an_empty_file_is_refused() -> None:
    assert "empty" in refused(b"", filename="report.pdf")
    assert "empty" in refused(io.BytesIO(b""))


@pytest.mark.parametrize("seed", range(8))
def test_binary_garbage_is_refused(seed: int) -> None:
    garbage = random.Random(seed).randbytes(4096)
    message = refused(garbage, filename="scan.pdf")
    assert "not a supported type" in message or "damaged" in message or "This is" in message


# ---------------------------------------------------------------------------------------------
# PDF


def test_a_pdf_header_a_little_way_in_is_accepted() -> None:
    # PDF readers accept a header within the first 1024 bytes (some generators prepend junk).
    assert sniff(b" " * 500 + make_pdf()) == PDF
    assert sniff(b"\x00" * 1000 + make_pdf()) == PDF


@pytest.mark.parametrize("junk", [b"\x00" * 2000, b"x" * 2000, b"\n" * 2000])
def test_a_pdf_header_at_offset_2000_is_refused(junk: bytes) -> None:
    message = refused(junk + make_pdf(), filename="report.pdf")
    assert "PDF header too far" in message


def test_a_truncated_pdf_is_refused() -> None:
    pdf = make_pdf()
    message = refused(pdf[: len(pdf) // 2], filename="report.pdf")
    assert "PDF document is incomplete or damaged" in message


def test_a_pdf_with_an_incremental_update_is_accepted() -> None:
    pdf = make_pdf()
    assert sniff(pdf + b"1 0 obj\n<<>>\nendobj\n%%EOF\n") == PDF


def test_a_pdf_header_without_a_version_is_not_a_pdf() -> None:
    # "%PDF-" alone (no version) is text mentioning PDF headers, refused as a disguised PDF.
    assert "PDF header" in refused(b"%PDF-garbage\n%%EOF\n")


# ---------------------------------------------------------------------------------------------
# PNG and JPEG


def test_a_png_with_a_bad_ihdr_crc_is_refused() -> None:
    png = bytearray(make_png())
    png[29] ^= 0xFF
    assert "PNG image is incomplete or damaged" in refused(bytes(png))


def test_a_png_of_zero_width_is_refused() -> None:
    png = make_png()
    ihdr = struct.pack(">IIBBBBB", 0, 2, 8, 2, 0, 0, 0)
    broken = png[:8] + png_chunk(b"IHDR", ihdr) + png[33:]
    assert "PNG" in refused(broken)


def test_a_truncated_png_is_refused() -> None:
    png = make_png()
    assert "PNG" in refused(png[:-12])
    assert "PNG" in refused(png[:20])


def test_a_png_with_data_after_iend_is_refused() -> None:
    assert "PNG" in refused(make_png() + b"<script>alert(1)</script>")


def test_a_truncated_jpeg_is_refused() -> None:
    jpeg = make_jpeg()
    assert "JPEG image is incomplete or damaged" in refused(jpeg[: len(jpeg) // 2])


def test_a_jpeg_with_padding_after_the_end_marker_is_accepted() -> None:
    assert sniff(make_jpeg() + b"\x00" * 100) == JPEG


# ---------------------------------------------------------------------------------------------
# ZIP containers: XLSX and DOCX


def test_an_xlsx_with_macros_is_refused() -> None:
    xlsm = make_ooxml("xlsx", main_type=XLSM_MAIN, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11"})
    assert "Excel workbook with macros (.xlsm)" in refused(xlsm, filename="staff.xlsx")


def test_a_vba_project_alone_is_enough_to_refuse() -> None:
    sneaky = make_ooxml("xlsx", extra={"xl/VbaProject.BIN": b"\xd0\xcf\x11"})
    assert "macros" in refused(sneaky, filename="staff.xlsx")


def test_a_macro_enabled_content_type_alone_is_enough_to_refuse() -> None:
    docm = make_ooxml("docx", main_type=DOCM_MAIN)
    assert "Word document with macros (.docm)" in refused(docm, filename="policy.docx")


@pytest.mark.parametrize("part", ["xl/macrosheets/sheet1.xml", "word/activeX/activeX1.bin"])
def test_macro_sheets_and_activex_are_refused(part: str) -> None:
    kind = "xlsx" if part.startswith("xl/") else "docx"
    assert "macros" in refused(make_ooxml(kind, extra={part: b"<x/>"}))


def test_a_plain_zip_is_refused_as_an_archive() -> None:
    archive = make_zip({"policy.pdf": make_pdf(), "photo.png": make_png()})
    assert "ZIP archive" in refused(archive, filename="evidence.xlsx")


def test_an_empty_zip_is_refused_as_an_archive() -> None:
    assert "ZIP archive" in refused(make_zip({}))


def test_a_zip_with_the_parts_but_no_content_types_is_refused() -> None:
    parts = ooxml_parts("xlsx")
    del parts["[Content_Types].xml"]
    assert "ZIP archive" in refused(make_zip(parts), filename="x.xlsx")


def test_a_zip_claiming_to_be_both_workbook_and_document_is_refused() -> None:
    both = make_zip({**ooxml_parts("docx"), **ooxml_parts("xlsx")})
    assert "damaged or unusual ZIP" in refused(both)


@pytest.mark.parametrize(
    ("parts", "words"),
    [
        ({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"}, "PowerPoint"),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.text", "META-INF/manifest.xml": b""},
            "OpenDocument",
        ),
        ({"META-INF/MANIFEST.MF": b"Main-Class: Evil\n", "Evil.class": b"\xca\xfe"}, "Java"),
        ({"AndroidManifest.xml": b"", "classes.dex": b"dex\n"}, "Android"),
    ],
    ids=["pptx", "odt", "jar", "apk"],
)
def test_other_zip_based_types_are_named(parts: dict[str, bytes], words: str) -> None:
    assert words in refused(make_zip(parts))


@pytest.mark.parametrize(
    "name", ["../../etc/cron.d/evil", "/etc/passwd", "C:/Windows/evil.dll", "xl/..\\..\\x"]
)
def test_a_zip_with_unsafe_paths_is_refused(name: str) -> None:
    data = make_ooxml("xlsx", extra={name: b"x"})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert name in archive.namelist()  # the test really carries the bad name
    assert "unsafe paths" in refused(data)


def test_a_zip_with_an_encrypted_entry_is_refused() -> None:
    data = make_ooxml("xlsx")
    # Set the "encrypted" flag (bit 0 of the general-purpose flags, offset 8) on the last entry.
    last = _central_records(data)[-1]
    (flags,) = struct.unpack_from("<H", data, last + 8)
    data = patch(data, last + 8, "<H", flags | 0x1)
    assert "password-protected" in refused(data)


def test_a_zip_bomb_with_a_forged_huge_size_is_refused() -> None:
    data = make_ooxml("xlsx", extra={"xl/sharedStrings.xml": b"<sst/>"})
    last = _central_records(data)[-1]
    # Uncompressed size is at offset 24 of a central directory record: claim ~4 GB.
    data = patch(data, last + 24, "<I", 0xFFFFFFF0)
    assert "zip bomb" in refused(data)


def test_a_really_compressible_entry_over_the_cap_is_refused() -> None:
    # 8 MB of zeros deflates to ~8 KB; a cap of 4 MB catches it without unpacking anything.
    bomb = make_ooxml("xlsx", extra={"xl/sharedStrings.xml": b"\x00" * (8 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024
    limits = ZipLimits(max_uncompressed=4 * 1024 * 1024)
    assert "zip bomb" in refused(bomb, zip_limits=limits)
    assert sniff(bomb) == XLSX  # and under the default 256 MB cap it is an ordinary workbook


def test_a_zip_with_too_many_entries_is_refused() -> None:
    extra = {f"xl/media/image{i}.png": b"" for i in range(40)}
    data = make_ooxml("xlsx", extra=extra)
    assert sniff(data) == XLSX
    entries = len(ooxml_parts("xlsx")) + 40
    message = refused(data, zip_limits=ZipLimits(max_entries=30))
    assert f"{entries} entries" in message and "at most 30" in message


def test_a_forged_entry_count_is_refused_before_parsing() -> None:
    data = make_ooxml("xlsx")
    eocd = data.rfind(b"PK\x05\x06")
    data = patch(data, eocd + 8, "<H", 60000)
    data = patch(data, eocd + 10, "<H", 60000)
    assert "60000 entries" in refused(data)


def test_a_forged_central_directory_size_is_refused() -> None:
    data = make_ooxml("xlsx")
    eocd = data.rfind(b"PK\x05\x06")
    data = patch(data, eocd + 12, "<I", 50 * 1024 * 1024)
    message = refused(data)
    assert "zip bomb" in message or "damaged" in message


def test_overlapping_entries_are_refused() -> None:
    # Fifield's "better zip bomb": many directory entries sharing one compressed stream.
    data = make_ooxml("xlsx", extra={"xl/a.xml": b"<a>" + b"A" * 10000 + b"</a>"})
    records = _central_records(data)
    eocd = data.rfind(b"PK\x05\x06")
    last = data[records[-1] : eocd]
    twin = last.replace(b"xl/a.xml", b"xl/b.xml")
    cd_start, cd_size = records[0], eocd - records[0]
    forged = data[:eocd] + twin + data[eocd:]
    new_eocd = eocd + len(twin)
    forged = patch(forged, new_eocd + 8, "<H", len(records) + 1)
    forged = patch(forged, new_eocd + 10, "<H", len(records) + 1)
    forged = patch(forged, new_eocd + 12, "<I", cd_size + len(twin))
    forged = patch(forged, new_eocd + 16, "<I", cd_start)
    with zipfile.ZipFile(io.BytesIO(forged)) as archive:
        assert "xl/b.xml" in archive.namelist()  # the forgery parses
    assert "zip bomb" in refused(forged)


def test_duplicate_names_are_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in ooxml_parts("xlsx").items():
            archive.writestr(name, data)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("xl/workbook.xml", b"<other/>")
    assert "damaged or unusual ZIP" in refused(out.getvalue())


def test_unusual_compression_is_refused() -> None:
    data = make_zip(ooxml_parts("docx"), compression=zipfile.ZIP_BZIP2)
    assert "damaged or unusual ZIP" in refused(data)


@pytest.mark.parametrize("cut", [0.25, 0.5, 0.9, 0.99])
def test_a_truncated_office_file_is_refused(cut: float) -> None:
    data = make_ooxml("docx")
    assert "ZIP" in refused(data[: int(len(data) * cut)])


def test_an_oversized_content_types_part_is_refused() -> None:
    parts = ooxml_parts("xlsx")
    parts["[Content_Types].xml"] += b" " * 5000
    limits = ZipLimits(max_content_types=4096)
    assert "zip bomb" in refused(make_zip(parts), zip_limits=limits)


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(["xlsx", "docx"]),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_corrupted_office_files_give_only_clear_answers(
    kind: str, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(make_ooxml(kind))
    for position, value in edits:
        data[position % len(data)] = value
    try:
        result: FileKind | str = sniff(bytes(data))
    except FileTypeError as exc:
        result = exc.message
    assert result in (XLSX, DOCX) or (isinstance(result, str) and result.endswith("."))


# ---------------------------------------------------------------------------------------------
# Text and CSV


def test_text_with_a_utf8_bom_is_text() -> None:
    assert sniff("\ufeffŘádek první\nŘádek druhý\n".encode(), filename="a.txt") == TEXT


def test_csv_by_name_even_with_a_single_column() -> None:
    assert sniff(b"name\nAda\nGrace\n", filename="STAFF.CSV") == CSV


def test_txt_by_name_stays_text_even_when_it_parses_as_csv() -> None:
    assert sniff(b"a,b\n1,2\n", filename="notes.txt") == TEXT


@pytest.mark.parametrize("name", [None, "", "export", "export.dat", "export.pdf"])
def test_csv_by_content_when_the_name_does_not_say(name: str | None) -> None:
    assert sniff(b"id;amount\n1;2,50\n2;3,75\n", filename=name) == CSV
    assert sniff(b'id,comment\n1,"a, b"\n2,"c"\n', filename=name) == CSV


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n1,2,3\n",  # inconsistent widths
        b"just one line, with a comma\n",  # one row
        b"Dear auditor\nplease find attached\n",  # no separators
    ],
)
def test_text_that_is_not_consistent_rows_is_plain_text(data: bytes) -> None:
    assert sniff(data, filename="upload") == TEXT


def test_csv_detection_looks_only_at_complete_rows_of_a_long_file() -> None:
    row = b"1;Ond\xc5\x99ej;1200\n"
    data = b"id;name;salary\n" + row * 10000  # far more than the 64 KB sample
    assert len(data) > 128 * 1024
    assert sniff(data) == CSV


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"], ids=["bom", "le", "be"])
def test_utf16_text_is_refused_and_named(encoding: str) -> None:
    data = "jméno,plat\nŽofie,1200\n".encode(encoding)
    message = refused(data, filename="mzdy.csv")
    assert "UTF-16" in message and "UTF-8" in message


def test_utf32_text_is_refused_and_named() -> None:
    assert "UTF-32" in refused("hello\n".encode("utf-32"), filename="a.txt")


@pytest.mark.parametrize(
    "data",
    [
        "Příliš žluťoučký kůň".encode("cp1250"),
        "naïve café".encode("latin-1"),
        b"ok\n" * 100000 + b"\xff",  # invalid byte in the last chunk, far past the head
        b"truncated sequence \xc5",
    ],
    ids=["cp1250", "latin1", "late", "truncated"],
)
def test_text_that_is_not_utf8_is_refused(data: bytes) -> None:
    message = refused(data, filename="notes.csv")
    assert "UTF-8" in message


@pytest.mark.parametrize(
    "data",
    [
        b"hello\x00world",
        b"red \x1b[31malert\x1b[0m",
        b"bell\x07",
        "C1 control \u009b31m".encode(),
        b"x" * 2_000_000 + b"\x00",
    ],
    ids=["nul", "ansi", "bell", "c1", "late-nul"],
)
def test_text_with_control_characters_is_refused(data: bytes) -> None:
    assert "not a supported type" in refused(data, filename="notes.txt")


def test_tabs_form_feeds_and_crlf_are_fine() -> None:
    assert sniff(b"a\tb\r\nc\td\r\n\f", filename="x.txt") == TEXT


# ---------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_get_a_kind_or_a_clear_refusal(data: bytes) -> None:
    try:
        kind: FileKind | str = sniff(data)
    except FileTypeError as exc:
        kind = exc.message
    if isinstance(kind, str):
        assert kind.endswith(".")
    else:
        assert kind in KINDS.values()
        # Whatever was accepted without a binary signature is valid UTF-8 text.
        if kind in (TEXT, CSV):
            data.decode("utf-8-sig")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([PE_EXE, ELF_EXE, MACHO_EXE, b"#!/bin/sh\n", b"<script>"]),
    st.binary(max_size=2000),
    st.sampled_from(["x.pdf", "x.png", "x.csv", "x.txt", None]),
)
def test_dangerous_starts_are_refused_whatever_follows(
    start: bytes, rest: bytes, name: str | None
) -> None:
    with pytest.raises(FileTypeError):
        sniff(start + rest, filename=name)


# ---------------------------------------------------------------------------------------------
# Download names


@pytest.mark.parametrize(
    ("original", "kind", "expected"),
    [
        ("report.pdf", PDF, "report.pdf"),
        ("report.exe", PDF, "report.pdf"),
        ("report.pdf.exe", PDF, "report.pdf"),
        ("scan.JPEG", JPEG, "scan.jpg"),
        ("scan.jpeg.exe", JPEG, "scan.jpg"),
        ("mzdy", "csv", "mzdy.csv"),
        ("Zpráva o auditu 2024.docx", DOCX, "Zpráva o auditu 2024.docx"),
        ("C:\\Users\\eve\\Desktop\\payroll.xlsx", XLSX, "payroll.xlsx"),
        ("../../../etc/passwd", TEXT, "passwd.txt"),
        ("\u202eexe.pdf", PDF, "exe.pdf"),  # right-to-left override dropped
        ("in\x00voice\r\n.pdf", PDF, "invoice.pdf"),  # NUL dropped, line break a space
        ('a"b;c<d>e|f?g*.pdf', PDF, "a_b_c_d_e_f_g_.pdf"),
        ("   ...hidden", TEXT, "evidence.txt"),  # a dot-file's name is all extension
        (".pdf", PDF, "evidence.pdf"),
        ("", PNG, "evidence.png"),
        (None, PNG, "evidence.png"),
        ("////", PDF, "evidence.pdf"),
        ("CON.pdf", PDF, "_CON.pdf"),
        ("nul.tar.gz", PDF, "_nul.tar.pdf"),
        ("v1.2", PDF, "v1.2.pdf"),
        ("Q3 results 2.5", TEXT, "Q3 results 2.5.txt"),
        ("tab\tand   spaces .pdf", PDF, "tab and spaces.pdf"),
    ],
)
def test_safe_download_names(original: str | None, kind: FileKind | str, expected: str) -> None:
    assert safe_download_name(original, kind) == expected


def test_download_names_are_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Žofie.pdf")
    assert decomposed != "Žofie.pdf"
    assert safe_download_name(decomposed, PDF) == "Žofie.pdf"


def test_long_names_are_shortened() -> None:
    name = safe_download_name("ř" * 500 + ".pdf", PDF)
    assert name == "ř" * 100 + ".pdf"


def test_unknown_kind_names_raise() -> None:
    with pytest.raises(KeyError):
        safe_download_name("x.pdf", "exe")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.sampled_from(sorted(KINDS)))
def test_download_names_are_always_harmless(original: str, kind: str) -> None:
    name = safe_download_name(original, kind)
    extension = KINDS[kind].extension
    stem = name[: -len(extension) - 1]
    assert name.endswith("." + extension)
    assert (stem and stem == stem.strip(" .")) or stem.startswith("_")
    assert len(stem) <= 110
    assert not any(c in name for c in '/\\:*?"<>|;')
    assert all(not unicodedata.category(c).startswith("C") for c in name)
    assert unicodedata.is_normalized("NFC", name)
    assert not name.startswith(".")


@pytest.mark.parametrize("data", [b"\xef", b"\xef\xbb", b"\xc3"])
def test_a_cut_off_utf8_start_is_not_text(data: bytes) -> None:
    # found by hypothesis: CPython's utf-8-sig decoder swallowed a lone b"\xef"
    with pytest.raises(FileTypeError):
        sniff(data)
