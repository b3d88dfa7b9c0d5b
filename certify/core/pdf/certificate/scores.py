"""The scores: a bar chart of the section scores against their weights (left) and the
overall score and level (right)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reportlab.lib.colors import HexColor

from certify.core.pdf.certificate.fitting import clean
from certify.core.pdf.certificate.fonts import Fonts
from certify.core.pdf.certificate.holder import CENTRE
from certify.core.pdf.certificate.model import (
    ACCENT,
    LEADING,
    LEFT,
    LEVEL_WORDS,
    MUTED,
    PALE,
    WIDTH,
    Frame,
    Shape,
)
from certify.core.pdf.certificate.page import Page, StackLine
from certify.core.pdf.certificate.values import decimal_value, require

_TITLE_HEIGHT = 13.0
#: A section's row: its label, score and weight.
_Row = tuple[str, Decimal, Decimal]


def place_scores(
    page: Page,
    top: float,
    sections: Sequence[Mapping[str, Any]],
    overall: Decimal,
    level: str,
) -> float:
    """The chart (left) and the overall score (right) below *top*; returns the next top."""
    chart_w = WIDTH * 0.64
    chart = page.frame("chart", top, 112, x=LEFT, w=chart_w)
    _place_chart(page, chart, sections)
    overall_frame = page.frame("overall", top, 112, x=LEFT + chart_w + 14, w=WIDTH - chart_w - 14)
    page.shape(
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
    page.stack(
        Frame(overall_frame.name, inner_x, overall_frame.y, inner_w, overall_frame.height - 10),
        _overall_lines(page.fonts, overall, level, inner_x, inner_w),
    )
    return top - (chart.height + 8)


def _overall_lines(
    fonts: Fonts, overall: Decimal, level: str, x: float, width: float
) -> list[StackLine]:
    """The overall box's lines, top to bottom."""
    inside = {**CENTRE, "x": x, "width": width}
    return [
        (
            "overall_label",
            "Overall score",
            fonts.bold,
            16,
            {**inside, "max_size": 9, "min_size": 7},
        ),
        (
            "overall_score",
            f"{overall:.2f}",
            fonts.bold,
            40,
            {**inside, "max_size": 30, "min_size": 12, "color": ACCENT},
        ),
        (
            "overall_of",
            "out of 100",
            fonts.regular,
            14,
            {**inside, "max_size": 8.5, "min_size": 6, "color": MUTED},
        ),
        (
            "level_note",
            "Level: " + LEVEL_WORDS[level],
            fonts.regular,
            30,
            {**inside, "max_size": 8.5, "min_size": 6, "max_lines": 2},
        ),
    ]


@dataclass(frozen=True)
class _Grid:
    """The chart's geometry: row height, text box height and font size, column widths, where
    the bars start and how long the longest may be, and the value a full bar stands for."""

    row_h: float
    text_h: float
    size: float
    label_w: float
    value_w: float
    bar_x: float
    bar_w: float
    scale_max: Decimal


def _place_chart(page: Page, frame: Frame, sections: Sequence[Mapping[str, Any]]) -> None:
    """Horizontal bars, one row per section: a pale bar as long as the section's weight and
    a filled bar as long as its score, on one scale, with "score / weight" at the end."""
    page.fit(
        "chart_title",
        frame,
        "Section scores (score / weight)",
        page.fonts.bold,
        x=frame.x,
        y=frame.top - _TITLE_HEIGHT,
        width=frame.width,
        height=_TITLE_HEIGHT,
        max_size=8.5,
        min_size=7,
    )
    body_h = frame.height - _TITLE_HEIGHT - 2
    rows = [_row(section) for section in sections]
    if not rows:
        return
    max_rows = max(1, int(body_h // 9))  # 9 pt is the smallest legible row
    overflow = len(rows) > max_rows
    shown = rows[: max_rows - 1] if overflow else rows
    row_h = body_h / (len(shown) + (1 if overflow else 0))
    label_w, value_w = frame.width * 0.36, 62.0
    text_h = min(row_h, 12.0)
    grid = _Grid(
        row_h=row_h,
        text_h=text_h,
        size=min(8.0, text_h / LEADING),
        label_w=label_w,
        value_w=value_w,
        bar_x=frame.x + label_w + 4,
        bar_w=frame.width - label_w - value_w - 8,
        scale_max=max((max(w, s) for _, s, w in rows), default=Decimal(1)) or Decimal(1),
    )
    for index, row in enumerate(shown):
        _place_row(page, frame, grid, index, row)
    if overflow:
        row_top = frame.top - _TITLE_HEIGHT - 2 - len(shown) * row_h
        page.fit(
            "chart_more",
            frame,
            f"and {len(rows) - len(shown)} more sections",
            page.fonts.regular,
            x=frame.x,
            y=row_top - text_h,
            width=frame.width,
            height=text_h,
            max_size=grid.size,
            min_size=min(grid.size, 5.0),
            max_lines=1,
            color=MUTED,
        )


def _row(section: Mapping[str, Any]) -> _Row:
    """A section score's label, score and weight (refusing what is not a number)."""
    weight = decimal_value(require(section, "weight", "section score"), "section weight")
    score = decimal_value(require(section, "score", "section score"), "section score")
    label = clean(section.get("title") or section.get("id", ""))
    return label, score, weight


def _place_row(page: Page, frame: Frame, grid: _Grid, index: int, row: _Row) -> None:
    """Row *index*: the label, "score / weight", the weight's pale bar and the score's bar."""
    label, score, weight = row
    row_top = frame.top - _TITLE_HEIGHT - 2 - index * grid.row_h
    ty = row_top - (grid.row_h + grid.text_h) / 2
    text = {"y": ty, "height": grid.text_h, "max_size": grid.size, "max_lines": 1}
    page.fit(
        f"chart_label_{index + 1}",
        frame,
        label,
        page.fonts.regular,
        x=frame.x,
        width=grid.label_w,
        min_size=min(grid.size, 5.0),
        valign="middle",
        **text,
    )
    page.fit(
        f"chart_value_{index + 1}",
        frame,
        f"{score:.2f} / {weight.normalize():f}",
        page.fonts.regular,
        x=frame.right - grid.value_w,
        width=grid.value_w,
        min_size=min(grid.size, 4.5),
        align="right",
        valign="middle",
        **text,
    )
    bar_h = max(2.0, min(grid.row_h * 0.55, 9.0))
    by = row_top - (grid.row_h + bar_h) / 2
    weight_len = grid.bar_w * float(max(weight, Decimal(0)) / grid.scale_max)
    score_len = grid.bar_w * float(min(max(score, Decimal(0)), grid.scale_max) / grid.scale_max)
    page.shape(Shape("rect", frame.name, grid.bar_x, by, weight_len, bar_h, fill=PALE))
    if score_len > 0:
        page.shape(Shape("rect", frame.name, grid.bar_x, by, score_len, bar_h, fill=ACCENT))
