"""``flask --app certify clock show | advance 400d | reset``: the demo's time travel.

Moves the clock of every process of this instance (web server, worker, commands) by an offset
kept in ``instance/demo-clock.json``, so a newcomer can watch the cycle run: advance a year,
run ``jobs run-daily``, and a surveillance case opens. Refused on an https registry: a real
registry never moves its clock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import click
from flask import current_app
from flask.cli import with_appcontext

from certify import clock
from certify.clock import DEMO_CLOCK_FILE

STEP = re.compile(r"^(\d{1,5})([dhw])$")
UNITS = {"d": "days", "h": "hours", "w": "weeks"}


def _path() -> str:
    if str(current_app.config["PUBLIC_URL"]).startswith("https://"):
        raise click.ClickException("the clock only moves on a demo registry (not on https)")
    return os.path.join(current_app.instance_path, DEMO_CLOCK_FILE)


def _offset(path: str) -> dt.timedelta:
    try:
        with open(path, encoding="utf-8") as handle:
            return dt.timedelta(seconds=float(json.load(handle)["offset_seconds"]))
    except (OSError, ValueError, KeyError, TypeError):
        return dt.timedelta()


@click.group("clock")
def clock_group() -> None:
    """Demo only: move this registry's clock forward to watch the cycle run."""


@clock_group.command("show")
@with_appcontext
def clock_show() -> None:
    """Show the registry's time and the demo offset."""
    offset = _offset(_path())
    click.echo(f"registry time: {clock.now():%Y-%m-%d %H:%M} UTC (offset {offset.days} days)")


@clock_group.command("advance")
@click.argument("step")
@with_appcontext
def clock_advance(step: str) -> None:
    """Move the clock forward by STEP: a number and a unit, e.g. 400d, 3w, 12h."""
    match = STEP.match(step.strip().lower())
    if match is None:
        raise click.BadParameter("write a number and d, w or h, e.g. 400d", param_hint="STEP")
    path = _path()
    offset = _offset(path) + dt.timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"offset_seconds": offset.total_seconds()}, handle)
    moved = dt.datetime.now(dt.UTC) + offset
    click.echo(f"registry time: {moved:%Y-%m-%d %H:%M} UTC (offset {offset.days} days)")
    click.echo("Servers started before the first advance: restart them to follow the offset.")


@clock_group.command("reset")
@with_appcontext
def clock_reset() -> None:
    """Back to the machine's time."""
    path = _path()
    if os.path.exists(path):
        os.remove(path)
    click.echo("registry time: the machine's time")
