"""Active content in accepted evidence: what an auditor should know before opening a file.

Evidence is accepted by kind (:mod:`~certify.core.filetypes.sniffing`), and served only as a
download that no browser renders from this site. But the auditor opens it on their own
computer, where a PDF's JavaScript or an image that is also an HTML page (a polyglot) can act.
Such files are not refused (ISSPs' PDF forms often carry scripts), they are *flagged*:
:func:`active_content` returns the warnings to show next to the file.

Two looks, because a PDF can hide its catalogue in compressed object streams: a scan of the raw
bytes for the tell-tale names and markup, and, for PDFs, a walk of the document catalogue, the
pages' annotations and the name trees with pyHanko's reader.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from certify.core.filetypes.kinds import PDF, FileKind

_CHUNK = 1 << 20
_OVERLAP = 64
#: Raw markers and what they mean, for every kind.
_MARKUP = re.compile(rb"<\s*(script|html|!doctype\s+html|iframe|svg)\b", re.IGNORECASE)
_PDF_ACTIONS = re.compile(rb"/(JavaScript|JS|Launch|SubmitForm|ImportData)\b")
#: PDF action types that run code or reach outside the document.
ACTIVE_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "a command that launches programs"}

HTML_WARNING = (
    "Part of this file is written as a web page (HTML or script). Open it only with the "
    "program for its type, never in a web browser."
)


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    source.seek(0)
    carry = b""
    while chunk := source.read(_CHUNK):
        yield carry + chunk
        carry = chunk[-_OVERLAP:]


def _raw_findings(source: BinaryIO, kind: FileKind) -> set[str]:
    found: set[str] = set()
    for block in _chunks(source):
        if _MARKUP.search(block):
            found.add("markup")
        if kind is PDF:
            found.update(m.group(1).decode("ascii") for m in _PDF_ACTIONS.finditer(block))
    return found


def _action_types(value: Any, depth: int = 0) -> Iterator[str]:
    """The ``/S`` types of every action in *value* (a PDF object), following ``/Next``."""
    if depth > 20:
        return
    with contextlib.suppress(AttributeError):  # a direct object, not a reference
        value = value.get_object()
    if isinstance(value, dict):
        kind = value.get("/S")
        if kind is not None:
            yield str(kind)
        for key in ("/Next", "/O", "/C", "/K", "/F", "/V", "/Fo", "/Bl", "/PO", "/PC", "/E", "/X"):
            if key in value:
                yield from _action_types(value[key], depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _action_types(item, depth + 1)


def _catalogue_findings(data: BinaryIO) -> set[str]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(data, strict=False)
    root = reader.root
    types: set[str] = set()
    for key in ("/OpenAction", "/AA"):
        if key in root:
            types.update(_action_types(root[key]))
    names = root.get("/Names")
    names = names.get_object() if names is not None else {}
    if "/JavaScript" in names:
        types.add("/JavaScript")
    if "/EmbeddedFiles" in names:
        types.add("embedded")
    for page in _pages(reader):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            for key in ("/A", "/AA"):
                if key in annotation:
                    types.update(_action_types(annotation[key]))
    return types


def _pages(reader: Any, limit: int = 2000) -> Iterator[Any]:
    """The page dictionaries, walking the page tree (at most *limit* nodes: a loop in a forged
    tree cannot hang the upload)."""
    stack = [reader.root["/Pages"]]
    seen = 0
    while stack and seen < limit:
        node = stack.pop().get_object()
        seen += 1
        if node.get("/Type") == "/Page" or "/Kids" not in node:
            yield node
        else:
            stack.extend(reversed(list(node["/Kids"])))


def active_content(data: bytes | BinaryIO, kind: FileKind) -> list[str]:
    """Warnings (sentences for the auditor) about active content in an accepted file of
    *kind*; empty when none was found. Never raises for a damaged file: one that cannot be
    looked into says so."""
    source: BinaryIO = io.BytesIO(bytes(data)) if isinstance(data, bytes | bytearray) else data
    start = source.tell()
    try:
        raw = _raw_findings(source, kind)
        structural: set[str] = set()
        if kind is PDF:
            source.seek(0)
            try:
                structural = _catalogue_findings(source)
            except Exception:  # a damaged catalogue: say what we could not check
                structural = {"unchecked"}
    finally:
        source.seek(start)
    return _warnings(raw, structural)


def _warnings(raw: set[str], structural: set[str]) -> list[str]:
    warnings = []
    if "/JavaScript" in structural or {"JavaScript", "JS"} & raw:
        warnings.append(
            "This PDF contains JavaScript, which some readers run when it is opened. Open it in "
            "a reader with JavaScript switched off, or in the browser's built-in viewer."
        )
    if "/Launch" in structural or "Launch" in raw:
        warnings.append("This PDF contains a command that can start programs. Do not allow it.")
    if "embedded" in structural:
        warnings.append("This PDF carries other files inside it; check them before opening.")
    if "markup" in raw:
        warnings.append(HTML_WARNING)
    if "unchecked" in structural:
        warnings.append("This PDF's structure could not be read to check it for scripts.")
    return warnings
