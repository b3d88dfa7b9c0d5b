"""Site-wide pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from certify.access import public
from certify.main.health import readiness

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
    """Readiness: the database, the keys and the evidence store work; 503 naming what failed."""
    ready, checks = readiness()
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
