"""Scoring: a pure function of (rubric, answers, open non-conformities) that explains itself.

- :mod:`~certify.core.scoring.engine`: :func:`~certify.core.scoring.engine.score` and
  :func:`~certify.core.scoring.engine.preview`, and the rules they apply.
- :mod:`~certify.core.scoring.answers`: the forms an answer comes in and their checks.
- :mod:`~certify.core.scoring.results`: the exact result, and the one place that rounds.
- :mod:`~certify.core.scoring.plan`: per-rubric constants, computed once per version.

Callers import from the module that holds a name; nothing is re-exported here.
"""
