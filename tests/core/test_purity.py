"""certify.core must stay pure: no Flask, no database, no web modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import certify.core

CORE = Path(certify.core.__file__).parent
FORBIDDEN_ROOTS = {
    "flask",
    "flask_wtf",
    "flask_limiter",
    "werkzeug",
    "jinja2",
    "wtforms",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "psycopg2",
    "gunicorn",
}


def imported_modules(source: str) -> set[str]:
    """Every module name an import statement in *source* names (absolute form)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import inside certify.core stays inside the core
                continue
            if node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(source: str) -> list[str]:
    found = []
    for name in sorted(imported_modules(source)):
        root = name.split(".")[0]
        if root in FORBIDDEN_ROOTS or (
            root == "certify" and not (name == "certify.core" or name.startswith("certify.core."))
        ):
            found.append(name)
    return found


CORE_FILES = sorted(CORE.rglob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES, ids=[str(p.relative_to(CORE)) for p in CORE_FILES])
def test_core_module_imports_nothing_from_the_web_side(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "from flask import Flask",
        "import sqlalchemy.orm",
        "from sqlalchemy.orm import Session",
        "from certify.db import db_session",
        "from certify import db",
        "import certify.audit.models",
        "from werkzeug.exceptions import NotFound",
    ],
)
def test_the_check_catches_forbidden_imports(source: str) -> None:
    assert violations(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "import hashlib",
        "from certify.core.canonical import canonical_json",
        "from . import canonical",
        "import certify.core.actor",
    ],
)
def test_the_check_allows_pure_imports(source: str) -> None:
    assert violations(source) == []
