"""Check rubric files without the app: ``python -m certify.standards.validate [PATH...]``.

The app refuses to start when a published rubric changed, so the check that *reports* that must
not need a working app: this module imports neither the app nor the database. ``flask --app
certify rubrics validate`` calls the same :func:`validate_rubrics`.

With no PATH it checks every rubric file under the rubrics folder (``--rubrics-dir``, else
``CERTIFY_RUBRICS_DIR``, else the shipped ``rubrics/``) and the lock file. A PATH may be a
rubrics folder (checked the same way) or a file. A file inside the rubrics folder must also sit
at ``<id>/<version>.yaml`` and, when published, still match the lock; a file elsewhere (a draft
or a copy) is checked for its content only. A rubric's public indicators file
(``<id>/<version>.indicators.json``, beside it) is read as the registry reads it, and one
that sits beside no rubric file is named. Exit status: 0 when everything is fine, 1 when any
problem was found (every problem is printed, each naming the file, the criterion or section and
the rule), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from certify.core.impact.indicators import IndicatorError, parse_indicators
from certify.core.rubric.loading import load_rubric_data
from certify.core.rubric.model import Problem, Rubric, RubricError
from certify.core.rubric.parsing import parse_rubric_yaml
from certify.standards.files import (
    DEFAULT_RUBRICS_DIR,
    INDICATORS_SUFFIX,
    LOCK_FILE,
    check_lock,
    discover,
    indicators_path,
    load_rubric,
    read_lock,
    read_schema,
    schema_for,
    validate_dir,
)

__all__ = [
    "ValidationReport",
    "format_report",
    "load_rubric_path",
    "main",
    "validate_rubrics",
]


@dataclass
class ValidationReport:
    """What :func:`validate_rubrics` found: the rubrics that loaded, every problem, and the
    published versions (``id@version`` -> recorded sha256) of the folders that were checked."""

    loaded: list[Rubric] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    published: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def load_rubric_path(path: Path | str, rubrics_dir: Path | str = DEFAULT_RUBRICS_DIR) -> Rubric:
    """Load one rubric file.

    Inside *rubrics_dir* the file must sit at ``<id>/<version>.yaml`` (what discovery and the
    lock rely on); elsewhere (a draft, a copy to compare) only its content is checked.

    Raises:
        RubricError: the file is unreadable or breaks any rule; every problem is listed.
    """
    path = Path(path)
    root = Path(rubrics_dir)
    if _inside(path, root):
        return load_rubric(path, schema_path=schema_for(root))
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError([Problem(source, "file", "unreadable", str(exc))]) from exc
    data = parse_rubric_yaml(text, source=source)
    return load_rubric_data(data, schema=read_schema(), source=source)


def _stray_files(root: Path) -> list[Problem]:
    """YAML files the discovery would silently skip: say so rather than ignore an author's
    file because of its name (``1.0-draft.yaml``, ``1.0.yml``, a file at the wrong depth)."""
    found = {f.path.resolve() for f in discover(root)}
    problems = []
    for p in sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")]):
        if p.resolve() not in found:
            problems.append(
                Problem(
                    str(p),
                    "file",
                    "file_location",
                    "not checked or used: a rubric file must be named "
                    "<rubrics folder>/<id>/<version>.yaml, e.g. isrps/1.1.yaml",
                )
            )
    return problems


def _indicator_problems(rubric: Rubric, root: Path) -> list[Problem]:
    """The rubric's public indicators file (``<id>/<version>.indicators.json``), when there is
    one, read as the registry reads it: the figures it names are published, so a file that
    does not fit its rubric would fail every certificate page and the Impact page."""
    path = indicators_path(root, rubric.id, rubric.version)
    if not path.is_file():
        return []
    try:
        parse_indicators(path.read_text(encoding="utf-8"), rubric)
    except (OSError, UnicodeDecodeError, IndicatorError) as exc:
        return [Problem(str(path), "file", "indicators", str(exc))]
    return []


def _stray_indicators(root: Path, loaded: Sequence[Rubric]) -> list[Problem]:
    """Indicators files of no rubric file here: never read, so say so."""
    known = {indicators_path(root, r.id, r.version).resolve() for r in loaded}
    return [
        Problem(str(p), "file", "file_location",
                "not used: an indicators file must sit beside its rubric, as "
                f"<id>/<version>{INDICATORS_SUFFIX} next to <id>/<version>.yaml")
        for p in sorted(root.rglob(f"*{INDICATORS_SUFFIX}"))
        if p.resolve() not in known
    ]  # fmt: skip


def _check_folder(root: Path, report: ValidationReport) -> None:
    if not root.is_dir():
        report.problems.append(Problem(str(root), "folder", "unreadable", "no such folder"))
        return
    loaded, problems = validate_dir(root, schema_path=schema_for(root))
    report.loaded += loaded
    report.problems += problems + _stray_files(root)
    for rubric in loaded:
        report.problems += _indicator_problems(rubric, root)
    report.problems += _stray_indicators(root, loaded)
    # A broken lock file has been reported by check_lock (inside validate_dir).
    with contextlib.suppress(RubricError):
        report.published.update({k: e.sha256 for k, e in read_lock(root).items()})


def _check_file(path: Path, root: Path, report: ValidationReport) -> None:
    if not path.is_file():
        report.problems.append(Problem(str(path), "file", "unreadable", "no such file"))
        return
    rubric: Rubric | None = None
    try:
        rubric = load_rubric_path(path, root)
    except RubricError as exc:
        report.problems += exc.problems
    else:
        report.loaded.append(rubric)
    if not _inside(path, root):
        return
    if rubric is not None:
        report.problems += _indicator_problems(rubric, root)
    # A published file named on the command line is still held to its recorded hash.
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    try:
        entries = {e.key: e for e in read_lock(root).values() if e.file == rel}
    except RubricError as exc:
        report.problems += exc.problems
        return
    if entries:
        report.published.update({k: e.sha256 for k, e in entries.items()})
        report.problems += [p for p in check_lock(root) if p.where in entries]


def validate_rubrics(
    paths: Sequence[Path | str] = (), rubrics_dir: Path | str = DEFAULT_RUBRICS_DIR
) -> ValidationReport:
    """Check rubric files and the lock file; never raises for a bad rubric.

    With no *paths*: every file under *rubrics_dir* plus the lock check. Otherwise each path
    is a folder (checked like *rubrics_dir*) or a file (see :func:`load_rubric_path`).
    """
    report = ValidationReport()
    root = Path(rubrics_dir)
    for p in [Path(p) for p in paths] or [root]:
        if p.is_dir():
            _check_folder(p, report)
        else:
            _check_file(p, root, report)
    return report


def format_report(report: ValidationReport) -> list[str]:
    """The lines to print: one per problem when there are any, else one per rubric checked."""
    if report.problems:
        lines = [str(p) for p in report.problems]
        lines.append(f"{len(report.problems)} problem(s) found.")
        return lines
    lines = []
    for r in report.loaded:
        state = "published" if report.published.get(r.key) == r.sha256 else "draft"
        lines.append(f"ok: {r.key} ({state}, sha256 {r.sha256}) {r.source}")
    lines.append(f"{len(report.loaded)} rubric file(s) valid; published versions unchanged.")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m certify.standards.validate",
        description="Check rubric files and the lock of published versions (no app needed).",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="rubric files or folders")
    parser.add_argument(
        "--rubrics-dir",
        default=os.environ.get("CERTIFY_RUBRICS_DIR") or str(DEFAULT_RUBRICS_DIR),
        help=f"the rubrics folder holding {LOCK_FILE} (default: CERTIFY_RUBRICS_DIR or the "
        "shipped rubrics/)",
    )
    args = parser.parse_args(argv)
    report = validate_rubrics(args.paths, args.rubrics_dir)
    for line in format_report(report):
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
