"""Fixtures for the certificate tests: a decided application built directly through the
models, a certifying score, and ``issue`` to run the pipeline inside an app context."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from certify import clock
from certify.applications.models import Application
from certify.audit.models import AuditEvent
from certify.certificates.models import Certificate, StatusList
from certify.core.actor import Actor
from certify.core.rubric.samples import sample_answers
from certify.core.scoring.engine import score

REVIEWER = Actor.user("reviewer-public-id")


def answers_for(rubric, level: int = 3, gates: bool = True) -> dict[str, Any]:
    """Answers to every criterion: gates *gates*, levels *level*, numbers in the top band."""
    return sample_answers(rubric, level, gates=gates)


@pytest.fixture
def rubric(app):
    from certify.standards.operations import get_rubric

    with app.app_context():
        return get_rubric("isrps", "1.0")


@pytest.fixture
def make_application(app, session, create_user, rubric):
    """``make_application(user=None)``: a decided application of a (new) ISSP's organisation,
    with its one site in scope."""

    def make(user=None, org_name: str | None = None) -> Application:
        user = user or create_user("issp", org_name=org_name)
        org = user.organisation
        application = Application(
            organisation_id=org.id,
            state="decided",
            standard_id=rubric.id,
            standard_version=rubric.version,
            standard_sha256=rubric.sha256,
            services="Data annotation and multilingual customer support",
            site_ids=json.dumps([s.public_id for s in org.sites]),
            decided_at=clock.now(),
            decision="certified",
        )
        session.add(application)
        session.commit()
        return application

    return make


@pytest.fixture
def issue(app, session, rubric):
    """``issue(application, level=3, decided_at=None)``: run the real pipeline, commit."""
    from certify.lifecycle import issue_certificate

    def run(application, level: int = 3, decided_at: dt.datetime | None = None):
        result = score(rubric, answers_for(rubric, level))
        with app.app_context():
            certificate = issue_certificate(
                session,
                application,
                score=result,
                rubric=rubric,
                decided_at=decided_at or clock.now(),
                actor=REVIEWER,
            )
            session.commit()
        return certificate

    return run


def counts(session) -> dict[str, Any]:
    """What an issuance changes in the database, to compare before and after."""
    session.expire_all()
    return {
        "certificates": session.scalar(select(func.count()).select_from(Certificate)),
        "lists": sorted(
            (row.purpose, row.list_id, row.credential_sha256)
            for row in session.scalars(select(StatusList))
        ),
        "list_bits": sorted(
            (row.list_id, bytes(row.bits)) for row in session.scalars(select(StatusList))
        ),
        "issued_events": session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "certificate.issued")
        ),
        "events": session.scalar(select(func.count()).select_from(AuditEvent)),
    }
