"""Merkle core, in memory: append throughput and proof generation/verification latency.

The tree is a MemoryTree of 100,000 leaves (quick mode: 2,000). Same-run baseline: hashing
the same leaves with nothing stored (``leaf_hash`` only); the printed ratio is how much
slower appending is than that (amortised two SHA-256 calls per append plus the Python
bookkeeping of storing nodes; about 5x on the 2-core dev machine).
Proof figures are medians in microseconds over random positions, with the node reads counted
to show they stay O(log n).
"""

from __future__ import annotations

import random
import statistics
import time

from certify.core.tlog.merkle import (
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def run(quick: bool = False) -> dict[str, float]:
    """Append rate (leaves/s), baseline rate, ratio, and median proof/verify times (µs)."""
    size = 2_000 if quick else 100_000
    probes = 200 if quick else 2_000
    entries = [b'{"index":%d,"event":"issued"}' % i for i in range(size)]
    rng = random.Random(9162)  # noqa: S311 - reproducible probe positions, not secrets

    started = time.perf_counter()
    for entry in entries:
        leaf_hash(entry)
    baseline_s = time.perf_counter() - started

    tree = MemoryTree()
    started = time.perf_counter()
    for entry in entries:
        tree.append_entry(entry)
    append_s = time.perf_counter() - started

    reads = 0

    def counting_get(level: int, index: int) -> bytes:
        nonlocal reads
        reads += 1
        return tree.get_node(level, index)

    root = tree.root_hash()
    root_times, incl_times, cons_times, vincl_times, vcons_times = [], [], [], [], []
    max_reads = 0
    for _ in range(probes):
        index = rng.randrange(size)
        old = rng.randrange(1, size + 1)

        t0 = time.perf_counter()
        tree.root_hash()
        root_times.append(time.perf_counter() - t0)

        reads = 0
        t0 = time.perf_counter()
        proof = inclusion_proof(index, size, counting_get)
        incl_times.append(time.perf_counter() - t0)
        max_reads = max(max_reads, reads)

        reads = 0
        t0 = time.perf_counter()
        cproof = consistency_proof(old, size, counting_get)
        cons_times.append(time.perf_counter() - t0)
        max_reads = max(max_reads, reads)

        leaf = tree.get_node(0, index)
        t0 = time.perf_counter()
        ok = verify_inclusion(leaf, index, size, proof, root)
        vincl_times.append(time.perf_counter() - t0)
        old_root = tree.root_hash(old)
        t0 = time.perf_counter()
        ok = ok and verify_consistency(old, size, old_root, root, cproof)
        vcons_times.append(time.perf_counter() - t0)
        if not ok:
            raise RuntimeError("benchmark proof failed to verify")

    figures = {
        "leaves": float(size),
        "append_per_s": size / append_s,
        "baseline_leaf_hash_per_s": size / baseline_s,
        "append_vs_baseline_ratio": append_s / baseline_s,
        "root_us": _median_us(root_times),
        "inclusion_proof_us": _median_us(incl_times),
        "consistency_proof_us": _median_us(cons_times),
        "verify_inclusion_us": _median_us(vincl_times),
        "verify_consistency_us": _median_us(vcons_times),
        "max_node_reads": float(max_reads),
    }
    print(f"   tree of {size:,} leaves (in memory)")
    print(
        f"   append              {figures['append_per_s']:>12,.0f} leaves/s"
        f"   (baseline leaf_hash only {figures['baseline_leaf_hash_per_s']:,.0f}/s,"
        f" ratio {figures['append_vs_baseline_ratio']:.2f}x slower)"
    )
    print(f"   root hash           {figures['root_us']:>12.1f} µs median")
    print(
        f"   inclusion proof     {figures['inclusion_proof_us']:>12.1f} µs median"
        f"   (max node reads {max_reads}, log2 n = {size.bit_length()})"
    )
    print(f"   consistency proof   {figures['consistency_proof_us']:>12.1f} µs median")
    print(f"   verify inclusion    {figures['verify_inclusion_us']:>12.1f} µs median")
    print(f"   verify consistency  {figures['verify_consistency_us']:>12.1f} µs median")
    return figures
