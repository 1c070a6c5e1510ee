"""The migrations build exactly the schema the models describe, and can be undone and redone.

Each test starts from a fresh, empty database of its own (the session's test database is not
touched): a SQLite file, or a second database on the PostgreSQL server of TEST_DATABASE_URL.
"""

import os
from pprint import pformat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

from core.app import create_app
from core.extensions import db

FRESH_DATABASE = "migrations_check"


@pytest.fixture
def fresh_url(tmp_path):
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = make_url(server_url)
    server = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    drop = text(f"DROP DATABASE IF EXISTS {FRESH_DATABASE} WITH (FORCE)")
    with server.connect() as conn:
        conn.execute(drop)  # left over from an interrupted run
        conn.execute(text(f"CREATE DATABASE {FRESH_DATABASE}"))
    try:
        yield url.set(database=FRESH_DATABASE).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(drop)
        server.dispose()


@pytest.fixture
def fresh_app(fresh_url):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=fresh_url)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        yield app
        db.session.remove()
        db.engine.dispose()


def schema_differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_migrations_build_the_schema_the_models_describe(fresh_app):
    upgrade(revision="heads")

    differences = schema_differences()
    assert differences == [], "the migrations and the models disagree:\n" + pformat(differences)
    assert table_names() == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}


def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds_it(fresh_app):
    upgrade(revision="heads")
    with db.engine.connect() as conn:
        head = MigrationContext.configure(conn).get_current_revision()
    assert head is not None

    downgrade(revision="base")

    assert table_names() == {"alembic_version"}
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is None
        if db.engine.dialect.name == "postgresql":
            # Nothing left behind outside the tables either: enum types or sequences.
            leftovers = conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relkind = 'S'"
                    " UNION ALL SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
                    " WHERE n.nspname = 'public' AND t.typtype = 'e'"
                )
            ).scalars()
            assert list(leftovers) == []

    upgrade(revision="heads")

    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
    differences = schema_differences()
    assert differences == [], "the migrations and the models disagree:\n" + pformat(differences)


def test_connection_settings(fresh_app):
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar().lower() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
        else:
            assert db.engine.dialect.name == "postgresql"
            assert int(conn.execute(text("SHOW server_version_num")).scalar()) >= 150000


def test_retention_migration_keeps_the_channel_runs_and_dates_deactivated_accounts(fresh_app):
    """0011_retention: the Channel-only runs become runs of the channel_cases schedule, and an
    account already deactivated gets its last change's day as its deactivation date."""
    upgrade(revision="0009_security_event_lookup")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO channel_retention_runs (ran_on, deleted_count, kept_open_count, run_by, created_at, "
                "updated_at) VALUES ('2025-04-01', 2, 1, 'flask retention run', '2025-04-01 06:00:00+00:00', "
                "'2025-04-01 06:00:00+00:00')"
            )
        )
        for email, active in (("gone@council.example", False), ("here@council.example", True)):
            conn.execute(
                text(
                    "INSERT INTO users (email, full_name, job_title, password_hash, active, must_change_password, "
                    "failed_logins, created_at, updated_at) VALUES (:email, 'A Person', '', 'x', :active, false, 0, "
                    "'2024-03-01 10:00:00+00:00', '2024-09-30 23:30:00+00:00')"
                ),
                {"email": email, "active": active},
            )
    upgrade(revision="heads")
    with db.engine.connect() as conn:
        runs = conn.execute(
            text("SELECT schedule, ran_on, removed_count, kept_count, oldest_due_on, run_by FROM retention_runs")
        ).all()
        users = conn.execute(text("SELECT email, deactivated_on FROM users ORDER BY email")).all()
    assert [(r[0], str(r[1]), r[2], r[3], r[4], r[5]) for r in runs] == [
        ("channel_cases", "2025-04-01", 2, 1, None, "flask retention run")
    ]
    assert [(u[0], u[1] and str(u[1])) for u in users] == [
        ("gone@council.example", "2024-09-30"),
        ("here@council.example", None),
    ]
    assert "channel_retention_runs" not in table_names()
    downgrade(revision="0009_security_event_lookup")
    with db.engine.connect() as conn:
        back = conn.execute(text("SELECT ran_on, deleted_count, kept_open_count FROM channel_retention_runs")).all()
    assert [(str(r[0]), r[1], r[2]) for r in back] == [("2025-04-01", 2, 1)]
