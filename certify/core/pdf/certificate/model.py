"""The certificate page as geometry: frames (the page's regions), text boxes (lines already
wrapped and sized to fit) and shapes (bars, rules, the QR code, the registry mark).

:class:`CertificateLayout` holds them in drawing order, so a test can check the geometry (no
overlap, nothing outside its frame, a glyph for every character) without parsing the PDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4

from certify.core.labels import OUTCOMES
from certify.core.pdf.certificate.fonts import Fonts, missing_glyphs

LEVEL_WORDS: Mapping[str, str] = {
    level: OUTCOMES[level] for level in ("certified", "certified_with_distinction")
}


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 42.0
# Vertical extent of a line, in units of the font size. DejaVu's real ascender/descender are
# 0.928/0.236; we reserve a little more so stacked diacritics (Vietnamese "ễ") stay inside.
ASCENT, DESCENT, LEADING = 0.95, 0.25, 1.2
ELLIPSIS = "…"

INK = HexColor("#1b2a41")
ACCENT = HexColor("#1f6f5c")
MUTED = HexColor("#5b6472")
PALE = HexColor("#e3e8ee")
GOLD = HexColor("#b8860b")
LEFT, RIGHT = MARGIN, PAGE_WIDTH - MARGIN
WIDTH = RIGHT - LEFT


class CertificateDataError(ValueError):
    """The snapshot lacks a field the certificate needs, or holds a value it cannot show."""


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
            self.top - offset - self.size * (ASCENT + LEADING * i) for i in range(len(self.lines))
        ]

    def used_height(self) -> float:
        return self.size * LEADING * len(self.lines)


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
    """Everything :func:`~certify.core.pdf.certificate.drawing.render_certificate` draws, in
    drawing order."""

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
