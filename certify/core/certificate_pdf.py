"""The certificate PDF page: layout (pure geometry) and rendering (ReportLab).

:func:`layout_certificate` turns a certificate snapshot into a :class:`CertificateLayout`:
frames (the page's regions), text boxes (lines already wrapped and sized to fit) and shapes
(bars, rules, the QR code, the registry mark). :func:`render_certificate` draws exactly that
layout, so a test can check the geometry (no overlap, nothing outside its frame, a glyph for
every character) without parsing the PDF.

Text never overflows: every text box has a fixed frame, and its text is wrapped and shrunk from
a preferred size down to a minimum until it fits; only past the minimum is it cut with an
ellipsis (``TextBox.truncated`` is then true). Text is normalised to NFC first, because
ReportLab does not compose combining marks.

Output is byte-identical for identical input: ReportLab's invariant mode fixes the creation
date and derives the document ID from the metadata (which includes the serial).
"""

from __future__ import annotations

import hashlib
import io
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import segno
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "FONT_SEARCH_DIRS",
    "LEVEL_WORDS",
    "CertificateDataError",
    "CertificateLayout",
    "FontNotFoundError",
    "Fonts",
    "Frame",
    "Shape",
    "TextBox",
    "find_fonts",
    "layout_certificate",
    "missing_glyphs",
    "render_certificate",
    "sample_snapshot",
]

LEVEL_WORDS: Mapping[str, str] = {
    "certified": "Certified",
    "certified_with_distinction": "Certified with distinction",
}

# Where DejaVu lives on common systems (Debian/Ubuntu first: package fonts-dejavu-core).
FONT_SEARCH_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/local/share/fonts",
    "/usr/local/share/fonts/dejavu",
    "/Library/Fonts",
    "/opt/homebrew/share/fonts",
)
_REGULAR, _BOLD, _MONO = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 42.0
# Vertical extent of a line, in units of the font size. DejaVu's real ascender/descender are
# 0.928/0.236; we reserve a little more so stacked diacritics (Vietnamese "ễ") stay inside.
_ASCENT, _DESCENT, _LEADING = 0.95, 0.25, 1.2
_ELLIPSIS = "…"

INK = HexColor("#1b2a41")
ACCENT = HexColor("#1f6f5c")
MUTED = HexColor("#5b6472")
PALE = HexColor("#e3e8ee")
GOLD = HexColor("#b8860b")


class FontNotFoundError(RuntimeError):
    """No usable Unicode TrueType font (DejaVu Sans) was found; install fonts-dejavu-core or
    pass ``font_dir``."""


class CertificateDataError(ValueError):
    """The snapshot lacks a field the certificate needs, or holds a value it cannot show."""


@dataclass(frozen=True)
class Fonts:
    """Registered ReportLab font names and the files behind them."""

    regular: str
    bold: str
    mono: str
    paths: Mapping[str, Path]


@dataclass(frozen=True)
class Frame:
    """A page region (PDF points, origin bottom-left). Frames never overlap one another."""

    name: str
    x: float
    y: float
    width: float
    height: float

    @property
    def top(self) -> float:
        return self.y + self.height

    @property
    def right(self) -> float:
        return self.x + self.width


@dataclass(frozen=True)
class TextBox:
    """Text fitted into a rectangle inside a frame.

    ``lines`` are drawn at ``size`` points with baselines ``size * 1.2`` apart, the first
    ``size * 0.95`` below ``top``; every line is at most ``width`` wide (``line_widths``).
    """

    name: str
    frame: str
    x: float
    y: float
    width: float
    height: float
    lines: tuple[str, ...]
    font: str
    size: float
    line_widths: tuple[float, ...]
    align: str = "left"  # left | centre | right
    color: Color = INK
    truncated: bool = False
    valign: str = "top"  # top | middle

    @property
    def top(self) -> float:
        return self.y + self.height

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def baselines(self) -> list[float]:
        """Baseline y of each line (text is top-aligned, or centred when valign="middle")."""
        offset = (self.height - self.used_height()) / 2 if self.valign == "middle" else 0.0
        return [
            self.top - offset - self.size * (_ASCENT + _LEADING * i) for i in range(len(self.lines))
        ]

    def used_height(self) -> float:
        return self.size * _LEADING * len(self.lines)


@dataclass(frozen=True)
class Shape:
    """A drawn, non-text element: ``rect``, ``line``, ``qr`` (``payload`` = the encoded text)
    or ``mark`` (the registry's seal)."""

    kind: str
    frame: str
    x: float
    y: float
    width: float
    height: float
    fill: Color | None = None
    stroke: Color | None = None
    line_width: float = 0.0
    payload: str = ""


