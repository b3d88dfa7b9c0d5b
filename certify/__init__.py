"""certify: a registry that certifies responsible (impact) sourcing service providers."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from flask import Flask

#: The package folder: templates, static files, rubrics and migrations ship inside it, so an
#: installed wheel serves exactly what a checkout does.
PACKAGE_DIR = Path(__file__).resolve().parent

__version__ = "0.1.0.dev0"


#: What every request shares, in order (logs first: every later hook has the request id).
SHARED = ("logs", "metrics", "transaction", "security", "errors", "ratelimit", "templating", "cli")
#: The features, each registering itself the same way (its blueprint, commands and signals),
#: in this order.
FEATURES = (
    "main",
    "accounts",
    "standards",
    "applications",
    "evidence",
    "storage",
    "certificates",
    "followup",
    "cycle",
    "complaints",
    "registry",
    "impact",
    "api",
    "translog",
    "verify",
    "clients",
    "notifications",
    "jobs",
    "backup",
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings from the defaults, ``instance/config.py``, ``CERTIFY_*``
    variables, then *test_config* (which alone may hand in a ``CLOCK``). Outside testing it
    refuses to start without a real secret key."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "CERTIFY_INSTANCE_PATH"
    )
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        instance_relative_config=True,
    )
    from certify import config

    config.load_config(app, test_config)
    # "//" in a path is an error, not a redirect: a serial with an encoded "/" (%2F) must get a
    # 404 (JSON under /api/), not an HTML redirect to some other address.
    app.url_map.merge_slashes = False
    os.makedirs(app.instance_path, exist_ok=True)

    from certify import db
    from certify.access import public
    from certify.clock import clock_from, demo_clock_path
    from certify.state import AppState

    app_clock = clock_from(test_config, demo_clock_path(app))  # demo time travel, never https
    app.extensions["certify"] = AppState(db=db.init_app(app), clock=app_clock)
    for name in SHARED:
        importlib.import_module(f"certify.{name}").init_app(app)
    for name in FEATURES:
        importlib.import_module(f"certify.{name}").init_app(app)
    # static files are public by nature; declare it so the access test knows it was considered
    public(app.view_functions["static"])
    return app
