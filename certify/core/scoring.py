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

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, NamedTuple

from certify.core.rubric.model import LEVELS, Criterion, OutcomeLevel, Rubric, Section

__all__ = [
    "NOT_CERTIFIED",
    "Answer",
    "AnswerError",
    "AnswerProblem",
    "CriterionScore",
    "Reason",
    "ScoreResult",
    "SectionFloor",
    "SectionScore",
    "preview",
    "rounded",
    "score",
]

NOT_CERTIFIED = "not_certified"
_TWO_PLACES = 2


def rounded(value: Fraction | Decimal | int, places: int = _TWO_PLACES) -> Decimal:
    """*value* rounded half-up (away from zero on a tie) to *places* decimals, exactly.

    Works on the exact fraction, so 0.125 gives 0.13 and 1/3 gives 0.33 with no float or
    intermediate-precision surprise.
    """
    f = value if isinstance(value, Fraction) else Fraction(value)
    numerator = f.numerator * 10**places
    q, r = divmod(abs(numerator), f.denominator)
    if 2 * r >= f.denominator:
        q += 1
    sign = -1 if numerator < 0 else 1
    return Decimal(sign * q).scaleb(-places)


def _s(value: Fraction | Decimal | int) -> str:
    return str(rounded(value))


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Answer:
    """An auditor's answer to one criterion.

    gate: ``value`` is True (passes) or False. level: ``value`` is an int 0-4. number: ``value``
    is a Decimal, int or numeric str (a float is read through ``str`` only), plus ``basis`` for
    criteria with several bases (CR-1: ``"profit"`` or ``"revenue"``). Not applicable:
    ``not_applicable=True`` with a ``justification`` and no value. The constructors below say
    the same thing shorter; a bare value or a dict with these keys is accepted by :func:`score`.
    """

    value: Any = None
    basis: str | None = None
    not_applicable: bool = False
    justification: str = ""

    @classmethod
    def gate(cls, passed: bool) -> Answer:
        return cls(value=passed)

    @classmethod
    def level(cls, level: int) -> Answer:
        return cls(value=level)

    @classmethod
    def number(cls, value: Decimal | int | str, basis: str | None = None) -> Answer:
        return cls(value=value, basis=basis)

    @classmethod
    def na(cls, justification: str) -> Answer:
        return cls(not_applicable=True, justification=justification)


@dataclass(frozen=True)
class AnswerProblem:
    """One bad answer: the criterion (or ``nonconformities[i]``), a rule code and a message."""

    criterion: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.criterion}: {self.message} [{self.rule}]"


