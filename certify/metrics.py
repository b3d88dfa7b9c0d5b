"""Prometheus metrics (``GET /metrics``): requests, issuance, verification, jobs, the log.

What is measured:

- ``certify_http_requests_total{endpoint,method,status}`` and
  ``certify_http_request_duration_seconds{endpoint}``: every request, by Flask endpoint (never
  the raw path: serials would make a series each);
- ``certify_verifications_total{kind,status}`` and ``certify_verification_duration_seconds``:
  the verification routes (``upload``, ``serial``, ``api``);
- ``certify_issuances_total{outcome}`` and ``certify_issuance_duration_seconds``: every
  issuance (web, CLI, demo), from the :data:`certify.signals.issuance_finished` signal;
- ``certify_job_failures_total{task}``: jobs that raised, in processes that share the metrics
  folder (an app server in immediate mode, a worker on the same machine);
- read from the shared stores at each scrape, so every server reports the same figures:
  ``certify_jobs_queue_depth`` (tasks waiting), ``certify_outbox_messages{status}``
  (``failed`` are deliveries given up), ``certify_transparency_log_entries`` (the log's size).

Under gunicorn each worker is a process: ``PROMETHEUS_MULTIPROC_DIR`` (set by
``certify/serving/gunicorn_conf.py``) makes prometheus_client keep the counters in files that
``/metrics`` adds up, whichever worker answers. Without it (``make run``) they live in memory.
Who may read ``/metrics`` is a setting (:func:`metrics_allowed`).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

REQUESTS = Counter(
    "certify_http_requests", "HTTP requests answered", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "certify_http_request_duration_seconds",
    "Time to answer a request",
    ["endpoint"],
    buckets=_LATENCY_BUCKETS,
)
VERIFICATIONS = Counter(
    "certify_verifications", "Verification requests answered", ["kind", "status"]
)
VERIFICATION_SECONDS = Histogram(
    "certify_verification_duration_seconds",
    "Time to answer a verification request",
    ["kind"],
    buckets=_LATENCY_BUCKETS,
)
ISSUANCES = Counter("certify_issuances", "Certificate issuances attempted", ["outcome"])
ISSUANCE_SECONDS = Histogram(
    "certify_issuance_duration_seconds",
    "Time to issue one certificate (render, sign, check, store, log)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOB_FAILURES = Counter("certify_job_failures", "Jobs that raised an error", ["task"])

#: Flask endpoints that verify a document or a serial, by kind.
VERIFICATION_ENDPOINTS = {
    "verify.submit": "upload",
    "verify.by_serial": "serial",
    "verify.api_verify": "api",
}


# -- measuring ------------------------------------------------------------------------------


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is None:
        return response
    seconds = time.perf_counter() - started
    endpoint = request.endpoint or "unmatched"
    try:
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        LATENCY.labels(endpoint).observe(seconds)
        kind = VERIFICATION_ENDPOINTS.get(endpoint)
        if kind is not None:
            VERIFICATIONS.labels(kind, str(response.status_code)).inc()
            VERIFICATION_SECONDS.labels(kind).observe(seconds)
    except Exception:  # metrics never break a response
        log.warning("could not record request metrics", exc_info=True)
    return response


def issuance_finished(_sender: Any, *, seconds: float, ok: bool, **_: Any) -> None:
    """Receiver of :data:`certify.signals.issuance_finished`."""
    ISSUANCES.labels("issued" if ok else "failed").inc()
    if ok:
        ISSUANCE_SECONDS.observe(seconds)


def _count_job_failure(task: Any, _value: Any, exc: Exception | None) -> None:
    if exc is not None:
        JOB_FAILURES.labels(getattr(task, "name", "?")).inc()


_hooked: list[bool] = []


# -- reading --------------------------------------------------------------------------------


class StoreCollector(Collector):
    """Figures read from the shared stores at each scrape (the same on every server)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.app.app_context():
            yield from self._queue()
            yield from self._database()

    def _queue(self) -> Iterator[GaugeMetricFamily]:
        from certify.jobs.engine import check_queue

        try:
            depth = check_queue()
        except Exception:
            log.warning("metrics: the job queue cannot be read", exc_info=True)
            return
        yield GaugeMetricFamily("certify_jobs_queue_depth", "Tasks waiting in the queue", depth)

    def _database(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from certify.db import db_session
        from certify.notifications.models import Notification
        from certify.translog.store import log_size

        try:
            session = db_session()
            outbox = dict(
                session.execute(
                    select(Notification.status, func.count()).group_by(Notification.status)
                ).all()
            )
            entries = log_size(session)
        except Exception:
            log.warning("metrics: the database cannot be read", exc_info=True)
            return
        messages = GaugeMetricFamily(
            "certify_outbox_messages", "Messages in the outbox by status", labels=["status"]
        )
        for status in ("pending", "sending", "sent", "failed", "skipped"):
            messages.add_metric([status], int(outbox.get(status, 0)))
        yield messages
        yield GaugeMetricFamily(
            "certify_transparency_log_entries", "Entries in the transparency log", entries
        )


def render_metrics() -> tuple[bytes, str]:
    """The exposition text: this process's (or every worker's) counters plus the stores'."""
    from prometheus_client import CONTENT_TYPE_LATEST

    registry: CollectorRegistry
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    stores = StoreCollector(current_app._get_current_object())  # type: ignore[attr-defined]
    body = generate_latest(registry)
    extra = CollectorRegistry()
    extra.register(stores)
    return body + generate_latest(extra), CONTENT_TYPE_LATEST


# -- who may read ---------------------------------------------------------------------------


def metrics_allowed() -> bool:
    """Whether this request may read ``/metrics``.

    Off unless configured: ``METRICS_TOKEN`` (a secret the scraper sends as
    ``Authorization: Bearer <token>``) and/or ``METRICS_ALLOW_FROM`` (addresses or networks,
    e.g. ``["127.0.0.1", "10.0.0.0/8"]``, compared with the client address after the trusted
    proxies). Metrics name endpoints, volumes and failures: useful to an attacker, so nobody
    reads them by default. Behind a proxy, block ``/metrics`` there (the nginx example does)
    and let Prometheus scrape each app server directly.
    """
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        if sent.startswith("Bearer ") and hmac.compare_digest(
            sent.removeprefix("Bearer ").encode(), str(token).encode()
        ):
            return True
    allowed = config.get("METRICS_ALLOW_FROM") or []
    if isinstance(allowed, str):
        allowed = [part.strip() for part in allowed.split(",") if part.strip()]
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(str(net), strict=False) for net in allowed)


def init_app(app: Flask) -> None:
    """Measure every request; count issuances (signal receiver)."""
    from certify import signals

    app.before_request(_start_timer)
    app.after_request(_count_request)
    signals.issuance_finished.connect(issuance_finished, weak=False)
    if not _hooked:  # one job engine per process; tests build many apps
        from certify.jobs.engine import huey

        huey.post_execute()(_count_job_failure)
        _hooked.append(True)
