"""The transparency log in the database: append, proofs and proof memory at two log sizes.

A SQLite log of 1,000,000 entries (quick mode: 10,000) is seeded in bulk: entries, leaf and
subtree hashes computed in Python with the core Merkle code, inserted with executemany.
Then, through the app's real code:

* append on the normal path (``append_entry``: head lock, one node query, inserts, a signed
  checkpoint), timed without the commit, and the commit on its own;
* inclusion and consistency proofs (``inclusion_proof`` / ``consistency_proof``: one query
  for the O(log n) nodes), median and p99;
* the memory one proof *request* (``GET /api/v1/log/proof/inclusion``, the whole Flask
  round trip) allocates at its peak (tracemalloc), on a log of 1,000 entries and on the big
  log: the same-run baseline is the small log, and the printed ratio should be about 1.

Targets: append under 1 ms outside the commit; a proof under 5 ms; proof memory the same at
both sizes.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, update

SMALL = 1_000
CHUNK = 20_000
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _rows(size: int) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each entry's row and the node rows its append completes (a right-edge frontier)."""
    from certify.core.tlog.entry import LogEvent, log_entry
    from certify.core.tlog.merkle import leaf_hash, node_hash

    stack: list[tuple[int, bytes]] = []
    for index in range(size):
        data = log_entry(
            index, T0, LogEvent.CREDENTIAL_KEY_ADDED, None, None, None, f"bench-{index}"
        )
        leaf = leaf_hash(data)
        nodes = [{"level": 0, "idx": index, "hash": leaf}]
        level, current = 0, leaf
        while stack and stack[-1][0] == level:
            _, left = stack.pop()
            current = node_hash(left, current)
            level += 1
            nodes.append({"level": level, "idx": index >> level, "hash": current})
        stack.append((level, current))
        entry = {
            "idx": index,
            "event": "credential_key_added",
            "serial": None,
            "entry": data,
            "leaf_hash": leaf,
        }
        yield entry, nodes


def _seed(app: Any, size: int) -> None:
    """Bulk-load *size* entries, their nodes, the final checkpoint and the head."""
    from certify.db import get_db
    from certify.translog.models import LogCheckpoint, LogEntry, LogHead, LogNode
    from certify.translog.store import current_signer, root_at

    db = get_db(app)
    entries: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    with db.engine.begin() as conn:
        for entry, made in _rows(size):
            entries.append(entry)
            nodes.extend(made)
            if len(entries) >= CHUNK:
                conn.execute(insert(LogEntry), entries)
                conn.execute(insert(LogNode), nodes)
                entries, nodes = [], []
        if entries:
            conn.execute(insert(LogEntry), entries)
            conn.execute(insert(LogNode), nodes)
        conn.execute(update(LogHead).where(LogHead.id == 1).values(size=size))
    with app.app_context(), db.new_session() as session:
        note = current_signer().sign_checkpoint(size, root_at(session, size))
        session.execute(insert(LogCheckpoint).values(size=size, note=note))
        session.commit()


def _make_app(folder: str, label: str) -> Any:
    from certify import create_app
    from certify.db import get_db, upgrade_database

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-long-enough-for-certify",
            "DATABASE_URL": f"sqlite:///{folder}/{label}.sqlite3",
            "INSTANCE_PATH": os.path.join(folder, f"instance-{label}"),
            "RATELIMIT_ENABLED": False,
            "PUBLIC_URL": "https://registry.example.org",
        }
    )
    upgrade_database(get_db(app).engine)
    return app


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def _proof_memory(app: Any, size: int, rng: random.Random, probes: int) -> float:
    """Peak bytes tracemalloc sees during one inclusion-proof request (median of probes)."""
    client = app.test_client()
    client.get(f"/api/v1/log/proof/inclusion?index=0&size={size}")  # warm caches
    peaks = []
    for _ in range(probes):
        index = rng.randrange(size)
        tracemalloc.start()
        response = client.get(f"/api/v1/log/proof/inclusion?index={index}&size={size}")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert response.status_code == 200, response.text
        peaks.append(peak)
    return float(statistics.median(peaks))


