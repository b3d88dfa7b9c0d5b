"""Rubrics: versioned standards loaded from YAML into immutable objects.

A rubric file is ``rubrics/<standard-id>/<version>.yaml``; its structure is described by
``rubrics/schema.json`` and every field by ``rubrics/README.md``. Loading checks the file against
the schema *and* the meaning rules (weights add up, bands contiguous, ids unique ...) and reports
every problem at once in a :class:`RubricError`, so an author fixes a file in one pass.

A version's identity is the SHA-256 over the RFC 8785 canonical JSON of the plain data read from
the file (before any object is built): :attr:`Rubric.canonical` holds those bytes, which is what
the database stores, and :func:`load_rubric_text` reads them back to the same rubric and hash.
Published versions are recorded in ``rubrics/rubrics.lock.json`` (see
:mod:`certify.core.rubric_lock`); versions in time are :mod:`certify.core.rubric_versions`.

Numbers are :class:`decimal.Decimal` (or ``int``) from the YAML text on; no float ever holds a
weight, threshold or band bound. Dates and versions stay strings in the plain data.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import jsonschema
import yaml

from certify.core.canonical import CanonicalizationError, canonical_json, sha256_hex

__all__ = [
    "KINDS",
    "LEVELS",
    "Band",
    "Basis",
    "Criterion",
    "Definition",
    "NonconformityGrade",
    "OutcomeLevel",
    "Problem",
    "Rubric",
    "RubricError",
    "Section",
    "canonical_rubric_json",
    "load_rubric",
    "load_rubric_data",
    "load_rubric_text",
    "parse_rubric_yaml",
    "rubric_sha256",
]

#: The fixed level scale of every rubric: 0 (nothing) to 4 (best practice).
LEVELS: tuple[int, ...] = (0, 1, 2, 3, 4)
KINDS: tuple[str, ...] = ("gate", "level", "number")
#: Where the shipped schema and rubrics live (the repository's ``rubrics/`` folder).
DEFAULT_RUBRICS_DIR = Path(__file__).resolve().parents[1] / "rubrics"
SCHEMA_FILE = "schema.json"

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
        low = f"{'' if self.lower_inclusive else '>'}{_fmt(self.lower)}"
        if self.upper is None:
            return f">={_fmt(self.lower)}" if self.lower_inclusive else f">{_fmt(self.lower)}"
        if self.upper == self.lower and self.lower_inclusive and self.upper_inclusive:
            return f"exactly {_fmt(self.lower)}"
        high = f"{'' if self.upper_inclusive else '<'}{_fmt(self.upper)}"
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


# --------------------------------------------------------------------------- YAML


class _RubricLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-style scalars and duplicate-key detection.

    Why: PyYAML follows YAML 1.1, where ``version: 1.10`` becomes the float 1.1, ``2026-01-01``
    a date, ``no`` the boolean false and ``012`` an octal 10. Rubric files must mean what they
    say, so only ``true/false``, ``null``, decimal integers and decimal numbers (as Decimal) are
    implicit; everything else stays a string. ``version`` keeps its literal text even when
    written unquoted. Duplicate keys, which PyYAML silently lets the last one win, are recorded.
    """

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping, found {node.id}", node.start_mark
            )
        mapping: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found an unhashable key",
                    key_node.start_mark,
                ) from None
            line = key_node.start_mark.line + 1
            if key in mapping:
                self.duplicates.append((str(key), first_line[key], line))
                continue
            first_line[key] = line
            if key == "version" and isinstance(value_node, yaml.ScalarNode) and value_node.value:
                mapping[key] = value_node.value
            else:
                mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_int(self, node: yaml.ScalarNode) -> int:
        # Decimal only: YAML 1.1 would read 012 as octal 10.
        text = self.construct_scalar(node)
        try:
            return int(text, 10)
        except ValueError:
            return super().construct_yaml_int(node)

    def construct_decimal(self, node: yaml.ScalarNode) -> Decimal:
        return Decimal(self.construct_scalar(node))


_RubricLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_RubricLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_RubricLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_RubricLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
_RubricLoader.add_constructor("tag:yaml.org,2002:float", _RubricLoader.construct_decimal)
_RubricLoader.add_constructor("tag:yaml.org,2002:int", _RubricLoader.construct_int)


