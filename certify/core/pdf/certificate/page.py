"""A certificate layout under construction: frames, text boxes and shapes added in drawing
order. The parts of the page (:mod:`~certify.core.pdf.certificate.layout` calls them top to
bottom) place themselves through it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from certify.core.pdf.certificate.fitting import fit_text
from certify.core.pdf.certificate.fonts import Fonts
from certify.core.pdf.certificate.model import LEFT, WIDTH, CertificateLayout, Frame, Shape, TextBox

#: A line of a stacked block: (name, text, font, height, fit options); an empty name is a spacer.
StackLine = tuple[str, str, str, float, dict[str, Any]]


@dataclass
class Page:
    """Adds to :attr:`layout`; every addition lands after the ones before it."""

    layout: CertificateLayout

    @property
    def fonts(self) -> Fonts:
        return self.layout.fonts

    def frame(
        self, name: str, top: float, height: float, x: float = LEFT, w: float = WIDTH
    ) -> Frame:
        """A new frame *height* points tall whose top edge is at *top*."""
        f = Frame(name, x, top - height, w, height)
        self.layout.frames.append(f)
        return f

    def fit(self, name: str, f: Frame, text: str, font: str, **kw: Any) -> TextBox:
        """A text box in frame *f* (by default the whole frame), *text* fitted into it."""
        box = fit_text(
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
        self.layout.texts.append(box)
        return box

    def stack(self, f: Frame, specs: Sequence[StackLine]) -> None:
        """Place text boxes top-down in frame *f*, each as tall as its line says."""
        top = f.top
        for name, text, font, height, options in specs:
            if name:  # an empty name is a spacer
                self.fit(name, f, text, font, y=top - height, height=height, **options)
            top -= height

    def shape(self, shape: Shape) -> None:
        """Draw *shape* after everything added so far."""
        self.layout.shapes.append(shape)
