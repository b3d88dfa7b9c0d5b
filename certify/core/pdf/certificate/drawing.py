"""Drawing the certificate: :func:`render_certificate` draws exactly the layout
:func:`~certify.core.pdf.certificate.layout.layout_certificate` computes, with ReportLab.

Output is byte-identical for identical input: ReportLab's invariant mode derives the document
ID from the metadata (which includes the serial); the creation date is the certificate's
``validFrom`` (issue 20: invariant mode alone wrote 2000-01-01).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import segno
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from certify.core.credentials.dates import parse_datetime
from certify.core.pdf.certificate.fonts import Fonts
from certify.core.pdf.certificate.layout import layout_certificate
from certify.core.pdf.certificate.model import ACCENT, GOLD, INK, Shape, TextBox
from certify.core.pdf.structure import StructureItem


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


def _draw_shapes(canvas: Canvas, shapes: Iterable[Shape], qr_mcid: int) -> None:
    for shape in shapes:
        # Tagged PDF: the QR code is a figure of the structure, everything else decoration.
        if shape.kind == "qr":
            canvas.addLiteral(f"/Figure <</MCID {qr_mcid}>> BDC")
        else:
            canvas.addLiteral("/Artifact BMC")
        _draw_shape(canvas, shape)
        canvas.addLiteral("EMC")


def _draw_shape(canvas: Canvas, shape: Shape) -> None:
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


#: Structure roles of the page's text boxes (by name); every other box is a paragraph.
_ROLES = {"title": "H1", "holder": "H2"}


def _structure(texts: Sequence[TextBox], verify_url: str) -> tuple[list[StructureItem], int]:
    """The structure in reading order (the layout's order, top to bottom) with each text
    box's MCID (its index among the boxes drawn), the QR code as a figure after the verify
    address; and the QR code's MCID."""
    items: list[StructureItem] = []
    qr_mcid = len(texts)
    for mcid, box in enumerate(texts):
        if not _drawn(box):
            continue
        items.append(StructureItem(_ROLES.get(box.name, "P"), mcid))
        if box.name == "verify_url":
            items.append(StructureItem("Figure", qr_mcid, f"QR code linking to {verify_url}"))
    if all(item.mcid != qr_mcid for item in items):
        items.append(StructureItem("Figure", qr_mcid, f"QR code linking to {verify_url}"))
    return items, qr_mcid


def _drawn(box: TextBox) -> bool:
    return bool(box.lines) and box.lines != ("",)


def _created(snapshot: Mapping[str, Any]) -> datetime | None:
    """The certificate's ``validFrom`` as an aware UTC datetime, or None if unreadable."""
    value = snapshot.get("validFrom")
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else None
    try:
        return parse_datetime(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class TaggedCertificate:
    """The unsigned PDF, its logical structure (for :func:`certify.core.pdf.structure.
    add_structure`, written into the signed revision) and its title."""

    pdf: bytes
    structure: tuple[StructureItem, ...]
    title: str


def render_certificate(
    snapshot: Mapping[str, Any],
    *,
    verify_url: str,
    registry_name: str,
    public_url: str,
    fonts: Fonts,
    certified_since: str | None = None,
) -> bytes:
    """Render the one-page A4 certificate for *snapshot* and return the PDF bytes (see
    :func:`render_tagged_certificate`, which also returns the structure)."""
    return render_tagged_certificate(
        snapshot,
        verify_url=verify_url,
        registry_name=registry_name,
        public_url=public_url,
        fonts=fonts,
        certified_since=certified_since,
    ).pdf


def render_tagged_certificate(
    snapshot: Mapping[str, Any],
    *,
    verify_url: str,
    registry_name: str,
    public_url: str,
    fonts: Fonts,
    certified_since: str | None = None,
) -> TaggedCertificate:
    """Render the one-page A4 certificate for *snapshot*: the PDF bytes and their structure.

    The page shows the registry's name and mark, the holder, the standard and version, the
    level in words, the scope, the sites with addresses, a bar chart of section scores
    against their weights, the overall score, the dates (issued, valid from/until,
    surveillance; for a renewal, *certified_since*), the serial, *verify_url* as text and as
    a QR code, and a warning to check that the address begins with *public_url*. Metadata:
    title and subject (with the serial), author = *registry_name*, keywords = serial. The
    text is set in the registered *fonts*.
    The same input gives the same bytes.

    Every text box is marked content (its MCID is its index in the layout) and every
    decoration an artifact; the QR code is a figure. The result is unsigned and its
    structure tree not yet written: :class:`certify.core.pdf.signing.PdfSigner` signs it and
    writes the structure into the signed revision.

    Raises:
        CertificateDataError: a required snapshot field is missing or malformed.
    """
    lay = layout_certificate(
        snapshot,
        verify_url=verify_url,
        registry_name=registry_name,
        public_url=public_url,
        fonts=fonts,
        certified_since=certified_since,
    )
    buffer = io.BytesIO()
    # invariant=1: fixed dates and a content-derived document ID, so output is reproducible.
    # The page's initial font is the body font: ReportLab's default (Helvetica) would be a
    # resource with no embedded program, which archival checks (PDF/A) refuse.
    canvas = Canvas(
        buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=fonts.regular
    )
    canvas.setTitle(lay.metadata["title"])
    canvas.setSubject(lay.metadata["subject"])
    canvas.setAuthor(lay.metadata["author"])
    canvas.setKeywords(lay.metadata["keywords"])
    canvas.setCreator(lay.metadata["creator"])
    canvas.setProducer("certify (ReportLab)")
    created = _created(snapshot)
    if created is not None:
        # ReportLab's date hook: the issuance time (UTC), not invariant mode's fixed date
        canvas.setDateFormatter(lambda *_: created.strftime("D:%Y%m%d%H%M%S+00'00'"))
    structure, qr_mcid = _structure(lay.texts, verify_url)
    _draw_shapes(canvas, lay.shapes, qr_mcid)
    for mcid, box in enumerate(lay.texts):
        if not _drawn(box):
            continue
        canvas.addLiteral(f"/{_ROLES.get(box.name, 'P')} <</MCID {mcid}>> BDC")
        canvas.setFillColor(box.color)
        canvas.setFont(box.font, box.size)
        last = len(box.lines) - 1
        for index, (line, baseline) in enumerate(zip(box.lines, box.baselines(), strict=True)):
            if box.align == "centre":
                canvas.drawCentredString(box.x + box.width / 2, baseline, line)
            elif box.align == "right":
                canvas.drawRightString(box.x + box.width, baseline, line)
            else:
                # a wrapped line ends in its (invisible) space, so text extraction and screen
                # readers do not run the last word into the next line's first
                canvas.drawString(box.x, baseline, line + (" " if index < last else ""))
        canvas.addLiteral("EMC")
    canvas.showPage()
    canvas.save()
    return TaggedCertificate(buffer.getvalue(), tuple(structure), lay.metadata["title"])
