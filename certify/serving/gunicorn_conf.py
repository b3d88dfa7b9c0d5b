"""gunicorn settings for certify: ``gunicorn -c python:certify.serving.gunicorn_conf
'certify:create_app()'`` (``make serve`` runs exactly that).

Every value can be changed with an environment variable, so one file serves every machine:

- ``GUNICORN_BIND``: address:port to listen on (default ``127.0.0.1:8000``; keep it on
  loopback or a private network: nginx is the public side);
- ``GUNICORN_WORKERS``: sync worker processes (default: the number of cores);
- ``GUNICORN_TIMEOUT``: seconds before a stuck worker is killed and replaced (60);
- ``GUNICORN_GRACEFUL_TIMEOUT``: seconds a worker may finish its requests on restart (30);
- ``GUNICORN_MAX_REQUESTS``: requests before a worker is replaced (5000; 0: never);
- ``GUNICORN_ACCESS_LOG``: where access lines go (``-``, the default: stdout; empty: none),
  one JSON object each (:mod:`certify.serving.access_log`);
- ``CERTIFY_LOG_FORMAT``: the app's own logs, ``json`` by default here (``text`` elsewhere);
- ``PROMETHEUS_MULTIPROC_DIR``: the folder where the workers keep their metrics (default: a
  new temporary folder; emptied when the server starts).

Sync workers: certify's requests are short and CPU-bound (signing, verifying); the figures in
``shared/NOTES.md`` show sync workers equal to the cores beating more workers and ``gthread``.
Requests are answered by whichever worker is free, so nothing may live in one worker only:
rate-limit counters go to Redis (``RATELIMIT_STORAGE_URI``) as soon as there is more than one
process, metrics to ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", os.cpu_count() or 2)
worker_class = "sync"
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# gunicorn 23+ would otherwise write a control socket into the home folder.
control_socket_disable = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = "info"
logger_class = "certify.serving.access_log.JsonAccessLogger"
proc_name = "certify"
# No preload: each worker imports the app after the fork, so it opens its own database
# connections and prometheus_client sees PROMETHEUS_MULTIPROC_DIR.
preload_app = False

os.environ.setdefault("CERTIFY_LOG_FORMAT", "json")
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="certify-metrics-")


def on_starting(server: Any) -> None:
    """Start with an empty metrics folder: counters restart with the server."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            os.unlink(path)


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges must no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if os.path.basename(folder).startswith("certify-metrics-"):
        shutil.rmtree(folder, ignore_errors=True)