class AnswerError(ValueError):
    """The answers cannot be scored; ``problems`` lists every bad answer at once."""

    def __init__(self, problems: Iterable[AnswerProblem]) -> None:
        self.problems: list[AnswerProblem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


_ANSWER_KEYS = frozenset({"value", "basis", "not_applicable", "justification"})

#: (value, basis, not_applicable, justification) of one answer, whatever form it came in.
_Parts = tuple[Any, Any, bool, str]


_BARE = frozenset({bool, int, str, Decimal, float})


def _parts(cid: str, raw: Any, problems: list[AnswerProblem]) -> _Parts | None:
    if raw.__class__ in _BARE:  # the common case first: isinstance on Mapping (an ABC) is slow
        return raw, None, False, ""
    if isinstance(raw, Answer):
        return raw.value, raw.basis, raw.not_applicable is True, raw.justification or ""
    if isinstance(raw, Mapping):
        extra = set(raw) - _ANSWER_KEYS
        if extra:
            keys = ", ".join(sorted(map(str, extra)))
            problems.append(AnswerProblem(cid, "answer_shape", f"unknown answer keys: {keys}"))
            return None
        justification = raw.get("justification") or ""
        if not isinstance(justification, str):
            problems.append(AnswerProblem(cid, "answer_shape", "the justification must be text"))
            return None
        return raw.get("value"), raw.get("basis"), raw.get("not_applicable") is True, justification
    return raw, None, False, ""


def _decimal(value: Any) -> Decimal | None:
    """Decimal for numbers and numeric text; None for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # Why str: Decimal(0.1) is 0.1000000000000000055..., Decimal(str(0.1)) is 0.1.
        return Decimal(str(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


class _Checked(NamedTuple):
    """A validated answer: ``level`` is the scored level (None for gates and N/A)."""

    na: bool
    value: bool | int | Decimal | None
    basis: str | None
    level: int | None
    justification: str = ""


#: A band as (lower, lower inclusive, upper or None, upper inclusive, level): a tuple, because
#: this lookup runs for every number answer and attribute access on Band objects costs.
_BandRow = tuple[Decimal, bool, Decimal | None, bool, int]


def _level_for(rows: tuple[_BandRow, ...], d: Decimal) -> int:
    for lower, lower_in, upper, upper_in, level in rows:
        if d < lower or (d == lower and not lower_in):
            continue
        if upper is None or d < upper or (d == upper and upper_in):
            return level
    raise AssertionError(f"{d} in range but in no band: the loader guarantees contiguous bands")


def _check(
    c: Criterion,
    parts: _Parts,
    bands: Mapping[str | None, tuple[_BandRow, ...]],
    problems: list[AnswerProblem],
) -> _Checked | None:
    cid = c.id
    value, basis, na, justification = parts
    kind = c.kind
    # Fast paths for the common well-formed answers (scoring runs per keystroke in previews).
    if not na and basis is None:
        if kind == "gate" and value.__class__ is bool:
            return _Checked(False, value, None, None)
        if kind == "level" and value.__class__ is int and 0 <= value <= 4:
            return _Checked(False, value, None, value)
    if na:
        ok = True
        if not c.na_allowed:
            problems.append(
                AnswerProblem(cid, "na_not_allowed", f"{cid} cannot be marked not applicable")
            )
            ok = False
        if not justification.strip():
            problems.append(
                AnswerProblem(
                    cid, "na_justification", "not applicable needs a written justification"
                )
            )
            ok = False
        if value is not None:
            problems.append(
                AnswerProblem(
                    cid, "na_with_value", "give either a value or not applicable, not both"
                )
            )
            ok = False
        return _Checked(True, None, None, None, justification.strip()) if ok else None
    if value is None:
        problems.append(AnswerProblem(cid, "missing_value", f"{cid} has an answer without a value"))
        return None
    if kind != "number" and basis is not None:
        problems.append(AnswerProblem(cid, "unknown_basis", f"{cid} takes no basis"))
        return None
    if kind == "gate":
        problems.append(AnswerProblem(cid, "gate_value", f"{cid} is a yes/no gate, got {value!r}"))
        return None
    if kind == "level":
        d = _decimal(value) if not isinstance(value, float) else None
        if d is None or d != d.to_integral_value() or int(d) not in LEVELS:
            problems.append(
                AnswerProblem(cid, "level_range", f"{cid} needs a level from 0 to 4, got {value!r}")
            )
            return None
        return _Checked(False, int(d), None, int(d))
    # number
    d = _decimal(value)
    if d is None:
        problems.append(
            AnswerProblem(cid, "not_a_number", f"{cid} needs a number ({c.unit}), got {value!r}")
        )
        return None
    ok = True
    if (c.range_min is not None and d < c.range_min) or (
        c.range_max is not None and d > c.range_max
    ):
        valid = (
            f"{c.range_min} to {c.range_max}"
            if c.range_max is not None
            else (f"{c.range_min} or more")
        )
        problems.append(
            AnswerProblem(
                cid, "out_of_range", f"{cid}: {d} is outside the valid range ({valid}, {c.unit})"
            )
        )
        ok = False
    basis_ids = [b.id for b in c.bases]
    if len(basis_ids) > 1 and basis is None:
        problems.append(
            AnswerProblem(
                cid, "basis_required", f"{cid} needs a basis: one of {', '.join(basis_ids)}"
            )
        )
        return None
    if basis is not None and (len(basis_ids) == 1 or basis not in basis_ids):
        known = ", ".join(basis_ids) if len(basis_ids) > 1 else "none (it has a single basis)"
        problems.append(
            AnswerProblem(cid, "unknown_basis", f"{cid} has no basis {basis!r}; known: {known}")
        )
        return None
    if not ok:
        return None
    return _Checked(False, d, basis, _level_for(bands[basis], d))


def _grade(item: Any) -> Any:
    if isinstance(item, str):
        return item
    grade = item.get("grade") if isinstance(item, Mapping) else getattr(item, "grade", None)
    return getattr(grade, "value", grade)  # an Enum member stands for its value


# --------------------------------------------------------------------------- results


class CriterionScore(NamedTuple):
    """How one criterion scored (an immutable named tuple: 31 are made per score).

    ``status`` is ``answered``, ``not_applicable`` or ``unanswered`` (preview only).
    ``effective_weight`` is the weight after sharing out not-applicable weight; ``points`` is
    ``effective_weight x level / 4``. ``passed`` is the gate result, or for a number with a floor
    whether the floor was met (``None`` otherwise).
    """

    criterion_id: str
    section_id: str
    kind: str
    status: str
    value: bool | int | Decimal | None
    basis: str | None
    level: int | None
    weight: Decimal
    effective_weight: Fraction
    points: Fraction
    passed: bool | None
    justification: str = ""

    def to_dict(self) -> dict[str, Any]:
        value: Any = self.value
        if isinstance(value, Decimal):
            value = str(value)
        return {
            "criterion": self.criterion_id,
            "section": self.section_id,
            "kind": self.kind,
            "status": self.status,
            "value": value,
            "basis": self.basis,
            "level": self.level,
            "weight": _s(self.weight),
            "effective_weight": _s(self.effective_weight),
            "points": _s(self.points),
            "passed": self.passed,
            "justification": self.justification or None,
        }


class SectionFloor(NamedTuple):
    """A section's floor for one outcome level: ``required`` points and whether it is met."""

    outcome: str
    required: Fraction
    met: bool


@dataclass(frozen=True)
class SectionScore:
    """A section's exact score out of its weight, and its floor status per outcome level."""

    section_id: str
    weight: Decimal
    score: Fraction
    floors: tuple[SectionFloor, ...]

    @property
    def percent(self) -> Fraction:
        """The score as a percentage of the section's weight."""
        return self.score * 100 / Fraction(self.weight)

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section_id,
            "weight": _s(self.weight),
            "score": _s(self.score),
            "percent": _s(self.percent),
            "floors": {f.outcome: {"required": _s(f.required), "met": f.met} for f in self.floors},
        }


