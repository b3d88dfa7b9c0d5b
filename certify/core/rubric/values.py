"""Plain rubric values read defensively: the data may also have schema errors, which the
schema check reports; the meaning rules skip what they cannot read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def as_number(value: Any) -> Decimal | None:
    """A Decimal for int/Decimal values, None for anything else (the schema reports those)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    return None


def indexed(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The ``(index, item)`` pairs of a list; none for anything else."""
    return [(i, v) for i, v in enumerate(value)] if isinstance(value, list) else []
