"""ISO 3166-1 alpha-2 country codes and names (from pycountry's copy of the ISO database)."""

from __future__ import annotations

from functools import cache

import pycountry


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """(code, name) pairs sorted by name, for select boxes."""
    return tuple(sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda p: p[1]))


@cache
def _names() -> dict[str, str]:
    return dict(country_choices())


def is_country(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code (upper case)."""
    return code in _names()


def country_name(code: str) -> str:
    """The English short name for *code*, or the code itself when unknown."""
    return _names().get(code, code)
