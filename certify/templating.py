"""Jinja helpers shared by every page, and the navigation registry features add links to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask import Flask, current_app

from certify.core.countries import country_name


def format_datetime(value: dt.datetime | None, with_time: bool = True) -> str:
    """Show a time in UTC with its zone, e.g. ``28 Nov 2026, 04:05 UTC``."""
    if value is None:
        return "—"
    value = value.astimezone(dt.UTC)
    return value.strftime("%-d %b %Y, %H:%M UTC") if with_time else value.strftime("%-d %b %Y")


def add_nav_link(app: Flask, endpoint: str, label: str, roles: Iterable[str] | None = None) -> None:
    """Show a link in the header: to everyone (*roles* None) or to users holding one of *roles*."""
    nav = app.extensions.setdefault("certify.nav", {"public": [], "roles": []})
    if roles is None:
        nav["public"].append((endpoint, label))
    else:
        nav["roles"].append((endpoint, label, frozenset(roles)))


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = lambda v: format_datetime(v, with_time=False)
    app.jinja_env.filters["country_name"] = country_name
    app.extensions.setdefault("certify.nav", {"public": [], "roles": []})

    @app.context_processor
    def registry_globals() -> dict[str, object]:
        nav = current_app.extensions["certify.nav"]
        return {
            "registry_name": current_app.config["REGISTRY_NAME"],
            "public_url": current_app.config["PUBLIC_URL"],
            "nav_public_links": nav["public"],
            "nav_role_links": nav["roles"],
        }
