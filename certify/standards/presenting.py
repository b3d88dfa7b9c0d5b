"""Rubrics in words for people: bands, kinds, deadlines and each version's status in time.

Plain functions over core objects (no Flask), shared by the pages and the ``rubrics`` commands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from certify.core.rubric.model import Band, Criterion, NonconformityGrade, Rubric
from certify.core.rubric.versions import VersionStatus, status_on, transition_end, version_key

__all__ = [
    "KIND_LABELS",
    "VersionInfo",
    "band_words",
    "criterion_summary",
    "deadline_words",
    "format_day",
    "num",
    "range_words",
    "version_infos",
]

KIND_LABELS = {
    "gate": "Gate: critical yes/no",
    "level": "Level 0 to 4",
    "number": "Measured number",
}

STATUS_BADGES: dict[str, str] = {
    "in effect": "badge-ok",
    "in transition": "badge-warn",
    "superseded": "badge-neutral",
    "not yet in effect": "badge-neutral",
}


def num(value: Decimal | int | None) -> str:
    """A number as people write it: ``25``, ``2.5``, never ``2.50`` or ``1E+1``."""
    if value is None:
        return ""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def format_day(day: dt.date) -> str:
    """``1 Jan 2026``."""
    return f"{day.day} {day:%b %Y}"


def band_words(band: Band, range_max: Decimal | None = None) -> str:
    """A band in words, half-open as in the standard: ``10 to under 25``, ``exactly 0``,
    ``above 0 to under 5``, ``75 to 100`` (open top band up to the range maximum) or
    ``75 or more`` (no maximum)."""
    low = num(band.lower)
    if band.upper is not None and band.upper == band.lower:
        return f"exactly {low}"
    start = low if band.lower_inclusive else f"above {low}"
    if band.upper is None:
        if range_max is not None:
            return f"{start} to {num(range_max)}"
        return f"{low} or more" if band.lower_inclusive else f"more than {low}"
    end = num(band.upper) if band.upper_inclusive else f"under {num(band.upper)}"
    return f"{start} to {end}"


def range_words(c: Criterion) -> str:
    """The valid values of a number criterion: ``0 to 100`` or ``0 or more``."""
    if c.range_min is None:
        return ""
    if c.range_max is None:
        return f"{num(c.range_min)} or more"
    return f"{num(c.range_min)} to {num(c.range_max)}"


def deadline_words(grade: NonconformityGrade) -> str:
    """When a non-conformity of this grade must be closed."""
    if grade.deadline_days is None:
        return "no fixed deadline: checked at the next surveillance"
    if grade.deadline_days == 0:
        return "at once"
    return f"within {grade.deadline_days} days"


def criterion_summary(c: Criterion) -> str:
    """One line: ``IH-2 [number, weight 8, percent, floor 25, N/A allowed] Title``."""
    parts = [c.kind, f"weight {num(c.weight)}"]
    if c.unit:
        parts.append(c.unit)
    if c.floor is not None:
        parts.append(f"floor {num(c.floor)}")
    if c.na_allowed:
        parts.append("N/A allowed")
    return f"{c.id} [{', '.join(parts)}] {c.title}"


@dataclass(frozen=True)
class VersionInfo:
    """A published version and its status on a day, with the date that status turns on:
    ``since`` (in effect / superseded), ``until`` (in transition) or ``starts`` (not yet)."""

    rubric: Rubric
    status: VersionStatus
    day: dt.date

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.status]

    @property
    def explanation(self) -> str:
        """The status in a sentence, with its date."""
        when = format_day(self.day)
        if self.status == "in effect":
            return f"In effect since {when}: new applications use this version."
        if self.status == "in transition":
            return (
                f"In transition: audits that start before {when} may still use it; "
                "new applications use a newer version."
            )
        if self.status == "superseded":
            return (
                f"Superseded on {when}: audits must use a newer version. Certificates issued "
                "on it stay valid until they expire."
            )
        return f"Not yet in effect: takes effect on {when}."


def _status_day(
    r: Rubric, status: VersionStatus, today: dt.date, same: Sequence[Rubric]
) -> dt.date:
    newer = [
        n
        for n in same
        if version_key(n.version) > version_key(r.version) and n.effective_date <= today
    ]
    if status in ("in transition", "superseded") and newer:
        ends = [transition_end(n) for n in newer]
        if status == "superseded":
            return min(e for e in ends if e <= today)
        return min(ends)
    return r.effective_date


def version_infos(rubrics: Iterable[Rubric], today: dt.date) -> dict[str, list[VersionInfo]]:
    """The versions of each standard on *today*, newest first, by standard id."""
    rubrics = list(rubrics)
    out: dict[str, list[VersionInfo]] = {}
    for standard_id in sorted({r.id for r in rubrics}):
        same = sorted(
            (r for r in rubrics if r.id == standard_id), key=lambda r: version_key(r.version)
        )
        infos = []
        for r in reversed(same):
            status = status_on(r, today, same)
            infos.append(VersionInfo(r, status, _status_day(r, status, today, same)))
        out[standard_id] = infos
    return out