def parse_rubric_yaml(text: str, *, source: str = "<text>") -> Any:
    """Parse rubric YAML (or JSON) text into plain data, keeping the text's meaning exactly.

    Returns dicts, lists, str, bool, None, int and Decimal. Versions and dates stay strings.

    Raises:
        RubricError: a syntax error or duplicate keys (all duplicates are listed).
    """
    loader = _RubricLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        raise RubricError(
            [Problem(source, where, "yaml_syntax", f"not valid YAML: {exc}")]
        ) from exc
    finally:
        loader.dispose()
    if loader.duplicates:
        raise RubricError(
            [
                Problem(
                    source,
                    f"line {second}",
                    "duplicate_key",
                    f"key {key!r} appears twice in the same mapping (lines {first} and "
                    f"{second}); YAML would silently keep only one",
                )
                for key, first, second in loader.duplicates
            ]
        )
    return data


# --------------------------------------------------------------------------- plain data


def _plain(value: Any, path: str, source: str, problems: list[Problem]) -> Any:
    """Copy *value* into plain data (float -> Decimal via its shortest repr), reporting values
    a rubric cannot hold (dates, sets, non-string keys, NaN, infinities)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                problems.append(
                    Problem(source, path or "$", "value_type", f"key {k!r} is not a string", path)
                )
                continue
            out[k] = _plain(v, f"{path}.{k}" if path else k, source, problems)
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, f"{path}[{i}]", source, problems) for i, v in enumerate(value)]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(Problem(source, path, "value_type", f"{value} is not a number", path))
            return None
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            problems.append(Problem(source, path, "value_type", f"{value} is not a number", path))
            return None
        return value
    problems.append(
        Problem(
            source,
            path,
            "value_type",
            f"{type(value).__name__} values are not allowed (quote dates and versions)",
            path,
        )
    )
    return None


def _jsonable(value: Any, path: str, source: str, problems: list[Problem]) -> Any:
    """Plain data -> values RFC 8785 accepts. Integral Decimals become ints, others floats;
    a Decimal a float cannot hold exactly is refused, because the hash (and the database copy)
    would then describe a different number than the file."""
    if isinstance(value, dict):
        return {
            k: _jsonable(v, f"{path}.{k}" if path else k, source, problems)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_jsonable(v, f"{path}[{i}]", source, problems) for i, v in enumerate(value)]
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        if Decimal(repr(as_float)) != value:
            problems.append(
                Problem(
                    source,
                    path,
                    "number_precision",
                    f"{value} has more digits than a JSON number keeps exactly",
                    path,
                )
            )
        return as_float
    return value


def rubric_sha256(data: Any) -> str:
    """Hex SHA-256 over the RFC 8785 canonical JSON of plain rubric data.

    Raises:
        RubricError: the data holds values canonical JSON cannot represent exactly.
    """
    return sha256_hex(canonical_rubric_json(data, "<data>"))


def canonical_rubric_json(data: Any, source: str = "<data>") -> bytes:
    """The RFC 8785 canonical bytes of plain rubric data (what is hashed and stored).

    Raises:
        RubricError: the data holds values canonical JSON cannot represent exactly.
    """
    problems: list[Problem] = []
    plain = _plain(data, "", source, problems)
    jsonable = _jsonable(plain, "", source, problems)
    if problems:
        raise RubricError(problems)
    try:
        return canonical_json(jsonable)
    except CanonicalizationError as exc:
        raise RubricError([Problem(source, "document", "canonical_json", str(exc))]) from exc


# --------------------------------------------------------------------------- schema


@functools.lru_cache(maxsize=4)
def _validator(schema_path: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _where_for(data: Any, parts: Sequence[Any]) -> str:
    """Name the criterion / section / outcome / grade a JSON path points into."""
    where = "document"
    node = data
    for i, p in enumerate(parts):
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            break
        parent = parts[i - 1] if i else None
        if isinstance(p, int) and isinstance(node, Mapping) and isinstance(node.get("id"), str):
            if parent == "sections":
                where = f"section {node['id']}"
            elif parent == "criteria":
                where = node["id"]
            elif parent == "outcomes":
                where = f"outcome {node['id']}"
            elif parent == "grades":
                where = f"grade {node['id']}"
            elif parent == "bases":
                where = f"{where} basis {node['id']}"
    return where


def _schema_problems(data: Any, source: str, schema_path: Path) -> list[Problem]:
    validator = _validator(str(schema_path))
    problems = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        parts = list(err.absolute_path)
        path = _json_path(parts) or "$"
        problems.append(
            Problem(
                source,
                _where_for(data, parts),
                f"schema:{err.validator}",
                f"{path}: {err.message}",
                path,
            )
        )
    return problems


# --------------------------------------------------------------------------- meaning rules


def _num(value: Any) -> Decimal | None:
    """A Decimal for int/Decimal values, None for anything else (the schema reports those)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    return None


