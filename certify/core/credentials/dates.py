"""Date-times as credentials write them: RFC 3339 in UTC, whole seconds, ``Z``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# XML Schema dateTimeStamp (a date-time with a required zone), as Data Integrity requires.
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``, to the second: ``2025-01-31T09:30:00Z``.

    Sub-second parts are dropped. Raises ValueError for a naive datetime.
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime:
    """Parse an XML Schema ``dateTimeStamp`` / RFC 3339 date-time (zone required) to UTC.

    Raises:
        ValueError: for anything else (a bare date, a missing zone, a non-string).
    """
    if not isinstance(text, str) or not _DATETIME_RE.fullmatch(text):
        raise ValueError(f"not an RFC 3339 date-time with a time zone: {text!r}")
    # fromisoformat takes at most 6 fractional digits; extra precision is meaningless here.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # month 13; 9999-12-31T23:59:59-01:00
        raise ValueError(f"not a valid date-time: {text!r}") from exc
