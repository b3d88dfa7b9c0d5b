"""``flask --app certify rubrics validate|list|show|diff|publish``.

The app is loaded for these commands even when a published rubric changed (see
:mod:`certify.standards.startup`), so ``validate`` and ``diff`` can report the change.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from certify.accounts.access import command_actor
from certify.core.rubric.diff import diff_rubrics
from certify.core.rubric.model import Rubric, RubricError
from certify.core.rubric.versions import status_on
from certify.db import db_session
from certify.standards import presenting
from certify.standards.files import discover, load_rubric, publish, read_lock
from certify.standards.models import RubricVersion
from certify.standards.operations import (
    RubricNotFound,
    ensure_rubrics_stored,
    get_rubric,
    publish_rubric_version,
)
from certify.standards.validate import format_report, load_rubric_path, validate_rubrics

_SPEC_RE = re.compile(r"^([a-z][a-z0-9_-]*)@([0-9]+(?:\.[0-9]+)*)$")


def _rubrics_dir() -> Path:
    return Path(current_app.config["RUBRICS_DIR"])


def _fail(exc: RubricError) -> NoReturn:
    for problem in exc.problems:
        click.echo(str(problem))
    click.echo(f"{len(exc.problems)} problem(s) found.")
    sys.exit(1)


def _parse_spec(spec: str) -> tuple[str, str]:
    m = _SPEC_RE.match(spec)
    if not m:
        raise click.BadParameter(f"{spec!r} is not ID@VERSION (e.g. isrps@1.0)")
    return m.group(1), m.group(2)


#: Rules a draft may still break and be compared: the file's structure is sound, only sums,
#: orders or cross-references are off (a draft mid-edit, e.g. one weight changed before the
#: section is rebalanced). Structure problems (``schema:*``, YAML errors) are never skipped.
_DRAFT_RULES = frozenset(
    {
        "section_weights_sum",
        "criterion_weights_sum",
        "bands_contiguous",
        "band_levels_ascending",
        "bands_start_at_min",
        "bands_cover_range",
        "band_outside_range",
        "unique_id",
        "gate_weight",
        "scored_weight",
        "levels_described",
        "floor_in_range",
        "floor_single_basis",
        "na_when",
        "section_not_all_na",
        "outcome_order",
        "unknown_grade",
        "deadline_required",
        "range_order",
        "file_location",
    }
)


def _load_draft(path: Path, error: RubricError) -> Rubric:
    """Build a rubric whose only problems are draft rules, warning about each on stderr.

    Raises:
        RubricError: *error* again when the file cannot be compared.
    """
    if not all(p.rule in _DRAFT_RULES for p in error.problems):
        raise error
    # The core validates before it builds; a diff of a draft needs the build alone:
    # build_rubric is the core's own builder, fed the same canonical plain data.
    from certify.core.rubric.loading import build_rubric
    from certify.core.rubric.parsing import parse_rubric_yaml
    from certify.core.rubric.plain import canonical_rubric_json

    source = str(path)
    try:
        data = parse_rubric_yaml(path.read_text(encoding="utf-8"), source=source)
        canonical = canonical_rubric_json(data, source)
        rubric = build_rubric(json.loads(canonical, parse_float=Decimal), canonical, source)
    except (RubricError, OSError, KeyError, TypeError, ValueError):
        raise error from None
    for problem in error.problems:
        click.echo(f"warning: {problem}", err=True)
    return rubric


def _load_file(path: Path, lenient: bool) -> Rubric:
    try:
        return load_rubric_path(path, _rubrics_dir())
    except RubricError as exc:
        if not lenient:
            raise
        return _load_draft(path, exc)


def _resolve(spec: str, *, lenient: bool = False) -> Rubric:
    """A file path, or ``ID@VERSION``: the file in the rubrics folder, else the version the
    database stores. *lenient*: a file that only breaks draft rules still loads (with
    warnings)."""
    if Path(spec).is_file():
        return _load_file(Path(spec), lenient)
    standard_id, version = _parse_spec(spec)
    path = _rubrics_dir() / standard_id / f"{version}.yaml"
    if path.is_file():
        return _load_file(path, lenient)
    try:
        return get_rubric(standard_id, version)
    except RubricNotFound:
        raise click.BadParameter(f"no file {path} and no published {spec}") from None


@click.group("rubrics")
def rubrics_group() -> None:
    """Versioned standards: check, list, show, compare and publish rubric files."""


@rubrics_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@with_appcontext
def validate_command(paths: tuple[str, ...]) -> None:
    """Check rubric files (default: every file in the rubrics folder) and the lock file.

    Exit 1, printing every problem (file, criterion or section, rule), when any is found.
    The same check without the app: python -m certify.standards.validate [PATH...]
    """
    report = validate_rubrics(paths, _rubrics_dir())
    for line in format_report(report):
        click.echo(line)
    if not report.ok:
        sys.exit(1)


def _stored_hashes() -> dict[str, str] | None:
    try:
        rows = db_session().execute(
            select(RubricVersion.standard_id, RubricVersion.version, RubricVersion.sha256)
        )
        return {f"{r.standard_id}@{r.version}": r.sha256 for r in rows}
    except SQLAlchemyError:
        return None  # no database yet (before `flask init`): say so rather than fail


@rubrics_group.command("list")
@with_appcontext
def list_command() -> None:
    """List every rubric file: published or draft, status today, effective date, hash."""
    root = _rubrics_dir()
    try:
        lock = read_lock(root)
    except RubricError as exc:
        _fail(exc)
    stored = _stored_hashes()
    loaded: list[Rubric] = []
    broken: dict[str, int] = {}
    for f in discover(root):
        try:
            loaded.append(load_rubric_path(f.path, root))
        except RubricError as exc:
            broken[f.key] = len(exc.problems)
    today = dt.datetime.now(dt.UTC).date()
    published = [r for r in loaded if r.key in lock]
    for r in loaded:
        entry = lock.get(r.key)
        if entry is None:
            state, when = "draft", "-"
        elif entry.sha256 != r.sha256:
            state, when = "CHANGED since published", "-"
        else:
            state, when = "published", status_on(r, today, published)
        if stored is None:
            db = "database not ready"
        elif r.key in stored:
            db = "stored" if stored[r.key] == r.sha256 else "stored with OTHER content"
        else:
            db = "not stored"
        click.echo(
            f"{r.key}  {state}  {when}  effective {r.effective_date}  sha256 {r.sha256}  {db}"
        )
    for key, count in broken.items():
        click.echo(f"{key}  invalid: {count} problem(s), see `rubrics validate`")
    for key in sorted(set(lock) - {r.key for r in loaded} - set(broken)):
        click.echo(f"{key}  published but its file is missing: rubrics validate")
    if not loaded and not broken and not lock:
        click.echo(f"no rubric files in {root}")


@rubrics_group.command("show")
@click.argument("spec", metavar="ID@VERSION|FILE")
@with_appcontext
def show_command(spec: str) -> None:
    """Print a rubric: sections, criteria, levels, bands, outcomes and non-conformity rules."""
    try:
        r = _resolve(spec)
    except RubricError as exc:
        _fail(exc)
    out = click.echo
    out(f"{r.title} ({r.key})")
    out(
        f"effective {r.effective_date}; transition {r.transition_months} months; certificates "
        f"valid {r.certificate_validity_months} months; surveillance every "
        f"{r.surveillance_interval_months} months"
    )
    out(f"sha256 {r.sha256}")
    for s in r.sections:
        out("")
        out(f"{s.id} {s.title} (weight {presenting.num(s.weight)})")
        for c in s.criteria:
            out(f"  {presenting.criterion_summary(c)}")
            for level, text in enumerate(c.levels):
                out(f"      {level}: {text}")
            for basis in c.bases:
                if basis.id:
                    out(f"      basis {basis.id}: {basis.title}")
                for band in basis.bands:
                    out(f"      {band.level}: {presenting.band_words(band, c.range_max)}")
            if c.na_allowed:
                out(f"      not applicable when: {c.na_when}")
    out("")
    out("Outcome levels (every gate passes and every floor is met, and):")
    for o in r.outcomes:
        blocked = ", ".join(o.blocked_by_open) or "none"
        out(
            f"  {o.id}: overall >= {presenting.num(o.min_overall)}, every section >= "
            f"{presenting.num(o.section_floor_percent)}% of its weight, blocked while open: "
            f"{blocked}"
        )
    out(f"Non-conformities (longest suspension {r.max_suspension_months} months):")
    for g in r.grades:
        out(f"  {g.id}: close {presenting.deadline_words(g)}; {g.consequence}")


@rubrics_group.command("diff")
@click.argument("old", metavar="A")
@click.argument("new", metavar="B")
@with_appcontext
def diff_command(old: str, new: str) -> None:
    """What changed from A to B (each ID@VERSION or a file), one line per change.

    A draft that breaks only sum or order rules (e.g. one weight changed before its section is
    rebalanced) is still compared; its problems are printed as warnings on stderr.
    """
    try:
        a, b = _resolve(old, lenient=True), _resolve(new, lenient=True)
    except RubricError as exc:
        _fail(exc)
    lines = diff_rubrics(a, b)
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no differences")


@rubrics_group.command("publish")
@click.argument("spec", metavar="ID@VERSION")
@with_appcontext
def publish_command(spec: str) -> None:
    """Publish rubrics/<id>/<version>.yaml: record it in the lock file and store it.

    Refuses a version already published with other content: publish a new version instead.
    """
    standard_id, version = _parse_spec(spec)
    root = _rubrics_dir()
    try:
        rubric = load_rubric(root / standard_id / f"{version}.yaml")
    except RubricError as exc:
        _fail(exc)
    session = db_session()
    stored = True
    try:
        # The database is checked first: a version it holds with other content must not
        # reach the lock file either.
        publish_rubric_version(session, rubric, command_actor())
    except RubricError as exc:
        session.rollback()
        _fail(exc)
    except SQLAlchemyError:
        session.rollback()
        stored = False
    try:
        entry = publish(root, standard_id, version)
    except RubricError as exc:
        session.rollback()
        _fail(exc)
    session.commit()
    click.echo(f"published {entry.key}: {entry.file} sha256 {entry.sha256}")
    if not stored:
        click.echo(
            "not stored in the database (it is not ready); `flask --app certify init` stores "
            "every published version"
        )


def store_published_rubrics() -> None:
    """The ``flask init`` step: store every published version the database lacks."""
    session = db_session()
    try:
        stored = ensure_rubrics_stored(session, command_actor())
    except RubricError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    session.commit()
    if stored:
        click.echo("rubrics: stored " + ", ".join(row.key for row in stored))
    else:
        click.echo("rubrics: every published version is stored")
