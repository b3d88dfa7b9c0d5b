"""The meaning rules a schema cannot say: weights add up, ids are unique, outcomes get harder,
grades exist, floors lie in range (bands: :mod:`~certify.core.rubric.bands`). Every rule is
checked and every problem reported, so an author fixes a file in one pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from certify.core.rubric.bands import check_bands
from certify.core.rubric.model import LEVELS, Problem, format_number
from certify.core.rubric.values import as_number, indexed

#: Records one problem: (where, rule, message).
_Add = Callable[[str, str, str], None]


def meaning_problems(data: Any, source: str) -> list[Problem]:
    """Every meaning rule, written defensively: the data may also have schema errors, and we
    still want all problems in one report."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        return problems

    def add(where: str, rule: str, message: str) -> None:
        problems.append(Problem(source, where, rule, message))

    eff = data.get("effective_date")
    if isinstance(eff, str):
        try:
            dt.date.fromisoformat(eff)
        except ValueError:
            add("effective_date", "effective_date", f"{eff!r} is not a calendar date (YYYY-MM-DD)")

    grade_ids = _check_grades(data.get("nonconformities"), add)
    _check_outcomes(data.get("outcomes"), grade_ids, add)

    seen = _Seen()
    total = Decimal(0)
    totals_known = True
    for _, sec in indexed(data.get("sections")):
        if not isinstance(sec, Mapping):
            totals_known = False
            continue
        sweight = _check_section(sec, seen, source, add, problems)
        if sweight is None:
            totals_known = False
        else:
            total += sweight
    if totals_known and isinstance(data.get("sections"), list) and total != 100:
        add(
            "sections",
            "section_weights_sum",
            f"section weights add up to {format_number(total)}, not 100",
        )
    return problems


@dataclass
class _Seen:
    """The section and criterion ids met so far (each must be unique in the rubric)."""

    sections: set[str] = field(default_factory=set)
    criteria: set[str] = field(default_factory=set)


def _check_section(
    sec: Mapping[str, Any], seen: _Seen, source: str, add: _Add, problems: list[Problem]
) -> Decimal | None:
    """Check section *sec* and its criteria; return the section's weight (None when it has
    none that can be read)."""
    sid = sec.get("id")
    swhere = f"section {sid}"
    if isinstance(sid, str):
        if sid in seen.sections:
            add(swhere, "unique_id", f"section id {sid} is used twice")
        seen.sections.add(sid)
    sweight = as_number(sec.get("weight"))
    crit_total = Decimal(0)
    crit_known = True
    has_fixed_scored = False
    for _, crit in indexed(sec.get("criteria")):
        if not isinstance(crit, Mapping):
            crit_known = False
            continue
        cw = as_number(crit.get("weight"))
        if cw is None:
            crit_known = False
        else:
            crit_total += cw
        if _check_in_section(crit, cw, swhere, seen, source, add, problems):
            has_fixed_scored = True
    if crit_known and sweight is not None and crit_total != sweight:
        add(
            swhere,
            "criterion_weights_sum",
            f"criterion weights add up to {format_number(crit_total)}, the section weighs "
            f"{format_number(sweight)}",
        )
    if isinstance(sec.get("criteria"), list) and sec["criteria"] and not has_fixed_scored:
        add(
            swhere,
            "section_not_all_na",
            "the section needs at least one scored criterion (weight above 0) that cannot "
            "be not applicable, so its weight can always be shared",
        )
    return sweight


def _check_in_section(
    crit: Mapping[str, Any],
    weight: Decimal | None,
    swhere: str,
    seen: _Seen,
    source: str,
    add: _Add,
    problems: list[Problem],
) -> bool:
    """Check criterion *crit* of section *swhere*; True when it is scored (weight above 0)
    and cannot be not applicable, so the section's weight can always be shared."""
    cid = crit.get("id")
    cwhere = cid if isinstance(cid, str) else swhere
    if isinstance(cid, str):
        if cid in seen.criteria:
            add(cwhere, "unique_id", f"criterion id {cid} is used twice")
        seen.criteria.add(cid)
    na = crit.get("not_applicable")
    na_allowed = isinstance(na, Mapping) and na.get("allowed") is True
    if na_allowed and isinstance(na, Mapping) and not na.get("when"):
        add(cwhere, "na_when", "not applicable is allowed but 'when' does not say when")
    kind = crit.get("kind")
    _check_criterion(crit, kind, weight, cwhere, add)
    if kind == "number":
        _check_number(crit, cwhere, source, add, problems)
    return kind in ("level", "number") and weight is not None and weight > 0 and not na_allowed


