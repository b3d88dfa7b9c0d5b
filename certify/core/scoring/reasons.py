"""The reasons a score gives, as data and as sentences: one builder per reason code.

The reference engine and the compiled scorer both build their reasons here, so the wording
and the exact figures of a reason live in one place.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from certify.core.rubric.model import Criterion, OutcomeLevel, Rubric
from certify.core.scoring.results import Reason, SectionScore, rounded_text


def threshold_text(value: Decimal) -> str:
    """A threshold as written in the rubric (60, 12.5), for messages."""
    return str(value.normalize()) if value != value.to_integral_value() else str(int(value))


def gate_failed(c: Criterion, all_levels: tuple[str, ...]) -> Reason:
    """Gate *c* failed: it blocks every outcome level."""
    return Reason(
        "gate_failed",
        f"Gate {c.id} ({c.title}) failed: every gate must pass.",
        blocks=all_levels,
        subject=c.id,
        actual=False,
        required=True,
    )


def floor_missed(c: Criterion, value: Decimal, all_levels: tuple[str, ...]) -> Reason:
    """Number criterion *c* answered *value*, under its floor: it blocks every level."""
    assert c.floor is not None
    return Reason(
        "floor_missed",
        f"{c.id} ({c.title}) is {value}, below its floor of {c.floor}: no level can be reached.",
        blocks=all_levels,
        subject=c.id,
        actual=value,
        required=c.floor,
    )


def nonconformity_reasons(rubric: Rubric, open_grades: list[str]) -> list[Reason]:
    """Open non-conformities: one reason per grade, listing every level that grade blocks."""
    reasons = []
    for grade in dict.fromkeys(open_grades):
        n = open_grades.count(grade)
        blocked = tuple(o.id for o in rubric.outcomes if grade in o.blocked_by_open)
        if blocked:
            noun = "non-conformity is" if n == 1 else "non-conformities are"
            reasons.append(
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
    return reasons


def section_below_floor(o: OutcomeLevel, s: SectionScore, required: Fraction) -> Reason:
    """Section *s* scores under *required* points, the floor of outcome level *o*."""
    return Reason(
        "section_below_floor",
        f"Section {s.section_id} scores {rounded_text(s.score)} of {threshold_text(s.weight)} "
        f"({rounded_text(s.percent)}%), under the {threshold_text(o.section_floor_percent)}% "
        f"floor ({rounded_text(required)} points) for {o.id}.",
        blocks=(o.id,),
        subject=s.section_id,
        actual=s.score,
        required=required,
    )


def overall_below_threshold(o: OutcomeLevel, overall: Fraction) -> Reason:
    """The overall score is under outcome level *o*'s threshold."""
    return Reason(
        "overall_below_threshold",
        f"Overall score {rounded_text(overall)} is under the {threshold_text(o.min_overall)} "
        f"needed for {o.id}.",
        blocks=(o.id,),
        actual=overall,
        required=o.min_overall,
    )


def requirements_met(reached: OutcomeLevel, overall: Fraction) -> Reason:
    """Why outcome level *reached* is reached."""
    return Reason(
        "requirements_met",
        f"{reached.title}: every gate and floor passed, overall {rounded_text(overall)} "
        f"reaches {threshold_text(reached.min_overall)}, every section reaches "
        f"{threshold_text(reached.section_floor_percent)}% of its weight, and no blocking "
        "non-conformity is open.",
        outcome=reached.id,
        actual=overall,
        required=reached.min_overall,
    )
