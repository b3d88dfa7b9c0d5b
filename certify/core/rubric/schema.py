"""A rubric's structure, checked against the JSON Schema (``rubrics/schema.json``), every
problem named by the criterion, section, outcome or grade it is in."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema

from certify.core.rubric.model import Problem

#: Where the shipped schema and rubrics live (the package's ``rubrics/`` folder).
DEFAULT_RUBRICS_DIR = Path(__file__).resolve().parents[2] / "rubrics"
SCHEMA_FILE = "schema.json"


@functools.lru_cache(maxsize=4)
def _validator(schema_path: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _where_for(data: Any, parts: Sequence[Any]) -> str:
    """Name the criterion / section / outcome / grade a JSON path points into."""
    where = "document"
    node = data
    for i, p in enumerate(parts):
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            break
        parent = parts[i - 1] if i else None
        if isinstance(p, int) and isinstance(node, Mapping) and isinstance(node.get("id"), str):
            if parent == "sections":
                where = f"section {node['id']}"
            elif parent == "criteria":
                where = node["id"]
            elif parent == "outcomes":
                where = f"outcome {node['id']}"
            elif parent == "grades":
                where = f"grade {node['id']}"
            elif parent == "bases":
                where = f"{where} basis {node['id']}"
    return where


def schema_problems(data: Any, source: str, schema_path: Path) -> list[Problem]:
    validator = _validator(str(schema_path))
    problems = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        parts = list(err.absolute_path)
        path = _json_path(parts) or "$"
        problems.append(
            Problem(
                source,
                _where_for(data, parts),
                f"schema:{err.validator}",
                f"{path}: {err.message}",
                path,
            )
        )
    return problems
