"""Per-rubric constants for scoring, computed once per rubric content (its SHA-256)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from certify.core.rubric.model import Criterion, Rubric, Section
from certify.core.scoring.answers import BandRow


@dataclass(frozen=True)
class Plan:
    """Per-rubric constants, computed once per rubric content: integer weights over a common
    denominator (so the inner loop adds ints and builds few Fractions), band tables and the
    section floors in points."""

    denominator: int
    ids: frozenset[str]
    bands: Mapping[str, Mapping[str | None, tuple[BandRow, ...]]]
    #: (section, its weight in units, ((criterion, weight in units or None for a gate), ...))
    sections: tuple[tuple[Section, int, tuple[tuple[Criterion, int | None], ...]], ...]
    floors: Mapping[str, tuple[tuple[str, Fraction], ...]]
    #: Fractions by (numerator, denominator): the same few values recur in every score, and a
    #: dict hit is ten times cheaper than normalising a new Fraction. Bounded by the rubric's
    #: structure (weights x levels x not-applicable combinations), not by the input.
    fractions: dict[tuple[int, int], Fraction] = field(default_factory=dict)

    def fraction(self, numerator: int, denominator: int) -> Fraction:
        key = (numerator, denominator)
        f = self.fractions.get(key)
        if f is None:
            f = self.fractions[key] = Fraction(numerator, denominator)
        return f


_PLANS: dict[str, Plan] = {}


def plan_for(rubric: Rubric) -> Plan:
    """The scoring plan of *rubric*, built once per rubric content (a bounded cache)."""
    plan = _PLANS.get(rubric.sha256)
    if plan is None:
        fractions = [Fraction(c.weight) for c in rubric.criteria]
        fractions += [Fraction(s.weight) for s in rubric.sections]
        den = math.lcm(*(f.denominator for f in fractions))
        bands: dict[str, dict[str | None, tuple[BandRow, ...]]] = {}
        for c in rubric.criteria:
            tables: dict[str | None, tuple[BandRow, ...]] = {
                b.id: tuple(
                    (x.lower, x.lower_inclusive, x.upper, x.upper_inclusive, x.level)
                    for x in b.bands
                )
                for b in c.bases
            }
            if len(c.bases) == 1:
                tables = {None: next(iter(tables.values()))}
            bands[c.id] = tables
        plan = Plan(
            den,
            frozenset(c.id for c in rubric.criteria),
            bands,
            tuple(
                (
                    s,
                    int(Fraction(s.weight) * den),
                    tuple(
                        (c, None if c.kind == "gate" else int(Fraction(c.weight) * den))
                        for c in s.criteria
                    ),
                )
                for s in rubric.sections
            ),
            {
                s.id: tuple(
                    (o.id, Fraction(s.weight) * Fraction(o.section_floor_percent) / 100)
                    for o in rubric.outcomes
                )
                for s in rubric.sections
            },
        )
        if len(_PLANS) > 64:  # only a handful of versions exist; bound the cache anyway
            _PLANS.clear()
        _PLANS[rubric.sha256] = plan
    return plan
