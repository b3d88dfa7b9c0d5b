"""Reading rubric YAML (or JSON) text into plain data that means exactly what the text says."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import yaml

from certify.core.rubric.model import Problem, RubricError


class _RubricLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-style scalars and duplicate-key detection.

    Why: PyYAML follows YAML 1.1, where ``version: 1.10`` becomes the float 1.1, ``2026-01-01``
    a date, ``no`` the boolean false and ``012`` an octal 10. Rubric files must mean what they
    say, so only ``true/false``, ``null``, decimal integers and decimal numbers (as Decimal) are
    implicit; everything else stays a string. ``version`` keeps its literal text even when
    written unquoted. Duplicate keys, which PyYAML silently lets the last one win, are recorded.
    """

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping, found {node.id}", node.start_mark
            )
        mapping: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found an unhashable key",
                    key_node.start_mark,
                ) from None
            line = key_node.start_mark.line + 1
            if key in mapping:
                self.duplicates.append((str(key), first_line[key], line))
                continue
            first_line[key] = line
            if key == "version" and isinstance(value_node, yaml.ScalarNode) and value_node.value:
                mapping[key] = value_node.value
            else:
                mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_int(self, node: yaml.ScalarNode) -> int:
        # Decimal only: YAML 1.1 would read 012 as octal 10.
        text = self.construct_scalar(node)
        try:
            return int(text, 10)
        except ValueError:
            return super().construct_yaml_int(node)

    def construct_decimal(self, node: yaml.ScalarNode) -> Decimal:
        return Decimal(self.construct_scalar(node))


_RubricLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_RubricLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_RubricLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_RubricLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
_RubricLoader.add_constructor("tag:yaml.org,2002:float", _RubricLoader.construct_decimal)
_RubricLoader.add_constructor("tag:yaml.org,2002:int", _RubricLoader.construct_int)


def parse_rubric_yaml(text: str, *, source: str = "<text>") -> Any:
    """Parse rubric YAML (or JSON) text into plain data, keeping the text's meaning exactly.

    Returns dicts, lists, str, bool, None, int and Decimal. Versions and dates stay strings.

    Raises:
        RubricError: a syntax error or duplicate keys (all duplicates are listed).
    """
    loader = _RubricLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        raise RubricError(
            [Problem(source, where, "yaml_syntax", f"not valid YAML: {exc}")]
        ) from exc
    finally:
        loader.dispose()
    if loader.duplicates:
        raise RubricError(
            [
                Problem(
                    source,
                    f"line {second}",
                    "duplicate_key",
                    f"key {key!r} appears twice in the same mapping (lines {first} and "
                    f"{second}); YAML would silently keep only one",
                )
                for key, first, second in loader.duplicates
            ]
        )
    return data
