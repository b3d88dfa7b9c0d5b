"""Drawing the certificate: :func:`render_certificate` draws exactly the layout
:func:`~certify.core.pdf.certificate.layout.layout_certificate` computes, with ReportLab.

Output is byte-identical for identical input: ReportLab's invariant mode fixes the creation
date and derives the document ID from the metadata (which includes the serial).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping
from typing import Any

import segno
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from certify.core.pdf.certificate.fonts import Fonts
from certify.core.pdf.certificate.layout import layout_certificate
from certify.core.pdf.certificate.model import ACCENT, GOLD, INK, Shape


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
    fonts: Fonts,
) -> bytes:
    """Render the one-page A4 certificate for *snapshot* and return the PDF bytes.

    The page shows the registry's name and mark, the holder, the standard and version, the
    level in words, the scope, the sites with addresses, a bar chart of section scores
    against their weights, the overall score, the dates (issued, valid from/until,
    surveillance), the serial, *verify_url* as text and as a QR code, and a warning to check
    that the address begins with *public_url*. Metadata: title and subject (with the serial),
    author = *registry_name*, keywords = serial. The text is set in the registered *fonts*.
    The same input gives the same bytes.

    The result is unsigned; :class:`certify.core.pdf.signing.PdfSigner` signs it.

    Raises:
        CertificateDataError: a required snapshot field is missing or malformed.
    """
    lay = layout_certificate(
        snapshot,
        verify_url=verify_url,
        registry_name=registry_name,
        public_url=public_url,
        fonts=fonts,
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
