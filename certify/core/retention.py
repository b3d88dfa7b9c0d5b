"""How long evidence is kept: the retention schedule (pure; the settings give the numbers).

Each evidence file has a *retention kind*:

- ``application``: evidence attached to an application (rosters, payslips, eligibility
  documents of impact workers);
- ``corrective_action``: evidence of closure of a non-conformity.

A file is kept until the end of its certification cycle (the ``valid_until`` of the newest
certificate issued from its application) plus the kind's number of years; a file whose
application never led to a certificate is kept from its upload plus the same number of years.
``EVIDENCE_RETENTION_YEARS`` maps each kind to its years (Kenya's DPA 2019, India's DPDP Act
2023, Nepal's Privacy Act 2018 and the GDPR all ask for "no longer than necessary"; the
certification body's scheme rules give the number).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

KINDS = ("application", "corrective_action")
DEFAULT_YEARS: Mapping[str, int] = {"application": 6, "corrective_action": 6}


def retention_kind(nonconformity_id: int | None) -> str:
    """The kind of an evidence row (closure evidence names its non-conformity)."""
    return "corrective_action" if nonconformity_id is not None else "application"


def schedule_problem(schedule: object) -> str | None:
    """What is wrong with an ``EVIDENCE_RETENTION_YEARS`` setting, or None."""
    if not isinstance(schedule, Mapping):
        return "EVIDENCE_RETENTION_YEARS must map evidence kinds to years."
    for kind, years in schedule.items():
        if kind not in KINDS:
            return f"EVIDENCE_RETENTION_YEARS: unknown kind {kind!r} (kinds: {', '.join(KINDS)})"
        if isinstance(years, bool) or not isinstance(years, int) or not 0 <= years <= 100:
            return f"EVIDENCE_RETENTION_YEARS[{kind!r}] must be whole years from 0 to 100"
    return None


def _add_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a year without one
        return moment.replace(year=moment.year + years, day=28)


def erase_after(
    kind: str,
    uploaded_at: dt.datetime,
    cycle_end: dt.datetime | None,
    schedule: Mapping[str, int],
) -> dt.datetime:
    """The first instant the file is due for erasure."""
    years = int(schedule.get(kind, DEFAULT_YEARS[kind]))
    start = max(uploaded_at, cycle_end) if cycle_end is not None else uploaded_at
    return _add_years(start, years)


def is_due(
    now: dt.datetime,
    kind: str,
    uploaded_at: dt.datetime,
    cycle_end: dt.datetime | None,
    schedule: Mapping[str, int],
) -> bool:
    """True when the file's retention has run out at *now*."""
    return now >= erase_after(kind, uploaded_at, cycle_end, schedule)
