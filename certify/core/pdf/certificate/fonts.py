"""The fonts the certificate is drawn with: registered ReportLab TrueType fonts (DejaVu Sans;
:mod:`certify.certificates.fonts` finds and registers them), and their glyph coverage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics


@dataclass(frozen=True)
class Fonts:
    """The names of the registered ReportLab fonts the page uses (text, headings, the serial)
    and, by name, the file each was read from (information only: the core opens no file)."""

    regular: str
    bold: str
    mono: str
    paths: Mapping[str, str]


def missing_glyphs(text: str, font_name: str) -> set[str]:
    """Characters of *text* (other than line breaks) that the registered TrueType font
    *font_name* has no glyph for, read from the font's cmap."""
    face = pdfmetrics.getFont(font_name).face
    cmap: Mapping[int, int] = face.charToGlyph
    return {ch for ch in text if ch not in "\n" and ord(ch) not in cmap}
