"""Text and CSV: strict UTF-8 without control characters, markup or a hidden PDF header; CSV
when the name says so, or when the text parses as a table."""

from __future__ import annotations

import codecs
import csv
import io
import re
from typing import BinaryIO

from certify.core.filetypes.kinds import ACCEPTED_TYPES, CSV, TEXT, FileKind, read_at, refuse

_TEXT_MARKUP_WINDOW = 1024
_PDF_HIDDEN_WINDOW = 64 * 1024
_CSV_WINDOW = 64 * 1024
_CHUNK = 1024 * 1024

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


def refuse_markup(head: bytes, *, anywhere: bool) -> None:
    """Refuse HTML, XML or SVG at the start of *head* (or, with *anywhere*, tags that run
    scripts anywhere in its first 1024 bytes).

    Raises:
        FileTypeError: naming SVG or HTML/XML.
    """
    window = head[:_TEXT_MARKUP_WINDOW]
    if _MARKUP_START_RE.match(window) or (anywhere and _MARKUP_ANYWHERE_RE.search(window)):
        if _SVG_RE.search(window):
            raise refuse(
                "This is an SVG image, which can carry scripts.", "Please convert it to PNG."
            )
        raise refuse(
            "This is an HTML or XML page, which can carry scripts.",
            "Please save it as PDF (for example with your browser's Print to PDF).",
        )


def check_text(source: BinaryIO, head: bytes, filename: str | None) -> FileKind:
    """CSV or plain text, when the whole of *source* is acceptable UTF-8 text.

    Raises:
        FileTypeError: a hidden PDF header, UTF-16/32, markup, invalid UTF-8 or control
            characters.
    """
    # A PDF header too far in is the strongest signal, so it is named before anything else.
    if b"%PDF-" in read_at(source, 0, _PDF_HIDDEN_WINDOW):
        raise refuse(
            "This file contains a PDF header too far from its start: it is a damaged or "
            "disguised PDF.",
            "Please export or download the PDF again.",
        )
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise refuse(
            "This text file is in UTF-32, which is not accepted.", "Please save it as UTF-8."
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(head):
        raise refuse(
            "This text file is in UTF-16, which is not accepted.",
            "Please save it as UTF-8 (in Excel: 'CSV UTF-8'; in Notepad: encoding 'UTF-8').",
        )
    refuse_markup(head, anywhere=True)
    not_text = refuse(
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
