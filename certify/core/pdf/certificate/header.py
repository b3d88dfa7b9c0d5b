"""The top of the certificate: the decorative border, the registry's mark and name."""

from __future__ import annotations

from certify.core.pdf.certificate.model import (
    ACCENT,
    GOLD,
    INK,
    LEFT,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    WIDTH,
    Shape,
)
from certify.core.pdf.certificate.page import Page
from certify.core.pdf.certificate.values import host


def place_border(page: Page) -> None:
    """The decorative border: inside the page, outside the margins' content area."""
    page.shape(
        Shape("rect", "page", 18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36, stroke=INK, line_width=1.2)
    )
    page.shape(
        Shape(
            "rect", "page", 23, 23, PAGE_WIDTH - 46, PAGE_HEIGHT - 46, stroke=GOLD, line_width=0.6
        )
    )


def place_header(page: Page, top: float, registry_name: str, public_url: str) -> float:
    """The mark and the registry's name below *top*, then a rule; returns the next top."""
    fonts = page.fonts
    mark = page.frame("mark", top, 60, x=LEFT, w=60)
    page.shape(Shape("mark", mark.name, mark.x, mark.y, 60, 60, fill=ACCENT, stroke=GOLD))
    header = page.frame("header", top, 60, x=LEFT + 72, w=WIDTH - 72)
    page.stack(
        header,
        [
            ("registry_name", registry_name, fonts.bold, 40, {"max_size": 17, "min_size": 9}),
            (
                "registry_host",
                f"Impact sourcing certification registry · {host(public_url)}",
                fonts.regular,
                20,
                {"max_size": 9, "min_size": 6, "color": MUTED},
            ),
        ],
    )
    top -= 60 + 8
    page.shape(Shape("line", "page", LEFT, top, WIDTH, 0, stroke=GOLD, line_width=0.8))
    return top - 10
