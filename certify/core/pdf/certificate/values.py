"""Reading the certificate snapshot's values for the page, refusing what it cannot show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from certify.core.pdf.certificate.fitting import clean
from certify.core.pdf.certificate.model import CertificateDataError


def require(mapping: Mapping[str, Any], key: str, where: str = "snapshot") -> Any:
    """``mapping[key]``; raises :class:`CertificateDataError` naming *where* when absent."""
    try:
        return mapping[key]
    except (KeyError, TypeError) as exc:
        raise CertificateDataError(f"{where} lacks {key!r}") from exc


def format_moment(value: str) -> str:
    """RFC 3339 → ``YYYY-MM-DD HH:MM UTC`` (the raw text when it does not parse)."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return clean(value)
    if moment.tzinfo is None:
        return clean(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def decimal_value(value: Any, what: str) -> Decimal:
    """*value* as a finite Decimal; raises :class:`CertificateDataError` naming *what*."""
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise CertificateDataError(f"{what} is not a decimal number: {value!r}") from exc
    if not number.is_finite():
        raise CertificateDataError(f"{what} is not finite: {value!r}")
    return number


def host(url: str) -> str:
    """*url* without its scheme and trailing slash (``registry.example.org``)."""
    return url.split("://", 1)[-1].rstrip("/")
