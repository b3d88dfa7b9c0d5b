"""Issue 25, sign-in throttling as a weapon and an oracle: guessing makes the guesser wait, never
the account's owner elsewhere, and unknown e-mail addresses are answered like known ones."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from sqlalchemy import func, select

from certify.accounts.models import SignInThrottle
from certify.audit.models import AuditEvent
from tests.web.conftest import PASSWORD

GUESSER, OWNER = "203.0.113.66", "198.51.100.7"
WRONG = "not the password"
MESSAGE = re.compile(r"(The e-mail address or password is not correct[^<]*|Too many failed[^<]*)")


@pytest.fixture
def attempt(app, clock):
    """``attempt(email, password, address)``: a sign-in from a new browser at *address*."""

    def post(email: str, password: str, address: str):
        client = app.test_client()
        return client.post(
            "/login",
            data={"email": email, "password": password},
            environ_base={"REMOTE_ADDR": address},
        )

    return post


def message(response) -> str:
    found = MESSAGE.search(response.get_data(as_text=True))
    assert found is not None, response.get_data(as_text=True)
    return found.group(1)


def test_guessing_makes_the_guesser_wait_and_the_owner_elsewhere_signs_in(
    attempt, create_user
) -> None:
    user = create_user("auditor")
    for _ in range(5):
        assert attempt(user.email, WRONG, GUESSER).status_code == 401
    sixth = attempt(user.email, WRONG, GUESSER)
    assert sixth.status_code == 429
    assert int(sixth.headers["Retry-After"]) == 30
    assert "for this e-mail address from your network" in message(sixth)
    # while the guesser waits, even the right password is not checked from there
    assert attempt(user.email, PASSWORD, GUESSER).status_code == 429
    # the owner, somewhere else, is not refused because of someone else's guesses
    assert attempt(user.email, PASSWORD, OWNER).status_code == 302


def test_waits_grow_with_further_guesses_and_end(attempt, create_user, clock) -> None:
    user = create_user("auditor")
    retry_after = []
    for _ in range(9):
        response = attempt(user.email, WRONG, GUESSER)
        if response.status_code == 429 and "Retry-After" in response.headers:
            retry_after.append(int(response.headers["Retry-After"]))
            clock.advance(dt.timedelta(seconds=retry_after[-1]))
    # each wait about doubles (a little less: failures leak away while the guesser waits)
    assert retry_after[0] == 30 and len(retry_after) == 4
    assert all(later > 1.5 * earlier for earlier, later in itertools.pairwise(retry_after))
    clock.advance(dt.timedelta(minutes=4))
    assert attempt(user.email, PASSWORD, GUESSER).status_code == 302


def test_another_accounts_right_password_from_the_guessing_address_works(
    attempt, create_user
) -> None:
    """The probe's finding: from one address, another account's correct password got 429."""
    victim, colleague = create_user("auditor"), create_user("reviewer")
    for _ in range(10):
        attempt(victim.email, WRONG, GUESSER)
    assert attempt(colleague.email, PASSWORD, GUESSER).status_code == 302


def test_unknown_and_known_e_mail_addresses_get_the_same_answers(attempt, create_user) -> None:
    known = create_user("auditor").email
    unknown = "nobody-here@example.org"
    answers = {}
    for email, address in ((known, GUESSER), (unknown, OWNER)):
        answers[email] = [
            (r.status_code, r.headers.get("Retry-After"), message(r).replace(address, ""))
            for r in (attempt(email, WRONG, address) for _ in range(8))
        ]
    assert answers[known] == answers[unknown]
    assert [status for status, _after, _text in answers[known]] == [401] * 5 + [429] * 3


def test_spraying_many_accounts_from_one_address_makes_that_address_wait(
    attempt, create_user
) -> None:
    user = create_user("auditor")
    statuses = [attempt(f"spray{n}@example.org", WRONG, GUESSER).status_code for n in range(21)]
    assert statuses == [401] * 20 + [429]
    refused = attempt(user.email, PASSWORD, GUESSER)
    assert refused.status_code == 429 and "from your network" in message(refused)
    assert attempt(user.email, PASSWORD, OWNER).status_code == 302


def test_guessing_from_many_addresses_alerts_the_owner_once_and_never_locks_them_out(
    attempt, create_user, session
) -> None:
    user = create_user("auditor")
    for n in range(30):
        assert attempt(user.email, WRONG, f"192.0.2.{n}").status_code == 401
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.throttled")
    ).all()
    assert [(e.subject_type, e.subject_id, e.actor) for e in events] == [
        ("user", user.public_id, "system:sign-in")
    ]
    assert "20 failed sign-in attempts" in (events[0].reason or "")
    assert attempt(user.email, PASSWORD, OWNER).status_code == 302


def test_guessing_an_unknown_address_alerts_nobody(attempt, session) -> None:
    for n in range(30):
        assert attempt("ghost@example.org", WRONG, f"192.0.2.{n}").status_code == 401
    throttled = select(func.count()).where(AuditEvent.action == "account.throttled")
    assert session.scalar(throttled) == 0


def test_a_right_password_forgets_that_clients_failures(attempt, create_user) -> None:
    user = create_user("auditor")
    for _ in range(4):
        attempt(user.email, WRONG, GUESSER)
    assert attempt(user.email, PASSWORD, GUESSER).status_code == 302
    for _ in range(5):
        assert attempt(user.email, WRONG, GUESSER).status_code == 401


def test_the_counters_hold_no_e_mail_or_address_and_are_pruned(
    attempt, create_user, session, clock
) -> None:
    user = create_user("auditor")
    attempt(user.email, WRONG, GUESSER)
    rows = session.scalars(select(SignInThrottle)).all()
    assert sorted(r.scope for r in rows) == ["account", "address", "pair"]
    for row in rows:
        assert user.email.lower() not in row.key_hash and GUESSER not in row.key_hash
    first = {row.key_hash for row in rows}
    clock.advance(dt.timedelta(days=2))
    attempt("someone@example.org", WRONG, OWNER)
    session.expunge_all()
    left = {row.key_hash for row in session.scalars(select(SignInThrottle))}
    assert len(left) == 3 and left.isdisjoint(first)