def _fmt(value: Decimal | int | None) -> str:
    if value is None:
        return "none"
    d = Decimal(value)
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, v) for i, v in enumerate(value)] if isinstance(value, list) else []


def _band_bounds(
    raw: Mapping[str, Any], name: str, where: str, source: str, problems: list[Problem]
) -> Band | None:
    """A Band from ``{level, from|above, below|to}``, or None after reporting why not."""
    level = raw.get("level")
    if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
        return None  # the schema reports the level
    lows = [k for k in ("from", "above") if k in raw]
    highs = [k for k in ("below", "to") if k in raw]
    if len(lows) != 1 or len(highs) > 1:
        problems.append(
            Problem(
                source,
                where,
                "band_bounds",
                f"{name} needs exactly one lower bound (from/above) and at most one upper "
                f"bound (below/to), has {', '.join(lows + highs) or 'none'}",
            )
        )
        return None
    lower = _num(raw[lows[0]])
    upper = _num(raw[highs[0]]) if highs else None
    if lower is None or (highs and upper is None):
        return None
    band = Band(level, lower, lows[0] == "from", upper, bool(highs) and highs[0] == "to")
    if upper is not None and (
        upper < lower or (upper == lower and not (band.lower_inclusive and band.upper_inclusive))
    ):
        problems.append(
            Problem(source, where, "band_bounds", f"{name} ({band.label()}) holds no value")
        )
        return None
    return band


def _check_bands(
    raw_bands: Any,
    label: str,
    where: str,
    rmin: Decimal | None,
    rmax: Decimal | None,
    source: str,
    problems: list[Problem],
) -> tuple[Band, ...]:
    bands: list[Band] = []
    for i, raw in _dicts(raw_bands):
        if isinstance(raw, Mapping):
            band = _band_bounds(raw, f"{label} band {i + 1}", where, source, problems)
            if band is not None:
                bands.append(band)
    if not bands or len(bands) != len(raw_bands):
        return tuple(bands)
    first = bands[0]
    if rmin is not None and (first.lower != rmin or not first.lower_inclusive):
        problems.append(
            Problem(
                source,
                where,
                "bands_start_at_min",
                f"{label}: the first band must start at the range minimum ({_fmt(rmin)}, "
                f"inclusive), starts at {first.label()}",
            )
        )
    for n, (a, b) in enumerate(itertools.pairwise(bands), start=1):
        pair = f"{label}: bands {n} ({a.label()}) and {n + 1} ({b.label()})"
        if a.upper is None:
            problems.append(
                Problem(
                    source, where, "bands_contiguous", f"{pair} overlap: band {n} is open-ended"
                )
            )
        elif a.upper < b.lower or (
            a.upper == b.lower and not a.upper_inclusive and not b.lower_inclusive
        ):
            problems.append(Problem(source, where, "bands_contiguous", f"{pair} leave a gap"))
        elif a.upper > b.lower or (a.upper == b.lower and a.upper_inclusive and b.lower_inclusive):
            problems.append(Problem(source, where, "bands_contiguous", f"{pair} overlap"))
        if b.level < a.level:
            problems.append(
                Problem(
                    source,
                    where,
                    "band_levels_ascending",
                    f"{pair}: levels must not fall as the value rises ({a.level} then {b.level})",
                )
            )
    last = bands[-1]
    if rmax is not None:
        for n, band in enumerate(bands, start=1):
            if band.lower > rmax or (band.lower == rmax and not band.lower_inclusive):
                problems.append(
                    Problem(
                        source,
                        where,
                        "band_outside_range",
                        f"{label}: band {n} ({band.label()}) lies above the range maximum "
                        f"{_fmt(rmax)}",
                    )
                )
        if last.upper is not None and (
            last.upper < rmax or (last.upper == rmax and not last.upper_inclusive)
        ):
            problems.append(
                Problem(
                    source,
                    where,
                    "bands_cover_range",
                    f"{label}: the bands stop at {last.label()} and leave values up to the range "
                    f"maximum {_fmt(rmax)} uncovered",
                )
            )
    elif last.upper is not None:
        problems.append(
            Problem(
                source,
                where,
                "bands_cover_range",
                f"{label}: the range has no maximum, so the last band must be open-ended, "
                f"it stops at {last.label()}",
            )
        )
    return tuple(bands)


