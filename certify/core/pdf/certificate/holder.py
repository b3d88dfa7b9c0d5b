"""The certificate's title block: who is certified, against which standard, at which level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from certify.core.countries import country_name
from certify.core.pdf.certificate.fitting import clean
from certify.core.pdf.certificate.fonts import Fonts
from certify.core.pdf.certificate.model import ACCENT, LEVEL_WORDS, MUTED, Shape
from certify.core.pdf.certificate.page import Page, StackLine
from certify.core.pdf.certificate.values import require

CENTRE: Mapping[str, Any] = {"align": "centre"}


def place_holder(
    page: Page, top: float, holder: Any, holder_name: str, standard: Any, level: str
) -> float:
    """The title, the holder and country, the standard and the level in a box, below *top*;
    returns the next top."""
    title = page.frame("title", top, 182)
    holder_country = _holder_line(holder)
    standard_text = "{title}, version {version} ({id})".format(
        title=clean(standard.get("title") or standard.get("id", "")),
        version=clean(require(standard, "version", "standard")),
        id=clean(require(standard, "id", "standard")),
    )
    page.stack(title, _title_lines(page.fonts, holder_name, holder_country, standard_text, level))
    level_box = page.layout.text("level")
    pad = 5.0
    level_w = max(level_box.line_widths) + 2 * pad + 14
    page.shape(
        Shape(
            "rect",
            title.name,
            title.x + (title.width - level_w) / 2,
            level_box.y,
            level_w,
            level_box.height,
            stroke=ACCENT,
            line_width=0.8,
        )
    )
    return top - (title.height + 8)


def _holder_line(holder: Any) -> str:
    """The holder's country by name (not its code), and its company registration number when
    the record names one (certificates issued since issue 20)."""
    if not isinstance(holder, Mapping):
        return ""
    code = clean(holder.get("country", ""))
    parts = [country_name(code)] if code else []
    number = clean(str(holder.get("registrationNumber") or ""))
    if number:
        parts.append(f"Registration no. {number}")
    return " · ".join(parts)


def _title_lines(
    fonts: Fonts, holder_name: str, holder_country: str, standard_text: str, level: str
) -> list[StackLine]:
    """The title block's lines, top to bottom."""
    return [
        (
            "title",
            "Certificate of Conformity",
            fonts.bold,
            32,
            {**CENTRE, "max_size": 24, "min_size": 12},
        ),
        (
            "certifies",
            "This is to certify that",
            fonts.regular,
            16,
            {**CENTRE, "max_size": 10, "min_size": 8, "color": MUTED},
        ),
        (
            "holder",
            holder_name,
            fonts.bold,
            54,
            {**CENTRE, "max_size": 21, "min_size": 11, "max_lines": 2, "valign": "middle"},
        ),
        (
            "holder_country",
            holder_country,
            fonts.regular,
            14,
            {**CENTRE, "max_size": 9, "min_size": 7, "color": MUTED},
        ),
        (
            "meets",
            "meets the requirements of",
            fonts.regular,
            14,
            {**CENTRE, "max_size": 10, "min_size": 8, "color": MUTED},
        ),
        (
            "standard",
            standard_text,
            fonts.bold,
            28,
            {**CENTRE, "max_size": 12, "min_size": 7, "max_lines": 2},
        ),
        ("", "", fonts.regular, 6, {}),
        (
            "level",
            LEVEL_WORDS[level],
            fonts.bold,
            18,
            {**CENTRE, "max_size": 14, "min_size": 9, "color": ACCENT},
        ),
    ]
