"""Fitting text into a box: wrapped, then shrunk from a preferred size down to a minimum until
it fits; only past the minimum is it cut with an ellipsis (``TextBox.truncated`` is then true).

Text is normalised to NFC first, because ReportLab does not compose combining marks.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics

from certify.core.pdf.certificate.model import ELLIPSIS, INK, LEADING, Frame, TextBox


def clean(text: Any) -> str:
    """*text* as the page shows it: NFC, control characters as spaces, whitespace collapsed."""
    # NFC: ReportLab draws code points one by one, so "u" + U+0303 would not compose.
    # Control characters would draw as boxes; whitespace runs collapse like in HTML.
    value = unicodedata.normalize("NFC", str(text))
    value = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in value)
    return " ".join(value.split())


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _break_long(word: str, font: str, size: float, width: float) -> list[str]:
    """Split one word that is wider than *width* into pieces that fit (at least 1 char)."""
    pieces: list[str] = []
    current = ""
    for ch in word:
        if current and _width(current + ch, font, size) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, font: str, size: float, width: float, *, chars: bool = False) -> list[str]:
    """Greedy wrap on spaces (or on any character when *chars*); never returns a line wider
    than *width* unless a single character is wider."""
    if not text:
        return [""]
    if chars:
        return _break_long(text, font, size, width)
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if _width(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if _width(word, font, size) <= width:
            current = word
        else:
            *full, current = _break_long(word, font, size, width)
            lines.extend(full)
    lines.append(current)
    return lines


def lines_fitting(height: float, size: float) -> int:
    """How many lines of *size* points fit in *height*."""
    return int((height + 1e-6) // (size * LEADING))


def _truncate(line: str, font: str, size: float, width: float) -> str:
    while line and _width(line + ELLIPSIS, font, size) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def fit_text(
    name: str,
    frame: Frame,
    text: str,
    font: str,
    *,
    x: float,
    y: float,
    width: float,
    height: float,
    max_size: float,
    min_size: float,
    max_lines: int = 99,
    align: str = "left",
    color: Color = INK,
    chars: bool = False,
    valign: str = "top",
) -> TextBox:
    """Wrap and shrink *text* (largest size first, steps of 0.25 pt) until it fits the box."""
    text = clean(text)
    size = max_size
    while True:
        lines = wrap(text, font, size, width, chars=chars)
        allowed = min(max_lines, lines_fitting(height, size))
        if len(lines) <= allowed or size - 0.25 < min_size:
            break
        size -= 0.25
    truncated = False
    allowed = max(1, min(max_lines, lines_fitting(height, size)))
    if len(lines) > allowed:
        lines = [*lines[: allowed - 1], _truncate(lines[allowed - 1], font, size, width)]
        truncated = True
    widths = tuple(_width(line, font, size) for line in lines)
    return TextBox(
        name=name,
        frame=frame.name,
        x=x,
        y=y,
        width=width,
        height=height,
        lines=tuple(lines),
        font=font,
        size=size,
        line_widths=widths,
        align=align,
        color=color,
        truncated=truncated,
        valign=valign,
    )
