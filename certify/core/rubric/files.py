"""Reading a rubric file."""

from __future__ import annotations

from pathlib import Path

from certify.core.rubric.loading import load_rubric_data
from certify.core.rubric.model import Problem, Rubric, RubricError
from certify.core.rubric.parsing import parse_rubric_yaml


def load_rubric(path: Path | str, *, schema_path: Path | str | None = None) -> Rubric:
    """Load ``<dir>/<id>/<version>.yaml``; the id and version inside must match the path.

    Raises:
        RubricError: unreadable file, syntax errors, duplicate keys or any rule broken.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError([Problem(source, "file", "unreadable", str(exc))]) from exc
    data = parse_rubric_yaml(text, source=source)
    return load_rubric_data(
        data, source=source, schema_path=schema_path, expect=(path.parent.name, path.stem)
    )
