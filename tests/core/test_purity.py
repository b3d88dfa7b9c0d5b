"""certify.core must stay pure: no Flask, no database, no web modules, no file or terminal I/O."""

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
#: Modules that reach files, processes, the network or the terminal: callers do that and pass
#: bytes, text or already-read contents in. (``os.SEEK_CUR`` and friends are in ``io``.)
IO_MODULES = {"getpass", "os", "pathlib", "glob", "shutil", "tempfile", "subprocess", "socket"}
#: Calls that open a file or talk to the terminal.
IO_CALLS = {"open", "input", "print", "io.open", "builtins.open", "codecs.open"}
STANDARD_STREAMS = {"stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__"}


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


def _dotted(node: ast.expr) -> str:
    """``a.b.c`` for a name or attribute chain, else ``""``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def io_violations(source: str) -> list[str]:
    """File and terminal I/O in *source*: I/O modules imported, ``open``/``print``/``input``
    called, or ``sys.stdin``/``stdout``/``stderr`` used."""
    found = {
        f"import {name}"
        for name in imported_modules(source)
        if name.split(".")[0] in IO_MODULES
        or (name.startswith("sys.") and name.split(".")[1] in STANDARD_STREAMS)
    }
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _dotted(node.func) in IO_CALLS:
            found.add(f"call {_dotted(node.func)}()")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in STANDARD_STREAMS
            and _dotted(node.value) == "sys"
        ):
            found.add(f"use sys.{node.attr}")
    return sorted(found)


CORE_FILES = sorted(CORE.rglob("*.py"))
CORE_IDS = [str(p.relative_to(CORE)) for p in CORE_FILES]


@pytest.mark.parametrize("path", CORE_FILES, ids=CORE_IDS)
def test_core_module_imports_nothing_from_the_web_side(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", CORE_FILES, ids=CORE_IDS)
def test_core_module_does_no_file_or_terminal_io(path: Path) -> None:
    assert io_violations(path.read_text(encoding="utf-8")) == []


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
        "from certify.standards.files import read_lock",
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


@pytest.mark.parametrize(
    "source",
    [
        "data = open('rubric.yaml').read()",
        "with open(path, 'rb') as f:\n    pass",
        "import io\nio.open('x')",
        "import builtins\nbuiltins.open('x')",
        "import codecs\ncodecs.open('x')",
        "import getpass\nname = getpass.getuser()",
        "from getpass import getuser",
        "import os",
        "import os.path",
        "from os import SEEK_CUR",
        "from pathlib import Path",
        "import pathlib",
        "import glob",
        "from shutil import copyfile",
        "import tempfile",
        "import subprocess",
        "from socket import create_connection",
        "import sys\nsys.stdout.write('x')",
        "import sys\nline = sys.stdin.readline()",
        "import sys\nprint('x', file=sys.stderr)",
        "from sys import stderr",
        "print('done')",
        "answer = input('passphrase? ')",
    ],
)
def test_the_io_check_catches_file_and_terminal_io(source: str) -> None:
    assert io_violations(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "import io\nstream = io.BytesIO(b'x')\nstream.seek(0, io.SEEK_END)",
        "import zipfile\nwith zipfile.ZipFile(stream) as archive:\n    archive.open(info)",
        "import sys\nlimit = sys.maxsize",
        "from sys import maxsize",
        "def read(source):\n    return source.read(4096)",
        "opened = reopen(x)",
        "printer.print(x)",
        "import hashlib\nhashlib.sha256(b'').hexdigest()",
    ],
)
def test_the_io_check_allows_in_memory_work(source: str) -> None:
    assert io_violations(source) == []
