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
#: every status a change may lead to: the stored ones, and a recorded expiry
CHANGED_TO = [*STORED, S.EXPIRED]

ALLOWED = {
    (S.ACTIVE, S.SUSPENDED),
    (S.SUSPENDED, S.ACTIVE),
    (S.ACTIVE, S.WITHDRAWN),
    (S.SUSPENDED, S.WITHDRAWN),
    (S.SUPERSEDED, S.WITHDRAWN),
    (S.ACTIVE, S.SUPERSEDED),
    (S.SUSPENDED, S.SUPERSEDED),
    (S.ACTIVE, S.EXPIRED),
    (S.EXPIRED, S.WITHDRAWN),
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


def test_only_an_active_certificate_expires_and_only_withdrawal_follows() -> None:
    assert [a for a, b in TRANSITIONS if b is S.EXPIRED] == [S.ACTIVE]
    assert [b for a, b in TRANSITIONS if a is S.EXPIRED] == [S.WITHDRAWN]


def test_every_change_says_what_it_does_to_the_bits() -> None:
    assert set(STATUS_BITS) == set(CHANGED_TO)
    assert STATUS_BITS[S.WITHDRAWN] == {"revocation": True, "suspension": False}
    assert STATUS_BITS[S.SUPERSEDED] == {}
    assert STATUS_BITS[S.EXPIRED] == {}  # validUntil says it; a bit would say "revoked"


@pytest.mark.parametrize(
    ("history", "problems"),
    [
        (["active"], 0),
        (["active", "suspended", "active", "suspended", "withdrawn"], 0),
        (["active", "superseded", "withdrawn"], 0),
        (["active", "withdrawn", "suspended"], 1),  # the race the probe found
        (["active", "withdrawn", "active", "withdrawn", "suspended"], 2),
        (["suspended"], 1),  # a certificate starts active
        (["active", "expired"], 0),
        (["active", "expired", "withdrawn"], 0),
        (["active", "expired", "active"], 1),
        (["active", "suspended", "expired"], 1),
        (["active", "lost"], 1),
    ],
)
def test_a_history_is_checked_step_by_step(history, problems) -> None:
    assert len(history_problems(history)) == problems
