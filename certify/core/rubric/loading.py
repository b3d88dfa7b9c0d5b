"""Loading a rubric: plain data or text in, every schema and meaning problem reported at once
in a :class:`~certify.core.rubric.model.RubricError`, else the immutable
:class:`~certify.core.rubric.model.Rubric`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from certify.core.canonical import sha256_hex
from certify.core.rubric.meaning import meaning_problems
from certify.core.rubric.model import (
    Band,
    Basis,
    Criterion,
    Definition,
    NonconformityGrade,
    OutcomeLevel,
    Problem,
    Rubric,
    RubricError,
    Section,
)
from certify.core.rubric.parsing import parse_rubric_yaml
from certify.core.rubric.plain import canonical_rubric_json, plain_data
from certify.core.rubric.schema import RubricSchema
from certify.core.rubric.values import as_number


def build_rubric(data: Mapping[str, Any], canonical: bytes, source: str) -> Rubric:
    """The :class:`Rubric` of plain *data* whose canonical bytes are *canonical*.

    Nothing is checked here: *data* must have passed the schema and meaning rules (as in
    :func:`load_rubric_data`), or at least the schema (``flask rubrics diff`` compares drafts
    that break only sum or order rules).

    Raises:
        KeyError, TypeError, ValueError: *data* does not have the schema's shape.
    """
    sections = tuple(_section(sec) for sec in data["sections"])
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
        sections=sections,
        outcomes=outcomes,
        grades=grades,
        max_suspension_months=nc["max_suspension_months"],
        appeal_window_days=data.get("appeals", {}).get("window_days", 30),
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
    schema: RubricSchema,
    source: str = "<data>",
    expect: tuple[str, str] | None = None,
) -> Rubric:
    """Validate plain rubric data and build the immutable :class:`Rubric`.

    *data* is what :func:`parse_rubric_yaml` returns, or ``json.loads`` of stored canonical JSON
    (floats are accepted and read through their shortest repr, so 0.1 means Decimal("0.1")).
    *expect* is ``(id, version)`` when the data comes from ``<id>/<version>.yaml`` and must
    say the same. *schema* is the rubric files' JSON Schema (the shipped ``rubrics/schema.json``
    or a rubrics folder's own).

    Raises:
        RubricError: listing every schema and meaning problem found, each naming *source*.
    """
    problems: list[Problem] = []
    plain = plain_data(data, "", source, problems)
    if problems:
        raise RubricError(problems)
    problems += schema.problems(plain, source)
    problems += meaning_problems(plain, source)
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
    return build_rubric(plain, canonical, source)


def load_rubric_text(text: str | bytes, *, schema: RubricSchema, source: str = "<text>") -> Rubric:
    """Load a rubric from YAML text or from its stored canonical JSON (JSON is read as YAML),
    checked against *schema*.

    Raises:
        RubricError: syntax errors, duplicate keys, or every schema and meaning problem.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    data = parse_rubric_yaml(text, source=source)
    return load_rubric_data(data, schema=schema, source=source)


def _section(sec: Mapping[str, Any]) -> Section:
    """The :class:`Section` of checked plain data *sec*, with its criteria."""
    return Section(
        sec["id"],
        sec["title"],
        Decimal(sec["weight"]),
        tuple(_criterion(c, sec["id"]) for c in sec["criteria"]),
        sec.get("rationale", ""),
        bool(sec.get("every_visit", False)),
    )


def _criterion(c: Mapping[str, Any], section_id: str) -> Criterion:
    """The :class:`Criterion` of checked plain data *c*, with its bases and bands."""
    rng = c.get("range", {})
    na = c.get("not_applicable", {})
    if c["kind"] == "number":
        if "bases" in c:
            bases = tuple(Basis(b["id"], b["title"], _bands(b["bands"])) for b in c["bases"])
        else:
            bases = (Basis("", "", _bands(c["bands"])),)
    else:
        bases = ()
    return Criterion(
        id=c["id"],
        section_id=section_id,
        title=c["title"],
        kind=c["kind"],
        weight=Decimal(c["weight"]),
        guidance=c["guidance"],
        evidence=tuple(c["evidence"]),
        na_allowed=bool(na.get("allowed", False)),
        na_when=na.get("when"),
        levels=tuple(c.get("levels", ())),
        unit=c.get("unit"),
        range_min=as_number(rng.get("min")),
        range_max=as_number(rng.get("max")),
        floor=as_number(c.get("floor")),
        bases=bases,
    )
