"""The test database between tests: emptied after each test, and the demo partnership restored
from a copy taken once per session instead of being built again (about a second each time).

Emptying deletes only from the tables that hold rows (one query finds them) and puts every id
sequence back to 1, so a test sees the same ids whichever tests ran before it. On SQLite the
demo copy is a backup of the whole database file (SQLite's online backup API); on PostgreSQL it
is a schema holding a copy of each table, inserted back in dependency order.
"""

import shutil
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.extensions import db

SNAPSHOT_SCHEMA = "demo_snapshot"


def _tables() -> list[str]:
    """Every table, parents before children."""
    return [t.name for t in db.metadata.sorted_tables]


def _sqlite_path(app: Flask) -> str:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database


def empty_database(app: Flask) -> None:
    """Delete every row and restart every id at 1; quick when most tables are already empty."""
    with app.app_context():
        db.session.remove()
        tables = _tables()
        with db.engine.begin() as conn:
            probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)
            filled = {name for (name,) in conn.execute(text(probe))}
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


class DemoSnapshot:
    """The demo partnership as loaded once, and the files it stored."""

    def __init__(self, app: Flask, folder: Path):
        self.app = app
        self.folder = folder
        self.uploads = Path(app.config["UPLOAD_FOLDER"])
        self.taken = False

    def take(self) -> None:
        """Copy the database as it stands (the demo, just committed) and the upload folder."""
        shutil.copytree(self.uploads, self.folder / "uploads", dirs_exist_ok=True)
        with self.app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE")
                    conn.exec_driver_sql(f"CREATE SCHEMA {SNAPSHOT_SCHEMA}")
                    conn.exec_driver_sql(
                        "; ".join(f"CREATE TABLE {SNAPSHOT_SCHEMA}.{t} AS TABLE public.{t}" for t in _tables())
                    )
            else:
                with (
                    sqlite3.connect(_sqlite_path(self.app)) as source,
                    sqlite3.connect(self.folder / "demo.db") as copy,
                ):
                    source.backup(copy)
        self.taken = True

    def restore(self) -> None:
        """Put the demo back into an emptied database, and any of its files a test removed."""
        shutil.copytree(self.folder / "uploads", self.uploads, dirs_exist_ok=True)
        with self.app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                tables = _tables()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql(
                        "; ".join(f"INSERT INTO public.{t} SELECT * FROM {SNAPSHOT_SCHEMA}.{t}" for t in tables)
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
                    sqlite3.connect(self.folder / "demo.db") as copy,
                    sqlite3.connect(_sqlite_path(self.app)) as target,
                ):
                    copy.backup(target)
