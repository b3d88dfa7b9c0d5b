"""What changed between two rubric versions, one line per change, for people.

Used by ``flask rubrics diff`` and the standards pages: a reviewer reads it to see what a new
version changes before it is published (and why scores across versions are not comparable).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from certify.core.rubric.model import Basis, Criterion, Rubric

__all__ = ["diff_rubrics"]


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value != value.to_integral_value() else str(int(value))
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _bands(bases: tuple[Basis, ...]) -> str:
    def one(b: Basis) -> str:
        bands = ", ".join(f"{band.label()}: {band.level}" for band in b.bands)
        return f"{b.id}: {bands}" if b.id else bands

    return "; ".join(one(b) for b in bases)


def _na(c: Criterion) -> str:
    return f"allowed ({c.na_when})" if c.na_allowed else "not allowed"


def _range(c: Criterion) -> str:
    if c.range_min is None and c.range_max is None:
        return "none"
    return f"{_show(c.range_min)}..{_show(c.range_max) if c.range_max is not None else ''}"


#: Criterion attributes compared, in the order lines are written, with how each is shown.
_CRITERION_FIELDS: tuple[tuple[str, Callable[[Criterion], str]], ...] = (
    ("title", lambda c: c.title),
    ("section", lambda c: c.section_id),
    ("kind", lambda c: c.kind),
    ("weight", lambda c: _show(c.weight)),
    ("levels", lambda c: " | ".join(c.levels)),
    ("unit", lambda c: _show(c.unit)),
    ("range", _range),
    ("bands", lambda c: _bands(c.bases)),
    ("floor", lambda c: _show(c.floor)),
    ("not applicable", _na),
    ("guidance", lambda c: c.guidance),
    ("evidence", lambda c: "; ".join(c.evidence)),
)


def _changed(prefix: str, name: str, old: str, new: str) -> str:
    return f"{prefix}: {name} changed: {old} -> {new}"


def diff_rubrics(a: Rubric, b: Rubric) -> list[str]:
    """Every difference from *a* (old) to *b* (new), one plain-English line each.

    Covers the standard's dates and cycle (validity, surveillance, transition), sections
    (added, removed, title, weight), criteria (added, removed, and each changed attribute:
    title, section, kind, weight, levels, unit, range, bands, floor, not-applicable, guidance,
    evidence), outcome levels and non-conformity rules. Identical rubrics give ``[]``.
    A change to one band and one weight gives exactly two lines.
    """
    return [
        *_standard_lines(a, b),
        *_section_lines(a, b),
        *_criterion_lines(a, b),
        *_outcome_lines(a, b),
        *_grade_lines(a, b),
    ]


def _standard_lines(a: Rubric, b: Rubric) -> list[str]:
    """The standard's own fields: id, title, dates, cycle, definitions."""
    lines: list[str] = []
    for name, getter in (
        ("id", lambda r: r.id),
        ("title", lambda r: r.title),
        ("effective date", lambda r: r.effective_date.isoformat()),
        ("transition months", lambda r: str(r.transition_months)),
        ("certificate validity months", lambda r: str(r.certificate_validity_months)),
        ("surveillance interval months", lambda r: str(r.surveillance_interval_months)),
        ("longest suspension months", lambda r: str(r.max_suspension_months)),
    ):
        old, new = getter(a), getter(b)
        if old != new:
            lines.append(_changed("standard", name, old, new))
    if a.definitions != b.definitions:
        lines.append("standard: definitions changed")
    return lines


def _section_lines(a: Rubric, b: Rubric) -> list[str]:
    """Sections removed, changed (title, weight) and added."""
    lines: list[str] = []
    a_sections = {s.id: s for s in a.sections}
    b_sections = {s.id: s for s in b.sections}
    for sid, s in a_sections.items():
        if sid not in b_sections:
            lines.append(f"section {sid} removed ({s.title}, weight {_show(s.weight)})")
            continue
        t = b_sections[sid]
        if s.title != t.title:
            lines.append(_changed(f"section {sid}", "title", s.title, t.title))
        if s.weight != t.weight:
            lines.append(_changed(f"section {sid}", "weight", _show(s.weight), _show(t.weight)))
    for sid, t in b_sections.items():
        if sid not in a_sections:
            lines.append(f"section {sid} added ({t.title}, weight {_show(t.weight)})")
    return lines


def _criterion_lines(a: Rubric, b: Rubric) -> list[str]:
    """Criteria removed, changed (each attribute in :data:`_CRITERION_FIELDS`) and added."""
    lines: list[str] = []
    a_crit = {c.id: c for c in a.criteria}
    b_crit = {c.id: c for c in b.criteria}
    for cid, c in a_crit.items():
        if cid not in b_crit:
            lines.append(f"criterion {cid} removed ({c.title})")
            continue
        d = b_crit[cid]
        for name, show in _CRITERION_FIELDS:
            old, new = show(c), show(d)
            if old != new:
                lines.append(_changed(f"criterion {cid}", name, old, new))
    for cid, d in b_crit.items():
        if cid not in a_crit:
            lines.append(
                f"criterion {cid} added in section {d.section_id} ({d.title}, {d.kind}, "
                f"weight {_show(d.weight)})"
            )
    return lines


def _outcome_lines(a: Rubric, b: Rubric) -> list[str]:
    """Outcome levels removed, changed, added and reordered."""
    lines: list[str] = []
    a_out = {o.id: o for o in a.outcomes}
    b_out = {o.id: o for o in b.outcomes}
    for oid, o in a_out.items():
        if oid not in b_out:
            lines.append(f"outcome {oid} removed")
            continue
        p = b_out[oid]
        for name, old, new in (
            ("title", o.title, p.title),
            ("overall threshold", _show(o.min_overall), _show(p.min_overall)),
            (
                "section floor %",
                _show(o.section_floor_percent),
                _show(p.section_floor_percent),
            ),
            ("blocked by open", _show(o.blocked_by_open), _show(p.blocked_by_open)),
        ):
            if old != new:
                lines.append(_changed(f"outcome {oid}", name, old, new))
    for oid, p in b_out.items():
        if oid not in a_out:
            lines.append(
                f"outcome {oid} added (overall {_show(p.min_overall)}, section floor "
                f"{_show(p.section_floor_percent)}%)"
            )
    if [o.id for o in a.outcomes if o.id in b_out] != [o.id for o in b.outcomes if o.id in a_out]:
        lines.append("outcomes: order of levels changed")
    return lines


def _grade_lines(a: Rubric, b: Rubric) -> list[str]:
    """Non-conformity grades removed, changed and added."""
    lines: list[str] = []
    a_gr = {g.id: g for g in a.grades}
    b_gr = {g.id: g for g in b.grades}
    for gid, g in a_gr.items():
        if gid not in b_gr:
            lines.append(f"non-conformity grade {gid} removed")
            continue
        h = b_gr[gid]
        for name, old, new in (
            ("title", g.title, h.title),
            ("meaning", g.meaning, h.meaning),
            ("deadline days", _show(g.deadline_days), _show(h.deadline_days)),
            ("consequence", g.consequence, h.consequence),
            ("consequence text", g.consequence_text, h.consequence_text),
        ):
            if old != new:
                lines.append(_changed(f"non-conformity grade {gid}", name, old, new))
    for gid, h in b_gr.items():
        if gid not in a_gr:
            lines.append(
                f"non-conformity grade {gid} added (deadline {_show(h.deadline_days)} days, "
                f"{h.consequence})"
            )
    return lines
