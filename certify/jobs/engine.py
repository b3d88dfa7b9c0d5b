"""The job engine: Huey, on SQLite in ``instance/`` by default, on Redis when configured.

``JOBS_URL`` chooses the store: empty (default) is ``instance/jobs.sqlite3``, one file, no
server, right for one machine; ``redis://host:6379/0`` lets many workers on many machines share
one queue; ``immediate`` runs every task at once in the process that enqueues it (tests, and
scripts that want no worker). Huey was chosen over RQ, Dramatiq and Celery because it is the
one well-kept queue with an embedded SQLite store (no extra server for a newcomer), a Redis
store for production, retries and crontab-style periodic tasks, in one small dependency.

There is one :data:`huey` per process (tasks are declared on it at import); :func:`configure`
points it at the app's store. Tasks run inside an application context (:func:`app_task`) and
open their own database sessions: a task is a unit of work of its own, like a CLI command.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, has_app_context
from huey import Huey
from huey import signals as huey_signals
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from certify.logs import current_request_id, request_id_var

F = TypeVar("F", bound=Callable[..., Any])

huey = Huey("certify", storage_class=MemoryStorage, utc=True)

_app: Flask | None = None

#: The keyword argument that carries the enqueuing request's id to the task (removed before
#: the task's function is called).
REQUEST_ID_KWARG = "_certify_request_id"


@huey.signal(huey_signals.SIGNAL_ENQUEUED)
def _carry_request_id(_signal: str, task: Any, exc: Exception | None = None) -> None:
    request_id = current_request_id()
    if request_id and REQUEST_ID_KWARG not in task.kwargs:
        task.kwargs[REQUEST_ID_KWARG] = request_id


@huey.pre_execute()
def _enter_job(task: Any) -> None:
    # The job's log lines carry the id of the request that enqueued it, else the job's own.
    request_id = task.kwargs.pop(REQUEST_ID_KWARG, None)
    task.certify_log_token = request_id_var.set(request_id or f"job-{task.id}")


@huey.post_execute()
def _leave_job(task: Any, _value: Any, exc: Exception | None) -> None:
    token = getattr(task, "certify_log_token", None)
    if token is not None:
        request_id_var.reset(token)


def storage_for(url: str, instance_path: str) -> Any:
    """The Huey storage *url* names (see the module docstring)."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage("certify", url=url)
    filename = url.removeprefix("sqlite:///") if url else ""
    return SqliteStorage(
        "certify", filename=filename or os.path.join(instance_path, "jobs.sqlite3")
    )


def configure(app: Flask) -> None:
    """Point the process's :data:`huey` at *app*'s job store; tasks run in *app*'s context."""
    global _app
    url = str(app.config.get("JOBS_URL") or "")
    immediate = url == "immediate"
    huey.immediate = immediate
    if not immediate:
        huey.storage = storage_for(url, app.instance_path)
    _app = app


def app_task(func: F) -> F:
    """Run *func* inside an application context: the caller's (immediate mode) or the
    configured app's (a worker)."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return func(*args, **kwargs)
        if _app is None:
            raise RuntimeError("the job engine is not configured: create the app first")
        with _app.app_context():
            return func(*args, **kwargs)

    return run  # type: ignore[return-value]


def check_queue() -> int:
    """How many tasks wait in the queue; raises when the queue cannot be reached (readiness:
    a Redis that is down, an SQLite file that cannot be opened)."""
    if huey.immediate:
        return 0
    return int(huey.pending_count())


def store_description() -> str:
    """Where the queue lives, for people (no credentials)."""
    storage = huey.storage
    if huey.immediate:
        return "immediate (tasks run in the process that enqueues them)"
    if isinstance(storage, SqliteStorage):
        return f"SQLite file {storage.filename}"
    if isinstance(storage, RedisStorage):
        kwargs = storage.conn.connection_pool.connection_kwargs
        return f"Redis {kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
    return type(storage).__name__
