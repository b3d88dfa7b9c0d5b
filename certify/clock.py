"""The one clock: every "now" on the web side comes from here.

Each app holds a :class:`Clock` (the system clock unless ``create_app`` is given another in
``test_config["CLOCK"]``, see :func:`clock_from`). Deadlines, surveillance windows, status
changes and log entries all ask :func:`now`, so a test or the demo moves time by moving the
app's clock: nothing patches ``datetime`` or a module's function. The pure core never asks
for the time; callers pass it in.

Outside an application context (a script that imports a model, the offline verifier) there is
no app clock, and :func:`now` answers the system time.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from flask import current_app, has_app_context


class Clock(Protocol):
    """Something that tells the time: aware, in UTC."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that moves only when told to (tests, and the demo's time travel).

    It starts at *start* (default: the system time when it is made) and stays there until
    :meth:`advance` or :meth:`set` moves it. Thread-safe: a test's server threads share it.
    """

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = _aware(start) if start is not None else dt.datetime.now(dt.UTC)

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def set(self, moment: dt.datetime) -> None:
        """Jump to *moment* (aware). Moving backwards is allowed: tests of stale input need it."""
        with self._lock:
            self._now = _aware(moment)

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move forward by *delta*; returns the new time."""
        with self._lock:
            self._now += delta
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"


#: The demo's clock offset, in the instance folder (``flask --app certify clock ...``).
DEMO_CLOCK_FILE = "demo-clock.json"


class OffsetClock:
    """The machine's clock moved by the offset stored in *path* (the demo's time travel, set
    by ``flask --app certify clock advance 400d``): every process of the instance (the web
    server, the worker, commands) reads the same file, at most once a second. Never used on
    an https registry (see :func:`clock_from`)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._checked = -1.0
        self._offset = dt.timedelta()

    def offset(self) -> dt.timedelta:
        import json
        import time

        with self._lock:
            tick = time.monotonic()
            if tick - self._checked >= 1.0:
                self._checked = tick
                try:
                    with open(self._path, encoding="utf-8") as handle:
                        seconds = float(json.load(handle).get("offset_seconds", 0))
                except (OSError, ValueError, AttributeError):
                    seconds = 0.0
                self._offset = dt.timedelta(seconds=seconds)
            return self._offset

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset()

    def __repr__(self) -> str:
        return f"OffsetClock({self._path!r})"


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the clock keeps aware UTC times only")
    return moment.astimezone(dt.UTC)


def demo_clock_path(app: Any) -> str | None:
    """Where *app*'s demo clock offset would be (``flask --app certify clock ...``), or None
    on an https registry: a real registry never moves its clock."""
    import os

    if str(app.config["PUBLIC_URL"]).startswith("https://"):
        return None
    return os.path.join(app.instance_path, DEMO_CLOCK_FILE)


def clock_from(test_config: Mapping[str, Any] | None, demo_clock_path: str | None = None) -> Clock:
    """The clock a new app runs on: ``test_config["CLOCK"]`` when a test hands one in (a
    :class:`ManualClock`, e.g. the browser tests' live server), else the system clock, moved
    by the demo's offset when *demo_clock_path* (the instance's :data:`DEMO_CLOCK_FILE`,
    passed only for registries that may hold demo data) exists. Only code can hand a clock
    in: an object is never read from the environment or a config file."""
    import os

    given = (test_config or {}).get("CLOCK")
    if given is not None:
        return given
    if demo_clock_path is not None and os.path.exists(demo_clock_path):
        return OffsetClock(demo_clock_path)
    return SystemClock()


def app_clock() -> Clock:
    """The current app's clock."""
    from certify.state import app_state

    return app_state(current_app).clock


def now() -> dt.datetime:
    """The current time, aware, in UTC, from the current app's clock (the system time when no
    app is active)."""
    if has_app_context():
        return app_clock().now()
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in UTC, from the same clock as :func:`now`."""
    return now().date()