@dataclass(frozen=True)
class Reason:
    """One reason that decided the outcome, as data and as a sentence.

    ``code``: ``gate_failed``, ``floor_missed``, ``open_nonconformity``,
    ``section_below_floor``, ``overall_below_threshold`` or ``requirements_met``.
    ``blocks`` lists the outcome levels this reason keeps out of reach (empty for
    ``requirements_met``, whose ``outcome`` is the level reached). ``subject`` is the criterion,
    section or grade concerned; ``actual`` and ``required`` are exact where they are numbers.
    """

    code: str
    message: str
    blocks: tuple[str, ...] = ()
    outcome: str | None = None
    subject: str | None = None
    actual: Fraction | Decimal | int | bool | None = None
    required: Fraction | Decimal | int | bool | None = None

    def to_dict(self) -> dict[str, Any]:
        def show(v: Any) -> Any:
            # Counts and yes/no stay as they are; scores and thresholds become 2-decimal text.
            return v if v is None or isinstance(v, bool | int) else _s(v)

        return {
            "code": self.code,
            "message": self.message,
            "blocks": list(self.blocks),
            "outcome": self.outcome,
            "subject": self.subject,
            "actual": show(self.actual),
            "required": show(self.required),
        }


@dataclass(frozen=True)
class ScoreResult:
    """Everything a score page, a certificate and a reviewer need, exact.

    ``outcome`` is ``None`` for a preview with unanswered criteria (the score is then "so far":
    unanswered criteria count as level 0, and ``reasons`` hold only blockers that no further
    answer can lift: failed gates, missed floors, open non-conformities).
    """

    rubric_key: str
    rubric_sha256: str
    criteria: tuple[CriterionScore, ...]
    sections: tuple[SectionScore, ...]
    overall: Fraction
    outcome: str | None
    reasons: tuple[Reason, ...]
    unanswered: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.unanswered

    @property
    def progress(self) -> tuple[int, int]:
        """``(answered, total)``: not-applicable counts as answered."""
        return len(self.criteria) - len(self.unanswered), len(self.criteria)

    def criterion(self, criterion_id: str) -> CriterionScore:
        """The score of one criterion. Raises KeyError."""
        for c in self.criteria:
            if c.criterion_id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def section(self, section_id: str) -> SectionScore:
        """The score of one section. Raises KeyError."""
        for s in self.sections:
            if s.section_id == section_id:
                return s
        raise KeyError(section_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data; every score is a 2-decimal string rounded half-up."""
        answered, total = self.progress
        return {
            "rubric": self.rubric_key,
            "rubric_sha256": self.rubric_sha256,
            "outcome": self.outcome,
            "overall": _s(self.overall),
            "complete": self.complete,
            "progress": {"answered": answered, "total": total},
            "unanswered": list(self.unanswered),
            "sections": [s.to_dict() for s in self.sections],
            "criteria": [c.to_dict() for c in self.criteria],
            "reasons": [r.to_dict() for r in self.reasons],
        }


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Plan:
    """Per-rubric constants, computed once per rubric content: integer weights over a common
    denominator (so the inner loop adds ints and builds few Fractions), band tables and the
    section floors in points."""

    denominator: int
    ids: frozenset[str]
    bands: Mapping[str, Mapping[str | None, tuple[_BandRow, ...]]]
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


_PLANS: dict[str, _Plan] = {}


def _plan(rubric: Rubric) -> _Plan:
    plan = _PLANS.get(rubric.sha256)
    if plan is None:
        fractions = [Fraction(c.weight) for c in rubric.criteria]
        fractions += [Fraction(s.weight) for s in rubric.sections]
        den = math.lcm(*(f.denominator for f in fractions))
        bands: dict[str, dict[str | None, tuple[_BandRow, ...]]] = {}
        for c in rubric.criteria:
            tables: dict[str | None, tuple[_BandRow, ...]] = {
                b.id: tuple(
                    (x.lower, x.lower_inclusive, x.upper, x.upper_inclusive, x.level)
                    for x in b.bands
                )
                for b in c.bases
            }
            if len(c.bases) == 1:
                tables = {None: next(iter(tables.values()))}
            bands[c.id] = tables
        plan = _Plan(
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
    plan = _plan(rubric)
    problems: list[AnswerProblem] = []
    checked: dict[str, _Checked] = {}
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
        parts = _parts(c.id, answers[c.id], problems)
        if parts is not None:
            ok = _check(c, parts, plan.bands[c.id], problems)
            if ok is not None:
                checked[c.id] = ok
    grade_ids = {g.id for g in rubric.grades}
    open_grades: list[str] = []
    for i, item in enumerate(open_nonconformities):
        g = _grade(item)
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
    if problems:
        raise AnswerError(problems)
    return _score_checked(rubric, plan, checked, open_grades, tuple(unanswered))


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
    plan: _Plan,
    checked: Mapping[str, _Checked],
    open_grades: list[str],
    unanswered: tuple[str, ...],
) -> ScoreResult:
    den = plan.denominator
    frac = plan.fraction
    crit_scores: list[CriterionScore] = []
    section_scores: list[SectionScore] = []
    overall = _ZERO
    blockers: list[Reason] = []  # reasons that block every outcome level
    all_levels = tuple(o.id for o in rubric.outcomes)
    for section, sw, rows in plan.sections:
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
        unit_den = applicable * den
        section_score = frac(sw * total, 4 * unit_den)
        overall += section_score
        for c, w in rows:
            ans = checked.get(c.id)
            passed: bool | None = None
            eff = points = _ZERO
            if ans is None:
                status = "unanswered"
                if w is not None:
                    eff = frac(sw * w, unit_den)
                crit_scores.append(
                    CriterionScore(
                        c.id,
                        section.id,
                        c.kind,
                        status,
                        None,
                        None,
                        None,
                        c.weight,
                        eff,
                        points,
                        None,
                    )
                )
                continue
            if ans.na:
                status = "not_applicable"
            elif w is None:  # a gate
                status = "answered"
                passed = ans.value is True
                if not passed:
                    blockers.append(
                        Reason(
                            "gate_failed",
                            f"Gate {c.id} ({c.title}) failed: every gate must pass.",
                            blocks=all_levels,
                            subject=c.id,
                            actual=False,
                            required=True,
                        )
                    )
            else:
                status = "answered"
                eff = frac(sw * w, unit_den)
                if ans.level:
                    points = frac(sw * w * ans.level, 4 * unit_den)
                if c.floor is not None:
                    value = ans.value
                    assert isinstance(value, Decimal)
                    passed = value >= c.floor
                    if not passed:
                        blockers.append(
                            Reason(
                                "floor_missed",
                                f"{c.id} ({c.title}) is {value}, below its floor of {c.floor}: "
                                "no level can be reached.",
                                blocks=all_levels,
                                subject=c.id,
                                actual=value,
                                required=c.floor,
                            )
                        )
            crit_scores.append(
                CriterionScore(
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
            )
        floors = tuple(
            SectionFloor(oid, required, section_score >= required)
            for oid, required in plan.floors[section.id]
        )
        section_scores.append(SectionScore(section.id, section.weight, section_score, floors))

    # Open non-conformities: one reason per grade, listing every level that grade blocks.
    for grade in dict.fromkeys(open_grades):
        n = open_grades.count(grade)
        blocked = tuple(o.id for o in rubric.outcomes if grade in o.blocked_by_open)
        if blocked:
            noun = "non-conformity is" if n == 1 else "non-conformities are"
            blockers.append(
                Reason(
                    "open_nonconformity",
                    f"{n} {grade} {noun} open: {' and '.join(blocked)} "
                    f"need{'s' if len(blocked) == 1 else ''} none open.",
                    blocks=blocked,
                    subject=grade,
                    actual=n,
                    required=0,
                )
            )

    if unanswered:
        outcome: str | None = None
        reasons = list(blockers)
    else:
        outcome = NOT_CERTIFIED
        reasons = []
        for o in rubric.outcomes:  # lowest to highest; the loader checks each is harder
            missing = _level_reasons(o, blockers, section_scores, overall)
            if missing:
                reasons = missing
                break
            outcome = o.id
        if outcome != NOT_CERTIFIED:
            reached = rubric.outcome(outcome)
            reasons.insert(
                0,
                Reason(
                    "requirements_met",
                    f"{reached.title}: every gate and floor passed, overall {_s(overall)} "
                    f"reaches {_n(reached.min_overall)}, every section reaches "
                    f"{_n(reached.section_floor_percent)}% of its weight, and no blocking "
                    "non-conformity is open.",
                    outcome=reached.id,
                    actual=overall,
                    required=reached.min_overall,
                ),
            )
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


def _n(value: Decimal) -> str:
    """A threshold as written in the rubric (60, 12.5), for messages."""
    return str(value.normalize()) if value != value.to_integral_value() else str(int(value))


def _level_reasons(
    o: OutcomeLevel, blockers: list[Reason], sections: list[SectionScore], overall: Fraction
) -> list[Reason]:
    """Every reason outcome level *o* is not reached (empty when it is)."""
    out = [r for r in blockers if o.id in r.blocks]
    for s in sections:
        floor = next(f for f in s.floors if f.outcome == o.id)
        if not floor.met:
            out.append(
                Reason(
                    "section_below_floor",
                    f"Section {s.section_id} scores {_s(s.score)} of {_n(s.weight)} "
                    f"({_s(s.percent)}%), under the {_n(o.section_floor_percent)}% floor "
                    f"({_s(floor.required)} points) for {o.id}.",
                    blocks=(o.id,),
                    subject=s.section_id,
                    actual=s.score,
                    required=floor.required,
                )
            )
    if overall < Fraction(o.min_overall):
        out.append(
            Reason(
                "overall_below_threshold",
                f"Overall score {_s(overall)} is under the {_n(o.min_overall)} needed for {o.id}.",
                blocks=(o.id,),
                actual=overall,
                required=o.min_overall,
            )
        )
    return out
