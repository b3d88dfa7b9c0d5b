"""gunicorn's logs as one JSON object per line (``logger_class`` in ``gunicorn_conf``): its
access log, and its own error log in the app's format (:class:`certify.logs.JsonFormatter`),
so that everything a server writes can be read by one log shipper.

gunicorn's own ``access_log_format`` pastes values into a template unescaped, so a path with a
quote would break the JSON; this logger builds a dict and lets ``json.dumps`` escape it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from gunicorn.glogging import Logger


class JsonAccessLogger(Logger):
    """Writes ``{"time", "remote", "method", "path", "query", "status", "bytes",
    "duration_ms", "request_id", "user_agent", "pid"}`` per request."""

    def setup(self, cfg: Any) -> None:
        from certify.logs import JsonFormatter

        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        headers = dict(resp.headers) if resp.headers else {}
        request_id = next((v for k, v in headers.items() if k.lower() == "x-request-id"), None)
        entry = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": _status_code(resp),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "request_id": request_id,
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "pid": os.getpid(),
        }
        try:
            self.access_log.info(json.dumps(entry, ensure_ascii=False))
        except Exception:  # an access line must never fail a request
            self.error("failed to write the access log line")


def _status_code(resp: Any) -> int | None:
    status = str(getattr(resp, "status", "") or "")
    head = status.split(" ", 1)[0]
    return int(head) if head.isdigit() else None
