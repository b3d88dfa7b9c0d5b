"""What is certified and where: the scope, and the list of certified sites with addresses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from certify.core.pdf.certificate.fitting import clean, lines_fitting, wrap
from certify.core.pdf.certificate.model import ACCENT, LEADING, MUTED, Frame, Shape
from certify.core.pdf.certificate.page import Page
from certify.core.pdf.certificate.values import require

_LABEL_HEIGHT = 12.0
_INDENT = 10.0


def place_scope(page: Page, top: float, snapshot: Mapping[str, Any]) -> float:
    """The scope of certification below *top*; returns the next top."""
    fonts = page.fonts
    scope = page.frame("scope", top, 50)
    page.stack(
        scope,
        [
            ("scope_label", "Scope", fonts.bold, 12, {"max_size": 8.5, "min_size": 7}),
            (
                "scope",
                require(snapshot, "scope"),
                fonts.regular,
                38,
                {"max_size": 9.5, "min_size": 6, "max_lines": 4},
            ),
        ],
    )
    return top - (scope.height + 6)


def place_sites(page: Page, top: float, sites: Sequence[Mapping[str, Any]]) -> float:
    """Site list below *top*: "Name — address, country" per site, shrunk to fit; when even
    the smallest size cannot hold them all, the last line says how many more are listed
    online. Returns the next top."""
    frame = page.frame("sites", top, 66)  # 40 of its former 106 points went to the issuer
    page.fit(
        "sites_label",
        frame,
        f"Certified sites ({len(sites)})",
        page.fonts.bold,
        x=frame.x,
        y=frame.top - _LABEL_HEIGHT,
        width=frame.width,
        height=_LABEL_HEIGHT,
        max_size=8.5,
        min_size=7,
    )
    entries = [_entry(site) for site in sites]
    if entries:
        _place_entries(page, frame, entries)
    else:
        body_h = frame.height - _LABEL_HEIGHT
        page.fit(
            "site_none",
            frame,
            "No site listed",
            page.fonts.regular,
            x=frame.x,
            y=frame.top - _LABEL_HEIGHT - body_h,
            width=frame.width,
            height=body_h,
            max_size=8.5,
            min_size=6,
        )
    return top - (frame.height + 8)


def _entry(site: Mapping[str, Any]) -> str:
    """One site as the list shows it: "Name — address, country"."""
    parts = [clean(site.get("address", "")), clean(site.get("country", ""))]
    detail = ", ".join(p for p in parts if p)
    return clean(site.get("name", "")) + (f" — {detail}" if detail else "")


def _plan(
    entries: list[str], font: str, width: float, height: float
) -> tuple[float, int, list[int]]:
    """The font size, how many entries are shown and each one's line count: the largest size
    (8.5 pt down to 6 pt) at which every entry fits, else fewer entries and a "more" line."""

    def plan(size: float, shown: int) -> list[int] | None:
        counts = [len(wrap(e, font, size, width)) for e in entries[:shown]]
        more = 1 if shown < len(entries) else 0
        if (sum(counts) + more) * size * LEADING <= height + 1e-6:
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
    if counts is None:  # one enormous site: let fit_text cut it
        counts = [max(1, lines_fitting(height, size) - (1 if len(entries) > 1 else 0))]
    return size, shown, counts


def _place_entries(page: Page, frame: Frame, entries: list[str]) -> None:
    """The sites under the label, each with a bullet, then the "more" line if needed."""
    text_w = frame.width - _INDENT
    body_top, body_h = frame.top - _LABEL_HEIGHT, frame.height - _LABEL_HEIGHT
    size, shown, counts = _plan(entries, page.fonts.regular, text_w, body_h)
    y_top = body_top
    for index, lines in enumerate(counts):
        h = lines * size * LEADING
        page.shape(
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
        page.fit(
            f"site_{index + 1}",
            frame,
            entries[index],
            page.fonts.regular,
            x=frame.x + _INDENT,
            y=y_top - h,
            width=text_w,
            height=h,
            max_size=size,
            min_size=size,
            max_lines=lines,
        )
        y_top -= h
    if shown < len(entries):
        h = size * LEADING
        page.fit(
            "sites_more",
            frame,
            f"and {len(entries) - shown} more site(s), listed at the verify address below",
            page.fonts.regular,
            x=frame.x + _INDENT,
            y=y_top - h,
            width=text_w,
            height=h,
            max_size=size,
            min_size=5,
            max_lines=1,
            color=MUTED,
        )
