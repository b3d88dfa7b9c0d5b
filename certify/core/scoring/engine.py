"""Scoring: a pure function of (rubric, answers, open non-conformities) that explains itself.

Arithmetic is exact (:class:`fractions.Fraction`); thresholds are compared exactly; only
:func:`rounded` (and :meth:`ScoreResult.to_dict`, which uses it) rounds, half-up to 2 decimals.

The rules, all read from the rubric:

- A level criterion earns ``weight x level / 4``; a number criterion is first mapped to a level
  by the bands of its basis. Gates earn nothing but must pass.
- A not-applicable criterion's weight is shared among the section's other applicable scored
  criteria in proportion to their weights, so every section keeps its weight: a section scores
  ``section weight x sum(w x level) / (4 x sum(w))`` over its applicable scored criteria.
- The overall score is the sum of the section scores (section weights add up to 100).
- An outcome level is reached when every gate passes, every number floor is met, no open
  non-conformity has a grade the level is blocked by, the overall score reaches the level's
  threshold and every section reaches the level's floor (a % of its weight). The outcome is the
  highest level reached, else ``not_certified``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from certify.core.rubric.model import Criterion, OutcomeLevel, Rubric, Section
from certify.core.scoring.answers import (
    AnswerError,
    AnswerProblem,
    Checked,
    answer_parts,
    check_answer,
    grade_of,
)
from certify.core.scoring.compiled import compiled_for
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


def score(
    rubric: Rubric,
    answers: Mapping[str, Any],
    open_nonconformities: Iterable[Any] = (),
    *,
    partial: bool = False,
) -> ScoreResult:
    """Score *answers* against *rubric* with the given open non-conformities.

    *answers* maps criterion id to an :class:`Answer`, a dict with the same keys, or a bare
    value (bool for gates, int for levels, Decimal/int/str for numbers).
    *open_nonconformities* holds grades (``"critical"``, ``"major"``, ``"minor"``), objects with a
    ``grade`` attribute (an Enum's value is used), or dicts with a ``"grade"`` key. With
    ``partial=True`` missing answers are allowed (see :func:`preview`); by default every
    criterion must be answered.

    Returns a :class:`ScoreResult`. Nothing passed in is modified.

    Raises:
        AnswerError: listing every bad answer at once: unknown criterion, missing answer,
            level out of range, text where a number belongs, value outside its range,
            not-applicable where not allowed or without justification, unknown or missing
            basis, unknown non-conformity grade.
    """
    # Read once: a generator of non-conformities must reach the reference path whole.
    ncs = tuple(open_nonconformities)
    # The compiled scorer gives the same result for the answers it accepts, faster; it
    # declines (None) anything it has no fast path for, and every bad answer, so the
    # reference below decides those and words their errors.
    result = compiled_for(rubric).score(answers, ncs, partial)
    if result is not None:
        return result
    return score_reference(rubric, answers, ncs, partial=partial)


def score_reference(
    rubric: Rubric,
    answers: Mapping[str, Any],
    open_nonconformities: Iterable[Any] = (),
    *,
    partial: bool = False,
) -> ScoreResult:
    """:func:`score` as the rules read, criterion by criterion: the reference the compiled
    scorer (:mod:`~certify.core.scoring.compiled`) is tested against, and the path for
    answers it declines. Same arguments, result and errors as :func:`score`."""
    plan = plan_for(rubric)
    problems: list[AnswerProblem] = []
    checked: dict[str, Checked] = {}
    unanswered: list[str] = []
    for cid in answers:
        if cid not in plan.ids:
            problems.append(
                AnswerProblem(
                    str(cid), "unknown_criterion", f"no criterion {cid!r} in {rubric.key}"
                )
            )
    for c in rubric.criteria:
        if c.id not in answers:
            if partial:
                unanswered.append(c.id)
            else:
                problems.append(AnswerProblem(c.id, "missing_answer", f"{c.id} is not answered"))
            continue
        parts = answer_parts(c.id, answers[c.id], problems)
        if parts is not None:
            ok = check_answer(c, parts, plan.bands[c.id], problems)
            if ok is not None:
                checked[c.id] = ok
    open_grades = _open_grades(rubric, open_nonconformities, problems)
    if problems:
        raise AnswerError(problems)
    return _score_checked(rubric, plan, checked, open_grades, tuple(unanswered))


def _open_grades(
    rubric: Rubric, open_nonconformities: Iterable[Any], problems: list[AnswerProblem]
) -> list[str]:
    """The grades of the open non-conformities (an unknown grade is a problem)."""
    grade_ids = {g.id for g in rubric.grades}
    open_grades: list[str] = []
    for i, item in enumerate(open_nonconformities):
        g = grade_of(item)
        if g not in grade_ids:
            problems.append(
                AnswerProblem(
                    f"nonconformities[{i}]",
                    "unknown_grade",
                    f"unknown non-conformity grade {g!r}; known: {', '.join(sorted(grade_ids))}",
                )
            )
        else:
            open_grades.append(g)
    return open_grades


def preview(
    rubric: Rubric, answers: Mapping[str, Any], open_nonconformities: Iterable[Any] = ()
) -> ScoreResult:
    """Live preview for the assessment form: :func:`score` with unanswered criteria allowed.

    The result's ``unanswered`` and ``progress`` say what is left; ``overall`` is the score so
    far (unanswered = level 0); ``outcome`` is ``None`` until every criterion is answered.

    Raises:
        AnswerError: for every answer given that is bad (missing ones are not errors here).
    """
    return score(rubric, answers, open_nonconformities, partial=True)


_ZERO = Fraction(0)


def _score_checked(
    rubric: Rubric,
    plan: Plan,
    checked: Mapping[str, Checked],
    open_grades: list[str],
    unanswered: tuple[str, ...],
) -> ScoreResult:
    """The result of answers that passed every check: sections in the plan's order, then the
    open non-conformities, then the outcome (none while *unanswered* is not empty)."""
    crit_scores: list[CriterionScore] = []
    section_scores: list[SectionScore] = []
    overall = _ZERO
    blockers: list[Reason] = []  # reasons that block every outcome level
    all_levels = tuple(o.id for o in rubric.outcomes)
    for section, sw, rows in plan.sections:
        section_score = _score_section(
            plan, section, sw, rows, checked, all_levels, crit_scores, blockers
        )
        overall += section_score
        floors = tuple(
            SectionFloor(oid, required, section_score >= required)
            for oid, required in plan.floors[section.id]
        )
        section_scores.append(SectionScore(section.id, section.weight, section_score, floors))
    blockers.extend(nonconformity_reasons(rubric, open_grades))
    if unanswered:
        outcome: str | None = None
        reasons = list(blockers)
    else:
        outcome, reasons = _outcome(rubric, blockers, section_scores, overall)
    return ScoreResult(
        rubric.key,
        rubric.sha256,
        tuple(crit_scores),
        tuple(section_scores),
        overall,
        outcome,
        tuple(reasons),
        unanswered,
    )


def _score_section(
    plan: Plan,
    section: Section,
    sw: int,
    rows: tuple[tuple[Criterion, int | None], ...],
    checked: Mapping[str, Checked],
    all_levels: tuple[str, ...],
    crit_scores: list[CriterionScore],
    blockers: list[Reason],
) -> Fraction:
    """Score one section (weight *sw* in plan units): append its criteria's scores and their
    blocking reasons; return the section's score."""
    # Applicable declared weight A and weighted level sum S, in integer units of 1/den.
    # Section score = W x S / (4 A): not-applicable weight is shared in proportion.
    applicable = 0
    total = 0
    for c, w in rows:
        if w is None:  # a gate
            continue
        ans = checked.get(c.id)
        if ans is None:
            applicable += w
        elif not ans.na:
            applicable += w
            if ans.level:
                total += w * ans.level
    # The loader guarantees every section has a scored criterion that cannot be N/A,
    # so applicable > 0. Units: (sw/den) x (total/den) / (4 x applicable/den).
    unit_den = applicable * plan.denominator
    for c, w in rows:
        crit_scores.append(
            _score_criterion(
                plan, section, c, w, checked.get(c.id), sw, unit_den, all_levels, blockers
            )
        )
    return plan.fraction(sw * total, 4 * unit_den)


def _score_criterion(
    plan: Plan,
    section: Section,
    c: Criterion,
    w: int | None,
    ans: Checked | None,
    sw: int,
    unit_den: int,
    all_levels: tuple[str, ...],
    blockers: list[Reason],
) -> CriterionScore:
    """The score of criterion *c* (weight *w* in plan units, None for a gate); a failed gate
    or a missed floor adds a reason to *blockers*."""
    frac = plan.fraction
    passed: bool | None = None
    eff = points = _ZERO
    if ans is None:
        if w is not None:
            eff = frac(sw * w, unit_den)
        return CriterionScore(
            c.id, section.id, c.kind, "unanswered", None, None, None, c.weight, eff, points, None
        )
    if ans.na:
        status = "not_applicable"
    elif w is None:  # a gate
        status = "answered"
        passed = ans.value is True
        if not passed:
            blockers.append(gate_failed(c, all_levels))
    else:
        status = "answered"
        eff = frac(sw * w, unit_den)
        if ans.level:
            points = frac(sw * w * ans.level, 4 * unit_den)
        if c.floor is not None:
            passed = _floor_met(c, ans, all_levels, blockers)
    return CriterionScore(
        c.id,
        section.id,
        c.kind,
        status,
        ans.value,
        ans.basis,
        ans.level,
        c.weight,
        eff,
        points,
        passed,
        ans.justification,
    )


def _floor_met(
    c: Criterion, ans: Checked, all_levels: tuple[str, ...], blockers: list[Reason]
) -> bool:
    """Whether the number answer *ans* meets the floor of *c* (a reason when it does not)."""
    value = ans.value
    assert isinstance(value, Decimal)
    assert c.floor is not None
    passed = value >= c.floor
    if not passed:
        blockers.append(floor_missed(c, value, all_levels))
    return passed


def _outcome(
    rubric: Rubric, blockers: list[Reason], sections: list[SectionScore], overall: Fraction
) -> tuple[str, list[Reason]]:
    """The highest outcome level reached (levels go from lowest to highest; the loader checks
    each is harder) and the reasons: why it is reached, or why the next one is not."""
    outcome = NOT_CERTIFIED
    reasons: list[Reason] = []
    for o in rubric.outcomes:
        missing = _level_reasons(o, blockers, sections, overall)
        if missing:
            reasons = missing
            break
        outcome = o.id
    if outcome != NOT_CERTIFIED:
        reasons.insert(0, requirements_met(rubric.outcome(outcome), overall))
    return outcome, reasons


def _level_reasons(
    o: OutcomeLevel, blockers: list[Reason], sections: list[SectionScore], overall: Fraction
) -> list[Reason]:
    """Every reason outcome level *o* is not reached (empty when it is)."""
    out = [r for r in blockers if o.id in r.blocks]
    for s in sections:
        floor = next(f for f in s.floors if f.outcome == o.id)
        if not floor.met:
            out.append(section_below_floor(o, s, floor.required))
    if overall < Fraction(o.min_overall):
        out.append(overall_below_threshold(o, overall))
    return out
