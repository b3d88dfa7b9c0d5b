"""Logs: one line per event, plain text (the default) or JSON (``LOG_FORMAT=json``), each
carrying the id of the request or job it belongs to.

Every request gets an id: the ``X-Request-ID`` the trusted proxy sent (nginx's
``$request_id``; only believed when ``TRUSTED_PROXIES`` is set, like the other forwarded
headers) or a new random one. It is in every log line written while the request runs, in the
response's ``X-Request-ID`` header, and in every job the request enqueues: the job's log lines
carry it too (``certify.jobs.engine`` passes it along), so one id follows a decision from the
click to the e-mail it sends.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, request

#: The id of the request or job this code runs for (None outside both).
request_id_var: ContextVar[str | None] = ContextVar("certify_request_id", default=None)

HEADER = "X-Request-ID"
_ID_RE = re.compile(r"[A-Za-z0-9._-]{8,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def current_request_id() -> str | None:
    """The id of the request or job running now, if any."""
    return request_id_var.get()


def new_request_id() -> str:
    return secrets.token_hex(16)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (``-`` when none) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, RFC 3339), level, logger, message, request_id,
    and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """Outside tests and debug mode: INFO to stderr, text or JSON by ``LOG_FORMAT``."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if str(app.config.get("LOG_FORMAT") or "text").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "certify", False)]:
        root.removeHandler(old)
    handler.certify = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)


def _start_request() -> None:
    sent = request.headers.get(HEADER, "")
    # Only a proxy certify was told to trust may name the request (as for X-Forwarded-For).
    trusted = bool(_trusted_hops()) and _ID_RE.fullmatch(sent)
    request_id_var.set(sent if trusted else new_request_id())


def _trusted_hops() -> int:
    from flask import current_app

    return int(current_app.config.get("TRUSTED_PROXIES") or 0)


def _end_request(response: Response) -> Response:
    request_id = request_id_var.get()
    if request_id:
        response.headers[HEADER] = request_id
    return response


def _forget(_exc: BaseException | None) -> None:
    request_id_var.set(None)


def init_app(app: Flask) -> None:
    """Give every request an id (see the module docstring); set up logging outside tests."""
    if not app.debug and not app.testing:
        configure_logging(app)
    app.before_request(_start_request)
    app.after_request(_end_request)
    app.teardown_request(_forget)