def _meaning_problems(data: Any, source: str) -> list[Problem]:
    """Every meaning rule, written defensively: the data may also have schema errors, and we
    still want all problems in one report."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        return problems

    def add(where: str, rule: str, message: str) -> None:
        problems.append(Problem(source, where, rule, message))

    eff = data.get("effective_date")
    if isinstance(eff, str):
        try:
            dt.date.fromisoformat(eff)
        except ValueError:
            add("effective_date", "effective_date", f"{eff!r} is not a calendar date (YYYY-MM-DD)")

    grade_ids = _check_grades(data.get("nonconformities"), add)
    _check_outcomes(data.get("outcomes"), grade_ids, add)

    section_ids: set[str] = set()
    criterion_ids: set[str] = set()
    total = Decimal(0)
    totals_known = True
    for _, sec in _dicts(data.get("sections")):
        if not isinstance(sec, Mapping):
            totals_known = False
            continue
        sid = sec.get("id")
        swhere = f"section {sid}"
        if isinstance(sid, str):
            if sid in section_ids:
                add(swhere, "unique_id", f"section id {sid} is used twice")
            section_ids.add(sid)
        sweight = _num(sec.get("weight"))
        if sweight is None:
            totals_known = False
        else:
            total += sweight
        crit_total = Decimal(0)
        crit_known = True
        has_fixed_scored = False
        for _, crit in _dicts(sec.get("criteria")):
            if not isinstance(crit, Mapping):
                crit_known = False
                continue
            cw = _num(crit.get("weight"))
            if cw is None:
                crit_known = False
            else:
                crit_total += cw
            cid = crit.get("id")
            cwhere = cid if isinstance(cid, str) else swhere
            if isinstance(cid, str):
                if cid in criterion_ids:
                    add(cwhere, "unique_id", f"criterion id {cid} is used twice")
                criterion_ids.add(cid)
            na = crit.get("not_applicable")
            na_allowed = isinstance(na, Mapping) and na.get("allowed") is True
            if na_allowed and isinstance(na, Mapping) and not na.get("when"):
                add(cwhere, "na_when", "not applicable is allowed but 'when' does not say when")
            kind = crit.get("kind")
            if kind in ("level", "number") and cw is not None and cw > 0 and not na_allowed:
                has_fixed_scored = True
            _check_criterion(crit, kind, cw, cwhere, source, add, problems)
        if crit_known and sweight is not None and crit_total != sweight:
            add(
                swhere,
                "criterion_weights_sum",
                f"criterion weights add up to {_fmt(crit_total)}, the section weighs "
                f"{_fmt(sweight)}",
            )
        if isinstance(sec.get("criteria"), list) and sec["criteria"] and not has_fixed_scored:
            add(
                swhere,
                "section_not_all_na",
                "the section needs at least one scored criterion (weight above 0) that cannot "
                "be not applicable, so its weight can always be shared",
            )
    if totals_known and isinstance(data.get("sections"), list) and total != 100:
        add("sections", "section_weights_sum", f"section weights add up to {_fmt(total)}, not 100")
    return problems


def _check_criterion(
    crit: Mapping[str, Any],
    kind: Any,
    weight: Decimal | None,
    where: str,
    source: str,
    add: Any,
    problems: list[Problem],
) -> None:
    if kind == "gate" and weight is not None and weight != 0:
        add(
            where,
            "gate_weight",
            f"a gate earns no points, its weight must be 0 (is {_fmt(weight)})",
        )
    if kind in ("level", "number") and weight is not None and weight <= 0:
        add(where, "scored_weight", "a level or number criterion needs a weight above 0")
    if kind == "level" and isinstance(crit.get("levels"), list):
        n = len(crit["levels"])
        if n != len(LEVELS):
            add(
                where,
                "levels_described",
                f"every level 0-4 needs a descriptor: {n} given, 5 needed",
            )
    if kind != "number":
        return
    raw_range = crit.get("range")
    rng: Mapping[str, Any] = raw_range if isinstance(raw_range, Mapping) else {}
    rmin, rmax = _num(rng.get("min")), _num(rng.get("max"))
    if rmin is not None and rmax is not None and rmin >= rmax:
        add(where, "range_order", f"range minimum {_fmt(rmin)} is not below maximum {_fmt(rmax)}")
    if "bands" in crit:
        _check_bands(crit["bands"], "bands", where, rmin, rmax, source, problems)
    basis_ids: set[str] = set()
    for _, basis in _dicts(crit.get("bases")):
        if not isinstance(basis, Mapping):
            continue
        bid = basis.get("id")
        if isinstance(bid, str):
            if bid in basis_ids:
                add(where, "unique_id", f"basis id {bid} is used twice")
            basis_ids.add(bid)
        _check_bands(basis.get("bands"), f"basis {bid}", where, rmin, rmax, source, problems)
    floor = _num(crit.get("floor"))
    if floor is not None:
        if (rmin is not None and floor < rmin) or (rmax is not None and floor > rmax):
            add(
                where,
                "floor_in_range",
                f"floor {_fmt(floor)} lies outside the range {_fmt(rmin)}..{_fmt(rmax)}",
            )
        if "bases" in crit:
            add(
                where,
                "floor_single_basis",
                "a floor needs a single basis: with several bases its unit would be ambiguous",
            )


def _check_grades(nc: Any, add: Any) -> set[str]:
    ids: set[str] = set()
    if not isinstance(nc, Mapping):
        return ids
    for _, g in _dicts(nc.get("grades")):
        if not isinstance(g, Mapping):
            continue
        gid = g.get("id")
        if isinstance(gid, str):
            if gid in ids:
                add(f"grade {gid}", "unique_id", f"grade id {gid} is used twice")
            ids.add(gid)
        days = g.get("deadline_days")
        if g.get("consequence") == "suspend_after_deadline" and not (
            isinstance(days, int) and days > 0
        ):
            add(
                f"grade {gid}",
                "deadline_required",
                "suspend_after_deadline needs deadline_days above 0",
            )
    return ids


def _check_outcomes(outcomes: Any, grade_ids: set[str], add: Any) -> None:
    seen: set[str] = set()
    prev: Mapping[str, Any] | None = None
    for _, o in _dicts(outcomes):
        if not isinstance(o, Mapping):
            continue
        oid = o.get("id")
        where = f"outcome {oid}"
        if isinstance(oid, str):
            if oid in seen:
                add(where, "unique_id", f"outcome id {oid} is used twice")
            seen.add(oid)
        raw_blocked = o.get("blocked_by_open")
        blocked: list[Any] = raw_blocked if isinstance(raw_blocked, list) else []
        for g in blocked:
            if isinstance(g, str) and grade_ids and g not in grade_ids:
                add(where, "unknown_grade", f"blocked_by_open names unknown grade {g!r}")
        if prev is not None:
            # Levels are listed from lowest to highest; a higher level must be at least as hard
            # to reach, or the highest level reached would not imply the lower ones.
            for key in ("min_overall", "section_floor_percent"):
                a, b = _num(prev.get(key)), _num(o.get(key))
                if a is not None and b is not None and b < a:
                    add(
                        where,
                        "outcome_order",
                        f"{key} {_fmt(b)} is below the level before ({_fmt(a)})",
                    )
            prev_blocked = prev.get("blocked_by_open")
            if isinstance(prev_blocked, list) and not set(prev_blocked) <= set(blocked):
                add(
                    where,
                    "outcome_order",
                    "blocked_by_open must include every grade that blocks the level before",
                )
        prev = o


# --------------------------------------------------------------------------- building


def _build(data: Mapping[str, Any], canonical: bytes, source: str) -> Rubric:
    """Objects from plain data that passed every check."""
    sections = []
    for sec in data["sections"]:
        criteria = []
        for c in sec["criteria"]:
            rng = c.get("range", {})
            na = c.get("not_applicable", {})
            if c["kind"] == "number":
                if "bases" in c:
                    bases = tuple(
                        Basis(b["id"], b["title"], _bands(b["bands"])) for b in c["bases"]
                    )
                else:
                    bases = (Basis("", "", _bands(c["bands"])),)
            else:
                bases = ()
            criteria.append(
                Criterion(
                    id=c["id"],
                    section_id=sec["id"],
                    title=c["title"],
                    kind=c["kind"],
                    weight=Decimal(c["weight"]),
                    guidance=c["guidance"],
                    evidence=tuple(c["evidence"]),
                    na_allowed=bool(na.get("allowed", False)),
                    na_when=na.get("when"),
                    levels=tuple(c.get("levels", ())),
                    unit=c.get("unit"),
                    range_min=_num(rng.get("min")),
                    range_max=_num(rng.get("max")),
                    floor=_num(c.get("floor")),
                    bases=bases,
                )
            )
        sections.append(
            Section(
                sec["id"],
                sec["title"],
                Decimal(sec["weight"]),
                tuple(criteria),
                sec.get("rationale", ""),
            )
        )
    outcomes = tuple(
        OutcomeLevel(
            o["id"],
            o["title"],
            Decimal(o["min_overall"]),
            Decimal(o["section_floor_percent"]),
            tuple(o["blocked_by_open"]),
            o.get("rationale", ""),
        )
        for o in data["outcomes"]
    )
    nc = data["nonconformities"]
    grades = tuple(
        NonconformityGrade(
            g["id"],
            g["title"],
            g["meaning"],
            g["deadline_days"],
            g["consequence"],
            g["consequence_text"],
        )
        for g in nc["grades"]
    )
    definitions = tuple(
        Definition(d["term"], d["meaning"], d.get("source", ""))
        for d in data.get("definitions", ())
    )
    return Rubric(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        effective_date=dt.date.fromisoformat(data["effective_date"]),
        transition_months=data["transition_months"],
        certificate_validity_months=data["certificate_validity_months"],
        surveillance_interval_months=data["surveillance_interval_months"],
        sections=tuple(sections),
        outcomes=outcomes,
        grades=grades,
        max_suspension_months=nc["max_suspension_months"],
        definitions=definitions,
        canonical=canonical,
        sha256=sha256_hex(canonical),
        source=source,
    )


def _bands(raw: list[Mapping[str, Any]]) -> tuple[Band, ...]:
    out = []
    for b in raw:
        lower_key = "from" if "from" in b else "above"
        upper_key = "to" if "to" in b else ("below" if "below" in b else None)
        out.append(
            Band(
                b["level"],
                Decimal(b[lower_key]),
                lower_key == "from",
                Decimal(b[upper_key]) if upper_key else None,
                upper_key == "to",
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- loading


def load_rubric_data(
    data: Any,
    *,
    source: str = "<data>",
    schema_path: Path | str | None = None,
    expect: tuple[str, str] | None = None,
) -> Rubric:
    """Validate plain rubric data and build the immutable :class:`Rubric`.

    *data* is what :func:`parse_rubric_yaml` returns, or ``json.loads`` of stored canonical JSON
    (floats are accepted and read through their shortest repr, so 0.1 means Decimal("0.1")).
    *expect* is ``(id, version)`` when the data comes from ``<id>/<version>.yaml`` and must
    say the same. *schema_path* defaults to the shipped ``rubrics/schema.json``.

    Raises:
        RubricError: listing every schema and meaning problem found, each naming *source*.
    """
    problems: list[Problem] = []
    plain = _plain(data, "", source, problems)
    if problems:
        raise RubricError(problems)
    schema = Path(schema_path) if schema_path else DEFAULT_RUBRICS_DIR / SCHEMA_FILE
    problems += _schema_problems(plain, source, schema)
    problems += _meaning_problems(plain, source)
    if expect is not None and isinstance(plain, Mapping):
        for key, wanted in zip(("id", "version"), expect, strict=True):
            if isinstance(plain.get(key), str) and plain[key] != wanted:
                problems.append(
                    Problem(
                        source,
                        key,
                        "file_location",
                        f"the file says {key} {plain[key]!r} but its path says {wanted!r} "
                        "(rubrics/<id>/<version>.yaml)",
                    )
                )
    if problems:
        raise RubricError(problems)
    canonical = canonical_rubric_json(plain, source)
    return _build(plain, canonical, source)


def load_rubric_text(
    text: str | bytes, *, source: str = "<text>", schema_path: Path | str | None = None
) -> Rubric:
    """Load a rubric from YAML text or from its stored canonical JSON (JSON is read as YAML).

    Raises:
        RubricError: syntax errors, duplicate keys, or every schema and meaning problem.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    data = parse_rubric_yaml(text, source=source)
    return load_rubric_data(data, source=source, schema_path=schema_path)


def load_rubric(path: Path | str, *, schema_path: Path | str | None = None) -> Rubric:
    """Load ``<dir>/<id>/<version>.yaml``; the id and version inside must match the path.

    Raises:
        RubricError: unreadable file, syntax errors, duplicate keys or any rule broken.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError([Problem(source, "file", "unreadable", str(exc))]) from exc
    data = parse_rubric_yaml(text, source=source)
    return load_rubric_data(
        data, source=source, schema_path=schema_path, expect=(path.parent.name, path.stem)
    )
