"""nginx for tests and the cluster test, configured by certify's own example
(``certify/serving/nginx.conf.example``) with its placeholders filled in."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from certify import PACKAGE_DIR
from tests.processes import die_with_parent

EXAMPLE = PACKAGE_DIR / "serving" / "nginx.conf.example"


def render_example(upstreams: list[str], port: int, access_log: Path) -> str:
    """The example with its placeholders filled in (plain http on loopback)."""
    text = EXAMPLE.read_text()
    servers = "\n    ".join(f"server {u} max_fails=1 fail_timeout=5s;" for u in upstreams)
    text = text.replace("@UPSTREAM_SERVERS@", servers)
    text = text.replace("@LISTEN@", f"listen 127.0.0.1:{port};")
    text = text.replace("@ACCESS_LOG@", str(access_log))
    assert not re.search(r"@[A-Z_]+@", text), "a placeholder was left"
    return text


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    port: int
    access_log: Path
    error_log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def entries(self) -> list[dict]:
        """The access log's JSON lines so far."""
        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish requests, flush logs
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None
    )


def start_nginx(folder: Path, upstreams: list[str], port: int) -> Nginx:
    """Run nginx in the foreground with the example in front of *upstreams*.

    Raises:
        FileNotFoundError: nginx is not installed (Debian: apt-get install nginx).
        RuntimeError: the configuration was refused or nginx did not start.
    """
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / sub).mkdir(exist_ok=True)
    access_log, error_log = folder / "access.json", folder / "error.log"
    (folder / "certify.conf").write_text(render_example(upstreams, port, access_log))
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
        f"error_log {error_log} warn;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n  client_body_temp_path {folder}/client_body;\n"
        f"  proxy_temp_path {folder}/proxy;\n  fastcgi_temp_path {folder}/fastcgi;\n"
        f"  uwsgi_temp_path {folder}/uwsgi;\n  scgi_temp_path {folder}/scgi;\n"
        f"  include {folder}/certify.conf;\n}}\n"
    )
    args = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")]
    checked = subprocess.run([*args, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx refused the configuration: {checked.stderr}")
    process = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    server = Nginx(process, port, access_log, error_log)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"nginx exited: {error_log.read_text() if error_log.exists() else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("nginx did not start")
