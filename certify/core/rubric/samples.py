"""Complete, well-formed answer sets for a rubric: for demo data, tests and benchmarks."""

from __future__ import annotations

from typing import Any

from certify.core.rubric.model import Rubric


def sample_answers(
    rubric: Rubric, level: int = 3, *, gates: bool = True, number_level: int | None = None
) -> dict[str, dict[str, Any]]:
    """An answer to every criterion of *rubric*, in the form
    :func:`certify.core.scoring.engine.score` reads: gates *gates*; levels *level*; numbers
    at the lower edge of the band of *number_level* (default: the top band), never under a
    floor; the first basis where a criterion has several.
    """
    answers: dict[str, dict[str, Any]] = {}
    for c in rubric.criteria:
        if c.kind == "gate":
            answers[c.id] = {"value": gates}
        elif c.kind == "level":
            answers[c.id] = {"value": level}
        else:
            basis = c.bases[0]
            band = next((b for b in basis.bands if b.level == number_level), basis.bands[-1])
            value = band.lower if band.lower_inclusive else band.lower + 1
            if c.floor is not None and value < c.floor:
                value = c.floor
            answers[c.id] = {"value": str(value)}
            if len(c.bases) > 1:
                answers[c.id]["basis"] = basis.id
    return answers
