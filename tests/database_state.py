"""The test database between tests: emptied after each test; and the data sets many tests start
from (the demo partnership, the small "world") restored from a copy taken once per session
instead of being built again (about a second for the demo, a tenth for the world, each time).

Emptying deletes only from the tables that hold rows (one query finds them) and puts every id
sequence back to 1, so a test sees the same ids whichever tests ran before it. On SQLite the
demo copy is a backup of the whole database file (SQLite's online backup API); on PostgreSQL it
is a schema holding a copy of each table, inserted back in dependency order.
"""

import copy
import shutil
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.extensions import db
from core.tenancy import every_partnership_connection


def _tables() -> list[str]:
    """Every table, parents before children."""
    return [t.name for t in db.metadata.sorted_tables]


def _sqlite_path(app: Flask) -> str:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database


def _filled_tables(conn, tables: list[str]) -> set[str]:
    every_partnership_connection(conn)
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)
    return {name for (name,) in conn.execute(text(probe))}


def is_empty(app: Flask) -> bool:
    """True when no table holds a row."""
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            return not _filled_tables(conn, _tables())


def empty_database(app: Flask) -> None:
    """Delete every row and restart every id at 1; quick when most tables are already empty."""
    with app.app_context():
        db.session.remove()
        tables = _tables()
        with db.engine.begin() as conn:
            filled = _filled_tables(conn, tables)
            if db.engine.dialect.name == "postgresql":
                if filled:
                    conn.exec_driver_sql("; ".join(f"DELETE FROM {t}" for t in reversed(tables) if t in filled))
                conn.exec_driver_sql(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c "
                    "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
                )
            else:
                # SQLite gives a new row the highest id + 1, so emptied tables start again at 1.
                for table in reversed(tables):
                    if table in filled:
                        conn.exec_driver_sql(f"DELETE FROM {table}")


class Snapshot:
    """A data set as built once (rows and stored files), to restore into an empty database."""

    def __init__(self, app: Flask, folder: Path, name: str):
        self.app = app
        self.folder = folder
        self.schema = f"snapshot_{name}"
        self.uploads = Path(app.config["UPLOAD_FOLDER"])
        self.taken = False
        #: What the builder returned (ids and the like), handed out again on every restore.
        self.value = None

    def take(self) -> None:
        """Copy the database as it stands (the data set, just committed) and the upload folder."""
        shutil.copytree(self.uploads, self.folder / f"{self.schema}-uploads", dirs_exist_ok=True)
        with self.app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    every_partnership_connection(conn)
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
                    conn.exec_driver_sql(f"CREATE SCHEMA {self.schema}")
                    conn.exec_driver_sql(
                        "; ".join(f"CREATE TABLE {self.schema}.{t} AS TABLE public.{t}" for t in _tables())
                    )
            else:
                with (
                    sqlite3.connect(_sqlite_path(self.app)) as source,
                    sqlite3.connect(self.folder / f"{self.schema}.db") as copy,
                ):
                    source.backup(copy)
        self.taken = True

    def restore(self) -> None:
        """Put the data set back into an empty database, and any of its files a test removed."""
        _copy_missing(self.folder / f"{self.schema}-uploads", self.uploads)
        with self.app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                tables = _tables()
                with db.engine.begin() as conn:
                    every_partnership_connection(conn)
                    conn.exec_driver_sql(
                        "; ".join(f"INSERT INTO public.{t} SELECT * FROM {self.schema}.{t}" for t in tables)
                    )
                    # Each id sequence continues after the highest id restored.
                    conn.exec_driver_sql(
                        "; ".join(
                            f"SELECT setval(pg_get_serial_sequence('public.{t}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM public.{t}), 0) + 1, false)"
                            for t in tables
                            if "id" in db.metadata.tables[t].c
                        )
                    )
            else:
                with (
                    sqlite3.connect(self.folder / f"{self.schema}.db") as copy,
                    sqlite3.connect(_sqlite_path(self.app)) as target,
                ):
                    copy.backup(target)


def build_or_restore(app: Flask, snapshot: Snapshot, build):
    """The data set ``build(app)`` makes, in this test's database. Built and copied the first time
    (and whenever the test already added rows of its own, so nothing of theirs is lost);
    restored from the copy otherwise. Returns what ``build`` returned."""
    if not is_empty(app):
        return build(app)
    if snapshot.taken:
        snapshot.restore()
        return copy.deepcopy(snapshot.value)  # a test may change what it is handed
    snapshot.value = build(app)
    snapshot.take()
    return copy.deepcopy(snapshot.value)


def _copy_missing(source: Path, target: Path) -> None:
    """Copy the files under ``source`` that ``target`` lacks (a test removed them)."""
    for path in source.rglob("*"):
        if path.is_file():
            destination = target / path.relative_to(source)
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
