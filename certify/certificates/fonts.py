"""The certificate's fonts on disk: find DejaVu Sans and register it with ReportLab.

The core lays the page out with the registered fonts it is given
(:class:`~certify.core.pdf.certificate.fonts.Fonts`); finding and reading the font files
happens here, once per file and process.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from certify.core.pdf.certificate.fonts import Fonts

__all__ = ["FONT_SEARCH_DIRS", "FontNotFoundError", "find_fonts"]

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


_registered: dict[tuple[str, str], str] = {}


def _register(path: Path, role: str) -> str:
    """The ReportLab name of the TrueType font in *path*, registered on first use (ReportLab
    reads the whole file then; drawing needs it no more)."""
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
                paths={
                    names["regular"]: str(regular),
                    names["bold"]: str(bold),
                    names["mono"]: str(mono),
                },
            )
    searched = ", ".join(str(d) for d in dirs)
    raise FontNotFoundError(
        f"DejaVu Sans ({_REGULAR} and {_BOLD}) not found in: {searched}. "
        "Install the Debian package fonts-dejavu-core or pass font_dir."
    )
