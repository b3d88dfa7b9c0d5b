"""Bulk verification, the pure part: reading a client's file of serials or organisation names
into one request per line, and writing the answer so no spreadsheet runs it as a formula.

The file is CSV or plain text, one entry per line (the first non-empty cell); a first line
``serial``, ``organisation`` or similar is a header and skipped. Every other line gets exactly
one row in the answer, in order, with a message a person understands: malformed serials,
unknown ones, empty lines are said as such, never dropped silently and never a server error.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from certify.core.serial import SerialError, normalise_serial

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
MAX_CELL = 200
HEADERS = {"serial", "serials", "certificate", "organisation", "organization", "name", "holder"}
#: Text that is meant as a serial: the prefix, then serial characters (any case, spaces).
_SERIAL_LIKE = re.compile(r"^[A-Za-z]{2,6}[\s-]*[0-9A-Za-z][0-9A-Za-z\s-]{5,}$")

COLUMNS = (
    "line",
    "input",
    "outcome",
    "serial",
    "status",
    "holder",
    "country",
    "valid_from",
    "valid_until",
    "link",
    "message",
)


class BulkInputError(ValueError):
    """The file as a whole cannot be read (size, encoding, too many lines); says why."""


@dataclass
class Entry:
    """One line of the client's file and, once looked up, its answer."""

    line: int
    text: str
    #: ``serial`` (a valid serial, canonical form in :attr:`serial`), ``name``, or ``malformed``
    kind: str
    serial: str | None = None
    message: str = ""
    outcome: str = ""
    answer: dict[str, str] = field(default_factory=dict)


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM) or UTF-16 with a BOM.

    Raises:
        BulkInputError: too large, or in another encoding (the message says what to do).
    """
    if len(data) > MAX_BYTES:
        raise BulkInputError(
            f"The file is larger than {MAX_BYTES // 1024} KB; split it into smaller files."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BulkInputError("The file says it is UTF-16 but is not valid UTF-16.") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BulkInputError(
            f"The file is not UTF-8 text (line {line}). Save it as “CSV UTF-8” and upload it again."
        ) from exc


def classify(line: int, cell: str, prefix: str) -> Entry:
    """What one line asks about (see :class:`Entry`)."""
    text = cell.strip()
    if not text:
        return Entry(line, text, "malformed", message="Empty line: nothing to look up.")
    if len(text) > MAX_CELL:
        return Entry(
            line, text[:MAX_CELL], "malformed", message="Too long to be a serial or a name."
        )
    if not text.isprintable():
        return Entry(line, text, "malformed", message="Holds control characters.")
    try:
        return Entry(line, text, "serial", serial=normalise_serial(text, prefix))
    except SerialError as exc:
        if text.upper().startswith(prefix.upper()) or (
            _SERIAL_LIKE.match(text) and any(c.isdigit() for c in text)
        ):
            return Entry(line, text, "malformed", message=f"Not a valid serial: {exc}")
    return Entry(line, text, "name")


def parse(text: str, prefix: str) -> list[Entry]:
    """One :class:`Entry` per line of *text* (a header line skipped, trailing blank lines
    ignored).

    Raises:
        BulkInputError: more than :data:`MAX_ROWS` lines, or not readable as CSV.
    """
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) > MAX_ROWS + 1:
        raise BulkInputError(f"The file has more than {MAX_ROWS} lines; split it.")
    entries = []
    try:
        for number, row in enumerate(csv.reader(lines), start=1):
            cell = next((c for c in row if c.strip()), "")
            if number == 1 and cell.strip().casefold() in HEADERS:
                continue
            entries.append(classify(number, cell, prefix))
    except csv.Error as exc:
        raise BulkInputError(f"The file cannot be read as CSV: {exc}") from exc
    if not entries:
        raise BulkInputError("The file holds no serial or name.")
    return entries


def safe_cell(value: str) -> str:
    """*value* for a spreadsheet: a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return
    gets a ``'`` so it is shown, never run as a formula."""
    if value and value[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(entries: list[Entry]) -> str:
    """The answer as CSV (every cell formula-safe), one row per entry, in order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        values = {
            "line": str(entry.line),
            "input": entry.text,
            "outcome": entry.outcome,
            "message": entry.message,
            **entry.answer,
        }
        writer.writerow([safe_cell(values.get(column, "")) for column in COLUMNS])
    return out.getvalue()
