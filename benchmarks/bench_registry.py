"""The public registry under load, on one gunicorn server (2 sync workers) per database.

Figures, all from the same run and the same server:

- ``GET /api/v1/certificates/<serial>`` throughput against ``GET /api/v1/ping`` (a trivial
  JSON endpoint of the same app): ratio, target at least 0.6;
- ``GET /verify/<serial>`` (HTML, verifies the stored credential) against the same ping:
  ratio, target at least 0.4;
- registry search (``GET /registry?...``, a mix of queries) p95 with 1,000 and with 100,000
  certificates, on SQLite and on PostgreSQL: target under 50 ms and at most twice the p95 at
  1,000.

Throughput: a warm-up pass of each endpoint (discarded), then three interleaved rounds
(ping, API, verify); each ratio is the median of the rounds' ratios.

The instance is initialised with the real ``init`` (keys, demo data with real signed
certificates for ``/verify``); the bulk of the certificates is then inserted directly with
SQLAlchemy Core (no signing), search terms included. PostgreSQL runs when
``CERTIFY_BENCH_POSTGRES_URL`` or ``CERTIFY_TEST_DATABASE_URL`` names a server (a schema of
its own is created and dropped). Throughput is measured with ``wrk`` when installed
(``apt-get install wrk``), else with a threaded Python client (which is slower and bounds the
ratio from above less sharply: the figures say which was used).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks import paired_ratio

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# Made at run time: the app refuses a key written in the repository (issue 25).
SECRET = secrets.token_urlsafe(48)

_VOCABULARY = (
    "nairobi lagos dhaka kampala accra manila hanoi lima quito kigali cebu pune bogota "
    "data digital works services collective annotation support global impact people "
    "bridge horizon sunrise river valley summit harbor orbit pixel signal vertex cloud "
    "delta gamma alpha omega nova terra aqua lumen atlas cedar maple baobab savanna learn "
    "skill path future talent unity united rural urban coastal highland east west north "
    "south central partners solutions technologies labs hub centre office group "
)
WORDS = _VOCABULARY.split()
COUNTRIES = ["KE", "NG", "BD", "UG", "GH", "PH", "VN", "PE", "EC", "RW", "IN", "CO", "ZA"]


# --------------------------------------------------------------------------- the instance


def _env(instance: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CERTIFY_INSTANCE_PATH": str(instance),
            "CERTIFY_DATABASE_URL": database_url,
            "CERTIFY_SECRET_KEY": SECRET,
            "CERTIFY_PUBLIC_URL": "http://127.0.0.1:5000",
            "CERTIFY_RATELIMIT_ENABLED": "false",
            "CERTIFY_ARGON2_TIME_COST": "1",
            "CERTIFY_ARGON2_MEMORY_COST": "1024",
            "CERTIFY_ARGON2_PARALLELISM": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _init_instance(env: dict[str, str], demo: bool = True) -> None:
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "certify",
            "init",
            *(["--demo"] if demo else []),
        ],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _name(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.choice((2, 2, 3)))
    return " ".join(w.capitalize() for w in words) + f" {rng.randrange(1000)}"


def bulk_load(database_url: str, count: int, seed: int = 1) -> list[str]:
    """Insert *count* certificates directly (Core, no signing), with their issuance status
    change and search terms; returns their serials. Needs a migrated database."""
    from sqlalchemy import func, insert, select

    from certify.accounts.models import Organisation
    from certify.applications.models import Application
    from certify.certificates.models import Certificate, CertificateStatusChange, StatusList
    from certify.core.serial import generate_serial
    from certify.db import make_engine
    from certify.registry.search import ENTRY_COLUMNS, term_rows

    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    engine = make_engine(database_url)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    serials: list[str] = []
    with engine.begin() as conn:
        org_id = conn.execute(
            insert(Organisation.__table__)
            .values(
                public_id=secrets.token_urlsafe(16),
                legal_name="Bulk Loaded Ltd",
                country="KE",
                registration_number=f"BULK-{seed}",
                created_at=now,
            )
            .returning(Organisation.__table__.c.id)
        ).scalar_one()
        app_id = conn.execute(
            insert(Application.__table__)
            .values(
                public_id=secrets.token_urlsafe(16),
                organisation_id=org_id,
                state="decided",
                standard_id="isrps",
                standard_version="1.0",
                standard_sha256="0" * 64,
                created_at=now,
                updated_at=now,
            )
            .returning(Application.__table__.c.id)
        ).scalar_one()
        lists = {}
        for purpose in ("revocation", "suspension"):
            lists[purpose] = conn.execute(
                insert(StatusList.__table__)
                .values(
                    purpose=purpose,
                    list_id=f"bulk-{seed}-{purpose}",
                    size=max(count, 131072),
                    bits=b"\0" * 16,
                    credential=b"{}",
                    credential_sha256="0" * 64,
                    is_current=False,
                    created_at=now,
                    updated_at=now,
                )
                .returning(StatusList.__table__.c.id)
            ).scalar_one()
        start_id = (conn.execute(select(func.max(Certificate.__table__.c.id))).scalar() or 0) + 1
        batch: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        terms: list[dict[str, Any]] = []

        def flush() -> None:
            from certify.registry.models import RegistryEntry, RegistryTerm

            if batch:
                conn.execute(insert(Certificate.__table__), batch)
                conn.execute(insert(CertificateStatusChange.__table__), changes)
                conn.execute(
                    insert(RegistryEntry.__table__),
                    [
                        {"certificate_id": row["id"], **{k: row[k] for k in ENTRY_COLUMNS}}
                        for row in batch
                    ],
                )
                conn.execute(insert(RegistryTerm.__table__), terms)
            batch.clear()
            changes.clear()
            terms.clear()

        for i in range(count):
            cid = start_id + i
            serial = generate_serial("ISR", rng)
            serials.append(serial)
            name = _name(rng)
            country = rng.choice(COUNTRIES)
            issued = now - dt.timedelta(days=rng.randrange(0, 1400))
            until = issued + dt.timedelta(days=365 * 3)
            roll = rng.random()
            status = (
                "active"
                if roll < 0.85
                else "suspended"
                if roll < 0.90
                else "withdrawn"
                if roll < 0.95
                else "superseded"
            )
            level = "certified" if rng.random() < 0.7 else "certified_with_distinction"
            snapshot = {
                "serial": serial,
                "holder": {"name": name, "country": country},
                "sites": [{"name": "Main site", "address": "1 Example Road", "country": country}],
                "scope": "Data annotation and customer support",
                "standard": {"id": "isrps", "version": "1.0", "title": "ISRPS", "sha256": "0" * 64},
                "level": level,
                "overallScore": "72.50",
                "sectionScores": [
                    {"id": s, "title": s, "weight": "0.25", "score": "72.50"}
                    for s in ("IH", "CR", "WC", "GV")
                ],
                "validFrom": issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "validUntil": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "issuedOn": issued.date().isoformat(),
                "surveillanceDue": [
                    (issued + dt.timedelta(days=365 * k)).date().isoformat() for k in (1, 2)
                ],
                "publicUrl": "http://127.0.0.1:5000",
            }
            raw = json.dumps(snapshot, sort_keys=True, separators=(",", ":")).encode()
            batch.append(
                {
                    "id": cid,
                    "serial": serial,
                    "organisation_id": org_id,
                    "application_id": app_id,
                    "standard_id": "isrps",
                    "standard_version": "1.0",
                    "standard_sha256": "0" * 64,
                    "level": level,
                    "holder_name": name,
                    "holder_country": country,
                    "issued_at": issued,
                    "valid_from": issued,
                    "valid_until": until,
                    "public_url": "http://127.0.0.1:5000",
                    "snapshot": raw,
                    "snapshot_sha256": "0" * 64,
                    "credential": b"{}",
                    "credential_sha256": "0" * 64,
                    "credential_key_id": "bulk",
                    "revocation_list_id": lists["revocation"],
                    "revocation_index": i,
                    "suspension_list_id": lists["suspension"],
                    "suspension_index": i,
                    "status": status,
                    "suspended_until": now + dt.timedelta(days=30)
                    if status == "suspended"
                    else None,
                    "status_changed_at": issued,
                    "superseded_by_id": None,
                }
            )
            changes.append(
                {
                    "certificate_id": cid,
                    "changed_at": issued,
                    "actor": "system:bench",
                    "previous_status": None,
                    "new_status": "active",
                    "reason_category": None,
                    "reason": "issued",
                    "suspended_until": None,
                }
            )
            terms.extend(term_rows(cid, name, serial))
            if len(batch) >= 5000:
                flush()
        flush()
    # Fresh statistics, and on PostgreSQL a vacuumed visibility map (what autovacuum gives a
    # database in its steady state) so that counts can use index-only scans.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    engine.dispose()
    return serials


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn with 2 sync workers on a free port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn and arguments
            [
                GUNICORN,
                "--workers",
                "2",
                "--worker-class",
                "sync",
                "--no-control-socket",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "certify:create_app()",
            ],
            env=env,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("/api/v1/ping")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def get(self, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status, time.perf_counter() - started

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.process.kill()
            self.process.wait()


def _wrk(server: Server, paths: list[str], seconds: float, tmp: Path) -> float:
    script = tmp / "paths.lua"
    script.write_text(
        "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
        "i = 0\nrequest = function()\n  i = i % #paths + 1\n"
        "  return wrk.format('GET', paths[i])\nend\n"
    )
    out = subprocess.run(  # noqa: S603
        [  # noqa: S607 - wrk from PATH, checked with shutil.which
            "wrk",
            "-t2",
            "-c32",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{server.port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if "Non-2xx" in out or match is None:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return float(match.group(1))


def _threads(server: Server, paths: list[str], seconds: float) -> float:
    count = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(offset: int) -> None:
        i = offset
        while time.monotonic() < stop:
            status, _ = server.get(paths[i % len(paths)])
            if status != 200:
                raise RuntimeError(f"{paths[i % len(paths)]} answered {status}")
            i += 1
            with lock:
                count[0] += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count[0] / seconds


def throughput(server: Server, paths: list[str], seconds: float, tmp: Path) -> float:
    for path in paths[:50]:  # warm the caches of both workers a little
        server.get(path)
    if shutil.which("wrk"):
        return _wrk(server, paths, seconds, tmp)
    return _threads(server, paths, seconds)


def interleaved_throughput(
    server: Server, paths: dict[str, list[str]], seconds: float, rounds: int, tmp: Path
) -> dict[str, list[float]]:
    """Requests per second of each path set, measured in *rounds* interleaved rounds.

    First a warm-up pass of every set (discarded): each worker fills its per-certificate
    caches, the database its buffers, as a server that has been up for a while has. Then
    each round measures every set in turn; ratios are taken within a round, so a change in
    the shared machine's speed during the run touches both sides of a ratio alike.
    """
    for some in paths.values():
        throughput(server, some, max(1.0, seconds / 2), tmp)
    rates: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, some in paths.items():
            rates[name].append(throughput(server, some, seconds, tmp))
    return rates


def search_queries(serials: list[str], rng: random.Random) -> list[str]:
    words = rng.sample(WORDS, 12)
    queries = ["/registry", "/registry?page=3", "/registry?status=suspended"]
    queries += [f"/registry?q={w}" for w in words[:4]]
    queries += [f"/registry?q={w[:3]}" for w in words[4:8]]
    queries += [f"/registry?q={words[8]}+{words[9][:2]}", f"/registry?q={words[10]}+{words[11]}"]
    queries += [
        "/registry?country=KE&status=active",
        "/registry?standard=isrps%401.0&level=certified",
    ]
    queries += [f"/registry?q={s}" for s in rng.sample(serials, 3)]
    queries += [f"/registry?q={s[:8]}" for s in rng.sample(serials, 2)]
    queries += [f"/registry?q={words[0]}&status=active&country=NG"]
    return queries


def search_p95(server: Server, queries: list[str], rounds: int) -> float:
    for q in queries:
        server.get(q)
    times = []
    for _ in range(rounds):
        for q in queries:
            status, elapsed = server.get(q)
            if status != 200:
                raise RuntimeError(f"{q} answered {status}")
            times.append(elapsed * 1000)
    times.sort()
    return times[min(len(times) - 1, int(len(times) * 0.95))]


# --------------------------------------------------------------------------- the runs


def _postgres_url() -> str | None:
    url = os.environ.get("CERTIFY_BENCH_POSTGRES_URL") or os.environ.get(
        "CERTIFY_TEST_DATABASE_URL", ""
    )
    return url if url.startswith("postgresql") else None


def _postgres_schema(base: str) -> tuple[str, Any]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from certify.db import make_engine

    schema = f"bench_registry_{secrets.token_hex(4)}"
    engine = make_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        engine = make_engine(base)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

    return url.render_as_string(hide_password=False), drop


def _demo_serials(database_url: str) -> list[str]:
    from sqlalchemy import select

    from certify.certificates.models import Certificate
    from certify.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        serials = list(conn.execute(select(Certificate.__table__.c.serial)).scalars())
    engine.dispose()
    return serials


def run_database(label: str, database_url: str, quick: bool, tmp: Path) -> dict[str, float]:
    small, large = (100, 500) if quick else (1_000, 100_000)
    seconds = 1.0 if quick else 3.0
    rounds = 1 if quick else 8
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    instance = tmp / f"instance-{label}"
    env = _env(instance, database_url)
    # The demo's certificates are real (signed) ones for /verify; a quick run skips them.
    _init_instance(env, demo=not quick)
    real = _demo_serials(database_url)  # demo certificates: real, signed credentials
    serials = bulk_load(database_url, small - len(real), seed=1)
    results: dict[str, float] = {}
    server = Server(env)
    try:
        queries = search_queries(serials, rng)
        results[f"{label}_search_p95_ms_{small}"] = search_p95(server, queries, rounds)
        serials += bulk_load(database_url, large - small, seed=2)
        results[f"{label}_search_p95_ms_{large}"] = search_p95(server, queries, rounds)
        results[f"{label}_search_p95_ratio"] = (
            results[f"{label}_search_p95_ms_{large}"] / results[f"{label}_search_p95_ms_{small}"]
        )
        sample = rng.sample(serials, 200) + real
        api_paths = [f"/api/v1/certificates/{s}" for s in sample]
        # /verify/<serial> verifies the stored credential: only the real (demo) ones are
        # signed, so those are the paths measured.
        verify_paths = [f"/verify/{s}" for s in real or sample[:20]]
        verify_route = "verify"
        if server.get(verify_paths[0])[0] != 200:
            verify_route = "registry page (no /verify/<serial>)"
            verify_paths = [f"/registry/{s}" for s in real or sample[:20]]
        elif not real:
            verify_route = "verify (unsigned bulk rows)"
        rates = interleaved_throughput(
            server,
            {"ping": ["/api/v1/ping"], "api": api_paths, "verify": verify_paths},
            seconds,
            rounds=1 if quick else 3,
            tmp=tmp,
        )
    finally:
        server.stop()
    ping, api, verify = (statistics.median(rates[k]) for k in ("ping", "api", "verify"))
    api_ratio = paired_ratio(rates["api"], rates["ping"])
    verify_ratio = paired_ratio(rates["verify"], rates["ping"])
    results[f"{label}_ping_rps"] = ping
    results[f"{label}_certificate_api_rps"] = api
    results[f"{label}_certificate_api_ratio"] = api_ratio
    results[f"{label}_verify_page_rps"] = verify
    results[f"{label}_verify_page_ratio"] = verify_ratio
    tool = "wrk -t2 -c32" if shutil.which("wrk") else "Python, 8 threads"
    print(f"   [{label}] {large:,} certificates; gunicorn 2 sync workers; load: {tool}")
    print(
        f"   search p95 at {small:,}: {results[f'{label}_search_p95_ms_{small}']:.1f} ms; "
        f"at {large:,}: {results[f'{label}_search_p95_ms_{large}']:.1f} ms "
        f"(ratio {results[f'{label}_search_p95_ratio']:.2f}; target < 50 ms and <= 2.0)"
    )
    print(f"   GET /api/v1/ping                    {ping:8.0f} req/s (baseline)")
    print(
        f"   GET /api/v1/certificates/<serial>  {api:8.0f} req/s  ratio {api_ratio:.2f} "
        f"(target >= 0.6: {'met' if api_ratio >= 0.6 else 'NOT met'})"
    )
    print(
        f"   GET {verify_route:<32}{verify:8.0f} req/s  ratio {verify_ratio:.2f} "
        f"(target >= 0.4: {'met' if verify_ratio >= 0.4 else 'NOT met'})"
    )
    return results


def run(quick: bool = False) -> dict[str, float]:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="certify-bench-") as tmp_name:
        tmp = Path(tmp_name)
        results.update(run_database("sqlite", f"sqlite:///{tmp}/bench.sqlite3", quick, tmp))
        base = _postgres_url()
        if base is None:
            print(
                "   [postgresql] skipped: set CERTIFY_BENCH_POSTGRES_URL (or "
                "CERTIFY_TEST_DATABASE_URL) to a PostgreSQL server"
            )
        else:
            url, drop = _postgres_schema(base)
            try:
                results.update(run_database("postgresql", url, quick, tmp))
            finally:
                drop()
    return results


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
