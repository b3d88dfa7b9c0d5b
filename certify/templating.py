"""Jinja helpers shared by every page."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app


def format_datetime(value: dt.datetime | None, with_time: bool = True) -> str:
    """Show a time in UTC with its zone, e.g. ``28 Nov 2026, 04:05 UTC``."""
    if value is None:
        return "—"
    value = value.astimezone(dt.UTC)
    return value.strftime("%-d %b %Y, %H:%M UTC") if with_time else value.strftime("%-d %b %Y")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = lambda v: format_datetime(v, with_time=False)

    @app.context_processor
    def registry_globals() -> dict[str, object]:
        return {
            "registry_name": current_app.config["REGISTRY_NAME"],
            "public_url": current_app.config["PUBLIC_URL"],
        }
