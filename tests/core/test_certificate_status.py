"""The certificate status table: what may follow what, and the check of a whole history."""

from __future__ import annotations

import itertools

import pytest

from certify.core.certificate_status import (
    STATUS_BITS,
    TRANSITIONS,
    CertificateStatus,
    StatusTransitionError,
    check_transition,
    history_problems,
)

S = CertificateStatus
STORED = [S.ACTIVE, S.SUSPENDED, S.WITHDRAWN, S.SUPERSEDED]

ALLOWED = {
    (S.ACTIVE, S.SUSPENDED),
    (S.SUSPENDED, S.ACTIVE),
    (S.ACTIVE, S.WITHDRAWN),
    (S.SUSPENDED, S.WITHDRAWN),
    (S.SUPERSEDED, S.WITHDRAWN),
    (S.ACTIVE, S.SUPERSEDED),
    (S.SUSPENDED, S.SUPERSEDED),
}


@pytest.mark.parametrize(("before", "after"), list(itertools.product(list(S), list(S))))
def test_every_pair_is_allowed_or_refused_as_the_table_says(before, after) -> None:
    if (before, after) in ALLOWED:
        assert check_transition(before, after) == TRANSITIONS[(before, after)]
    else:
        with pytest.raises(StatusTransitionError):
            check_transition(before, after)


@pytest.mark.parametrize("after", list(S))
def test_withdrawal_is_final(after) -> None:
    with pytest.raises(StatusTransitionError, match="stays withdrawn"):
        check_transition(S.WITHDRAWN, after)


def test_expired_is_never_a_change() -> None:
    assert all(S.EXPIRED not in pair for pair in TRANSITIONS)


def test_every_stored_status_says_what_it_does_to_the_bits() -> None:
    assert set(STATUS_BITS) == set(STORED)
    assert STATUS_BITS[S.WITHDRAWN] == {"revocation": True, "suspension": False}
    assert STATUS_BITS[S.SUPERSEDED] == {}


@pytest.mark.parametrize(
    ("history", "problems"),
    [
        (["active"], 0),
        (["active", "suspended", "active", "suspended", "withdrawn"], 0),
        (["active", "superseded", "withdrawn"], 0),
        (["active", "withdrawn", "suspended"], 1),  # the race the probe found
        (["active", "withdrawn", "active", "withdrawn", "suspended"], 2),
        (["suspended"], 1),  # a certificate starts active
        (["active", "expired"], 1),
        (["active", "lost"], 1),
    ],
)
def test_a_history_is_checked_step_by_step(history, problems) -> None:
    assert len(history_problems(history)) == problems
