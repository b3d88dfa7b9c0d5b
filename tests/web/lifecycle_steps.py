"""Test helpers: change a lifecycle list of :mod:`certify.lifecycle` for one test.

The lists are plain tuples; a test that needs a failing or spying step puts a changed tuple in
place with ``monkeypatch`` (undone when the test ends). Steps are named by their function name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from certify import lifecycle


def names(steps: Any = None) -> list[str]:
    """The step names of *steps* (default: the issuance list)."""
    return [step.__name__ for step in (lifecycle.ISSUE if steps is None else steps)]


def insert_step(
    monkeypatch: pytest.MonkeyPatch,
    step: Callable[[Any], None],
    *,
    before: str | None = None,
    after: str | None = None,
    list_name: str = "ISSUE",
) -> None:
    """Put *step* just before or after the step called *before* / *after*."""
    steps = list(getattr(lifecycle, list_name))
    anchor = before or after
    position = names(steps).index(anchor) + (0 if before else 1)
    steps.insert(position, step)
    monkeypatch.setattr(lifecycle, list_name, tuple(steps))


def fail_after(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    extra: Callable[[Any], None] | None = None,
    list_name: str = "ISSUE",
) -> None:
    """Make the step *name* do its work, run *extra*, then raise (the worst moment)."""
    steps = list(getattr(lifecycle, list_name))
    position = names(steps).index(name)
    original = steps[position]

    @functools.wraps(original)
    def failing(context: Any) -> None:
        original(context)
        if extra is not None:
            extra(context)
        raise RuntimeError(f"injected failure after {name}")

    steps[position] = failing
    monkeypatch.setattr(lifecycle, list_name, tuple(steps))


def replace_step(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    step: Callable[[Any], None],
    list_name: str = "ISSUE",
) -> None:
    """Run *step* in place of the step called *name* (e.g. to issue as an older release did)."""
    steps = list(getattr(lifecycle, list_name))
    steps[names(steps).index(name)] = step
    monkeypatch.setattr(lifecycle, list_name, tuple(steps))
