"""certify's benchmarks: ``make bench`` runs every ``bench_*.py`` module here.

Each module defines ``run(quick: bool = False) -> dict[str, float]``: it prints its figures
(and, where a baseline exists, the baseline measured in the same run and the ratio) and
returns them. ``quick`` is CI's smoke run: few iterations, only to prove the code still works.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def timed_ms(function: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Call *function* once; return its result and the wall time in milliseconds."""
    started = time.perf_counter()
    result = function(*args)
    return result, (time.perf_counter() - started) * 1000


def paired_ratio(measured: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of ``measured[i] / baseline[i]``: each figure divided by the baseline taken
    next to it. On a shared machine whose speed drifts during a run, a pair sees the same
    conditions, so this ratio stays put where the ratio of the two medians can swing."""
    return statistics.median(m / b for m, b in zip(measured, baseline, strict=True))
