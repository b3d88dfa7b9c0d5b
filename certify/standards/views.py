"""Public pages: the published standards, each version readable, and its YAML file."""

from __future__ import annotations

import datetime as dt
import logging
import re

from flask import Blueprint, Response, abort, render_template

from certify.access import public
from certify.core.rubric.model import Rubric
from certify.standards import presenting
from certify.standards.operations import (
    RubricNotFound,
    get_rubric,
    published_file_bytes,
    published_rubrics,
)

log = logging.getLogger(__name__)

bp = Blueprint("standards", __name__)

_ID_RE = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")
_VERSION_RE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,9}){0,9}$")


def today() -> dt.date:
    """Today in UTC (a function so tests can move the clock)."""
    return dt.datetime.now(dt.UTC).date()


def get_rubric_or_404(standard_id: str, version: str) -> Rubric:
    # Malformed ids never reach the database or the file system (no path tricks).
    if not _ID_RE.match(standard_id) or not _VERSION_RE.match(version):
        abort(404)
    try:
        return get_rubric(standard_id, version)
    except RubricNotFound:
        abort(404)


@bp.get("/standards")
@public
def index() -> str:
    versions = presenting.version_infos(published_rubrics(), today())
    return render_template("standards/index.html", standards=versions, p=presenting)


@bp.get("/standards/<standard_id>/<version>")
@public
def show(standard_id: str, version: str) -> str:
    rubric = get_rubric_or_404(standard_id, version)
    same = [r for r in published_rubrics() if r.id == rubric.id]
    info = next(
        i
        for i in presenting.version_infos(same, today())[rubric.id]
        if i.rubric.version == rubric.version
    )
    return render_template("standards/show.html", rubric=rubric, info=info, p=presenting)


@bp.get("/standards/<standard_id>/<version>.yaml")
@public
def download(standard_id: str, version: str) -> Response:
    rubric = get_rubric_or_404(standard_id, version)
    data = published_file_bytes(rubric)
    if data is None:
        # No file, or one whose content differs from the published hash: serve nothing rather
        # than bytes that do not match the hash the page and certificates show.
        log.warning("no file matching published %s (sha256 %s)", rubric.key, rubric.sha256)
        abort(404)
    response = Response(data, mimetype="text/yaml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{rubric.id}-{rubric.version}.yaml"'
    )
    return response
