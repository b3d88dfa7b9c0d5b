"""The three-year certification cycle, as plain data: audit types, what a surveillance visit
assesses, the multi-site sample, and when the scheduler acts on a certificate.

Pure: no clock (callers pass *today*), no database, no Flask. ``tests/core/test_cycle.py``.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from certify.core.rubric.model import Rubric


class AuditType(enum.StrEnum):
    """What a case is for. Each is a case with the same assignment, conflict-of-interest and
    decision rules; they differ in what they assess and what a positive decision does."""

    INITIAL = "initial"
    SURVEILLANCE = "surveillance"
    RECERTIFICATION = "recertification"
    SPECIAL = "special"  # after a complaint or a change
    SCOPE_EXTENSION = "scope_extension"

    @property
    def issues_certificate(self) -> bool:
        """A positive decision issues a (new) certificate; a surveillance or special audit
        keeps the one in force."""
        return self in ISSUING


ISSUING = frozenset({AuditType.INITIAL, AuditType.RECERTIFICATION, AuditType.SCOPE_EXTENSION})

#: Audit types a case about an existing certificate may have (not ``initial``).
CYCLE_TYPES = (
    AuditType.SURVEILLANCE,
    AuditType.RECERTIFICATION,
    AuditType.SPECIAL,
    AuditType.SCOPE_EXTENSION,
)


class Mode(enum.StrEnum):
    ON_SITE = "on_site"
    REMOTE = "remote"
    HYBRID = "hybrid"


#: How long after a closed non-conformity its criterion is still checked at surveillance.
RECENTLY_CLOSED_DAYS = 365


@dataclass(frozen=True)
class NcMark:
    """A non-conformity as the subset needs it: its criterion, and when it closed (None:
    still open)."""

    criterion_id: str
    closed_on: dt.date | None


def surveillance_subset(
    rubric: Rubric,
    nonconformities: Iterable[NcMark],
    today: dt.date,
    added: Iterable[str] = (),
) -> list[str]:
    """The criterion ids a surveillance visit assesses, in rubric order: every gate, every
    criterion of a section the rubric marks ``every_visit``, every criterion with an open
    non-conformity or one closed within :data:`RECENTLY_CLOSED_DAYS` of *today*, and the
    criteria the auditor *added* (unknown ids are ignored)."""
    wanted = set(added)
    for nc in nonconformities:
        if nc.closed_on is None or (today - nc.closed_on).days <= RECENTLY_CLOSED_DAYS:
            wanted.add(nc.criterion_id)
    chosen = []
    for section in rubric.sections:
        for criterion in section.criteria:
            if criterion.kind == "gate" or section.every_visit or criterion.id in wanted:
                chosen.append(criterion.id)
    return chosen


def sample_size(site_count: int) -> int:
    """How many sites a multi-site audit visits: the square root of the number of sites,
    rounded up (0 sites: 0)."""
    if site_count < 0:
        raise ValueError("a number of sites cannot be negative")
    return math.isqrt(site_count - 1) + 1 if site_count else 0


@dataclass(frozen=True)
class SiteInfo:
    """A site the sample may choose: its id, and whether it must be in (high risk, or new
    since the last audit)."""

    id: str
    must_visit: bool = False


def propose_sample(sites: Sequence[SiteInfo], rotation: int = 0) -> list[str]:
    """The proposed site sample: every must-visit site, then others (starting at *rotation*,
    so successive visits see different sites) up to :func:`sample_size`. Order of *sites*
    kept."""
    must = [s.id for s in sites if s.must_visit]
    others = [s.id for s in sites if not s.must_visit]
    room = max(sample_size(len(sites)) - len(must), 0)
    if others and room:
        start = rotation % len(others)
        picked = set((others[start:] + others[:start])[:room])
    else:
        picked = set()
    return [s.id for s in sites if s.id in must or s.id in picked]


def opens_on(due: dt.date, window_days: int) -> dt.date:
    """When the scheduler opens the surveillance case for *due*."""
    return due - dt.timedelta(days=window_days)


def overdue_after(due: dt.date, grace_days: int) -> dt.date:
    """The last day a surveillance due on *due* may still be decided; after it the scheduler
    proposes suspension for ``surveillance_not_done``."""
    return due + dt.timedelta(days=grace_days)


def recertification_opens_on(valid_until: dt.date, months_before: int) -> dt.date:
    """When the recertification case opens: *months_before* calendar months before expiry."""
    index = valid_until.month - 1 - months_before
    year, month = valid_until.year + index // 12, index % 12 + 1
    day = min(valid_until.day, _month_days(year, month))
    return dt.date(year, month, day)


def _month_days(year: int, month: int) -> int:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day
