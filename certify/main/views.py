"""Site-wide pages."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from certify.access import allowed_by_setting, public
from certify.main.health import readiness
from certify.metrics import metrics_allowed, render_metrics

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index() -> str:
    return render_template("main/index.html")


@bp.get("/healthz")
@public
def healthz() -> dict[str, str]:
    """Liveness: the process is up (it checks nothing else; see ``/readyz``)."""
    return {"status": "ok"}


@bp.get("/readyz")
@public
def readyz() -> tuple[dict[str, object], int]:
    """Readiness: the database, the keys, the storage and the job queue work; 503 naming what
    failed."""
    ready, checks = readiness()
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503


@bp.get("/metrics")
@allowed_by_setting(metrics_allowed)
def metrics() -> Response:
    """Prometheus metrics, for the scrapers METRICS_TOKEN or METRICS_ALLOW_FROM admit."""
    body, content_type = render_metrics()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
