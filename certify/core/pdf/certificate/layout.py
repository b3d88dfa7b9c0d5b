"""The certificate page's layout: :func:`layout_certificate` turns a certificate snapshot into
a :class:`~certify.core.pdf.certificate.model.CertificateLayout`, placing the page's parts
top to bottom.

Text never overflows: every text box has a fixed frame, and its text is wrapped and shrunk
to fit (:mod:`~certify.core.pdf.certificate.fitting`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from certify.core.pdf.certificate.fitting import clean
from certify.core.pdf.certificate.fonts import Fonts
from certify.core.pdf.certificate.footer import place_dates, place_verification
from certify.core.pdf.certificate.header import place_border, place_header
from certify.core.pdf.certificate.holder import place_holder
from certify.core.pdf.certificate.issuer import place_issuer
from certify.core.pdf.certificate.model import (
    LEVEL_WORDS,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    CertificateDataError,
    CertificateLayout,
)
from certify.core.pdf.certificate.page import Page
from certify.core.pdf.certificate.scores import place_scores
from certify.core.pdf.certificate.sites import place_scope, place_sites
from certify.core.pdf.certificate.values import decimal_value, require


def layout_certificate(
    snapshot: Mapping[str, Any],
    *,
    verify_url: str,
    registry_name: str,
    public_url: str,
    fonts: Fonts,
    certified_since: str | None = None,
) -> CertificateLayout:
    """Compute the page geometry for *snapshot* (see
    :func:`~certify.core.pdf.certificate.drawing.render_certificate`), in the registered
    *fonts*. *certified_since* (``YYYY-MM-DD``) is shown among the dates of a renewal: when
    the holder was first certified without a break (not part of the snapshot: it is derived
    from the chain of supersessions at issuance).

    Promises: frames lie inside the page margins and do not overlap; every text box lies
    inside its frame, no two text boxes overlap, and no line is wider than its box.

    Raises:
        CertificateDataError: a required snapshot field is missing or malformed.
    """
    holder = require(snapshot, "holder")
    standard = require(snapshot, "standard")
    level = require(snapshot, "level")
    if level not in LEVEL_WORDS:
        raise CertificateDataError(f"unknown level {level!r}")
    serial = clean(require(snapshot, "serial"))
    holder_name = require(holder, "name", "holder")
    sites = list(require(snapshot, "sites"))
    sections = list(require(snapshot, "sectionScores"))
    overall = decimal_value(require(snapshot, "overallScore"), "overallScore")
    if not verify_url:
        raise CertificateDataError("verify_url must not be empty")

    page = Page(CertificateLayout(PAGE_WIDTH, PAGE_HEIGHT, fonts))
    # The page's parts, top to bottom; each returns where the next one starts.
    place_border(page)
    top = place_header(page, PAGE_HEIGHT - MARGIN, registry_name, public_url)
    top = place_holder(page, top, holder, holder_name, standard, level)
    top = place_scope(page, top, snapshot)
    top = place_sites(page, top, sites)
    top = place_issuer(page, top, snapshot, registry_name)
    top = place_scores(page, top, sections, overall, level)
    top = place_dates(page, top, snapshot, serial, certified_since)
    place_verification(page, top, verify_url, public_url, standard)
    page.layout.metadata = _metadata(serial, holder_name, level, standard, registry_name)
    return page.layout


def _metadata(
    serial: str, holder_name: str, level: str, standard: Any, registry_name: str
) -> dict[str, str]:
    """The PDF's metadata: title and subject (with the serial), author, keywords, creator."""
    return {
        "title": clean(f"Certificate {serial}: {holder_name}"),
        "subject": clean(
            f"Impact sourcing certificate {serial}: {LEVEL_WORDS[level]}, "
            f"{standard.get('id', '')} {standard.get('version', '')}"
        ),
        "author": clean(registry_name),
        "keywords": serial,
        "creator": "certify",
    }
