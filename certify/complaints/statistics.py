"""The public yearly figures of complaints and appeals: counts and times only, read as plain
facts (no text, no organisation, no person) and computed by the pure core."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certify.complaints.models import Appeal, Complaint
from certify.core.complaints import AppealFacts, ComplaintFacts, YearStatistics, year_statistics


def available_years(session: Session) -> list[int]:
    """Years with at least one complaint or appeal, newest first."""
    years = {t.year for t in session.scalars(select(Complaint.received_at))}
    years |= {t.year for t in session.scalars(select(Appeal.lodged_at))}
    return sorted(years, reverse=True)


def statistics_for(session: Session, year: int) -> YearStatistics:
    complaints = [
        ComplaintFacts(*row)
        for row in session.execute(
            select(
                Complaint.category,
                Complaint.received_at,
                Complaint.acknowledged_at,
                Complaint.decided_at,
                Complaint.outcome,
            )
        )
    ]
    appeals = [
        AppealFacts(*row)
        for row in session.execute(select(Appeal.subject, Appeal.lodged_at, Appeal.outcome))
    ]
    return year_statistics(year, complaints, appeals)
