"""Who certifies (issue 20): the certification body's legal name, address and accreditation,
and its authorised signatory, as real certificates name them (FSC, FLOCERT, SA8000).

Read from the snapshot's ``certificationBody`` (the settings at issuance); a certificate
issued before it existed names the registry only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from certify.core.pdf.certificate.fitting import clean
from certify.core.pdf.certificate.fonts import Fonts
from certify.core.pdf.certificate.model import LEFT, MUTED, WIDTH
from certify.core.pdf.certificate.page import Page, StackLine

HEIGHT = 32.0
_SPLIT = 0.62


def place_issuer(page: Page, top: float, snapshot: Mapping[str, Any], registry_name: str) -> float:
    """The certification body (left) and its signatory (right) below *top*; returns the
    next top."""
    body = snapshot.get("certificationBody")
    body = body if isinstance(body, Mapping) else {}
    left_w = WIDTH * _SPLIT
    left = page.frame("issuer", top, HEIGHT, x=LEFT, w=left_w - 10)
    page.stack(left, _body_lines(page.fonts, body, registry_name))
    signatory = body.get("signatory")
    if isinstance(signatory, Mapping) and signatory.get("name"):
        right = page.frame("signatory", top, HEIGHT, x=LEFT + left_w, w=WIDTH - left_w)
        page.stack(right, _signatory_lines(page.fonts, signatory))
    return top - (HEIGHT + 8)


def _body_lines(fonts: Fonts, body: Mapping[str, Any], registry_name: str) -> list[StackLine]:
    name = clean(str(body.get("legalName") or registry_name))
    address = clean(str(body.get("address") or ""))
    return [
        ("issuer_label", "Certification body", fonts.bold, 11, {"max_size": 8.5, "min_size": 7}),
        (
            "issuer_name",
            f"{name}, {address}" if address else name,
            fonts.regular,
            10,
            {"max_size": 8, "min_size": 5.5, "max_lines": 1},
        ),
        (
            "issuer_accreditation",
            clean(str(body.get("accreditation") or "")),
            fonts.regular,
            10,
            {"max_size": 7.5, "min_size": 5.5, "max_lines": 1, "color": MUTED},
        ),
    ]


def _signatory_lines(fonts: Fonts, signatory: Mapping[str, Any]) -> list[StackLine]:
    title = clean(str(signatory.get("title") or ""))
    name = clean(str(signatory["name"]))
    return [
        (
            "signatory_label",
            "Authorised signatory",
            fonts.bold,
            11,
            {"max_size": 8.5, "min_size": 7},
        ),
        (
            "signatory_name",
            f"{name}, {title}" if title else name,
            fonts.regular,
            10,
            {"max_size": 8, "min_size": 5.5, "max_lines": 1},
        ),
        (
            "signatory_note",
            "for the certification body; signed digitally",
            fonts.regular,
            10,
            {"max_size": 7.5, "min_size": 5.5, "max_lines": 1, "color": MUTED},
        ),
    ]
