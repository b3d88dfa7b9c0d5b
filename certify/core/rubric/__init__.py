"""Rubrics: versioned standards as immutable objects, and everything decided from them.

A rubric file is ``rubrics/<standard-id>/<version>.yaml``; its structure is described by
``rubrics/schema.json`` and every field by ``rubrics/README.md``. Loading checks the data
against the schema *and* the meaning rules (weights add up, bands contiguous, ids unique ...)
and reports every problem at once in a :class:`~certify.core.rubric.model.RubricError`, so an
author fixes a file in one pass.

- :mod:`~certify.core.rubric.model`: the objects (:class:`~certify.core.rubric.model.Rubric`,
  its sections, criteria, bands, outcome levels and grades) and the problem report.
- :mod:`~certify.core.rubric.parsing`: YAML text to plain data that means what it says.
- :mod:`~certify.core.rubric.plain`: the canonical JSON that identifies a version (its hash).
- :mod:`~certify.core.rubric.schema`, :mod:`~certify.core.rubric.meaning`,
  :mod:`~certify.core.rubric.bands`, :mod:`~certify.core.rubric.values`: the checks.
- :mod:`~certify.core.rubric.loading`: plain data or text in, a checked rubric out.
- :mod:`~certify.core.rubric.lock`: the lock of published versions and their hashes.
- :mod:`~certify.core.rubric.versions`: which version is in effect on a day.
- :mod:`~certify.core.rubric.diff`: what changed between two versions.
- :mod:`~certify.core.rubric.samples`: complete answer sets for demos, tests and benchmarks.

Callers import from the module that holds a name; nothing is re-exported here.
"""
