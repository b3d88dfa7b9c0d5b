"""The start-up check: the app refuses to start when a published rubric changed.

An application is pinned to a version *and its hash*; serving a page, a form or a score from
a file whose content no longer matches the published hash would silently change a standard
under people's feet. So :func:`check_rubrics_at_startup` (called by ``create_app``) compares
every version in ``rubrics.lock.json`` with its file and raises :class:`RubricLockError`,
naming the file and the recorded hash, when one differs.

One exception, by design: when Flask's command line loads the app to run a ``rubrics ...``
command, the check is left to that command, because ``rubrics validate`` exists to *report*
this problem and ``rubrics diff`` to show it; refusing to load would hide the report. Every
other command (``init``, ``run`` ...) and every server still refuses.
``python -m certify.standards.validate`` reports the same without loading the app at all.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import click
from flask import Flask

from certify.config import ConfigurationError
from certify.core.rubric.model import Problem, RubricError
from certify.standards.files import LOCK_FILE, check_lock, read_lock

__all__ = ["RubricLockError", "check_rubrics_at_startup", "lock_problems"]

#: The command group that checks rubrics itself and so is exempt from the start-up refusal.
RUBRICS_COMMAND = "rubrics"
#: Options of Flask's command line that take a value (``flask --app certify rubrics ...``).
_VALUE_OPTIONS = frozenset({"--app", "-A", "--env-file", "-e"})

_cache: dict[tuple[object, ...], list[Problem]] = {}
_cache_lock = threading.Lock()


class RubricLockError(ConfigurationError):
    """A published rubric version changed (or went missing); ``problems`` lists each one."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            "certify will not start: a published rubric version no longer matches the hash "
            f"recorded in {LOCK_FILE}.\n{lines}\n"
            "`python -m certify.standards.validate` reports every problem without the app."
        )


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def lock_problems(rubrics_dir: Path | str) -> list[Problem]:
    """``check_lock(rubrics_dir)``, remembered while neither the lock nor a published file
    changes on disk (every app the test suite or a worker creates would otherwise re-hash
    every published file)."""
    root = Path(rubrics_dir).resolve()
    try:
        entries = read_lock(root)
    except RubricError as exc:
        return exc.problems
    signature = (
        str(root),
        _stat(root / LOCK_FILE),
        *sorted((e.key, e.sha256, _stat(root / e.file)) for e in entries.values()),
    )
    problems = _cache.get(signature)
    if problems is None:
        problems = check_lock(root)
        with _cache_lock:
            if len(_cache) > 64:
                _cache.clear()
            _cache[signature] = problems
    return list(problems)


def _command_line_command(argv: Sequence[str]) -> str | None:
    """The command name in Flask's command line *argv* (without the program name)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def _loading_for_rubrics_command() -> bool:
    """True when Flask's command line is loading the app to run ``rubrics ...``.

    Only inside a running click command line (never under a WSGI server or in tests that call
    ``create_app``), and only when the command named on that line is the rubrics group.
    """
    if click.get_current_context(silent=True) is None:
        return False
    return _command_line_command(sys.argv[1:]) == RUBRICS_COMMAND


def check_rubrics_at_startup(app: Flask) -> None:
    """Refuse to build *app* when a published rubric in ``RUBRICS_DIR`` changed.

    Raises:
        RubricLockError: naming each changed or missing published file and its recorded hash.
    """
    if _loading_for_rubrics_command():
        return
    rubrics_dir = app.config["RUBRICS_DIR"]
    if not os.path.isdir(rubrics_dir):
        raise ConfigurationError(f"RUBRICS_DIR {rubrics_dir} is not a folder")
    problems = lock_problems(rubrics_dir)
    if problems:
        raise RubricLockError(problems)
