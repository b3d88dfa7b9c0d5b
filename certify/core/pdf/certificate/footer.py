"""The bottom of the certificate: the serial and dates, then how to verify it (the address
as text and as a QR code, a warning against look-alike sites, the standard's hash)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from certify.core.pdf.certificate.fitting import clean
from certify.core.pdf.certificate.fonts import Fonts
from certify.core.pdf.certificate.model import GOLD, LEFT, MARGIN, MUTED, RIGHT, WIDTH, Shape
from certify.core.pdf.certificate.page import Page, StackLine
from certify.core.pdf.certificate.values import format_moment, require


def place_dates(
    page: Page,
    top: float,
    snapshot: Mapping[str, Any],
    serial: str,
    certified_since: str | None = None,
) -> float:
    """The serial and the dates below *top*, two columns of label/value pairs, then a rule;
    returns the next top. With *certified_since* (a renewal: the first certificate's date,
    ``YYYY-MM-DD``), it takes the second place and the surveillance dates share one row,
    so the block keeps its size."""
    fonts = page.fonts
    dates = page.frame("dates", top, 58)
    surveillance = [clean(d) for d in snapshot.get("surveillanceDue") or []]
    pairs = [
        ("Serial", serial),
        ("Issued on", clean(require(snapshot, "issuedOn"))),
        ("Valid from", format_moment(require(snapshot, "validFrom"))),
        ("Valid until", format_moment(require(snapshot, "validUntil"))),
        ("Next surveillance", surveillance[0] if surveillance else "none scheduled"),
        ("Later surveillance", ", ".join(surveillance[1:]) if len(surveillance) > 1 else "-"),
    ]
    if certified_since:
        pairs[1:2] = [("Certified since", clean(certified_since)), pairs[1]]
        pairs[-2:] = [("Surveillance due", ", ".join(surveillance) or "none scheduled")]
    col_w = (dates.width - 12) / 2
    row_h = dates.height / 3
    for index, (label, value) in enumerate(pairs):
        col, row = index % 2, index // 2
        cx = dates.x + col * (col_w + 12)
        cy = dates.top - (row + 1) * row_h
        key = label.lower().replace(" ", "_")
        page.fit(
            f"{key}_label",
            dates,
            label,
            fonts.regular,
            x=cx,
            y=cy,
            width=78,
            height=row_h,
            max_size=8,
            min_size=6,
            color=MUTED,
        )
        page.fit(
            key,
            dates,
            value,
            fonts.mono if label == "Serial" else fonts.bold,
            x=cx + 80,
            y=cy,
            width=col_w - 80,
            height=row_h,
            max_size=9.5,
            min_size=6,
            max_lines=1,
        )
    top -= dates.height + 6
    page.shape(Shape("line", "page", LEFT, top, WIDTH, 0, stroke=GOLD, line_width=0.8))
    return top - 6


def place_verification(
    page: Page, top: float, verify_url: str, public_url: str, standard: Any
) -> None:
    """Below *top*, down to the margin: the verification text (left) and the QR code of
    *verify_url* (right)."""
    qr_size = top - MARGIN
    qr = page.frame("qr", top, qr_size, x=RIGHT - qr_size, w=qr_size)
    page.shape(Shape("qr", qr.name, qr.x, qr.y, qr.width, qr.height, payload=verify_url))
    verify = page.frame("verify", top, qr_size, x=LEFT, w=WIDTH - qr_size - 12)
    page.stack(verify, _verify_lines(page.fonts, verify_url, public_url, standard, qr_size))


def _verify_lines(
    fonts: Fonts, verify_url: str, public_url: str, standard: Any, qr_size: float
) -> list[StackLine]:
    """The verification block's lines, top to bottom."""
    standard_hash = clean(standard.get("sha256", ""))
    return [
        (
            "verify_label",
            "Verify this certificate",
            fonts.bold,
            14,
            {"max_size": 9.5, "min_size": 7},
        ),
        (
            "verify_url",
            verify_url,
            fonts.mono,
            26,
            {"max_size": 9, "min_size": 5.5, "max_lines": 2, "chars": True},
        ),
        (
            "verify_warning",
            "Scan the code or type the address above. Trust the result only if the address "
            f"begins with {public_url.rstrip('/')}, the registry's own address: forged "
            "certificates point to look-alike sites. The registry certifies this PDF with a "
            "digital signature; a PDF reader calls it trusted only once the registry's root "
            f"({public_url.rstrip('/')}/.well-known/certify/root.pem) is imported. The "
            "registry's public transparency log proves when it was issued.",
            fonts.regular,
            36,
            {"max_size": 8, "min_size": 5.5, "max_lines": 4},
        ),
        (
            "fine_print",
            f"Standard {clean(standard.get('id', ''))} {clean(standard.get('version', ''))}"
            f" SHA-256: {standard_hash}"
            if standard_hash
            else "",
            fonts.mono,
            max(qr_size - 76, 8),
            {"max_size": 6, "min_size": 4.5, "max_lines": 2, "chars": True, "color": MUTED},
        ),
    ]
