"""Bulk verification: one ``POST /verify/bulk`` with 1,000 serials (issue 22: under 2 s).

Figures, from the same run and the same app (in process, SQLite, 2,000 certificates loaded
directly as ``bench_registry`` does):

- the time of one request verifying 1,000 serials (CSV answer): median of rounds, target
  under 2,000 ms;
- the baseline: 1,000 times the time of a request with one serial (what a client checking
  them one at a time would pay, without the network); the ratio bulk / baseline shows what
  one request saves (paired per round).
"""

from __future__ import annotations

import io
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import paired_ratio
from benchmarks.bench_registry import ROOT, _env, bulk_load

TARGET_MS = 2000.0


def _post(client, serials: list[str]) -> float:
    body = "\n".join(["serial", *serials]).encode()
    started = time.perf_counter()
    answer = client.post(
        "/verify/bulk",
        data={"file": (io.BytesIO(body), "serials.csv"), "output": "csv"},
        content_type="multipart/form-data",
    )
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"bulk verification answered {answer.status_code}")
    return elapsed


def run(quick: bool = False) -> dict[str, float]:
    from certify import create_app

    with tempfile.TemporaryDirectory(prefix="certify-bench-bulk-") as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite:///{tmp}/bench.sqlite3"
        env = _env(tmp / "instance", url)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "certify", "init"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        serials = bulk_load(url, 200 if quick else 2000)
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "DATABASE_URL": url,
                "INSTANCE_PATH": str(tmp / "instance"),
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        client = app.test_client()
        rng = random.Random(22)  # noqa: S311 - a repeatable sample, not a secret
        size = 100 if quick else 1000
        rounds = 2 if quick else 5
        _post(client, rng.sample(serials, size))  # warm-up
        bulk, baseline = [], []
        for _ in range(rounds):
            bulk.append(_post(client, rng.sample(serials, size)))
            singles = [_post(client, [rng.choice(serials)]) for _ in range(20)]
            baseline.append(statistics.median(singles) * size)
        median = statistics.median(bulk)
        ratio = paired_ratio(bulk, baseline)
        verdict = "ok" if median < TARGET_MS or quick else "SLOW"
        print(
            f"   bulk verification of {size} serials: {median:.0f} ms "
            f"(target < {TARGET_MS:.0f} ms) {verdict}"
        )
        print(f"   baseline, {size} one-serial requests: {statistics.median(baseline):.0f} ms")
        print(f"   ratio bulk / one at a time: {ratio:.3f}")
        return {"bulk_ms": median, "baseline_ms": statistics.median(baseline), "ratio": ratio}


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
