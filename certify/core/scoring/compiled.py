"""The compiled scorer: a rubric turned once into tables, so scoring well-formed answers
adds ints and looks results up instead of re-deriving them per call.

What a score is built of recurs: a section's score and its floors depend only on two ints
(its weighted level sum and its applicable weight), a level criterion's score only on its level
and the section's applicable weight, a gate's only on pass or fail. Those parts are made once,
on first use, and shared (they are immutable); only what carries an answer's own data (a
number's value, a justification) and the overall score are made per call.

:meth:`CompiledRubric.score` gives exactly what
:func:`~certify.core.scoring.engine.score_reference` gives, or ``None`` (decline) for
anything it has no fast path for and for every bad answer: the reference then decides, and
words the errors. The caches are bounded by the rubric's structure (weights x levels x
not-applicable choices), never by the input, except the one for open non-conformity grades,
which is capped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from certify.core.rubric.model import Criterion, OutcomeLevel, Rubric, Section
from certify.core.scoring.answers import (
    GATE_ITEMS,
    LEVEL_ITEMS,
    BandRow,
    CheckedItem,
    check_quietly,
    grade_of,
)
from certify.core.scoring.plan import Plan, plan_for
from certify.core.scoring.reasons import (
    floor_missed,
    gate_failed,
    nonconformity_reasons,
    overall_below_threshold,
    requirements_met,
    section_below_floor,
)
from certify.core.scoring.results import (
    NOT_CERTIFIED,
    CriterionScore,
    Reason,
    ScoreResult,
    SectionFloor,
    SectionScore,
)

_ZERO = Fraction(0)
_MISSING: Any = object()
_GRADE_CACHE_LIMIT = 256

#: A section's parts for one (weighted level sum, applicable weight): its exact score, the
#: SectionScore, and per outcome level the section_below_floor reason (None when met).
_SectionParts = tuple[Fraction, SectionScore, tuple["Reason | None", ...]]
_Section = tuple[Section, int, tuple["_Row", ...], dict[tuple[int, int], _SectionParts]]


class _Row:
    """One criterion, compiled: what its checks and its score read, and its score caches."""

    __slots__ = (
        "bands",
        "c",
        "id",
        "kind",
        "level_scores",
        "pairs",
        "scores_gate",
        "unanswered",
        "w",
    )

    def __init__(self, plan: Plan, section: Section, c: Criterion, w: int | None) -> None:
        self.c = c
        self.id = c.id
        self.kind = c.kind
        self.w = w
        self.bands: Mapping[str | None, tuple[BandRow, ...]] = plan.bands[c.id]
        #: (unit denominator, level) -> (effective weight, points); level criteria also keep
        #: the whole CriterionScore (its value is its level)
        self.pairs: dict[tuple[int, int], tuple[Fraction, Fraction]] = {}
        self.level_scores: dict[tuple[int, int], CriterionScore] = {}
        self.unanswered: dict[int, CriterionScore] = {}
        self.scores_gate = (
            (
                _criterion_score(
                    c, section, "answered", False, None, None, _ZERO, _ZERO, False, ""
                ),
                _criterion_score(c, section, "answered", True, None, None, _ZERO, _ZERO, True, ""),
            )
            if w is None
            else None
        )


def _criterion_score(
    c: Criterion,
    section: Section,
    status: str,
    value: Any,
    basis: str | None,
    level: int | None,
    eff: Fraction,
    points: Fraction,
    passed: bool | None,
    justification: str,
) -> CriterionScore:
    # tuple.__new__ skips the named tuple's Python-level __new__ (same object, made faster)
    return tuple.__new__(
        CriterionScore,
        (
            c.id,
            section.id,
            c.kind,
            status,
            value,
            basis,
            level,
            c.weight,
            eff,
            points,
            passed,
            justification,
        ),
    )


class CompiledRubric:
    """A rubric compiled for scoring: see the module's docstring. Build with
    :func:`compiled_for`."""

    def __init__(self, rubric: Rubric) -> None:
        plan = plan_for(rubric)
        self.plan = plan
        self.rubric = rubric
        self.key = rubric.key
        self.sha256 = rubric.sha256
        self.count = len(plan.ids)
        self.grade_ids = frozenset(g.id for g in rubric.grades)
        self.outcomes: tuple[OutcomeLevel, ...] = rubric.outcomes
        self.all_levels = tuple(o.id for o in rubric.outcomes)
        self.min_overall = tuple(Fraction(o.min_overall) for o in rubric.outcomes)
        #: (section, its weight in units, its compiled rows, its parts by (total, applicable))
        self.sections: tuple[_Section, ...] = tuple(
            (section, sw, tuple(_Row(plan, section, c, w) for c, w in rows), {})
            for section, sw, rows in plan.sections
        )
        self.gate_reasons = {
            row.id: gate_failed(row.c, self.all_levels)
            for _, _, rows, _ in self.sections
            for row in rows
            if row.w is None
        }
        self.grade_reasons: dict[tuple[str, ...], tuple[Reason, ...]] = {}

    def score(
        self, answers: Mapping[str, Any], ncs: Sequence[Any], partial: bool
    ) -> ScoreResult | None:
        """The score of *answers* with open non-conformities *ncs*, or None to decline."""
        if answers.__class__ is not dict:
            return None
        grades = self._grades(ncs)
        if grades is None:
            return None
        crit_scores: list[CriterionScore] = []
        section_scores: list[SectionScore] = []
        belows: list[tuple[Reason | None, ...]] = []
        blockers: list[Reason] = []
        unanswered: list[str] = []
        num, den = 0, 1  # the overall score, exactly, summed as integers
        for section, sw, rows, parts in self.sections:
            summed = self._section(
                section, sw, rows, parts, answers, partial, crit_scores, blockers, unanswered
            )
            if summed is None:
                return None
            (n, d), (_, section_score, below) = summed
            num, den = num * d + n * den, den * d
            section_scores.append(section_score)
            belows.append(below)
        if len(crit_scores) - len(unanswered) != len(answers):
            return None  # an answer to no criterion: the reference names it
        blockers.extend(self._grade_reasons(grades))
        overall = Fraction(num, den)
        if unanswered:
            outcome: str | None = None
            reasons = list(blockers)
        else:
            outcome, reasons = self._outcome(blockers, belows, overall)
        return ScoreResult(
            self.key,
            self.sha256,
            tuple(crit_scores),
            tuple(section_scores),
            overall,
            outcome,
            tuple(reasons),
            tuple(unanswered),
        )

    def _section(
        self,
        section: Section,
        sw: int,
        rows: tuple[_Row, ...],
        parts: dict[tuple[int, int], _SectionParts],
        answers: dict[str, Any],
        partial: bool,
        crit_scores: list[CriterionScore],
        blockers: list[Reason],
        unanswered: list[str],
    ) -> tuple[tuple[int, int], _SectionParts] | None:
        """Check and score one section's answers, appending to the lists passed; return the
        section's score as (numerator, denominator) and its parts, or None to decline."""
        items: list[CheckedItem | None] = []
        applicable = total = 0
        for row in rows:
            raw = answers.get(row.id, _MISSING)
            w = row.w
            # the commonest answers inline: a bare bool for a gate, a bare int for a level
            if w is None:
                if raw.__class__ is bool:
                    items.append(GATE_ITEMS[raw])
                    continue
            elif raw.__class__ is int and row.kind == "level" and 0 <= raw <= 4:
                items.append(LEVEL_ITEMS[raw])
                applicable += w
                total += w * raw
                continue
            if raw is _MISSING:
                if not partial:
                    return None
                unanswered.append(row.id)
                items.append(None)
                if w is not None:
                    applicable += w
                continue
            item = check_quietly(row.c, row.bands, raw)
            if item is None:
                return None
            items.append(item)
            if w is not None and not item[0]:
                applicable += w
                if item[3]:
                    total += w * item[3]
        unit_den = applicable * self.plan.denominator
        self._score_rows(section, sw, rows, items, unit_den, crit_scores, blockers)
        key = (total, applicable)
        got = parts.get(key)
        if got is None:
            got = parts[key] = self._section_parts(section, sw, total, unit_den)
        return (sw * total, 4 * unit_den), got

    def _score_rows(
        self,
        section: Section,
        sw: int,
        rows: tuple[_Row, ...],
        items: list[CheckedItem | None],
        unit_den: int,
        crit_scores: list[CriterionScore],
        blockers: list[Reason],
    ) -> None:
        """Append the scores of one section's criteria (*items*: their checked answers, None
        for unanswered) and the reasons of failed gates and missed floors."""
        for row, item in zip(rows, items, strict=True):
            if item is not None and not item[0] and row.kind != "number":
                if row.w is None:  # a gate; a shared score, and a reason when it failed
                    if item[1] is not True:
                        blockers.append(self.gate_reasons[row.id])
                    crit_scores.append(row.scores_gate[item[1] is True])  # type: ignore[index]
                    continue
                made = row.level_scores.get((unit_den, item[3]))  # type: ignore[arg-type]
                if made is not None:
                    crit_scores.append(made)
                    continue
            crit_scores.append(self._criterion(section, sw, row, item, unit_den, blockers))

    def _section_parts(self, section: Section, sw: int, total: int, unit_den: int) -> _SectionParts:
        """A section's score, SectionScore and floor reasons (made once per key)."""
        section_score = self.plan.fraction(sw * total, 4 * unit_den)
        floors = tuple(
            SectionFloor(oid, required, section_score >= required)
            for oid, required in self.plan.floors[section.id]
        )
        made = SectionScore(section.id, section.weight, section_score, floors)
        below = []
        for o in self.outcomes:
            floor = next(f for f in floors if f.outcome == o.id)
            below.append(None if floor.met else section_below_floor(o, made, floor.required))
        return section_score, made, tuple(below)

    def _criterion(
        self,
        section: Section,
        sw: int,
        row: _Row,
        item: CheckedItem | None,
        unit_den: int,
        blockers: list[Reason],
    ) -> CriterionScore:
        """The score of one criterion unanswered, not applicable, a number, or a level not
        yet in its row's cache (a missed floor adds a reason)."""
        w = row.w
        if item is None:
            made = row.unanswered.get(unit_den)
            if made is None:
                eff = _ZERO if w is None else self.plan.fraction(sw * w, unit_den)
                made = row.unanswered[unit_den] = _criterion_score(
                    row.c, section, "unanswered", None, None, None, eff, _ZERO, None, ""
                )
            return made
        na, value, basis, level, justification = item
        if na:
            return _criterion_score(
                row.c, section, "not_applicable", None, None, None, _ZERO, _ZERO, None,
                justification,
            )  # fmt: skip
        assert w is not None and level is not None  # _score_rows scores answered gates
        key = (unit_den, level)
        if row.kind == "level":  # its value is its level: made once, then shared
            eff, points = self._pair(row, sw, key)
            made = row.level_scores[key] = _criterion_score(
                row.c, section, "answered", value, basis, level, eff, points, None, ""
            )
            return made
        eff, points = self._pair(row, sw, key)
        passed = None
        floor = row.c.floor
        if floor is not None:
            passed = value >= floor
            if not passed:
                blockers.append(floor_missed(row.c, value, self.all_levels))
        return _criterion_score(
            row.c, section, "answered", value, basis, level, eff, points, passed, justification
        )

    def _pair(self, row: _Row, sw: int, key: tuple[int, int]) -> tuple[Fraction, Fraction]:
        """(effective weight, points) of a scored criterion at (unit denominator, level)."""
        pair = row.pairs.get(key)
        if pair is None:
            unit_den, level = key
            assert row.w is not None
            frac = self.plan.fraction
            eff = frac(sw * row.w, unit_den)
            points = frac(sw * row.w * level, 4 * unit_den) if level else _ZERO
            pair = row.pairs[key] = (eff, points)
        return pair

    def _grades(self, ncs: Sequence[Any]) -> list[str] | None:
        """The open grades, or None when one is unknown (the reference words the error)."""
        grades = []
        for item in ncs:
            g = grade_of(item)
            if g not in self.grade_ids:
                return None
            grades.append(g)
        return grades

    def _grade_reasons(self, grades: list[str]) -> tuple[Reason, ...]:
        """The open non-conformities' reasons (made once per list of grades, capped)."""
        key = tuple(grades)
        reasons = self.grade_reasons.get(key)
        if reasons is None:
            if len(self.grade_reasons) >= _GRADE_CACHE_LIMIT:
                self.grade_reasons.clear()
            reasons = tuple(nonconformity_reasons(self.rubric, grades))
            self.grade_reasons[key] = reasons
        return reasons

    def _outcome(
        self,
        blockers: list[Reason],
        belows: list[tuple[Reason | None, ...]],
        overall: Fraction,
    ) -> tuple[str, list[Reason]]:
        """The highest outcome level reached and its reasons, as the reference's ``_outcome``
        finds them (levels from the lowest; the first level missed gives the reasons)."""
        outcome = NOT_CERTIFIED
        reasons: list[Reason] = []
        for i, o in enumerate(self.outcomes):
            oid = o.id
            missing = [r for r in blockers if oid in r.blocks]
            for below in belows:
                if below[i] is not None:
                    missing.append(below[i])  # type: ignore[arg-type]
            if overall < self.min_overall[i]:
                missing.append(overall_below_threshold(o, overall))
            if missing:
                reasons = missing
                break
            outcome = oid
        if outcome != NOT_CERTIFIED:
            reasons.insert(0, requirements_met(self.rubric.outcome(outcome), overall))
        return outcome, reasons


_COMPILED: dict[str, CompiledRubric] = {}


def compiled_for(rubric: Rubric) -> CompiledRubric:
    """The compiled scorer of *rubric*, built once per rubric content (a bounded cache)."""
    compiled = _COMPILED.get(rubric.sha256)
    if compiled is None:
        if len(_COMPILED) > 64:  # only a handful of versions exist; bound the cache anyway
            _COMPILED.clear()
        compiled = _COMPILED[rubric.sha256] = CompiledRubric(rubric)
    return compiled
