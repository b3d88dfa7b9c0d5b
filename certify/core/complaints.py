"""Complaints and appeals (ISO/IEC 17065 7.13): their states and who may move them, as tables.

A complaint is raised by anyone (no account) about a certified ISSP and handled by someone
impartial::

    received ──assign──► assigned ──acknowledge──► acknowledged ──decide──► decided
                           ▲   │ (reassign)             │ (reassign, notes)
                           └───┘                        ▼

An appeal is lodged by a member of the ISSP against a decision about it (a refusal, a
suspension, a withdrawal, a non-conformity's grade) and decided by someone who took no part
in that decision::

    lodged ──assign──► assigned ──decide──► decided (upheld | dismissed)

:func:`next_complaint_state` and :func:`next_appeal_state` are the one check;
``tests/core/test_complaints.py`` walks every (state, action, party). Also here: tracking
codes (their shape and normalisation, not their randomness: the caller passes the bytes),
the acknowledgement deadline, the appeal window and the yearly statistics, all pure.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar


class Party(enum.StrEnum):
    """Who acts on a complaint or an appeal."""

    ADMIN = "admin"
    #: the person the admin named to handle the complaint or decide the appeal
    HANDLER = "handler"
    #: whoever holds the tracking code (a complaint), or the ISSP's members (an appeal)
    COMPLAINANT = "complainant"
    SYSTEM = "system"


class ComplaintState(enum.StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    DECIDED = "decided"


class ComplaintAction(enum.StrEnum):
    ASSIGN = "assign"
    ACKNOWLEDGE = "acknowledge"
    ADD_NOTE = "add_note"
    ADD_INFORMATION = "add_information"
    DECIDE = "decide"
    REMIND = "remind"
    #: the scheduler's reminders of the deadline for closing (see :func:`close_reminder`)
    REMIND_CLOSE = "remind_close"


class AppealState(enum.StrEnum):
    LODGED = "lodged"
    ASSIGNED = "assigned"
    DECIDED = "decided"


class AppealAction(enum.StrEnum):
    ASSIGN = "assign"
    DECIDE = "decide"


#: What a complaint is about (the public form's choices; labels in ``core/labels.py``).
CATEGORIES = (
    "working_conditions",
    "recruitment_fees",
    "discrimination",
    "wages",
    "misuse_of_certificate",
    "fraud",
    "other",
)

#: The handler's outcome. The founded ones name what follows; a special audit is recorded
#: here and opened by the audit types of issue 18 (see docs/complaints.md).
COMPLAINT_OUTCOMES = (
    "unfounded",
    "founded_corrective_action",
    "founded_special_audit",
    "founded_suspension",
    "founded_withdrawal",
    "referred",
)
FOUNDED_OUTCOMES = frozenset(o for o in COMPLAINT_OUTCOMES if o.startswith("founded_"))

#: What an ISSP may appeal against.
APPEAL_SUBJECTS = ("refusal", "suspension", "withdrawal", "nc_grade")
APPEAL_OUTCOMES = ("upheld", "dismissed")

#: Used when a rubric names no appeal window of its own.
DEFAULT_APPEAL_WINDOW_DAYS = 30

_C, _CA, _P = ComplaintState, ComplaintAction, Party
_OPEN = (_C.RECEIVED, _C.ASSIGNED, _C.ACKNOWLEDGED)

#: (state, action) → (state after, who may take it). Notes and information keep the state.
_ComplaintTable = Mapping[
    tuple[ComplaintState, ComplaintAction], tuple[ComplaintState, frozenset[Party]]
]
COMPLAINT_TABLE: _ComplaintTable = MappingProxyType(
    {
        (_C.RECEIVED, _CA.ASSIGN): (_C.ASSIGNED, frozenset({_P.ADMIN})),
        (_C.ASSIGNED, _CA.ASSIGN): (_C.ASSIGNED, frozenset({_P.ADMIN})),
        (_C.ACKNOWLEDGED, _CA.ASSIGN): (_C.ACKNOWLEDGED, frozenset({_P.ADMIN})),
        (_C.ASSIGNED, _CA.ACKNOWLEDGE): (_C.ACKNOWLEDGED, frozenset({_P.HANDLER})),
        (_C.ASSIGNED, _CA.ADD_NOTE): (_C.ASSIGNED, frozenset({_P.HANDLER})),
        (_C.ACKNOWLEDGED, _CA.ADD_NOTE): (_C.ACKNOWLEDGED, frozenset({_P.HANDLER})),
        (_C.ACKNOWLEDGED, _CA.DECIDE): (_C.DECIDED, frozenset({_P.HANDLER})),
        **{(s, _CA.ADD_INFORMATION): (s, frozenset({_P.COMPLAINANT})) for s in _OPEN},
        **{(s, _CA.REMIND): (s, frozenset({_P.SYSTEM})) for s in (_C.RECEIVED, _C.ASSIGNED)},
        **{(s, _CA.REMIND_CLOSE): (s, frozenset({_P.SYSTEM})) for s in _OPEN},
    }
)

_A, _AA = AppealState, AppealAction
APPEAL_TABLE: Mapping[tuple[AppealState, AppealAction], tuple[AppealState, frozenset[Party]]] = (
    MappingProxyType(
        {
            (_A.LODGED, _AA.ASSIGN): (_A.ASSIGNED, frozenset({_P.ADMIN})),
            (_A.ASSIGNED, _AA.ASSIGN): (_A.ASSIGNED, frozenset({_P.ADMIN})),
            (_A.ASSIGNED, _AA.DECIDE): (_A.DECIDED, frozenset({_P.HANDLER})),
        }
    )
)


S = TypeVar("S", ComplaintState, AppealState)
A = TypeVar("A", ComplaintAction, AppealAction)


class TransitionRefused(ValueError):
    """The step is not possible now, or not for this party; the message says why."""


def _next(
    table: Mapping[tuple[S, A], tuple[S, frozenset[Party]]], state: S, action: A, party: Party
) -> S:
    entry = table.get((state, action))
    if entry is None:
        raise TransitionRefused(
            f"This is now '{state.value}', so that step ({action.value.replace('_', ' ')}) "
            "is not possible. Reload the page to see what can be done next."
        )
    after, parties = entry
    if party not in parties:
        raise TransitionRefused(
            f"Only the {' or '.join(sorted(p.value for p in parties))} may do that."
        )
    return after


def next_complaint_state(
    state: ComplaintState, action: ComplaintAction, party: Party
) -> ComplaintState:
    """The state *action* by *party* leads a complaint to.

    Raises:
        TransitionRefused: the step is not in the table, or not for *party*.
    """
    return _next(COMPLAINT_TABLE, state, action, party)


def next_appeal_state(state: AppealState, action: AppealAction, party: Party) -> AppealState:
    """The state *action* by *party* leads an appeal to.

    Raises:
        TransitionRefused: the step is not in the table, or not for *party*.
    """
    return _next(APPEAL_TABLE, state, action, party)


# --------------------------------------------------------------------------- tracking codes

#: Crockford base32 (no I, L, O, U): read aloud and typed from paper without confusion.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"I": "1", "L": "1", "O": "0"}
CODE_SYMBOLS = 16  # 80 bits: not guessable, even without the rate limit


def tracking_code(random_bytes: bytes) -> str:
    """A tracking code made of *random_bytes* (at least 10): ``XXXX-XXXX-XXXX-XXXX``.

    Raises:
        ValueError: fewer than 10 bytes.
    """
    if len(random_bytes) < 10:
        raise ValueError("a tracking code needs 80 random bits")
    number = int.from_bytes(random_bytes[:10], "big")
    symbols = "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in range(CODE_SYMBOLS))
    return "-".join(symbols[i : i + 4] for i in range(0, CODE_SYMBOLS, 4))


def normalise_code(text: str) -> str | None:
    """*text* as a tracking code in its canonical form (any case, spaces or hyphens
    optional, I and L read as 1, O as 0), or None when it cannot be one."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t")
    cleaned = "".join(_READ_AS.get(ch, ch) for ch in cleaned)
    if len(cleaned) != CODE_SYMBOLS or any(ch not in _ALPHABET for ch in cleaned):
        return None
    return "-".join(cleaned[i : i + 4] for i in range(0, CODE_SYMBOLS, 4))