@dataclass
class CertificateLayout:
    """Everything :func:`render_certificate` draws, in drawing order."""

    page_width: float
    page_height: float
    fonts: Fonts
    frames: list[Frame] = field(default_factory=list)
    texts: list[TextBox] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    def frame(self, name: str) -> Frame:
        """The frame called *name* (KeyError if there is none)."""
        for frame in self.frames:
            if frame.name == name:
                return frame
        raise KeyError(name)

    def text(self, name: str) -> TextBox:
        """The text box called *name* (KeyError if there is none)."""
        for box in self.texts:
            if box.name == name:
                return box
        raise KeyError(name)

    def missing_glyphs(self) -> set[str]:
        """Characters placed on the page that the fonts have no glyph for (they would show
        as empty boxes). The issuer may refuse to issue when this is not empty."""
        missing: set[str] = set()
        for box in self.texts:
            missing |= missing_glyphs(box.text, box.font)
        return missing


# --------------------------------------------------------------------------- fonts

_registered: dict[tuple[str, str], str] = {}


def _register(path: Path, role: str) -> str:
    key = (str(path), role)
    if key not in _registered:
        # One ReportLab name per file: a second font_dir must not silently reuse the first.
        tag = hashlib.sha256(str(path).encode()).hexdigest()[:8]
        name = f"CertifySans-{role}-{tag}"
        pdfmetrics.registerFont(TTFont(name, str(path)))
        _registered[key] = name
    return _registered[key]


def find_fonts(font_dir: str | Path | None = None) -> Fonts:
    """Find DejaVu Sans (regular and bold; mono optional) and register it with ReportLab.

    *font_dir*, when given, is the only place searched (an explicit choice must not fall
    back silently); otherwise :data:`FONT_SEARCH_DIRS` in order.

    Raises:
        FontNotFoundError: if no searched folder holds both DejaVuSans.ttf and
            DejaVuSans-Bold.ttf, or the files cannot be read as TrueType fonts.
    """
    dirs = [Path(font_dir)] if font_dir is not None else [Path(d) for d in FONT_SEARCH_DIRS]
    for folder in dirs:
        regular, bold = folder / _REGULAR, folder / _BOLD
        if regular.is_file() and bold.is_file():
            mono = folder / _MONO if (folder / _MONO).is_file() else regular
            try:
                names = {
                    "regular": _register(regular, "Regular"),
                    "bold": _register(bold, "Bold"),
                    "mono": _register(mono, "Mono"),
                }
            except Exception as exc:  # ReportLab raises TTFError and friends
                raise FontNotFoundError(f"cannot read the fonts in {folder}: {exc}") from exc
            return Fonts(
                regular=names["regular"],
                bold=names["bold"],
                mono=names["mono"],
                paths={names["regular"]: regular, names["bold"]: bold, names["mono"]: mono},
            )
    searched = ", ".join(str(d) for d in dirs)
    raise FontNotFoundError(
        f"DejaVu Sans ({_REGULAR} and {_BOLD}) not found in: {searched}. "
        "Install the Debian package fonts-dejavu-core or pass font_dir."
    )


def missing_glyphs(text: str, font_name: str) -> set[str]:
    """Characters of *text* (other than line breaks) that the registered TrueType font
    *font_name* has no glyph for, read from the font's cmap."""
    face = pdfmetrics.getFont(font_name).face
    cmap: Mapping[int, int] = face.charToGlyph
    return {ch for ch in text if ch not in "\n" and ord(ch) not in cmap}


# --------------------------------------------------------------------------- fitting


def _clean(text: Any) -> str:
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


def _wrap(text: str, font: str, size: float, width: float, *, chars: bool = False) -> list[str]:
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


