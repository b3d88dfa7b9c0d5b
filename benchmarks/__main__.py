"""Run the benchmarks: ``python -m benchmarks [--quick] [NAME ...]``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time

import benchmarks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: few iterations")
    parser.add_argument("names", nargs="*", help="run only these (e.g. scoring)")
    args = parser.parse_args(argv)
    found = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )
    unknown = set(args.names) - set(found)
    if unknown:
        parser.error(
            f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(found)}"
        )
    for name in args.names or found:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"== {name} ({'quick' if args.quick else 'full'}) ==", flush=True)
        started = time.perf_counter()
        module.run(quick=args.quick)
        print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
