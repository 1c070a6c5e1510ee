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
