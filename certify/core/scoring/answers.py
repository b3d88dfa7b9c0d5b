"""An auditor's answers: the forms they come in, and the checks that turn each into a level
(or refuse it, naming every bad answer at once)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from certify.core.rubric.model import LEVELS, Criterion


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


def answer_parts(cid: str, raw: Any, problems: list[AnswerProblem]) -> _Parts | None:
    """(value, basis, not applicable, justification) of *raw*, whatever form it came in, or
    None after adding to *problems* why it has no usable form."""
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


class Checked(NamedTuple):
    """A validated answer: ``level`` is the scored level (None for gates and N/A)."""

    na: bool
    value: bool | int | Decimal | None
    basis: str | None
    level: int | None
    justification: str = ""


#: A band as (lower, lower inclusive, upper or None, upper inclusive, level): a tuple, because
#: this lookup runs for every number answer and attribute access on Band objects costs.
BandRow = tuple[Decimal, bool, Decimal | None, bool, int]


def level_for_value(rows: tuple[BandRow, ...], d: Decimal) -> int:
    """The level of the band holding *d* (*d* is in range, so one does)."""
    for lower, lower_in, upper, upper_in, level in rows:
        if d < lower or (d == lower and not lower_in):
            continue
        if upper is None or d < upper or (d == upper and upper_in):
            return level
    raise AssertionError(f"{d} in range but in no band: the loader guarantees contiguous bands")


def check_answer(
    c: Criterion,
    parts: _Parts,
    bands: Mapping[str | None, tuple[BandRow, ...]],
    problems: list[AnswerProblem],
) -> Checked | None:
    """The checked answer to criterion *c* (*bands*: its band table by basis), or None after
    adding to *problems* every reason it cannot be scored."""
    cid = c.id
    value, basis, na, justification = parts
    kind = c.kind
    # Fast paths for the common well-formed answers (scoring runs per keystroke in previews).
    if not na and basis is None:
        if kind == "gate" and value.__class__ is bool:
            return Checked(False, value, None, None)
        if kind == "level" and value.__class__ is int and 0 <= value <= 4:
            return Checked(False, value, None, value)
    if na:
        return _check_not_applicable(c, value, justification, problems)
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
        return Checked(False, int(d), None, int(d))
    return _check_number(c, value, basis, bands, problems)


def _check_not_applicable(
    c: Criterion, value: Any, justification: str, problems: list[AnswerProblem]
) -> Checked | None:
    """A not-applicable answer: allowed for *c*, justified, and without a value."""
    cid = c.id
    ok = True
    if not c.na_allowed:
        problems.append(
            AnswerProblem(cid, "na_not_allowed", f"{cid} cannot be marked not applicable")
        )
        ok = False
    if not justification.strip():
        problems.append(
            AnswerProblem(cid, "na_justification", "not applicable needs a written justification")
        )
        ok = False
    if value is not None:
        problems.append(
            AnswerProblem(cid, "na_with_value", "give either a value or not applicable, not both")
        )
        ok = False
    return Checked(True, None, None, None, justification.strip()) if ok else None


def _check_number(
    c: Criterion,
    value: Any,
    basis: Any,
    bands: Mapping[str | None, tuple[BandRow, ...]],
    problems: list[AnswerProblem],
) -> Checked | None:
    """A number answer: a number, inside the range, on a basis the criterion has."""
    cid = c.id
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
    return Checked(False, d, basis, level_for_value(bands[basis], d))


#: A checked answer as (not applicable, value, basis, level, justification): the fields of
#: :class:`Checked` as a bare tuple, for the compiled scorer (31 are made per score).
CheckedItem = tuple[bool, Any, Any, int | None, str]
#: the checked forms of the commonest answers (a gate's bool, a level's int), made once
GATE_ITEMS: dict[bool, CheckedItem] = {v: (False, v, None, None, "") for v in (False, True)}
LEVEL_ITEMS: tuple[CheckedItem, ...] = tuple((False, v, None, v, "") for v in LEVELS)


def check_quietly(
    c: Criterion, bands: Mapping[str | None, tuple[BandRow, ...]], raw: Any
) -> CheckedItem | None:
    """:func:`answer_parts` then :func:`check_answer` of *raw* (an answer to *c*, whose band
    table by basis is *bands*), as a bare tuple, or None for a bad answer: the caller checks it
    again with a problem list to say what is wrong."""
    cls = raw.__class__
    kind = c.kind
    # The common well-formed answers first; anything else goes through the reference checks.
    if kind == "gate" and cls is bool:
        return False, raw, None, None, ""
    if kind == "level" and cls is int and 0 <= raw <= 4:
        return False, raw, None, raw, ""
    if cls is Answer:
        value, basis, na, justification = (
            raw.value, raw.basis, raw.not_applicable is True, raw.justification or "",
        )  # fmt: skip
        if na:
            if c.na_allowed and value is None and justification.strip():
                return True, None, None, None, justification.strip()
            return None
        if basis is None and value.__class__ is bool and kind == "gate":
            return False, value, None, None, ""
        if basis is None and value.__class__ is int and kind == "level" and 0 <= value <= 4:
            return False, value, None, value, ""
        if (
            kind == "number"
            and value.__class__ is Decimal
            and value.is_finite()
            and (basis is None or basis.__class__ is str)
        ):
            return _check_decimal(c, bands, value, basis)
    problems: list[AnswerProblem] = []
    parts = answer_parts(c.id, raw, problems)
    if parts is None:
        return None
    checked = check_answer(c, parts, bands, problems)
    if checked is None or problems:
        return None
    return checked.na, checked.value, checked.basis, checked.level, checked.justification


def _check_decimal(
    c: Criterion,
    bands: Mapping[str | None, tuple[BandRow, ...]],
    value: Decimal,
    basis: str | None,
) -> CheckedItem | None:
    """A finite Decimal answer to number criterion *c*: inside the range, on a basis the
    criterion has (:func:`_check_number` for this case), or None."""
    if (c.range_min is not None and value < c.range_min) or (
        c.range_max is not None and value > c.range_max
    ):
        return None
    rows = bands.get(basis)  # keyed None for one basis, by basis id for several
    if rows is None:
        return None
    return False, value, basis, level_for_value(rows, value), ""


def grade_of(item: Any) -> Any:
    """The grade an open non-conformity names: a string, an object's ``grade`` attribute (an
    Enum member stands for its value) or a dict's ``"grade"``."""
    if isinstance(item, str):
        return item
    grade = item.get("grade") if isinstance(item, Mapping) else getattr(item, "grade", None)
    return getattr(grade, "value", grade)  # an Enum member stands for its value
