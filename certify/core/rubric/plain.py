"""A rubric's plain data and its canonical form: the RFC 8785 JSON that is hashed and stored.

Formatting and comments are not content: re-indenting a file keeps its hash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from certify.core.canonical import CanonicalizationError, canonical_json, sha256_hex
from certify.core.rubric.model import Problem, RubricError


def plain_data(value: Any, path: str, source: str, problems: list[Problem]) -> Any:
    """Copy *value* into plain data (float -> Decimal via its shortest repr), reporting values
    a rubric cannot hold (dates, sets, non-string keys, NaN, infinities)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                problems.append(
                    Problem(source, path or "$", "value_type", f"key {k!r} is not a string", path)
                )
                continue
            out[k] = plain_data(v, f"{path}.{k}" if path else k, source, problems)
        return out
    if isinstance(value, list | tuple):
        return [plain_data(v, f"{path}[{i}]", source, problems) for i, v in enumerate(value)]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(Problem(source, path, "value_type", f"{value} is not a number", path))
            return None
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            problems.append(Problem(source, path, "value_type", f"{value} is not a number", path))
            return None
        return value
    problems.append(
        Problem(
            source,
            path,
            "value_type",
            f"{type(value).__name__} values are not allowed (quote dates and versions)",
            path,
        )
    )
    return None


def _jsonable(value: Any, path: str, source: str, problems: list[Problem]) -> Any:
    """Plain data -> values RFC 8785 accepts. Integral Decimals become ints, others floats;
    a Decimal a float cannot hold exactly is refused, because the hash (and the database copy)
    would then describe a different number than the file."""
    if isinstance(value, dict):
        return {
            k: _jsonable(v, f"{path}.{k}" if path else k, source, problems)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_jsonable(v, f"{path}[{i}]", source, problems) for i, v in enumerate(value)]
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        if Decimal(repr(as_float)) != value:
            problems.append(
                Problem(
                    source,
                    path,
                    "number_precision",
                    f"{value} has more digits than a JSON number keeps exactly",
                    path,
                )
            )
        return as_float
    return value


def rubric_sha256(data: Any) -> str:
    """Hex SHA-256 over the RFC 8785 canonical JSON of plain rubric data.

    Raises:
        RubricError: the data holds values canonical JSON cannot represent exactly.
    """
    return sha256_hex(canonical_rubric_json(data, "<data>"))


def canonical_rubric_json(data: Any, source: str = "<data>") -> bytes:
    """The RFC 8785 canonical bytes of plain rubric data (what is hashed and stored).

    Raises:
        RubricError: the data holds values canonical JSON cannot represent exactly.
    """
    problems: list[Problem] = []
    plain = plain_data(data, "", source, problems)
    jsonable = _jsonable(plain, "", source, problems)
    if problems:
        raise RubricError(problems)
    try:
        return canonical_json(jsonable)
    except CanonicalizationError as exc:
        raise RubricError([Problem(source, "document", "canonical_json", str(exc))]) from exc
