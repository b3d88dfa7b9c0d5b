"""The accepted evidence kinds, the ZIP limits, and how a refusal is worded."""

from __future__ import annotations

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

CONVERT = "Please upload it as " + ACCEPTED_TYPES + "."
PROGRAM = "Programs and scripts are never accepted as evidence."
UNPACK = "Please upload the files inside it one by one."


def refuse(what: str, advice: str = CONVERT) -> FileTypeError:
    """The refusal that says what the file is (*what*) and what to upload instead."""
    return FileTypeError(f"{what} {advice}")


def read_at(source: BinaryIO, offset: int, length: int) -> bytes:
    """Up to *length* bytes of *source* from *offset*."""
    source.seek(offset)
    return source.read(length)
