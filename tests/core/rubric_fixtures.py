"""Shared helpers for the rubric and scoring tests (not a conftest: plain functions)."""

from __future__ import annotations

import functools
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from certify.core.rubric.model import Criterion, Rubric
from certify.core.scoring.answers import Answer
from certify.standards.files import DEFAULT_RUBRICS_DIR, load_rubric, read_schema

ISRPS_PATH = DEFAULT_RUBRICS_DIR / "isrps" / "1.0.yaml"
#: The shipped rubric schema, which the core's loaders check data against.
SCHEMA = read_schema()


@functools.cache
def isrps() -> Rubric:
    """The shipped ISRPS 1.0, loaded once per test session (it is immutable)."""
    return load_rubric(ISRPS_PATH)


def isrps_text() -> str:
    return ISRPS_PATH.read_text(encoding="utf-8")


def copy_rubrics(tmp_path: Path) -> Path:
    """A private copy of rubrics/ (schema, lock file and every standard) to break freely."""
    target = tmp_path / "rubrics"
    shutil.copytree(DEFAULT_RUBRICS_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def value_for_level(c: Criterion, level: int, basis: str | None = None) -> Decimal:
    """The smallest value of *c* (a number criterion) that lands in *level* on *basis*."""
    for band in c.basis(basis).bands:
        if band.level == level:
            if band.lower_inclusive:
                return band.lower
            return band.lower + Decimal("0.01")
    raise AssertionError(f"{c.id} has no band for level {level}")


def answers_at(rubric: Rubric, level: int = 4, **overrides: Any) -> dict[str, Any]:
    """A complete answer set: gates pass, every scored criterion at *level*.

    *overrides* replace answers by criterion id (use ``IH_2=...`` for ``IH-2``).
    """
    answers: dict[str, Any] = {}
    for c in rubric.criteria:
        if c.kind == "gate":
            answers[c.id] = True
        elif c.kind == "level":
            answers[c.id] = level
        else:
            basis = c.bases[0].id if len(c.bases) > 1 else None
            answers[c.id] = Answer.number(value_for_level(c, level, basis), basis=basis)
    for key, value in overrides.items():
        answers[key.replace("_", "-")] = value
    return answers
