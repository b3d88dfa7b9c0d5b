"""The cluster test's figures, read from nginx's JSON access log, and its report."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: seconds before and after the kill that count as "around the kill"
AROUND = (1.0, 5.0)


@dataclass
class Window:
    name: str
    seconds: float
    requests: int
    errors: int
    p95_ms: float
    retried: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Figures:
    overall: Window
    windows: list[Window]
    by_upstream: dict[str, int]
    statuses: dict[int, int]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _window(name: str, entries: list[dict[str, Any]], start: float, end: float) -> Window:
    chosen = [e for e in entries if start <= float(e["msec"]) < end]
    return Window(
        name=name,
        seconds=max(0.0, end - start),
        requests=len(chosen),
        errors=sum(1 for e in chosen if int(e["status"]) >= 500),
        p95_ms=percentile([float(e["request_time"]) * 1000 for e in chosen], 0.95),
        retried=sum(1 for e in chosen if "," in str(e.get("upstream", ""))),
    )


def figures_from_log(
    entries: list[dict[str, Any]], started: float, killed_at: float, duration: float
) -> Figures:
    """Throughput, p95 and errors over the run and before / around / after the kill."""
    end = started + duration
    before, after = killed_at - AROUND[0], killed_at + AROUND[1]
    by_upstream: dict[str, int] = {}
    statuses: dict[int, int] = {}
    for entry in entries:
        for upstream in str(entry.get("upstream") or "-").split(","):
            by_upstream[upstream.strip()] = by_upstream.get(upstream.strip(), 0) + 1
        statuses[int(entry["status"])] = statuses.get(int(entry["status"]), 0) + 1
    return Figures(
        overall=_window("whole run", entries, started, end),
        windows=[
            _window("before the kill", entries, started, before),
            _window(
                f"around the kill (-{AROUND[0]:.0f} s..+{AROUND[1]:.0f} s)", entries, before, after
            ),
            _window("after the kill", entries, after, end),
        ],
        by_upstream=by_upstream,
        statuses=statuses,
    )


def print_report(
    figures: Figures,
    wrk_output: str,
    issuances: list[Any],
    checks: list[tuple[str, bool, str]],
    elapsed: float,
) -> None:
    """The benchmark-style report."""
    o = figures.overall
    print(
        "== cluster: 2 gunicorn app servers (2 workers each) + worker, nginx, PostgreSQL, "
        "Redis, SeaweedFS =="
    )
    print(f"   load: wrk -t2 -c16 for {o.seconds:.0f} s through nginx (verify, registry, API)")
    print(
        f"   throughput {o.rate:.0f} req/s, p95 {o.p95_ms:.1f} ms, "
        f"{o.requests} requests, {o.errors} errors (5xx), {o.retried} retried by nginx"
    )
    for w in figures.windows:
        print(
            f"   {w.name:<32} {w.rate:7.0f} req/s  p95 {w.p95_ms:7.1f} ms  "
            f"errors {w.errors:3d}  retried {w.retried:3d}  ({w.requests} requests)"
        )
    print(f"   statuses: {dict(sorted(figures.statuses.items()))}")
    print(f"   upstreams: {figures.by_upstream}")
    done = sum(1 for i in issuances if i.status == 302)
    print(
        f"   issuances during the load: {len(issuances)} tried, {done} answered as done; "
        + ", ".join(f"{i.case[:8]}={i.status or i.error}" for i in issuances)
    )
    summary = [
        line.strip()
        for line in wrk_output.splitlines()
        if "Requests/sec" in line or "Socket errors" in line or "Non-2xx" in line or "99%" in line
    ]
    print("   wrk: " + "; ".join(summary))
    for name, ok, detail in checks:
        print(f"   {'ok  ' if ok else 'FAIL'} {name}: {detail}")
    print(f"   ({elapsed:.1f} s in all)")