def _lines_fitting(height: float, size: float) -> int:
    return int((height + 1e-6) // (size * _LEADING))


def _truncate(line: str, font: str, size: float, width: float) -> str:
    while line and _width(line + _ELLIPSIS, font, size) > width:
        line = line[:-1]
    return line.rstrip() + _ELLIPSIS


def _fit(
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
    text = _clean(text)
    size = max_size
    while True:
        lines = _wrap(text, font, size, width, chars=chars)
        allowed = min(max_lines, _lines_fitting(height, size))
        if len(lines) <= allowed or size - 0.25 < min_size:
            break
        size -= 0.25
    truncated = False
    allowed = max(1, min(max_lines, _lines_fitting(height, size)))
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


# --------------------------------------------------------------------------- values


def _require(mapping: Mapping[str, Any], key: str, where: str = "snapshot") -> Any:
    try:
        return mapping[key]
    except (KeyError, TypeError) as exc:
        raise CertificateDataError(f"{where} lacks {key!r}") from exc


def _format_moment(value: str) -> str:
    """RFC 3339 → ``YYYY-MM-DD HH:MM UTC`` (the raw text when it does not parse)."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return _clean(value)
    if moment.tzinfo is None:
        return _clean(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _decimal(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise CertificateDataError(f"{what} is not a decimal number: {value!r}") from exc
    if not number.is_finite():
        raise CertificateDataError(f"{what} is not finite: {value!r}")
    return number


def _host(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")


# --------------------------------------------------------------------------- layout


def layout_certificate(
    snapshot: Mapping[str, Any],
    *,
    verify_url: str,
    registry_name: str,
    public_url: str,
    font_dir: str | Path | None = None,
) -> CertificateLayout:
    """Compute the page geometry for *snapshot* (see :func:`render_certificate`).

    Promises: frames lie inside the page margins and do not overlap; every text box lies
    inside its frame, no two text boxes overlap, and no line is wider than its box.

    Raises:
        CertificateDataError: a required snapshot field is missing or malformed.
        FontNotFoundError: no Unicode TrueType font is available.
    """
    fonts = find_fonts(font_dir)
    holder = _require(snapshot, "holder")
    standard = _require(snapshot, "standard")
    level = _require(snapshot, "level")
    if level not in LEVEL_WORDS:
        raise CertificateDataError(f"unknown level {level!r}")
    serial = _clean(_require(snapshot, "serial"))
    holder_name = _require(holder, "name", "holder")
    sites = list(_require(snapshot, "sites"))
    sections = list(_require(snapshot, "sectionScores"))
    overall = _decimal(_require(snapshot, "overallScore"), "overallScore")
    if not verify_url:
        raise CertificateDataError("verify_url must not be empty")

    lay = CertificateLayout(PAGE_WIDTH, PAGE_HEIGHT, fonts)
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    width = right - left

    def frame(name: str, top: float, height: float, x: float = left, w: float = width) -> Frame:
        f = Frame(name, x, top - height, w, height)
        lay.frames.append(f)
        return f

    def fit(name: str, f: Frame, text: str, font: str, **kw: Any) -> TextBox:
        box = _fit(
            name,
            f,
            text,
            font,
            x=kw.pop("x", f.x),
            y=kw.pop("y", f.y),
            width=kw.pop("width", f.width),
            height=kw.pop("height", f.height),
            **kw,
        )
        lay.texts.append(box)
        return box

    def stack(f: Frame, specs: Sequence[tuple[str, str, str, float, dict[str, Any]]]) -> None:
        """Place text boxes top-down in frame *f*: (name, text, font, height, options)."""
        top = f.top
        for name, text, font, height, options in specs:
            if name:  # an empty name is a spacer
                fit(name, f, text, font, y=top - height, height=height, **options)
            top -= height

    # Decorative border (inside the page, outside the margins' content area).
    lay.shapes.append(
        Shape("rect", "page", 18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36, stroke=INK, line_width=1.2)
    )
    lay.shapes.append(
        Shape(
            "rect", "page", 23, 23, PAGE_WIDTH - 46, PAGE_HEIGHT - 46, stroke=GOLD, line_width=0.6
        )
    )

    top = PAGE_HEIGHT - MARGIN
    # Header: the mark and the registry's name.
    mark = frame("mark", top, 60, x=left, w=60)
    lay.shapes.append(Shape("mark", mark.name, mark.x, mark.y, 60, 60, fill=ACCENT, stroke=GOLD))
    header = frame("header", top, 60, x=left + 72, w=width - 72)
    stack(
        header,
        [
            ("registry_name", registry_name, fonts.bold, 40, {"max_size": 17, "min_size": 9}),
            (
                "registry_host",
                f"Impact sourcing certification registry · {_host(public_url)}",
                fonts.regular,
                20,
                {"max_size": 9, "min_size": 6, "color": MUTED},
            ),
        ],
    )
    top -= 60 + 8
    lay.shapes.append(Shape("line", "page", left, top, width, 0, stroke=GOLD, line_width=0.8))
    top -= 10

    title = frame("title", top, 182)
    holder_country = _clean(holder.get("country", "")) if isinstance(holder, Mapping) else ""
    standard_text = "{title}, version {version} ({id})".format(
        title=_clean(standard.get("title") or standard.get("id", "")),
        version=_clean(_require(standard, "version", "standard")),
        id=_clean(_require(standard, "id", "standard")),
    )
    centre: dict[str, Any] = {"align": "centre"}
    stack(
        title,
        [
            (
                "title",
                "Certificate of Conformity",
                fonts.bold,
                32,
                {**centre, "max_size": 24, "min_size": 12},
            ),
            (
                "certifies",
                "This is to certify that",
                fonts.regular,
                16,
                {**centre, "max_size": 10, "min_size": 8, "color": MUTED},
            ),
            (
                "holder",
                holder_name,
                fonts.bold,
                54,
                {**centre, "max_size": 21, "min_size": 11, "max_lines": 2, "valign": "middle"},
            ),
            (
                "holder_country",
                f"Country: {holder_country}" if holder_country else "",
                fonts.regular,
                14,
                {**centre, "max_size": 9, "min_size": 7, "color": MUTED},
            ),
            (
                "meets",
                "meets the requirements of",
                fonts.regular,
                14,
                {**centre, "max_size": 10, "min_size": 8, "color": MUTED},
            ),
            (
                "standard",
                standard_text,
                fonts.bold,
                28,
                {**centre, "max_size": 12, "min_size": 7, "max_lines": 2},
            ),
            ("", "", fonts.regular, 6, {}),
            (
                "level",
                LEVEL_WORDS[level],
                fonts.bold,
                18,
                {**centre, "max_size": 14, "min_size": 9, "color": ACCENT},
            ),
        ],
    )
    level_box = lay.text("level")
    pad = 5.0
    level_w = max(level_box.line_widths) + 2 * pad + 14
    lay.shapes.insert(
        len(lay.shapes),
        Shape(
            "rect",
            title.name,
            title.x + (title.width - level_w) / 2,
            level_box.y,
            level_w,
            level_box.height,
            stroke=ACCENT,
            line_width=0.8,
        ),
    )
    top -= title.height + 8

    scope = frame("scope", top, 50)
    stack(
        scope,
        [
            ("scope_label", "Scope", fonts.bold, 12, {"max_size": 8.5, "min_size": 7}),
            (
                "scope",
                _require(snapshot, "scope"),
                fonts.regular,
                38,
                {"max_size": 9.5, "min_size": 6, "max_lines": 4},
            ),
        ],
    )
    top -= scope.height + 6

    sites_frame = frame("sites", top, 106)
    _layout_sites(lay, fonts, sites_frame, sites)
    top -= sites_frame.height + 8

    # Scores: chart left, overall right.
    chart_w = width * 0.64
    chart = frame("chart", top, 112, x=left, w=chart_w)
    _layout_chart(lay, fonts, chart, sections)
    overall_frame = frame("overall", top, 112, x=left + chart_w + 14, w=width - chart_w - 14)
    lay.shapes.append(
        Shape(
            "rect",
            overall_frame.name,
            overall_frame.x,
            overall_frame.y,
            overall_frame.width,
            overall_frame.height,
            fill=HexColor("#f3f6f8"),
            stroke=PALE,
            line_width=0.6,
        )
    )
    inner_x, inner_w = overall_frame.x + 6, overall_frame.width - 12
    stack(
        Frame(overall_frame.name, inner_x, overall_frame.y, inner_w, overall_frame.height - 10),
        [
            (
                "overall_label",
                "Overall score",
                fonts.bold,
                16,
                {**centre, "max_size": 9, "min_size": 7, "x": inner_x, "width": inner_w},
            ),
            (
                "overall_score",
                f"{overall:.2f}",
                fonts.bold,
                40,
                {
                    **centre,
                    "max_size": 30,
                    "min_size": 12,
                    "color": ACCENT,
                    "x": inner_x,
                    "width": inner_w,
                },
            ),
            (
                "overall_of",
                "out of 100",
                fonts.regular,
                14,
                {
                    **centre,
                    "max_size": 8.5,
                    "min_size": 6,
                    "color": MUTED,
                    "x": inner_x,
                    "width": inner_w,
                },
            ),
            (
                "level_note",
                "Level: " + LEVEL_WORDS[level],
                fonts.regular,
                30,
                {
                    **centre,
                    "max_size": 8.5,
                    "min_size": 6,
                    "max_lines": 2,
                    "x": inner_x,
                    "width": inner_w,
                },
            ),
        ],
    )
    top -= chart.height + 8

    # Dates and serial: two columns of label/value pairs.
    dates = frame("dates", top, 58)
    surveillance = [_clean(d) for d in snapshot.get("surveillanceDue") or []]
    pairs = [
        ("Serial", serial),
        ("Issued on", _clean(_require(snapshot, "issuedOn"))),
        ("Valid from", _format_moment(_require(snapshot, "validFrom"))),
        ("Valid until", _format_moment(_require(snapshot, "validUntil"))),
        ("Next surveillance", surveillance[0] if surveillance else "none scheduled"),
        ("Later surveillance", ", ".join(surveillance[1:]) if len(surveillance) > 1 else "-"),
    ]
    col_w = (dates.width - 12) / 2
    row_h = dates.height / 3
    for index, (label, value) in enumerate(pairs):
        col, row = index % 2, index // 2
        cx = dates.x + col * (col_w + 12)
        cy = dates.top - (row + 1) * row_h
        key = label.lower().replace(" ", "_")
        fit(
            f"{key}_label",
            dates,
            label,
            fonts.regular,
            x=cx,
            y=cy,
            width=78,
            height=row_h,
            max_size=8,
            min_size=6,
            color=MUTED,
        )
        fit(
            key,
            dates,
            value,
            fonts.mono if label == "Serial" else fonts.bold,
            x=cx + 80,
            y=cy,
            width=col_w - 80,
            height=row_h,
            max_size=9.5,
            min_size=6,
            max_lines=1,
        )
    top -= dates.height + 6
    lay.shapes.append(Shape("line", "page", left, top, width, 0, stroke=GOLD, line_width=0.8))
    top -= 6

    # Footer: verification text and the QR code.
    qr_size = top - MARGIN
    qr = frame("qr", top, qr_size, x=right - qr_size, w=qr_size)
    lay.shapes.append(Shape("qr", qr.name, qr.x, qr.y, qr.width, qr.height, payload=verify_url))
    verify = frame("verify", top, qr_size, x=left, w=width - qr_size - 12)
    standard_hash = _clean(standard.get("sha256", ""))
    stack(
        verify,
        [
            (
                "verify_label",
                "Verify this certificate",
                fonts.bold,
                14,
                {"max_size": 9.5, "min_size": 7},
            ),
            (
                "verify_url",
                verify_url,
                fonts.mono,
                26,
                {"max_size": 9, "min_size": 5.5, "max_lines": 2, "chars": True},
            ),
            (
                "verify_warning",
                "Scan the code or type the address above. Trust the result only if the address "
                f"begins with {public_url.rstrip('/')}, the registry's own address: forged "
                "certificates point to look-alike sites. This document is digitally signed; "
                "your PDF reader shows the signature.",
                fonts.regular,
                36,
                {"max_size": 8, "min_size": 5.5, "max_lines": 4},
            ),
            (
                "fine_print",
                f"Standard {_clean(standard.get('id', ''))} {_clean(standard.get('version', ''))}"
                f" SHA-256: {standard_hash}"
                if standard_hash
                else "",
                fonts.mono,
                max(qr_size - 76, 8),
                {"max_size": 6, "min_size": 4.5, "max_lines": 2, "chars": True, "color": MUTED},
            ),
        ],
    )

    lay.metadata = {
        "title": _clean(f"Certificate {serial}: {holder_name}"),
        "subject": _clean(
            f"Impact sourcing certificate {serial}: {LEVEL_WORDS[level]}, "
            f"{standard.get('id', '')} {standard.get('version', '')}"
        ),
        "author": _clean(registry_name),
        "keywords": serial,
        "creator": "certify",
    }
    return lay


def _layout_sites(
    lay: CertificateLayout, fonts: Fonts, frame: Frame, sites: Sequence[Mapping[str, Any]]
) -> None:
    """Site list: "Name — address, country" per site, shrunk to fit; when even the smallest
    size cannot hold them all, the last line says how many more are listed online."""
    label_h = 12.0
    lay.texts.append(
        _fit(
            "sites_label",
            frame,
            f"Certified sites ({len(sites)})",
            fonts.bold,
            x=frame.x,
            y=frame.top - label_h,
            width=frame.width,
            height=label_h,
            max_size=8.5,
            min_size=7,
        )
    )
    entries = []
    for site in sites:
        parts = [_clean(site.get("address", "")), _clean(site.get("country", ""))]
        detail = ", ".join(p for p in parts if p)
        entries.append(_clean(site.get("name", "")) + (f" — {detail}" if detail else ""))
    body_top, body_h = frame.top - label_h, frame.height - label_h
    if not entries:
        lay.texts.append(
            _fit(
                "site_none",
                frame,
                "No site listed",
                fonts.regular,
                x=frame.x,
                y=body_top - body_h,
                width=frame.width,
                height=body_h,
                max_size=8.5,
                min_size=6,
            )
        )
        return
    indent = 10.0
    text_w = frame.width - indent

    def plan(size: float, shown: int) -> list[int] | None:
        counts = [len(_wrap(e, fonts.regular, size, text_w)) for e in entries[:shown]]
        more = 1 if shown < len(entries) else 0
        if (sum(counts) + more) * size * _LEADING <= body_h + 1e-6:
            return counts
        return None

    size, shown, counts = 8.5, len(entries), None
    while counts is None:
        counts = plan(size, shown)
        if counts is None:
            if size - 0.25 >= 6.0:
                size -= 0.25
            elif shown > 1:
                shown -= 1
            else:
                break
    if counts is None:  # one enormous site: let _fit cut it
        counts = [max(1, _lines_fitting(body_h, size) - (1 if len(entries) > 1 else 0))]
    y_top = body_top
    for index, lines in enumerate(counts):
        h = lines * size * _LEADING
        lay.shapes.append(
            Shape(
                "rect",
                frame.name,
                frame.x + 2,
                y_top - size * 0.8,
                size * 0.36,
                size * 0.36,
                fill=ACCENT,
            )
        )
        lay.texts.append(
            _fit(
                f"site_{index + 1}",
                frame,
                entries[index],
                fonts.regular,
                x=frame.x + indent,
                y=y_top - h,
                width=text_w,
                height=h,
                max_size=size,
                min_size=size,
                max_lines=lines,
            )
        )
        y_top -= h
    if shown < len(entries):
        h = size * _LEADING
        lay.texts.append(
            _fit(
                "sites_more",
                frame,
                f"and {len(entries) - shown} more site(s), listed at the verify address below",
                fonts.regular,
                x=frame.x + indent,
                y=y_top - h,
                width=text_w,
                height=h,
                max_size=size,
                min_size=5,
                max_lines=1,
                color=MUTED,
            )
        )


def _layout_chart(
    lay: CertificateLayout, fonts: Fonts, frame: Frame, sections: Sequence[Mapping[str, Any]]
) -> None:
    """Horizontal bars, one row per section: a pale bar as long as the section's weight and
    a filled bar as long as its score, on one scale, with "score / weight" at the end."""
    title_h = 13.0
    lay.texts.append(
        _fit(
            "chart_title",
            frame,
            "Section scores (score / weight)",
            fonts.bold,
            x=frame.x,
            y=frame.top - title_h,
            width=frame.width,
            height=title_h,
            max_size=8.5,
            min_size=7,
        )
    )
    body_h = frame.height - title_h - 2
    rows = []
    for section in sections:
        weight = _decimal(_require(section, "weight", "section score"), "section weight")
        score = _decimal(_require(section, "score", "section score"), "section score")
        label = _clean(section.get("title") or section.get("id", ""))
        rows.append((label, score, weight))
    if not rows:
        return
    max_rows = max(1, int(body_h // 9))  # 9 pt is the smallest legible row
    overflow = len(rows) > max_rows
    shown = rows[: max_rows - 1] if overflow else rows
    row_h = body_h / (len(shown) + (1 if overflow else 0))
    scale_max = max((max(w, s) for _, s, w in rows), default=Decimal(1)) or Decimal(1)
    label_w, value_w = frame.width * 0.36, 62.0
    bar_x = frame.x + label_w + 4
    bar_w = frame.width - label_w - value_w - 8
    text_h = min(row_h, 12.0)
    size = min(8.0, text_h / _LEADING)
    for index, (label, score, weight) in enumerate(shown):
        row_top = frame.top - title_h - 2 - index * row_h
        ty = row_top - (row_h + text_h) / 2
        lay.texts.append(
            _fit(
                f"chart_label_{index + 1}",
                frame,
                label,
                fonts.regular,
                x=frame.x,
                y=ty,
                width=label_w,
                height=text_h,
                max_size=size,
                min_size=min(size, 5.0),
                max_lines=1,
                valign="middle",
            )
        )
        lay.texts.append(
            _fit(
                f"chart_value_{index + 1}",
                frame,
                f"{score:.2f} / {weight.normalize():f}",
                fonts.regular,
                x=frame.right - value_w,
                y=ty,
                width=value_w,
                height=text_h,
                max_size=size,
                min_size=min(size, 4.5),
                max_lines=1,
                align="right",
                valign="middle",
            )
        )
        bar_h = max(2.0, min(row_h * 0.55, 9.0))
        by = row_top - (row_h + bar_h) / 2
        weight_len = bar_w * float(max(weight, Decimal(0)) / scale_max)
        score_len = bar_w * float(min(max(score, Decimal(0)), scale_max) / scale_max)
        lay.shapes.append(Shape("rect", frame.name, bar_x, by, weight_len, bar_h, fill=PALE))
        if score_len > 0:
            lay.shapes.append(Shape("rect", frame.name, bar_x, by, score_len, bar_h, fill=ACCENT))
    if overflow:
        row_top = frame.top - title_h - 2 - len(shown) * row_h
        lay.texts.append(
            _fit(
                "chart_more",
                frame,
                f"and {len(rows) - len(shown)} more sections",
                fonts.regular,
                x=frame.x,
                y=row_top - text_h,
                width=frame.width,
                height=text_h,
                max_size=size,
                min_size=min(size, 5.0),
                max_lines=1,
                color=MUTED,
            )
        )


# --------------------------------------------------------------------------- drawing


def _draw_qr(canvas: Canvas, shape: Shape) -> None:
    # Error correction M (15%) is the usual print choice; the 4-module quiet zone is part of
    # the symbol's square so nothing drawn nearby can eat it.
    code = segno.make(shape.payload, error="m", micro=False, boost_error=False)
    matrix = code.matrix
    count = len(matrix) + 8
    module = shape.width / count
    canvas.setFillColor(white)
    canvas.rect(shape.x, shape.y, shape.width, shape.height, stroke=0, fill=1)
    canvas.setFillColor(HexColor("#000000"))
    for row_index, row in enumerate(matrix):
        y = shape.y + shape.height - (row_index + 5) * module
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                # A hair of overlap avoids white seams between runs in some renderers.
                canvas.rect(
                    shape.x + (start + 4) * module,
                    y,
                    (col - start) * module,
                    module + 0.05,
                    stroke=0,
                    fill=1,
                )
            else:
                col += 1


def _draw_mark(canvas: Canvas, shape: Shape) -> None:
    """The registry's seal: two rings, eight rays and a check mark."""
    cx, cy = shape.x + shape.width / 2, shape.y + shape.height / 2
    r = min(shape.width, shape.height) / 2
    canvas.setFillColor(shape.fill or ACCENT)
    canvas.setStrokeColor(shape.stroke or GOLD)
    canvas.setLineWidth(2)
    canvas.circle(cx, cy, r - 1.5, stroke=1, fill=1)
    canvas.setStrokeColor(white)
    canvas.setLineWidth(0.8)
    canvas.circle(cx, cy, r * 0.78, stroke=1, fill=0)
    for i in range(8):
        p = canvas.beginPath()
        # rays as short ticks between the rings
        angle = math.pi / 8 + i * math.pi / 4
        p.moveTo(cx + math.cos(angle) * r * 0.80, cy + math.sin(angle) * r * 0.80)
        p.lineTo(cx + math.cos(angle) * r * 0.90, cy + math.sin(angle) * r * 0.90)
        canvas.drawPath(p, stroke=1, fill=0)
    canvas.setLineWidth(r * 0.13)
    canvas.setLineCap(1)
    canvas.setLineJoin(1)
    p = canvas.beginPath()
    p.moveTo(cx - r * 0.36, cy + r * 0.02)
    p.lineTo(cx - r * 0.10, cy - r * 0.26)
    p.lineTo(cx + r * 0.40, cy + r * 0.30)
    canvas.drawPath(p, stroke=1, fill=0)
    canvas.setLineCap(0)
    canvas.setLineJoin(0)


def _draw_shapes(canvas: Canvas, shapes: Iterable[Shape]) -> None:
    for shape in shapes:
        if shape.kind == "qr":
            _draw_qr(canvas, shape)
        elif shape.kind == "mark":
            _draw_mark(canvas, shape)
        elif shape.kind == "line":
            canvas.setStrokeColor(shape.stroke or INK)
            canvas.setLineWidth(shape.line_width)
            canvas.line(shape.x, shape.y, shape.x + shape.width, shape.y + shape.height)
        else:
            if shape.fill is not None:
                canvas.setFillColor(shape.fill)
            if shape.stroke is not None:
                canvas.setStrokeColor(shape.stroke)
                canvas.setLineWidth(shape.line_width)
            canvas.rect(
                shape.x,
                shape.y,
                shape.width,
                shape.height,
                stroke=int(shape.stroke is not None),
                fill=int(shape.fill is not None),
            )


def render_certificate(
    snapshot: Mapping[str, Any],
    *,
    verify_url: str,
    registry_name: str,
    public_url: str,
    font_dir: str | Path | None = None,
) -> bytes:
    """Render the one-page A4 certificate for *snapshot* and return the PDF bytes.

    The page shows the registry's name and mark, the holder, the standard and version, the
    level in words, the scope, the sites with addresses, a bar chart of section scores
    against their weights, the overall score, the dates (issued, valid from/until,
    surveillance), the serial, *verify_url* as text and as a QR code, and a warning to check
    that the address begins with *public_url*. Metadata: title and subject (with the serial),
    author = *registry_name*, keywords = serial. The same input gives the same bytes.

    The result is unsigned; :class:`certify.core.pdf_signing.PdfSigner` signs it.

    Raises:
        CertificateDataError: a required snapshot field is missing or malformed.
        FontNotFoundError: no Unicode TrueType font is available.
    """
    lay = layout_certificate(
        snapshot,
        verify_url=verify_url,
        registry_name=registry_name,
        public_url=public_url,
        font_dir=font_dir,
    )
    buffer = io.BytesIO()
    # invariant=1: fixed dates and a content-derived document ID, so output is reproducible.
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(lay.metadata["title"])
    canvas.setSubject(lay.metadata["subject"])
    canvas.setAuthor(lay.metadata["author"])
    canvas.setKeywords(lay.metadata["keywords"])
    canvas.setCreator(lay.metadata["creator"])
    canvas.setProducer("certify (ReportLab)")
    _draw_shapes(canvas, lay.shapes)
    for box in lay.texts:
        if not box.lines or box.lines == ("",):
            continue
        canvas.setFillColor(box.color)
        canvas.setFont(box.font, box.size)
        for line, baseline in zip(box.lines, box.baselines(), strict=True):
            if box.align == "centre":
                canvas.drawCentredString(box.x + box.width / 2, baseline, line)
            elif box.align == "right":
                canvas.drawRightString(box.x + box.width, baseline, line)
            else:
                canvas.drawString(box.x, baseline, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --------------------------------------------------------------------------- sample


def sample_snapshot(**overrides: Any) -> dict[str, Any]:
    """A realistic certificate snapshot (for tests, benchmarks and previews); keys given in
    *overrides* replace the top-level ones."""
    snapshot: dict[str, Any] = {
        "serial": "ISR-7K2M-9QXD-4HVT-B",
        "holder": {"name": "Ngũgĩ Digital Works Ltd", "country": "KE"},
        "sites": [
            {
                "name": "Nairobi delivery centre",
                "address": "Ngong Road 54, Kilimani, Nairobi 00100",
                "country": "KE",
            },
            {
                "name": "Kisumu training hub",
                "address": "Oginga Odinga Street 12, Kisumu 40100",
                "country": "KE",
            },
        ],
        "scope": (
            "Data annotation, content moderation and multilingual customer support services "
            "delivered from the listed sites, including the recruitment and training of impact "
            "workers."
        ),
        "standard": {
            "id": "ISRPS",
            "version": "1.0",
            "title": "Impact Sourcing Responsible Practice Standard",
            "sha256": hashlib.sha256(b"ISRPS 1.0 sample").hexdigest(),
        },
        "level": "certified_with_distinction",
        "overallScore": "82.50",
        "sectionScores": [
            {"id": "IH", "title": "Inclusive hiring", "weight": "25", "score": "21.25"},
            {"id": "TC", "title": "Training and careers", "weight": "25", "score": "20.00"},
            {"id": "CR", "title": "Community reinvestment", "weight": "20", "score": "16.50"},
            {"id": "FW", "title": "Fair wages and conditions", "weight": "20", "score": "16.75"},
            {"id": "GT", "title": "Governance and measurement", "weight": "10", "score": "8.00"},
        ],
        "validFrom": "2025-03-01T00:00:00Z",
        "validUntil": "2028-02-29T23:59:59Z",
        "issuedOn": "2025-03-01",
        "surveillanceDue": ["2026-03-01", "2027-03-01"],
        "publicUrl": "https://registry.example.org",
    }
    snapshot.update(overrides)
    return snapshot
