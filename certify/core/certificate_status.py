"""Certificate statuses and the changes allowed between them, as a table.

A certificate is issued ``active``. From there (ISO/IEC 17065 and DESIGN.md, "Certificate
statuses"):

============  ==========  ==========================================================
from          to          what it is
============  ==========  ==========================================================
active        suspended   suspend (for a while, with a reason)
suspended     active      reinstate
active        withdrawn   withdraw (final)
suspended     withdrawn   withdraw (final; also when a suspension lapses)
superseded    withdrawn   withdraw a renewed certificate's predecessor (final)
active        superseded  supersede (renewal)
suspended     superseded  supersede (renewal)
active        expired     record the expiry of an unrenewed certificate (scheduler)
expired       withdrawn   withdraw an expired certificate (fraud found later; final)
============  ==========  ==========================================================

Nothing leaves ``withdrawn``: withdrawal is final, under any interleaving of requests (the
operations check this table under a row lock, and ``log verify`` checks every certificate's
logged history against it). ``expired`` follows from the date and is never stored in the
certificate's status column; the scheduler *records* it once for an active certificate (a
status-change row and a public log entry, ``certify.lifecycle.expire_certificate``), so its
history says so. A suspended certificate reads ``suspended`` past its date (the verdicts'
order) until it is reinstated (then it expires) or its suspension lapses (then withdrawn).

:data:`STATUS_BITS` says what each change does to the two Bitstring Status List bits a
certificate holds (``revocation`` and ``suspension``). Superseding leaves both alone: a set bit
tells every generic verifier "revoked" or "suspended", which a renewal is not. Expiry leaves
them alone too: the credential's own ``validUntil`` already says it to every verifier, and a
revocation bit would make an expired certificate read "withdrawn".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from certify.core import labels


class CertificateStatus(enum.StrEnum):
    """Stored statuses, and ``expired`` (never stored in the status column: it follows from
    the date; its recording is a status change all the same)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return labels.status(self.value)


_S = CertificateStatus

#: ``(from, to)`` → the action's name; every stored change must be one of these.
TRANSITIONS: Mapping[tuple[CertificateStatus, CertificateStatus], str] = MappingProxyType(
    {
        (_S.ACTIVE, _S.SUSPENDED): "suspend",
        (_S.SUSPENDED, _S.ACTIVE): "reinstate",
        (_S.ACTIVE, _S.WITHDRAWN): "withdraw",
        (_S.SUSPENDED, _S.WITHDRAWN): "withdraw",
        (_S.SUPERSEDED, _S.WITHDRAWN): "withdraw",
        (_S.ACTIVE, _S.SUPERSEDED): "supersede",
        (_S.SUSPENDED, _S.SUPERSEDED): "supersede",
        (_S.ACTIVE, _S.EXPIRED): "expire",
        (_S.EXPIRED, _S.WITHDRAWN): "withdraw",
    }
)

#: The status-list bits each new status sets (True) or clears (False); absent: unchanged.
STATUS_BITS: Mapping[CertificateStatus, Mapping[str, bool]] = MappingProxyType(
    {
        _S.SUSPENDED: MappingProxyType({"suspension": True}),
        _S.ACTIVE: MappingProxyType({"suspension": False}),
        _S.WITHDRAWN: MappingProxyType({"revocation": True, "suspension": False}),
        _S.SUPERSEDED: MappingProxyType({}),
        _S.EXPIRED: MappingProxyType({}),
    }
)


class StatusTransitionError(ValueError):
    """A status change the table does not allow."""


def check_transition(before: CertificateStatus, after: CertificateStatus) -> str:
    """The action that moves a certificate from *before* to *after*.

    Raises:
        StatusTransitionError: the table has no such change (for example anything out of
            ``withdrawn``, or out of ``expired`` except into ``withdrawn``).
    """
    action = TRANSITIONS.get((before, after))
    if action is None:
        if before is _S.WITHDRAWN:
            raise StatusTransitionError("a withdrawn certificate stays withdrawn")
        raise StatusTransitionError(f"a certificate cannot go from {before} to {after}")
    return action


def history_problems(statuses: Iterable[str]) -> list[str]:
    """Check a certificate's sequence of statuses, starting at issuance (``active``) and
    followed by each change's new status, against the table; one message per bad step (an
    empty list when the history is possible)."""
    problems = []
    previous: CertificateStatus | None = None
    for position, value in enumerate(statuses):
        try:
            status = CertificateStatus(value)
        except ValueError:
            problems.append(f"step {position}: unknown status {value!r}")
            continue
        if previous is None:
            if status is not _S.ACTIVE:
                problems.append(f"step {position}: a certificate starts active, not {status}")
        else:
            try:
                check_transition(previous, status)
            except StatusTransitionError as exc:
                problems.append(f"step {position}: {exc}")
        previous = status
    return problems