def _check_criterion(
    crit: Mapping[str, Any], kind: Any, weight: Decimal | None, where: str, add: _Add
) -> None:
    """The rules of every kind: gates weigh 0, scored criteria more, levels are all described."""
    if kind == "gate" and weight is not None and weight != 0:
        add(
            where,
            "gate_weight",
            f"a gate earns no points, its weight must be 0 (is {format_number(weight)})",
        )
    if kind in ("level", "number") and weight is not None and weight <= 0:
        add(where, "scored_weight", "a level or number criterion needs a weight above 0")
    if kind == "level" and isinstance(crit.get("levels"), list):
        n = len(crit["levels"])
        if n != len(LEVELS):
            add(
                where,
                "levels_described",
                f"every level 0-4 needs a descriptor: {n} given, 5 needed",
            )


def _check_number(
    crit: Mapping[str, Any], where: str, source: str, add: _Add, problems: list[Problem]
) -> None:
    """The rules of a number criterion: its range, its bands (per basis) and its floor."""
    raw_range = crit.get("range")
    rng: Mapping[str, Any] = raw_range if isinstance(raw_range, Mapping) else {}
    rmin, rmax = as_number(rng.get("min")), as_number(rng.get("max"))
    if rmin is not None and rmax is not None and rmin >= rmax:
        add(
            where,
            "range_order",
            f"range minimum {format_number(rmin)} is not below maximum {format_number(rmax)}",
        )
    if "bands" in crit:
        check_bands(crit["bands"], "bands", where, rmin, rmax, source, problems)
    basis_ids: set[str] = set()
    for _, basis in indexed(crit.get("bases")):
        if not isinstance(basis, Mapping):
            continue
        bid = basis.get("id")
        if isinstance(bid, str):
            if bid in basis_ids:
                add(where, "unique_id", f"basis id {bid} is used twice")
            basis_ids.add(bid)
        check_bands(basis.get("bands"), f"basis {bid}", where, rmin, rmax, source, problems)
    floor = as_number(crit.get("floor"))
    if floor is not None:
        if (rmin is not None and floor < rmin) or (rmax is not None and floor > rmax):
            add(
                where,
                "floor_in_range",
                f"floor {format_number(floor)} lies outside the range "
                f"{format_number(rmin)}..{format_number(rmax)}",
            )
        if "bases" in crit:
            add(
                where,
                "floor_single_basis",
                "a floor needs a single basis: with several bases its unit would be ambiguous",
            )


def _check_grades(nc: Any, add: _Add) -> set[str]:
    """Grade ids are unique and a suspending grade has a deadline; return the grade ids."""
    ids: set[str] = set()
    if not isinstance(nc, Mapping):
        return ids
    for _, g in indexed(nc.get("grades")):
        if not isinstance(g, Mapping):
            continue
        gid = g.get("id")
        if isinstance(gid, str):
            if gid in ids:
                add(f"grade {gid}", "unique_id", f"grade id {gid} is used twice")
            ids.add(gid)
        days = g.get("deadline_days")
        if g.get("consequence") == "suspend_after_deadline" and not (
            isinstance(days, int) and days > 0
        ):
            add(
                f"grade {gid}",
                "deadline_required",
                "suspend_after_deadline needs deadline_days above 0",
            )
    return ids


def _check_outcomes(outcomes: Any, grade_ids: set[str], add: _Add) -> None:
    """Outcome ids are unique, name known grades, and each level is at least as hard to
    reach as the one before."""
    seen: set[str] = set()
    prev: Mapping[str, Any] | None = None
    for _, o in indexed(outcomes):
        if not isinstance(o, Mapping):
            continue
        oid = o.get("id")
        where = f"outcome {oid}"
        if isinstance(oid, str):
            if oid in seen:
                add(where, "unique_id", f"outcome id {oid} is used twice")
            seen.add(oid)
        raw_blocked = o.get("blocked_by_open")
        blocked: list[Any] = raw_blocked if isinstance(raw_blocked, list) else []
        for g in blocked:
            if isinstance(g, str) and grade_ids and g not in grade_ids:
                add(where, "unknown_grade", f"blocked_by_open names unknown grade {g!r}")
        if prev is not None:
            # Levels are listed from lowest to highest; a higher level must be at least as hard
            # to reach, or the highest level reached would not imply the lower ones.
            for key in ("min_overall", "section_floor_percent"):
                a, b = as_number(prev.get(key)), as_number(o.get(key))
                if a is not None and b is not None and b < a:
                    add(
                        where,
                        "outcome_order",
                        f"{key} {format_number(b)} is below the level before ({format_number(a)})",
                    )
            prev_blocked = prev.get("blocked_by_open")
            if isinstance(prev_blocked, list) and not set(prev_blocked) <= set(blocked):
                add(
                    where,
                    "outcome_order",
                    "blocked_by_open must include every grade that blocks the level before",
                )
        prev = o
