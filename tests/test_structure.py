"""The package's shape: no import cycles, no view reaching into another feature's views, small
modules and functions. (The core's purity has its own test, ``tests/core/test_purity.py``.)

Imports are read from the source (no app is built). Runtime imports count wherever they are,
inside functions too: a cycle hidden in a function is still a cycle. Two kinds do not count:
imports under ``if TYPE_CHECKING:`` (never run), and imports in a package's ``__init__.py``,
which is where the app is composed (``create_app`` and each feature's ``init_app`` import the
features they assemble).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import certify

ROOT = Path(certify.__file__).parent
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.relative_to(ROOT).parts:
            continue
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _runtime_imports(node)


def imported(name: str, source: str) -> set[str]:
    """The certify modules *source* (the module *name*) imports at run time."""
    found = set()
    for node in _runtime_imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif node.level:
            continue  # certify uses absolute imports only
        else:
            module = node.module or ""
            # ``from certify import clock`` imports the module certify.clock
            subs = [f"{module}.{alias.name}" for alias in node.names]
            targets = [t for t in subs if t in MODULES] or [module]
        found.update(t for t in targets if t in MODULES and t != name)
    return found


def import_graph() -> dict[str, set[str]]:
    return {
        name: set()
        if path.name == "__init__.py"
        else imported(name, path.read_text(encoding="utf-8"))
        for name, path in MODULES.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_there_are_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle_and_a_hidden_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    source = "def f():\n    from certify.db import db_session\n"
    assert imported("certify.clock", source) == {"certify.db"}


def test_type_checking_imports_do_not_count() -> None:
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from certify.db import Database\n"
    )
    assert imported("certify.state", source) == set()


def _feature(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else None


def test_no_view_imports_another_features_views() -> None:
    offenders = []
    for name, targets in import_graph().items():
        for target in targets:
            if target.rsplit(".", 1)[-1].endswith("views") and _feature(target) != _feature(name):
                offenders.append(f"{name} imports {target}")
    assert offenders == []


def _function_lengths(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            yield node.name, node.end_lineno - node.lineno + 1


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_functions_stay_small(name: str) -> None:
    path = MODULES[name]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines: split it by topic"
    long = [(f, n) for f, n in _function_lengths(path) if n > MAX_FUNCTION_LINES]
    assert long == [], f"functions over {MAX_FUNCTION_LINES} lines in {name}"
