"""``/applications/<id>/published-figures``: before the decision, the ISSP (and the case's
staff) see which impact figures the registry will publish if the case is certified, and with
the audited values once the audit is submitted."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from certify import clock
from certify.accounts.access import login_required
from certify.applications.access import get_application_or_404
from certify.applications.assessment import current_score
from certify.applications.web import rubric_of
from certify.db import db_session
from certify.impact.records import figures_at_issuance, indicators_for

bp = Blueprint("impact_preview", __name__)

#: From these states the auditor's answers are final unless the reviewer returns the case.
AUDITED = ("audit_submitted", "decided")


@bp.get("/applications/<public_id>/published-figures")
@login_required
def preview(public_id: str) -> Any:
    application = get_application_or_404(public_id)
    rubric = rubric_of(application)
    indicators = indicators_for(rubric)
    figures = None
    if indicators is not None and application.state in AUDITED:
        result = current_score(db_session(), application, rubric)
        figures = figures_at_issuance(rubric, application, result, clock.today().isoformat())
    criteria = [rubric.criterion(c) for c in indicators.criteria] if indicators else []
    return render_template(
        "impact/preview.html",
        application=application,
        indicators=indicators,
        criteria=criteria,
        figures=figures,
    )
