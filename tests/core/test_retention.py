"""The retention schedule (certify.core.retention)."""

from __future__ import annotations

import datetime as dt

from certify.core import retention

UTC = dt.UTC
UPLOADED = dt.datetime(2024, 2, 29, 12, tzinfo=UTC)


def test_kept_until_the_cycle_ends_plus_the_kinds_years() -> None:
    schedule = {"application": 2, "corrective_action": 1}
    end = dt.datetime(2027, 3, 1, tzinfo=UTC)
    assert retention.erase_after("application", UPLOADED, end, schedule) == end.replace(year=2029)
    assert retention.erase_after("corrective_action", UPLOADED, None, schedule) == (
        dt.datetime(2025, 2, 28, 12, tzinfo=UTC)
    )
    assert not retention.is_due(end, "application", UPLOADED, end, schedule)
    assert retention.is_due(end.replace(year=2029), "application", UPLOADED, end, schedule)


def test_kinds_and_bad_schedules() -> None:
    assert retention.retention_kind(None) == "application"
    assert retention.retention_kind(3) == "corrective_action"
    assert retention.schedule_problem({"application": 6}) is None
    assert "unknown kind" in str(retention.schedule_problem({"payslips": 6}))
    assert "whole years" in str(retention.schedule_problem({"application": -1}))
    assert "whole years" in str(retention.schedule_problem({"application": True}))
    assert "must map" in str(retention.schedule_problem([6]))
