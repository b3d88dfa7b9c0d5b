"""Scoring speed: 10,000 random complete ISRPS 1.0 answer sets (target: under 2 s).

The answer sets are generated before timing starts, with a fixed seed, so only
``certify.core.scoring.engine.score`` (validation included) is measured. The same-run baseline
is the loop alone (building nothing), to show the harness overhead is negligible.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from certify.core.rubric.model import Rubric
from certify.core.scoring.answers import Answer
from certify.core.scoring.engine import score
from certify.standards.files import DEFAULT_RUBRICS_DIR, load_rubric

TARGET_SECONDS = 2.0
FULL_SETS = 10_000
QUICK_SETS = 300


def random_answers(rubric: Rubric, rng: random.Random) -> dict[str, Any]:
    """One complete, valid answer set: mostly passing gates, any level, any in-range number,
    not-applicable now and then where allowed."""
    answers: dict[str, Any] = {}
    for c in rubric.criteria:
        if c.na_allowed and rng.random() < 0.1:
            answers[c.id] = Answer.na("benchmark: not applicable")
        elif c.kind == "gate":
            answers[c.id] = rng.random() < 0.95
        elif c.kind == "level":
            answers[c.id] = rng.randint(0, 4)
        else:
            low = c.range_min if c.range_min is not None else Decimal(0)
            high = c.range_max if c.range_max is not None else low + 400
            value = (low + (high - low) * Decimal(rng.randint(0, 10_000)) / 10_000).quantize(
                Decimal("0.01")
            )
            basis = rng.choice(c.bases).id if len(c.bases) > 1 else None
            answers[c.id] = Answer.number(value, basis=basis)
    return answers


def run(quick: bool = False) -> dict[str, float]:
    rubric = load_rubric(DEFAULT_RUBRICS_DIR / "isrps" / "1.0.yaml")
    rng = random.Random(20260101)  # noqa: S311 - reproducible test data, not secrets
    n = QUICK_SETS if quick else FULL_SETS
    sets = [random_answers(rubric, rng) for _ in range(n)]
    grades = [[], ["minor"], [], ["major"], [], []]
    open_ncs = [grades[i % len(grades)] for i in range(n)]

    started = time.perf_counter()
    for _answers, _ncs in zip(sets, open_ncs, strict=True):
        pass
    baseline = time.perf_counter() - started

    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    for answers, ncs in zip(sets, open_ncs, strict=True):
        result = score(rubric, answers, ncs)
        outcomes[result.outcome or ""] = outcomes.get(result.outcome or "", 0) + 1
    elapsed = time.perf_counter() - started

    per_set_us = elapsed / n * 1e6
    projected = per_set_us * FULL_SETS / 1e6
    print(f"   scored {n:,} ISRPS 1.0 answer sets in {elapsed:.3f} s ({per_set_us:.1f} µs each)")
    ratio = elapsed / max(baseline, 1e-9)
    print(f"   baseline (empty loop): {baseline * 1e3:.2f} ms; ratio {ratio:.0f}x")
    print(f"   outcomes: {', '.join(f'{k}={v}' for k, v in sorted(outcomes.items()))}")
    met = projected < TARGET_SECONDS
    print(
        f"   target: {FULL_SETS:,} sets under {TARGET_SECONDS:.0f} s: "
        f"{'met' if met else 'NOT met'} ({projected:.2f} s{' projected' if quick else ''})"
    )
    return {
        "sets": float(n),
        "seconds": elapsed,
        "us_per_set": per_set_us,
        "projected_seconds_10k": projected,
        "baseline_seconds": baseline,
        "target_met": 1.0 if met else 0.0,
    }


if __name__ == "__main__":
    run()