def run(quick: bool = False) -> dict[str, float]:
    """Seed, then measure append, proofs and proof memory; print and return the figures."""
    from certify import clock
    from certify.core.tlog.entry import LogEvent
    from certify.db import get_db
    from certify.translog.store import (
        append_entry,
        consistency_proof,
        current_signer,
        inclusion_proof,
    )

    size = 10_000 if quick else 1_000_000
    appends = 50 if quick else 300
    probes = 50 if quick else 500
    rng = random.Random(9162)  # noqa: S311 - reproducible probe positions, not secrets
    with tempfile.TemporaryDirectory(prefix="bench-translog-") as folder:
        small_app = _make_app(folder, "small")
        _seed(small_app, SMALL)
        app = _make_app(folder, "big")
        started = time.perf_counter()
        _seed(app, size)
        seed_s = time.perf_counter() - started
        print(f"   seeded {size:,} entries in {seed_s:.1f} s")

        db = get_db(app)
        append_times, commit_times = [], []
        with app.app_context():
            signer = current_signer()
            for i in range(appends):
                with db.new_session(writer=True) as session:
                    t = time.perf_counter()
                    append_entry(
                        session,
                        LogEvent.CREDENTIAL_KEY_ADDED,
                        clock.now(),
                        key_id=f"bench-append-{i}",
                        signer=signer,
                    )
                    t1 = time.perf_counter()
                    session.commit()
                    append_times.append(t1 - t)
                    commit_times.append(time.perf_counter() - t1)
            total = size + appends
            incl_times, cons_times = [], []
            with db.new_session(writer=False) as session:
                for _ in range(probes):
                    index = rng.randrange(total)
                    t = time.perf_counter()
                    inclusion_proof(session, index, total)
                    incl_times.append(time.perf_counter() - t)
                    old = rng.randrange(1, total)
                    t = time.perf_counter()
                    consistency_proof(session, old, total)
                    cons_times.append(time.perf_counter() - t)
        small_mem = _proof_memory(small_app, SMALL, rng, 20)
        big_mem = _proof_memory(app, total, rng, 20)
        get_db(small_app).engine.dispose()
        db.engine.dispose()

    figures = {
        "entries": float(total),
        "append_median_ms": _ms(append_times, 0.5),
        "append_p99_ms": _ms(append_times, 0.99),
        "commit_median_ms": _ms(commit_times, 0.5),
        "inclusion_median_ms": _ms(incl_times, 0.5),
        "inclusion_p99_ms": _ms(incl_times, 0.99),
        "consistency_median_ms": _ms(cons_times, 0.5),
        "consistency_p99_ms": _ms(cons_times, 0.99),
        "proof_request_peak_kib_small": small_mem / 1024,
        "proof_request_peak_kib_big": big_mem / 1024,
        "proof_memory_ratio": big_mem / small_mem,
    }
    print(
        f"   append (no commit): median {figures['append_median_ms']:.3f} ms, "
        f"p99 {figures['append_p99_ms']:.3f} ms (target < 1 ms); "
        f"commit median {figures['commit_median_ms']:.3f} ms"
    )
    print(
        f"   inclusion proof at {total:,}: median {figures['inclusion_median_ms']:.3f} ms, "
        f"p99 {figures['inclusion_p99_ms']:.3f} ms (target < 5 ms)"
    )
    print(
        f"   consistency proof at {total:,}: median {figures['consistency_median_ms']:.3f} ms, "
        f"p99 {figures['consistency_p99_ms']:.3f} ms (target < 5 ms)"
    )
    print(
        f"   proof request peak memory: {figures['proof_request_peak_kib_small']:.1f} KiB at "
        f"{SMALL:,} entries (baseline), {figures['proof_request_peak_kib_big']:.1f} KiB at "
        f"{total:,}; ratio {figures['proof_memory_ratio']:.2f} (target about 1)"
    )
    return figures
