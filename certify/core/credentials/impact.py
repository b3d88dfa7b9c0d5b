"""The impact claims of a certificate credential (``certify-v2``, issue 22): the audited
figures its record published at issuance, the bands, and since when the holder is certified.

They are read from the record's ``impactFigures`` (made once, at issuance, by
:func:`certify.core.impact.figures.impact_figures`), the very data the registry's page, its
API and its CSV show, so the signed figures and the published ones cannot differ. A figure
withheld from those (fewer impact workers than the minimum group size, or not applicable) is
withheld from the credential too (:func:`~certify.core.impact.figures.published_figures`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from certify.core.credentials.vocabulary import CredentialError
from certify.core.impact.figures import published_figures

_DECIMAL_RE = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_BAND_RE = re.compile(r"\d+(?:-\d+|\+)", re.ASCII)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CredentialError(f"{where} must be a non-empty string")
    return value


def _band(record: Mapping[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _BAND_RE.fullmatch(value):
        raise CredentialError(f"impactFigures.{key} must be a band such as '50-249'")
    return value


def _figure(figure: Mapping[str, Any], period: str, period_end: str, standard_url: str) -> dict:
    code = _text(figure.get("criterion"), "impact figure criterion")
    value = figure.get("value")
    if not isinstance(value, str) or not _DECIMAL_RE.fullmatch(value):
        raise CredentialError(f"impact figure {code}: the value must be a decimal string")
    claim: dict[str, Any] = {
        "indicator": f"{standard_url}#criterion-{quote(code, safe='')}",
        "code": code,
        "label": _text(figure.get("title"), f"impact figure {code} title"),
        "value": value,
    }
    for key in ("unit", "basis"):
        if figure.get(key):  # no unit (a count) or one basis only: nothing to say
            claim[key] = _text(figure[key], f"impact figure {code} {key}")
    claim["period"] = period
    claim["periodEnd"] = period_end
    return claim


def impact_claims(record: object, standard_url: str) -> dict[str, Any]:
    """The ``credentialSubject`` properties of *record* (a snapshot's ``impactFigures``, or
    None for a standard that publishes none): ``impactFigures`` (published values only, left
    out when there is none), ``workforceBand`` and ``impactWorkersBand`` (when known).

    Raises:
        CredentialError: naming the first field that is malformed.
    """
    if record is None:
        return {}
    if not isinstance(record, Mapping):
        raise CredentialError("snapshot.impactFigures must be an object")
    claims: dict[str, Any] = {}
    for key in ("workforceBand", "impactWorkersBand"):
        band = _band(record, key)
        if band is not None:
            claims[key] = band
    listed = record.get("figures", [])
    if not isinstance(listed, list) or not all(isinstance(f, Mapping) for f in listed):
        raise CredentialError("impactFigures.figures must be a list of objects")
    figures = published_figures(record)
    if figures:
        period = _text(record.get("period"), "impactFigures.period")
        period_end = record.get("periodEnd")
        if not isinstance(period_end, str) or not _DATE_RE.fullmatch(period_end):
            raise CredentialError("impactFigures.periodEnd must be a date such as '2026-03-31'")
        claims["impactFigures"] = [_figure(f, period, period_end, standard_url) for f in figures]
    return claims
