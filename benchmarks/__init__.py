"""certify's benchmarks: ``make bench`` runs every ``bench_*.py`` module here.

Each module defines ``run(quick: bool = False) -> dict[str, float]``: it prints its figures
(and, where a baseline exists, the baseline measured in the same run and the ratio) and
returns them. ``quick`` is CI's smoke run: few iterations, only to prove the code still works.
"""
