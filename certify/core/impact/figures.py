"""One certificate's impact figures, from its audited answers: plain data in, plain data out.

What is published, and why:

- each public indicator's audited value (rounded half-up to 2 decimals), its unit and its
  basis (e.g. CR-1 on profit or on revenue), for the period the indicators file names;
- the workforce and the impact workers as **bands** (``50-249``), never head counts, so a small
  firm's figures cannot be tied to people;
- when the impact workers are fewer than the minimum group size, every figure about them is
  withheld (``"suppressed": true`` with the reason), not just rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from certify.core.impact.indicators import Indicators
from certify.core.rubric.model import Rubric

#: Head-count bands (lower bound, upper bound or None): what is published instead of counts.
BANDS: tuple[tuple[int, int | None], ...] = (
    (1, 9),
    (10, 49),
    (50, 249),
    (250, 999),
    (1000, 4999),
    (5000, None),
)


def band(count: int | None) -> str | None:
    """The band *count* falls in, as text (``"50-249"``, ``"5000+"``); None when unknown."""
    if count is None or count < 1:
        return None
    for low, high in BANDS:
        if high is None or count <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    raise AssertionError("unreachable")  # pragma: no cover


def band_floor(text: str | None) -> int:
    """The lower bound of a band text (0 for None): "at least" totals add these up."""
    if not text:
        return 0
    return int(text.rstrip("+").split("-", 1)[0])


def _rounded(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def impact_figures(
    rubric: Rubric,
    indicators: Indicators,
    answers: Iterable[tuple[str, object, str | None]],
    *,
    headcount: int | None,
    impact_headcount: int | None,
    target_groups: Iterable[str],
    period_end: str,
) -> dict[str, Any]:
    """The published figures of one certificate.

    *answers* are the audited ``(criterion id, value, basis id)`` of the scored answers
    (``value`` None when not applicable); *period_end* the ISO date the period ends.
    """
    by_id: Mapping[str, tuple[object, str | None]] = {a[0]: (a[1], a[2]) for a in answers}
    small = impact_headcount is None or impact_headcount < indicators.minimum_group_size
    figures = []
    for criterion_id in indicators.criteria:
        criterion = rubric.criterion(criterion_id)
        value, basis_id = by_id.get(criterion_id, (None, None))
        figure: dict[str, Any] = {
            "criterion": criterion_id,
            "title": criterion.title,
            "unit": criterion.unit or "",
        }
        if len(criterion.bases) > 1 and basis_id:
            figure["basis"] = criterion.basis(basis_id).title
        if small:
            figure["suppressed"] = True
            figure["reason"] = (
                f"fewer than {indicators.minimum_group_size} impact workers: withheld so no "
                "person can be identified"
            )
        elif not isinstance(value, (int, Decimal)) or isinstance(value, bool):
            figure["suppressed"] = True
            figure["reason"] = "not applicable or not recorded"
        else:
            figure["value"] = _rounded(Decimal(value))
        figures.append(figure)
    return {
        "period": indicators.period,
        "periodEnd": period_end,
        "minimumGroupSize": indicators.minimum_group_size,
        "workforceBand": band(headcount),
        "impactWorkersBand": None if small else band(impact_headcount),
        "targetGroups": sorted({g for g in target_groups if g}),
        "figures": figures,
    }


def published_value(figures: Mapping[str, Any] | None, criterion_id: str) -> Decimal | None:
    """The published value of *criterion_id* in *figures*, or None (withheld or absent)."""
    for figure in (figures or {}).get("figures", []):
        if figure.get("criterion") == criterion_id and "value" in figure:
            return Decimal(figure["value"])
    return None


def published_figures(figures: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The figures of a certificate's record that carry a published value, in order: what its
    credential signs. A withheld figure (``"suppressed"``: too few impact workers, or not
    applicable) has no value, so it is left out, as it is everywhere else."""
    return [dict(f) for f in (figures or {}).get("figures", []) if "value" in f]
