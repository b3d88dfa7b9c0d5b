"""certify served by gunicorn with the repository's configuration, as a process of its own
(the serving tests and the cluster test)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.processes import die_with_parent
from tests.s3_server import free_port


def app_environment(database_url: str, instance: Path, **settings: object) -> dict[str, str]:
    """Environment for a production-like app process: a real secret key, no test mode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CERTIFY_", "GUNICORN_"))}
    env.update(
        {
            "CERTIFY_DATABASE_URL": database_url,
            "CERTIFY_INSTANCE_PATH": str(instance),
            "CERTIFY_SECRET_KEY": secrets.token_hex(32),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    for name, value in settings.items():
        env[name if name.startswith(("GUNICORN_", "PROMETHEUS_")) else f"CERTIFY_{name}"] = (
            value if isinstance(value, str) else json.dumps(value)
        )
    return env


@dataclass
class AppServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL the whole process group at once: master and workers, no goodbye."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_gunicorn(env: dict[str, str], log: Path, workers: int = 1) -> AppServer:
    """``gunicorn -c python:certify.serving.gunicorn_conf 'certify:create_app()'`` on a free
    port; returns once ``/healthz`` answers.

    Raises:
        RuntimeError: it exited or did not answer within 30 s (its log is named).
    """
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    env.setdefault("GUNICORN_ACCESS_LOG", str(log.with_suffix(".access.json")))
    # the workers' metrics in the caller's folder (gunicorn's default is a new one in /tmp,
    # which a SIGKILLed server cannot remove)
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(log.parent / f"metrics-{port}"))
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:certify.serving.gunicorn_conf",
        "certify:create_app()",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    server = AppServer(process, port, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer within 30 s; see {log}")
