"""Migrations build the schema, match the models, and keep times in UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from certify.db import UTCDateTime, make_engine, upgrade_database
from certify.models import Base


def test_models_and_migrations_do_not_drift(migrated_engine) -> None:
    """Fails when a model changes without a migration (or the other way round)."""
    with migrated_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_the_drift_check_notices_a_missing_migration(migrated_engine) -> None:
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    Table("not_migrated", metadata, Column("id", Integer, primary_key=True))
    with migrated_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert any(d[0] == "add_table" and d[1].name == "not_migrated" for d in diff)


def test_upgrade_is_idempotent(fresh_database_url) -> None:
    engine = make_engine(fresh_database_url)
    upgrade_database(engine)  # a second time: nothing to do, no error
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
    engine.dispose()


def test_utc_datetimes_round_trip_aware(migrated_engine) -> None:
    table = Table(
        "tz_probe", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime())
    )
    with migrated_engine.connect() as conn:
        trans = conn.begin()
        table.create(conn)
        nairobi = dt.timezone(dt.timedelta(hours=3))
        conn.execute(
            insert(table).values(id=1, at=dt.datetime(2026, 3, 1, 10, 0, 0, 5, tzinfo=nairobi))
        )
        value = conn.execute(select(table.c.at)).scalar_one()
        trans.rollback()
    assert value.tzinfo is not None and value.utcoffset() == dt.timedelta(0)
    assert value == dt.datetime(2026, 3, 1, 7, 0, 0, 5, tzinfo=dt.UTC)


def test_naive_datetimes_are_refused(migrated_engine) -> None:
    table = Table(
        "tz_probe2",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )
    with migrated_engine.connect() as conn:
        trans = conn.begin()
        table.create(conn)
        with pytest.raises(Exception, match="naive datetime"):
            conn.execute(insert(table).values(id=1, at=dt.datetime(2026, 3, 1)))
        trans.rollback()


def test_upgrading_past_the_account_changes_keeps_every_account(tmp_path) -> None:
    """0010 drops columns of user_account, which others refer to: the rows and all
    that refers to them survive (a copy-and-drop of the table would have deleted user roles),
    and downgrading and upgrading again works."""
    from tests.conftest import new_database_url

    url, cleanup = new_database_url(str(tmp_path), "accounts")
    engine = make_engine(url)
    try:
        upgrade_database(engine, "0009")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO user_account (id, public_id, email, email_normalised, "
                    "full_name, password_hash, is_active, session_version, failed_logins, "
                    "created_at) VALUES (1, 'u1', 'A@x.org', 'a@x.org', 'A', 'h', :t, 1, 3, "
                    ":now)"
                ),
                {"t": True, "now": dt.datetime(2026, 1, 1)},
            )
            conn.execute(text("INSERT INTO user_role (id, user_id, role) VALUES (1, 1, 'admin')"))
        upgrade_database(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT email FROM user_account")).scalars().all() == [
                "A@x.org"
            ]
            assert conn.execute(text("SELECT role FROM user_role")).scalars().all() == ["admin"]
        with engine.begin() as conn:
            from alembic import command

            from certify.db import alembic_config

            command.downgrade(alembic_config(conn), "0009")
        upgrade_database(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM user_role")).scalar() == 1
    finally:
        engine.dispose()
        cleanup()  # type: ignore[operator]


def test_notes_written_before_0013_stay_auditor_only(tmp_path) -> None:
    """0013 splits the auditor's notes into findings (shown to the ISSP) and auditor-only
    notes: notes written before it were never meant for the ISSP, so they become auditor-only."""
    from tests.conftest import new_database_url

    url, cleanup = new_database_url(str(tmp_path), "notes")
    engine = make_engine(url)
    now = {"now": dt.datetime(2026, 1, 1)}
    try:
        upgrade_database(engine, "0012")
        with engine.begin() as conn:
            for statement in (
                "INSERT INTO user_account (id, public_id, email, email_normalised, full_name, "
                "password_hash, is_active, created_at) VALUES (1, 'u1', 'a@x.org', 'a@x.org', "
                "'A', 'h', true, :now)",
                "INSERT INTO organisation (id, public_id, legal_name, country, "
                "registration_number, created_at) VALUES (1, 'o1', 'Org', 'KE', 'R1', :now)",
                "INSERT INTO application (id, public_id, organisation_id, state, standard_id, "
                "standard_version, standard_sha256, created_at, updated_at, assignment_round) "
                "VALUES (1, 'a1', 1, 'in_audit', 'isrps', '1.0', 'x', :now, :now, 1)",
                "INSERT INTO audit_answer (id, application_id, criterion_id, answer, notes, "
                "updated_at, updated_by_id) VALUES (1, 1, 'FW-7', '{}', 'Owner nervous', :now, 1),"
                " (2, 1, 'FW-8', '{}', NULL, :now, 1)",
            ):
                conn.execute(text(statement), now)
        upgrade_database(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT criterion_id, notes, private_notes FROM audit_answer ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [("FW-7", None, "Owner nervous"), ("FW-8", None, None)]
    finally:
        engine.dispose()
        cleanup()  # type: ignore[operator]
