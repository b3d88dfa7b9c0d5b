"""Log times run forwards (issue 20): an issuance is logged at its ``validFrom`` (rounded up
to the second: never before the decision), and a change in that second is recorded and
logged at it, never before; ``status?at=`` counts whole seconds and answers for events in
the same second (the log's order decides). A property test over random event sequences at
sub-second times."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certify.core.actor import Actor
from certify.lifecycle import reinstate_certificate, suspend_certificate, withdraw_certificate
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

ACTOR = Actor.cli("tests")
#: what a change may be applied to, and the status it leaves
CHANGES = {
    "suspend": ("active", "suspended"),
    "reinstate": ("suspended", "active"),
    "withdraw": (None, "withdrawn"),
}


def _apply(session, certificate, name: str) -> None:
    if name == "suspend":
        suspend_certificate(session, certificate, ACTOR, "fraud", "Checking records")
    elif name == "reinstate":
        reinstate_certificate(session, certificate, ACTOR, "Records checked")
    else:
        withdraw_certificate(session, certificate, ACTOR, "fraud", "Records forged")


def _time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _status(client, serial: str, at: dt.datetime) -> dict:
    stamp = at.isoformat().replace("+00:00", "Z")
    response = client.get(f"/api/v1/certificates/{serial}/status?at={stamp}")
    assert response.status_code == 200, response.data
    return response.get_json()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start_ms=st.integers(0, 999),
    steps=st.lists(
        st.tuples(st.sampled_from(sorted(CHANGES)), st.integers(0, 1600)), min_size=1, max_size=5
    ),
)
def test_log_times_run_forwards_and_status_at_answers_each_event(
    app, session, client, clock, make_application, issue, start_ms, steps
) -> None:
    # forwards from the last example (they share one log): an hour on, at a random fraction
    clock.set(clock.now().replace(microsecond=0) + dt.timedelta(hours=1, milliseconds=start_ms))
    certificate = issue(make_application())
    expected = ["active"]
    with app.app_context():
        for name, wait_ms in steps:
            clock.advance(dt.timedelta(milliseconds=wait_ms))
            allowed, after = CHANGES[name]
            if expected[-1] == "withdrawn" or (allowed and expected[-1] != allowed):
                continue
            _apply(session, certificate, name)
            session.commit()
            expected.append(after)
    valid_from = json.loads(certificate.credential)["validFrom"]
    now = max(clock.now(), _time(valid_from))
    answer = _status(client, certificate.serial, now)
    entries = [json.loads(e["entry"]) for e in answer["entries"]]
    times = [_time(e["time"]) for e in entries]
    assert len(entries) == len(expected)
    # forwards: never earlier than the entry before it, the first one the credential's
    assert times == sorted(times)
    assert entries[0]["event"] == "issued" and entries[0]["time"] == valid_from
    # the database's history runs forwards too, its changes never before the issuance
    changed = [c.changed_at for c in certificate.changes]
    assert changed == sorted(changed) and all(c >= times[0] for c in changed[1:])
    # at each logged time, the status after the last event logged at or before it
    for k, when in enumerate(times):
        last = max(i for i, t in enumerate(times) if t <= when)
        assert _status(client, certificate.serial, when)["status"] == expected[last], (k, times)
        half = when + dt.timedelta(milliseconds=500)  # sub-second precision of ?at=
        assert _status(client, certificate.serial, half)["status"] == expected[last]
    before = times[0] - dt.timedelta(seconds=1)
    assert _status(client, certificate.serial, before)["status"] == "not_issued"
    assert answer["status"] == expected[-1]
