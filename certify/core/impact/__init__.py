"""Verified impact figures: which audited answers a standard publishes, each certificate's
figures (with bands instead of head counts, and suppression below a minimum group size), and
the registry-wide aggregates built from exactly those figures.

- :mod:`~certify.core.impact.indicators`: the standard version's public indicators (data).
- :mod:`~certify.core.impact.figures`: one certificate's figures, from the audited answers.
- :mod:`~certify.core.impact.aggregate`: totals, medians and distributions across certificates.
- :mod:`~certify.core.impact.charts`: small server-rendered SVG charts with text alternatives.

Callers import from the module that holds a name; nothing is re-exported here.
"""
