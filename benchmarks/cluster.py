"""Two app servers, one database: ``make cluster-test`` (``python -m benchmarks.cluster``).

Starts, on this machine: a new PostgreSQL database, its own Redis (rate limits and the job
queue), SeaweedFS (S3: evidence and PDFs), two gunicorn app servers (the repository's
configuration) and a job worker, all sharing one key folder and secret key, and nginx in
front (the repository's example). Then, for a fixed time, wrk drives a mix of verification,
registry search and API reads through nginx while reviewers certify a few cases; one app
server is killed with SIGKILL part-way. Afterwards it checks that nothing committed was lost:

- every issuance that answered "done" has exactly one certificate, and no case has two;
- every certificate's PDF is in the object store with its hash (``storage verify``);
- ``audit verify`` and ``log verify`` pass; the surviving server is ready (``/readyz``).

It prints throughput, p95 latency and errors overall and around the kill, from nginx's JSON
access log, and exits 1 if a check fails. Every process it starts is stopped in a ``finally``
(and on SIGTERM/SIGINT; children also get SIGTERM should this process die).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.cluster_checks import Figures, figures_from_log, print_report
from tests.appserver import AppServer, app_environment, start_gunicorn
from tests.nginx import Nginx, start_nginx
from tests.processes import die_with_parent
from tests.s3_server import free_port, start_seaweedfs

REPO = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get(
    "CERTIFY_CLUSTER_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
METRICS_TOKEN = "cluster-" + secrets.token_hex(16)
REVIEW_PASSWORD = "correct horse battery"  # the prepared reviewers' (tests' password)

WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("CERTIFY_WRK_PATHS")) do paths[#paths + 1] = line end
local counter = 0
function setup(thread) counter = counter + 1; thread:set("seed", counter) end
function init(args) math.randomseed(os.time() + seed * 7919) end
function request() return wrk.format("GET", paths[math.random(#paths)]) end
"""


class Stop(Exception):
    """SIGTERM or SIGINT: unwind, stopping everything."""


@dataclass
class Cluster:
    folder: Path
    database_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    servers: list[AppServer] = field(default_factory=list)
    nginx: Nginx | None = None
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)


# -- starting ---------------------------------------------------------------------------------


def _database(cluster: Cluster) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"certify_cluster_{secrets.token_hex(4)}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    cluster.stack.callback(drop)
    url = make_url(ADMIN_URL).set(database=name)
    cluster.database_url = url.render_as_string(hide_password=False)


