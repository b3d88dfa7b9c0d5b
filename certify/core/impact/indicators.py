"""A standard version's public indicators: which criteria's audited answers the registry
publishes, and the minimum group size below which a figure is withheld.

A published rubric never changes (its hash is pinned by every application and certificate), so
the marking lives beside it, in ``rubrics/<id>/<version>.indicators.json``, itself data. For
ISRPS 1.0 it names the quantitative hiring, wage, training and reinvestment criteria.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from certify.core.rubric.model import Rubric


class IndicatorError(ValueError):
    """The indicators file does not fit its rubric; says why."""


@dataclass(frozen=True)
class Indicators:
    rubric_key: str
    #: criterion ids, in the order figures are shown
    criteria: tuple[str, ...]
    #: fewer impact workers than this: figures about them are withheld (and bands only)
    minimum_group_size: int
    #: the period the audited figures cover, in words
    period: str


def parse_indicators(text: str, rubric: Rubric) -> Indicators:
    """Read an indicators file for *rubric*.

    Raises:
        IndicatorError: not JSON, another standard or version, an unknown criterion, a
            criterion that is not a number, or a minimum group size below 5.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IndicatorError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise IndicatorError("the file must hold one object")
    if (data.get("standard"), data.get("version")) != (rubric.id, rubric.version):
        raise IndicatorError(f"the file is not for {rubric.key}")
    minimum = data.get("minimum_group_size")
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 5:
        raise IndicatorError("minimum_group_size must be a whole number of at least 5")
    criteria = data.get("public_indicators")
    if not isinstance(criteria, list) or not criteria:
        raise IndicatorError("public_indicators must list criterion ids")
    known = {c.id: c for c in rubric.criteria}
    for criterion_id in criteria:
        criterion = known.get(criterion_id)
        if criterion is None:
            raise IndicatorError(f"{criterion_id!r} is not a criterion of {rubric.key}")
        if criterion.kind != "number":
            raise IndicatorError(f"{criterion_id} is not a number criterion")
    period = data.get("period")
    if not isinstance(period, str) or not period.strip():
        raise IndicatorError("period must say what period the figures cover")
    return Indicators(rubric.key, tuple(criteria), minimum, period.strip())
