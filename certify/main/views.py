"""Site-wide pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from certify.access import public

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index() -> str:
    return render_template("main/index.html")


@bp.get("/healthz")
@public
def healthz() -> dict[str, str]:
    """Liveness for load balancers and `make run`'s readiness check."""
    return {"status": "ok"}
