"""The certificate's fonts: DejaVu Sans, registered with ReportLab, and glyph coverage."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

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


class FontNotFoundError(RuntimeError):
    """No usable Unicode TrueType font (DejaVu Sans) was found; install fonts-dejavu-core or
    pass ``font_dir``."""


@dataclass(frozen=True)
class Fonts:
    """Registered ReportLab font names and the files behind them."""

    regular: str
    bold: str
    mono: str
    paths: Mapping[str, Path]


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
