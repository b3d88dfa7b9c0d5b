"""What a score says, exactly: per criterion, per section (with its floors), the reasons that
decided the outcome, and the whole result. Only :func:`rounded` (and the ``to_dict`` methods,
which use it) rounds, half-up to 2 decimals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

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


def rounded_text(value: Fraction | Decimal | int) -> str:
    """*value* as it is shown: 2 decimals, rounded half-up."""
    return str(rounded(value))


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
            "weight": rounded_text(self.weight),
            "effective_weight": rounded_text(self.effective_weight),
            "points": rounded_text(self.points),
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
            "weight": rounded_text(self.weight),
            "score": rounded_text(self.score),
            "percent": rounded_text(self.percent),
            "floors": {
                f.outcome: {"required": rounded_text(f.required), "met": f.met} for f in self.floors
            },
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
            return v if v is None or isinstance(v, bool | int) else rounded_text(v)

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
            "overall": rounded_text(self.overall),
            "complete": self.complete,
            "progress": {"answered": answered, "total": total},
            "unanswered": list(self.unanswered),
            "sections": [s.to_dict() for s in self.sections],
            "criteria": [c.to_dict() for c in self.criteria],
            "reasons": [r.to_dict() for r in self.reasons],
        }
