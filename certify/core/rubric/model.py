"""Rubric objects: an immutable, validated version of a standard, and what is wrong with one.

A version's identity is the SHA-256 over the RFC 8785 canonical JSON of the plain data read from
its file (before any object is built): :attr:`Rubric.canonical` holds those bytes, which is
what the database stores. Numbers are :class:`decimal.Decimal` (or ``int``) from the YAML text
on; no float ever holds a weight, threshold or band bound.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

#: The fixed level scale of every rubric: 0 (nothing) to 4 (best practice).
LEVELS: tuple[int, ...] = (0, 1, 2, 3, 4)
KINDS: tuple[str, ...] = ("gate", "level", "number")


Kind = Literal["gate", "level", "number"]


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rubric file.

    ``file`` names the file (or the source label of text/dict input), ``where`` the criterion,
    section, outcome or grade id (or a line / JSON path when there is no id), ``rule`` a short
    stable code (e.g. ``bands_contiguous``, ``schema:maximum``) and ``message`` says it in words.
    ``path`` is the JSON path inside the document when known.
    """

    file: str
    where: str
    rule: str
    message: str
    path: str = ""

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message} [{self.rule}]"


class RubricError(ValueError):
    """A rubric could not be loaded, published or trusted; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# --------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class Band:
    """Values between ``lower`` and ``upper`` map to ``level``.

    ``lower_inclusive`` is true for ``from:`` and false for ``above:``; ``upper`` is ``None`` for
    the top band (open to the range maximum), and ``upper_inclusive`` is true for ``to:`` and
    false for ``below:``. ``{from: 0, to: 0}`` is the single value 0.
    """

    level: int
    lower: Decimal
    lower_inclusive: bool = True
    upper: Decimal | None = None
    upper_inclusive: bool = False

    def contains(self, value: Decimal) -> bool:
        """True when *value* lies in this band."""
        if value < self.lower or (value == self.lower and not self.lower_inclusive):
            return False
        if self.upper is None:
            return True
        return value < self.upper or (value == self.upper and self.upper_inclusive)

    def label(self) -> str:
        """A short human notation: ``10 to <25``, ``>0 to <5``, ``exactly 0``, ``>=75``."""
        low = f"{'' if self.lower_inclusive else '>'}{format_number(self.lower)}"
        if self.upper is None:
            return (
                f">={format_number(self.lower)}"
                if self.lower_inclusive
                else f">{format_number(self.lower)}"
            )
        if self.upper == self.lower and self.lower_inclusive and self.upper_inclusive:
            return f"exactly {format_number(self.lower)}"
        high = f"{'' if self.upper_inclusive else '<'}{format_number(self.upper)}"
        return f"{low} to {high}"


@dataclass(frozen=True)
class Basis:
    """One way of measuring a number criterion, with its own bands.

    Criteria with a single ``bands:`` list get one basis whose ``id`` is ``""``.
    """

    id: str
    title: str
    bands: tuple[Band, ...]

    def level_for(self, value: Decimal) -> int:
        """The level of the band holding *value*.

        Raises:
            ValueError: *value* falls outside every band (outside the criterion's range).
        """
        for band in self.bands:
            if band.contains(value):
                return band.level
        raise ValueError(f"{value} is outside every band")


@dataclass(frozen=True)
class Criterion:
    """One criterion; ``kind`` decides which of the optional fields are set.

    gate: ``weight`` is 0, no levels/bands. level: ``levels`` holds the five descriptors (index =
    level). number: ``unit``, ``range_min`` (``range_max`` may be ``None``), ``bases`` (at least
    one) and an optional ``floor``: a value below it fails certification like a gate.
    """

    id: str
    section_id: str
    title: str
    kind: Kind
    weight: Decimal
    guidance: str
    evidence: tuple[str, ...]
    na_allowed: bool = False
    na_when: str | None = None
    levels: tuple[str, ...] = ()
    unit: str | None = None
    range_min: Decimal | None = None
    range_max: Decimal | None = None
    floor: Decimal | None = None
    bases: tuple[Basis, ...] = ()

    @property
    def scored(self) -> bool:
        """True for level and number criteria (gates earn no points)."""
        return self.kind != "gate"

    def basis(self, basis_id: str | None = None) -> Basis:
        """The basis named *basis_id* (or the only one when ``None``).

        Raises:
            KeyError: no such basis, or ``None`` given for a criterion with several bases.
        """
        if basis_id is None and len(self.bases) == 1:
            return self.bases[0]
        for b in self.bases:
            if b.id == basis_id:
                return b
        raise KeyError(f"{self.id} has no basis {basis_id!r}")


@dataclass(frozen=True)
class Section:
    """A weighted group of criteria; the criteria's weights add up to the section's."""

    id: str
    title: str
    weight: Decimal
    criteria: tuple[Criterion, ...]
    rationale: str = ""
    #: assessed at every surveillance visit (a rubric's choice; ISRPS 1.0 marks none)
    every_visit: bool = False


@dataclass(frozen=True)
class OutcomeLevel:
    """A certification level: reached when every gate and floor passes, the overall score is at
    least ``min_overall``, every section scores at least ``section_floor_percent`` % of its
    weight, and no non-conformity of a grade in ``blocked_by_open`` is open."""

    id: str
    title: str
    min_overall: Decimal
    section_floor_percent: Decimal
    blocked_by_open: tuple[str, ...]
    rationale: str = ""


@dataclass(frozen=True)
class NonconformityGrade:
    """A non-conformity grade: what it means, how long the holder has to close it
    (``deadline_days``, ``None`` = checked at the next surveillance) and what happens."""

    id: str
    title: str
    meaning: str
    deadline_days: int | None
    consequence: str
    consequence_text: str


@dataclass(frozen=True)
class Definition:
    """A defined term of the standard (e.g. "impact worker")."""

    term: str
    meaning: str
    source: str = ""


@dataclass(frozen=True, eq=False)
class Rubric:
    """One loaded, validated version of a standard. Immutable.

    Two rubrics are equal when their canonical bytes are equal (``sha256`` identifies the
    version's content). ``canonical`` is the RFC 8785 JSON of the plain data: store it as is.
    """

    id: str
    version: str
    title: str
    effective_date: dt.date
    transition_months: int
    certificate_validity_months: int
    surveillance_interval_months: int
    sections: tuple[Section, ...]
    outcomes: tuple[OutcomeLevel, ...]
    grades: tuple[NonconformityGrade, ...]
    max_suspension_months: int
    definitions: tuple[Definition, ...]
    canonical: bytes = field(repr=False)
    sha256: str
    source: str = ""
    #: days after a decision within which the ISSP may appeal it (``appeals.window_days``)
    appeal_window_days: int = 30
    _index: Mapping[str, Criterion] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index = {c.id: c for s in self.sections for c in s.criteria}
        object.__setattr__(self, "_index", MappingProxyType(index))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rubric) and other.canonical == self.canonical

    def __hash__(self) -> int:
        return hash(self.sha256)

    @property
    def key(self) -> str:
        """``<id>@<version>``, the lock file's and the API's name for this version."""
        return f"{self.id}@{self.version}"

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """All criteria in file order."""
        return tuple(self._index.values())

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id. Raises KeyError if there is none."""
        return self._index[criterion_id]

    def section(self, section_id: str) -> Section:
        """The section with this id. Raises KeyError if there is none."""
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def outcome(self, outcome_id: str) -> OutcomeLevel:
        """The outcome level with this id. Raises KeyError if there is none."""
        for o in self.outcomes:
            if o.id == outcome_id:
                return o
        raise KeyError(outcome_id)

    def data(self) -> dict[str, Any]:
        """The plain data (a fresh dict, numbers as int/Decimal) this rubric was built from."""
        return json.loads(self.canonical, parse_float=Decimal)


def format_number(value: Decimal | int | None) -> str:
    """A number as a rubric author wrote it, for messages: ``25``, ``2.5``, ``none``."""
    if value is None:
        return "none"
    d = Decimal(value)
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())
