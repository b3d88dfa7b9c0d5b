"""Reading a standard version's indicators file, and each certificate's figures as recorded
in its immutable snapshot at issuance (so page, API, CSV and the Impact page read one record).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import Any

from flask import current_app, has_app_context

from certify.core.impact.figures import impact_figures
from certify.core.impact.indicators import IndicatorError, Indicators, parse_indicators
from certify.core.rubric.model import Rubric
from certify.standards.files import DEFAULT_RUBRICS_DIR, indicators_path

log = logging.getLogger(__name__)


@cache
def _indicators_text(folder: str, standard_id: str, version: str) -> str | None:
    path = indicators_path(folder, standard_id, version)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def indicators_for(rubric: Rubric) -> Indicators | None:
    """The public indicators of *rubric*'s version, or None when it publishes none: the file
    beside the rubric in the app's ``RUBRICS_DIR`` (the shipped folder outside an app).

    Raises:
        IndicatorError: the file does not fit the rubric (a packaging mistake).
    """
    folder = current_app.config["RUBRICS_DIR"] if has_app_context() else DEFAULT_RUBRICS_DIR
    text = _indicators_text(str(folder), rubric.id, rubric.version)
    return None if text is None else parse_indicators(text, rubric)


def _groups(application: Any) -> list[str]:
    try:
        groups = json.loads(application.impact_groups or "[]")
    except ValueError:
        return []
    return [g for g in groups if isinstance(g, str)]


def figures_at_issuance(
    rubric: Rubric, application: Any, score: Any, period_end: str
) -> dict[str, Any] | None:
    """The figures a new certificate publishes (None when its standard publishes none)."""
    indicators = indicators_for(rubric)
    if indicators is None:
        return None
    answers = [(c.criterion_id, c.value, c.basis) for c in score.criteria]
    return impact_figures(
        rubric,
        indicators,
        answers,
        headcount=application.headcount,
        impact_headcount=application.impact_headcount,
        target_groups=_groups(application),
        period_end=period_end,
    )


__all__ = ["IndicatorError", "figures_at_issuance", "indicators_for"]
