"""Registry-wide impact: totals, medians and distributions built only from the figures each
certificate publishes (:mod:`certify.core.impact.figures`), so the two always agree.

Every input is already public on its certificate's page (values, bands; nothing withheld
there is used here), so an aggregate reveals nothing more: a median or distribution is shown
from :data:`MIN_CERTIFICATES` published values on, and a country's or target group's impact
workers only as "at least" the sum of its certificates' band floors.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from certify.core.impact.figures import band_floor, published_value

MIN_CERTIFICATES = 1


def _q(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def median(values: list[Decimal]) -> Decimal:
    """The median, exactly (the mean of the two middle values for an even count)."""
    return Decimal(statistics.median(values))


def distribution(values: list[Decimal], edges: list[Decimal]) -> list[dict[str, Any]]:
    """Counts of *values* in ``[edges[i], edges[i+1])``, the last bucket open above."""
    buckets = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        count = sum(1 for v in values if v >= low and (high is None or v < high))
        label = f"{low}+" if high is None else f"{low} to under {high}"
        buckets.append({"label": label, "count": count})
    return buckets


def _edges(values: list[Decimal], unit: str) -> list[Decimal]:
    if unit == "percent":
        return [Decimal(x) for x in (0, 10, 25, 50, 75, 100)]
    top = max(values) if values else Decimal(1)
    step = max(Decimal(1), (top / 5).to_integral_value())
    return [step * i for i in range(5)]


def aggregate(
    rows: Iterable[Mapping[str, Any]], criteria: list[tuple[str, str, str]]
) -> dict[str, Any]:
    """The registry's impact over *rows* (``{"serial", "country", "impactFigures"}`` of each
    active certificate) for *criteria* (``(id, title, unit)``)."""
    rows = list(rows)
    indicators = []
    for criterion_id, title, unit in criteria:
        values = [
            v
            for v in (published_value(r.get("impactFigures"), criterion_id) for r in rows)
            if v is not None
        ]
        enough = len(values) >= MIN_CERTIFICATES
        indicators.append(
            {
                "criterion": criterion_id,
                "title": title,
                "unit": unit,
                "certificates": len(values),
                "median": _q(median(values)) if enough else None,
                "distribution": distribution(values, _edges(values, unit)) if enough else [],
            }
        )
    by_country: dict[str, list[int]] = defaultdict(list)
    by_group: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        figures = row.get("impactFigures") or {}
        floor = band_floor(figures.get("impactWorkersBand"))
        by_country[row["country"]].append(floor)
        for group in figures.get("targetGroups", []):
            by_group[group].append(floor)
    return {
        "certificates": len(rows),
        "impactWorkersAtLeast": sum(
            band_floor((r.get("impactFigures") or {}).get("impactWorkersBand")) for r in rows
        ),
        "byCountry": _breakdown(by_country, "country"),
        "byTargetGroup": _breakdown(by_group, "targetGroup"),
        "indicators": indicators,
        "minimumCertificates": MIN_CERTIFICATES,
    }


def _breakdown(groups: Mapping[str, list[int]], key: str) -> list[dict[str, Any]]:
    result = []
    for name in sorted(groups):
        floors = groups[name]
        enough = len(floors) >= MIN_CERTIFICATES
        result.append(
            {
                key: name,
                "certificates": len(floors),
                "impactWorkersAtLeast": sum(floors) if enough else None,
            }
        )
    return result
