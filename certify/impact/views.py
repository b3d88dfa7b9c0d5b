"""``/impact``: impact figures across the registry's active certificates."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from certify.access import public

bp = Blueprint("impact", __name__)


@bp.get("/impact")
@public
def index() -> Any:
    return render_template("impact/index.html")
