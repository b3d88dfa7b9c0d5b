"""Rubric versions in time: how versions sort, and which version is in effect on a day.

The rule (also in ``rubrics/README.md``, "Versions in time"): a version is *in effect* from its
effective date; a new application is pinned to the newest version in effect that day
(:func:`newest_in_effect`). When a newer version takes effect, older ones are *in transition*
until the newer one's effective date plus its transition months, and may still be used for
audits starting before then; after that they are *superseded* (certificates already issued on
them stay valid until they expire).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from typing import Literal

from certify.core.rubric.model import Rubric

__all__ = [
    "VersionStatus",
    "add_months",
    "allowed_for_audit",
    "newest_in_effect",
    "status_on",
    "transition_end",
    "version_key",
]

VersionStatus = Literal["in effect", "in transition", "superseded", "not yet in effect"]


_VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def version_key(version: str) -> tuple[int, ...]:
    """Sort key: "1.10" after "1.9". Raises ValueError for a malformed version."""
    if not _VERSION_RE.match(version):
        raise ValueError(f"not a version: {version!r}")
    return tuple(int(p) for p in version.split("."))


def add_months(day: dt.date, months: int) -> dt.date:
    """*day* plus *months* calendar months, clamped to the month's end (Jan 31 + 1 = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def transition_end(rubric: Rubric) -> dt.date:
    """The first day on which *rubric* is the only version allowed for audits that start then:
    its effective date plus its transition months."""
    return add_months(rubric.effective_date, rubric.transition_months)


def _same_standard(rubrics: Iterable[Rubric], standard_id: str) -> list[Rubric]:
    return sorted((r for r in rubrics if r.id == standard_id), key=lambda r: version_key(r.version))


def newest_in_effect(
    rubrics: Iterable[Rubric], on_date: dt.date, standard_id: str | None = None
) -> Rubric | None:
    """The newest version (highest version number) whose effective date is on or before
    *on_date*; ``None`` if none is in effect yet. This is the version a new application is
    pinned to. *standard_id* restricts the choice when *rubrics* mixes standards (otherwise all
    must share one id).

    Raises:
        ValueError: *rubrics* holds several standards and *standard_id* is not given.
    """
    rubrics = list(rubrics)
    ids = {r.id for r in rubrics}
    if standard_id is None:
        if len(ids) > 1:
            raise ValueError(f"several standards given ({', '.join(sorted(ids))}); name one")
        standard_id = next(iter(ids), "")
    live = [r for r in _same_standard(rubrics, standard_id) if r.effective_date <= on_date]
    return live[-1] if live else None


def status_on(rubric: Rubric, on_date: dt.date, rubrics: Iterable[Rubric]) -> VersionStatus:
    """The status of *rubric* on *on_date*, among the versions of its standard in *rubrics*.

    The rule (``rubrics/README.md``, "Versions in time"):

    - ``not yet in effect``: before its effective date.
    - ``in effect``: on or after its effective date and no newer version is in effect yet.
    - ``in transition``: a newer version N is in effect, but for every such N the day is before
      N's effective date + N's transition months. Audits starting now may still use it.
    - ``superseded``: some newer version's transition has ended (audits starting now must use a
      newer version; certificates already issued on it stay valid until they expire).
    """
    if on_date < rubric.effective_date:
        return "not yet in effect"
    own = version_key(rubric.version)
    newer = [
        r
        for r in _same_standard(rubrics, rubric.id)
        if version_key(r.version) > own and r.effective_date <= on_date
    ]
    if not newer:
        return "in effect"
    if any(on_date >= transition_end(r) for r in newer):
        return "superseded"
    return "in transition"


def allowed_for_audit(rubrics: Iterable[Rubric], audit_start: dt.date) -> list[Rubric]:
    """Versions an audit starting on *audit_start* may use: those ``in effect`` or
    ``in transition`` that day, oldest first."""
    rubrics = list(rubrics)
    return sorted(
        (
            r
            for r in rubrics
            if status_on(r, audit_start, rubrics) in ("in effect", "in transition")
        ),
        key=lambda r: (r.id, version_key(r.version)),
    )