def code_digest(code: str) -> str:
    """What is stored of a canonical tracking code: its SHA-256 (hex). The code itself is
    shown once and never stored, so a copy of the database does not open anyone's complaint."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


# --------------------------------------------------------------------------- deadlines


def acknowledge_by(received_at: dt.datetime, days: int) -> dt.datetime:
    """When the complaint must be acknowledged: *days* after it was received."""
    return received_at + dt.timedelta(days=days)


def close_by(received_at: dt.datetime, days: int) -> dt.datetime:
    """When the complaint should be decided (closed): *days* after it was received."""
    return received_at + dt.timedelta(days=days)


#: The reminders of the deadline for closing: ``due_soon`` to the handler, ``overdue`` to
#: the handler and the admins. Each is sent once (the caller records it).
CLOSE_DUE_SOON = "due_soon"
CLOSE_OVERDUE = "overdue"


def close_reminder(
    deadline: dt.datetime, now: dt.datetime, warn_days: int, already: Iterable[str] = ()
) -> str | None:
    """Which reminder of the deadline for closing is due at *now* and not sent yet
    (*already* names those sent): :data:`CLOSE_OVERDUE` once *deadline* has passed,
    :data:`CLOSE_DUE_SOON` within *warn_days* before it, else None. A complaint found
    overdue before its warning was sent gets the overdue reminder only (it says more)."""
    sent = set(already)
    if now > deadline:
        return CLOSE_OVERDUE if CLOSE_OVERDUE not in sent else None
    if now >= deadline - dt.timedelta(days=warn_days) and not sent & {
        CLOSE_DUE_SOON,
        CLOSE_OVERDUE,
    }:
        return CLOSE_DUE_SOON
    return None


def appeal_deadline(decided_at: dt.datetime, window_days: int) -> dt.datetime:
    """The last moment an appeal against a decision made at *decided_at* can be lodged."""
    return decided_at + dt.timedelta(days=window_days)


def within_appeal_window(decided_at: dt.datetime, window_days: int, now: dt.datetime) -> bool:
    """Whether an appeal lodged at *now* is in time. A decision recorded a moment after *now*
    (a status change is never recorded before the issuance's second, see the lifecycle) is
    in the window too."""
    return now <= appeal_deadline(decided_at, window_days)


def retain_until(closed_at: dt.datetime, years: int) -> dt.datetime:
    """When a closed complaint's personal data (contact, text, files) may be erased."""
    try:
        return closed_at.replace(year=closed_at.year + years)
    except ValueError:  # 29 February
        return closed_at.replace(year=closed_at.year + years, day=28)


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class ComplaintFacts:
    """What the statistics read of one complaint: no text, no person."""

    category: str
    received_at: dt.datetime
    acknowledged_at: dt.datetime | None
    decided_at: dt.datetime | None
    outcome: str | None


@dataclass(frozen=True)
class AppealFacts:
    subject: str
    lodged_at: dt.datetime
    outcome: str | None


@dataclass
class YearStatistics:
    year: int
    received: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    open: int = 0
    median_days_to_acknowledge: float | None = None
    median_days_to_close: float | None = None
    appeals: int = 0
    appeals_upheld: int = 0
    appeals_dismissed: int = 0
    appeals_open: int = 0


def _median_days(spans: list[dt.timedelta]) -> float | None:
    if not spans:
        return None
    return round(statistics.median(s.total_seconds() / 86400 for s in spans), 1)


def year_statistics(
    year: int, complaints: Iterable[ComplaintFacts], appeals: Iterable[AppealFacts]
) -> YearStatistics:
    """The public figures of *year*: complaints received that year by category and outcome,
    the median days to acknowledge and to close, and the appeals lodged that year."""
    out = YearStatistics(year)
    acks: list[dt.timedelta] = []
    closes: list[dt.timedelta] = []
    out.by_category = {c: 0 for c in CATEGORIES}
    for c in complaints:
        if c.received_at.year != year:
            continue
        out.received += 1
        out.by_category[c.category] = out.by_category.get(c.category, 0) + 1
        if c.acknowledged_at is not None:
            acks.append(c.acknowledged_at - c.received_at)
        if c.decided_at is not None and c.outcome is not None:
            closes.append(c.decided_at - c.received_at)
            out.by_outcome[c.outcome] = out.by_outcome.get(c.outcome, 0) + 1
        else:
            out.open += 1
    out.median_days_to_acknowledge = _median_days(acks)
    out.median_days_to_close = _median_days(closes)
    for a in appeals:
        if a.lodged_at.year != year:
            continue
        out.appeals += 1
        if a.outcome == "upheld":
            out.appeals_upheld += 1
        elif a.outcome == "dismissed":
            out.appeals_dismissed += 1
        else:
            out.appeals_open += 1
    return out
