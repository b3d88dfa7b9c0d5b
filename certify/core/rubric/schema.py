"""A rubric's structure, checked against the JSON Schema of rubric files (the shipped
``rubrics/schema.json``, read by the caller), every problem named by the criterion, section,
outcome or grade it is in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema

from certify.core.rubric.model import Problem


@dataclass(frozen=True)
class RubricSchema:
    """The JSON Schema of rubric files, ready to check plain rubric data against. Build it
    once per schema document (checking the schema itself takes a while) and share it."""

    validator: jsonschema.Draft202012Validator

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> RubricSchema:
        """The schema *document* (``json.loads`` of ``schema.json``), checked.

        Raises:
            jsonschema.SchemaError: *document* is not a valid JSON Schema (draft 2020-12).
        """
        jsonschema.Draft202012Validator.check_schema(document)
        return cls(jsonschema.Draft202012Validator(document))

    def problems(self, data: Any, source: str) -> list[Problem]:
        """Every place *data* breaks the schema, each naming *source* and where it is."""
        problems = []
        errors = sorted(
            self.validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))
        )
        for err in errors:
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