def _redis(cluster: Cluster) -> str:
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=(cluster.folder / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    cluster.stack.callback(_terminate, process)
    for _ in range(100):
        with contextlib.suppress(OSError):
            import socket

            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return f"redis://127.0.0.1:{port}"
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _environment(cluster: Cluster, redis: str, s3: dict[str, Any], public_port: int) -> None:
    env = app_environment(
        cluster.database_url,
        cluster.folder / "instance-admin",
        PUBLIC_URL=f"http://127.0.0.1:{public_port}",
        KEYS_DIR=str(cluster.folder / "keys"),
        JOBS_URL=f"{redis}/1",
        RATELIMIT_STORAGE_URI=f"{redis}/0",
        # the load comes from one address: limits stay on (counted in Redis) but high
        RATELIMIT_SEARCH="1000000/minute",
        RATELIMIT_API="1000000/minute",
        RATELIMIT_VERIFY="1000000/minute",
        TRUSTED_PROXIES=1,
        METRICS_TOKEN=METRICS_TOKEN,
        **{k: v for k, v in s3.items()},
    )
    cluster.env = env


def _flask(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "certify", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def _servers(cluster: Cluster) -> None:
    for n in (1, 2):
        env = {**cluster.env, "CERTIFY_INSTANCE_PATH": str(cluster.folder / f"instance-{n}")}
        env["PROMETHEUS_MULTIPROC_DIR"] = str(cluster.folder / f"metrics-{n}")
        server = start_gunicorn(env, cluster.folder / f"app-{n}.log", workers=2)
        cluster.stack.callback(server.stop)
        cluster.servers.append(server)
    worker_env = {**cluster.env, "CERTIFY_INSTANCE_PATH": str(cluster.folder / "instance-worker")}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "certify", "jobs", "worker", "--workers", "1"],
        env=worker_env,
        cwd=REPO,
        stdout=(cluster.folder / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    cluster.stack.callback(_terminate, worker)


def start(cluster: Cluster, cases: int) -> list[dict[str, Any]]:
    """Start everything; return the prepared cases (submitted audits awaiting a decision)."""
    _database(cluster)
    redis = _redis(cluster)
    s3_server = start_seaweedfs(cluster.folder / "seaweedfs")
    cluster.stack.callback(s3_server.stop)
    s3_server.create_bucket("certify")
    public_port = free_port()
    _environment(cluster, redis, s3_server.settings("certify"), public_port)
    _flask(cluster.env, "init", "--demo")
    prepared = prepare_cases(cluster.env, cases)
    _servers(cluster)
    cluster.nginx = start_nginx(
        cluster.folder / "nginx", [s.address for s in cluster.servers], public_port
    )
    cluster.stack.callback(cluster.nginx.stop)
    return prepared


def prepare_cases(env: dict[str, str], count: int) -> list[dict[str, Any]]:
    """*count* cases with a submitted audit, built with certify's own operations."""
    from certify import create_app
    from certify.db import get_db
    from tests.web.test_concurrency import _build_case

    os.environ.update(env)  # this process is only the orchestrator: take the cluster's settings
    app = create_app({"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192})
    cases = []
    with app.app_context():
        for _ in range(count):
            with get_db(app).new_session() as session:
                case = _build_case(session, "submitted")
                cases.append({"id": case["id"], "pk": case["pk"], "reviewer": case["reviewer"]})
    get_db(app).engine.dispose()
    return cases


# -- the run ----------------------------------------------------------------------------------


def load_paths(env: dict[str, str], folder: Path) -> Path:
    """The mix wrk requests: the QR target, registry searches and API reads of the demo's
    certificates."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["CERTIFY_DATABASE_URL"])
    with engine.connect() as conn:
        serials = [row[0] for row in conn.execute(text("SELECT serial FROM certificate"))]
    engine.dispose()
    paths = ["/registry", "/registry?q=data", "/registry?q=nairobi", "/api/v1/certificates"]
    for serial in serials:
        paths += [
            f"/verify/{serial}",
            f"/api/v1/certificates/{serial}",
            f"/api/v1/certificates/{serial}/status",
        ]
    target = folder / "paths.txt"
    target.write_text("\n".join(paths) + "\n")
    return target


@dataclass
class Issuance:
    case: str
    status: int | None = None
    error: str = ""
    at: float = 0.0


def _csrf(body: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def certify_case(base: str, case: dict[str, Any]) -> Issuance:
    """A reviewer signs in and certifies *case* through nginx, as a browser would."""
    import http.cookiejar
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

    def call(path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with opener.open(urllib.request.Request(base + path, data=body), timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    result = Issuance(case["id"])
    try:
        _, page = call("/login")
        login = {"csrf_token": _csrf(page), "email": case["reviewer"], "password": REVIEW_PASSWORD}
        status, _ = call("/login", login)
        if status != 302:
            raise RuntimeError(f"sign-in answered {status}")
        _, page = call(f"/applications/{case['id']}/review")
        decision = {"csrf_token": _csrf(page), "outcome": "certify", "reasons": "Meets it all."}
        result.at = time.time()
        result.status, _ = call(f"/applications/{case['id']}/review", decision)
    except Exception as exc:  # a refused connection or a 502 is a finding, not a crash
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def run_load(cluster: Cluster, cases: list[dict[str, Any]], duration: int, kill_at: float):
    """wrk for *duration* seconds, the issuances spread over it, server 1 killed at
    *kill_at*; returns (wrk's output, issuances, start time, kill time)."""
    assert cluster.nginx is not None
    paths = load_paths(cluster.env, cluster.folder)
    script = cluster.folder / "mix.lua"
    script.write_text(WRK_SCRIPT)
    wrk = subprocess.Popen(
        ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", "-s", str(script), cluster.nginx.url],
        env={**os.environ, "CERTIFY_WRK_PATHS": str(paths)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    cluster.stack.callback(_terminate, wrk)
    started = time.time()
    issuances: list[Issuance] = []

    def issue_all() -> None:
        gap = duration / (len(cases) + 1)
        for n, case in enumerate(cases, 1):
            time.sleep(max(0.0, started + n * gap - time.time()))
            issuances.append(certify_case(cluster.nginx.url, case))  # type: ignore[union-attr]

    issuer = threading.Thread(target=issue_all, daemon=True)
    issuer.start()
    time.sleep(max(0.0, started + kill_at - time.time()))
    killed_at = time.time()
    cluster.servers[0].kill()
    output, _ = wrk.communicate(timeout=duration + 60)
    issuer.join(timeout=120)
    return output, issuances, started, killed_at


# -- checks -----------------------------------------------------------------------------------


def check_nothing_lost(cluster: Cluster, cases: list[dict[str, Any]], issuances: list[Issuance]):
    """The checks of the module docstring; returns ``[(name, ok, detail)]``."""
    from sqlalchemy import create_engine, text

    engine = create_engine(cluster.env["CERTIFY_DATABASE_URL"])
    with engine.connect() as conn:
        per_case = dict(
            conn.execute(
                text(
                    "SELECT a.public_id, count(c.id) FROM application a "
                    "LEFT JOIN certificate c ON c.application_id = a.id GROUP BY a.public_id"
                )
            ).all()
        )
        documents = conn.execute(text("SELECT count(*) FROM certificate_document")).scalar_one()
        certificates = conn.execute(text("SELECT count(*) FROM certificate")).scalar_one()
    engine.dispose()
    done = [i for i in issuances if i.status == 302]
    lost = [i.case for i in done if per_case.get(i.case) != 1]
    # An issuance the kill cut off (502) either committed before the kill or not at all.
    cut = {i.case[:8]: per_case.get(i.case, 0) for i in issuances if i.status != 302}
    doubled = [case for case, n in per_case.items() if n > 1]
    checks = [
        (
            "every answered issuance has one certificate",
            not lost,
            f"{len(done)} answered, lost {lost}",
        ),
        ("no case has two certificates", not doubled, f"{doubled}"),
        (
            "an issuance cut off by the kill is all or nothing",
            all(n in (0, 1) for n in cut.values()),
            f"certificates of cut-off cases: {cut}",
        ),
        (
            "every certificate has its PDF row",
            documents == certificates,
            f"{certificates} certificates",
        ),
    ]
    for command in (("storage", "verify"), ("audit", "verify"), ("log", "verify")):
        result = _flask(cluster.env, *command, check=False)
        last = (result.stdout.strip().splitlines() or [result.stderr.strip()])[-1]
        checks.append((" ".join(command), result.returncode == 0, last))
    survivor = cluster.servers[1]
    import urllib.request

    with urllib.request.urlopen(f"{survivor.url}/readyz", timeout=10) as answer:
        ready = json.loads(answer.read())
    checks.append(_metrics_check(survivor.url))
    checks.append(
        ("the surviving server is ready", ready["status"] == "ok", json.dumps(ready["checks"]))
    )
    return checks


def _metrics_check(base: str) -> tuple[str, bool, str]:
    """The surviving server's /metrics (its two workers added up) answers for the token."""
    import urllib.request

    request = urllib.request.Request(
        f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read().decode()
    requests = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("certify_http_requests_total{")
    )
    issued = next(
        (
            line.rsplit(" ", 1)[1]
            for line in text.splitlines()
            if line.startswith('certify_issuances_total{outcome="issued"}')
        ),
        "0",
    )
    log_size = next(
        (
            line.rsplit(" ", 1)[1]
            for line in text.splitlines()
            if line.startswith("certify_transparency_log_entries ")
        ),
        "?",
    )
    detail = f"{requests:.0f} requests, {issued} issuances counted; log size {log_size}"
    return ("the surviving server's /metrics", requests > 0, detail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__)
    parser.add_argument("--duration", type=int, default=24, help="seconds of load (default 24)")
    parser.add_argument("--kill-at", type=float, default=10, help="second of the SIGKILL (10)")
    parser.add_argument("--issuances", type=int, default=6, help="cases certified during the load")
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs) afterwards")
    args = parser.parse_args(argv)
    for tool in ("wrk", "redis-server", "pg_dump"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")

    def stop(signum: int, _frame: Any) -> None:
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    folder = Path(tempfile.mkdtemp(prefix="certify-cluster-"))
    cluster = Cluster(folder)
    begun = time.monotonic()
    try:
        with cluster.stack:
            cases = start(cluster, args.issuances)
            print(f"cluster up in {time.monotonic() - begun:.0f} s: {folder}", flush=True)
            output, issuances, started, killed_at = run_load(
                cluster, cases, args.duration, args.kill_at
            )
            assert cluster.nginx is not None
            cluster.nginx.stop()  # flushes its access log
            figures: Figures = figures_from_log(
                cluster.nginx.entries(), started, killed_at, args.duration
            )
            checks = check_nothing_lost(cluster, cases, issuances)
        print_report(figures, output, issuances, checks, time.monotonic() - begun)
        return 0 if all(ok for _name, ok, _detail in checks) else 1
    except Stop as stopped:
        print(f"stopped by {stopped}; every process was ended", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
