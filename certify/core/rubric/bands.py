"""The band rules of number criteria: each band holds a value, bands start at the range
minimum, follow each other without gap or overlap, never lower the level, and cover the
range."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from certify.core.rubric.model import LEVELS, Band, Problem, format_number
from certify.core.rubric.values import as_number, indexed


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
    lower = as_number(raw[lows[0]])
    upper = as_number(raw[highs[0]]) if highs else None
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


def check_bands(
    raw_bands: Any,
    label: str,
    where: str,
    rmin: Decimal | None,
    rmax: Decimal | None,
    source: str,
    problems: list[Problem],
) -> tuple[Band, ...]:
    """Check the bands *label* of criterion *where* (range *rmin*..*rmax*), adding every
    problem to *problems*; return the bands that could be read."""
    bands: list[Band] = []
    for i, raw in indexed(raw_bands):
        if isinstance(raw, Mapping):
            band = _band_bounds(raw, f"{label} band {i + 1}", where, source, problems)
            if band is not None:
                bands.append(band)
    if not bands or len(bands) != len(raw_bands):
        return tuple(bands)

    def add(rule: str, message: str) -> None:
        problems.append(Problem(source, where, rule, message))

    first = bands[0]
    if rmin is not None and (first.lower != rmin or not first.lower_inclusive):
        add(
            "bands_start_at_min",
            f"{label}: the first band must start at the range minimum ({format_number(rmin)}, "
            f"inclusive), starts at {first.label()}",
        )
    _check_sequence(bands, label, add)
    _check_coverage(bands, label, rmax, add)
    return tuple(bands)


def _check_sequence(bands: list[Band], label: str, add: Callable[[str, str], None]) -> None:
    """Each band follows the one before without gap or overlap, at the same level or higher."""
    for n, (a, b) in enumerate(itertools.pairwise(bands), start=1):
        pair = f"{label}: bands {n} ({a.label()}) and {n + 1} ({b.label()})"
        if a.upper is None:
            add("bands_contiguous", f"{pair} overlap: band {n} is open-ended")
        elif a.upper < b.lower or (
            a.upper == b.lower and not a.upper_inclusive and not b.lower_inclusive
        ):
            add("bands_contiguous", f"{pair} leave a gap")
        elif a.upper > b.lower or (a.upper == b.lower and a.upper_inclusive and b.lower_inclusive):
            add("bands_contiguous", f"{pair} overlap")
        if b.level < a.level:
            add(
                "band_levels_ascending",
                f"{pair}: levels must not fall as the value rises ({a.level} then {b.level})",
            )


def _check_coverage(
    bands: list[Band], label: str, rmax: Decimal | None, add: Callable[[str, str], None]
) -> None:
    """No band starts above the range maximum, and the last one reaches it (or, with no
    maximum, is open-ended)."""
    last = bands[-1]
    if rmax is None:
        if last.upper is not None:
            add(
                "bands_cover_range",
                f"{label}: the range has no maximum, so the last band must be open-ended, "
                f"it stops at {last.label()}",
            )
        return
    for n, band in enumerate(bands, start=1):
        if band.lower > rmax or (band.lower == rmax and not band.lower_inclusive):
            add(
                "band_outside_range",
                f"{label}: band {n} ({band.label()}) lies above the range maximum "
                f"{format_number(rmax)}",
            )
    if last.upper is not None and (
        last.upper < rmax or (last.upper == rmax and not last.upper_inclusive)
    ):
        add(
            "bands_cover_range",
            f"{label}: the bands stop at {last.label()} and leave values up to the range "
            f"maximum {format_number(rmax)} uncovered",
        )
