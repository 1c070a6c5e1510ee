"""Backup and restore for real: a snapshot taken while the app writes, restored into a new,
empty instance (a new SQLite file or PostgreSQL database, a new storage folder), compared by a
checksum of every table and every file."""

import hashlib
import io
import json
import os
import tarfile
import threading
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from core.app import create_app
from core.audit import acting_as
from core.backup import BackupError, create_backup, restore_backup
from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo
from core.extensions import db
from core.storage import S3Storage, get_storage
from core.tenancy import every_partnership_connection
from core.vocab import Role
from partnership.demo import DEMO_LOGINS
from plans.models import EvidenceFile
from tests.conftest import sign_in
from tests.core.test_storage import CREDENTIALS, REGION, _new_bucket, s3_endpoint  # noqa: F401 - a fixture


def table_checksums(engine) -> dict[str, str]:
    """Every table's rows, in primary-key order, hashed."""
    sums = {}
    with engine.connect() as conn:
        every_partnership_connection(conn)  # every partnership's rows (row-level security)
        inspector = inspect(conn)
        for table in sorted(inspector.get_table_names()):
            keys = inspector.get_pk_constraint(table)["constrained_columns"] or [
                c["name"] for c in inspector.get_columns(table)
            ]
            order = ", ".join(f'"{k}"' for k in keys)
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}')):  # noqa: S608 - our names
                digest.update(repr(tuple(row)).encode())
                count += 1
            sums[table] = f"{count}:{digest.hexdigest()}"
    return sums


def file_checksums(storage) -> dict[str, str]:
    """Every stored file's checksum, but the import stash's: backups leave it out by design."""
    return {
        key: hashlib.sha256(storage.get(key)).hexdigest()
        for key in storage.keys()  # noqa: SIM118 - storage, not a dict
        if not key.startswith("imports/")
    }


@contextmanager
def fresh_instance(app, tmp_path):
    """A second app on a new, empty database and an empty storage folder."""
    source = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"restore_{uuid.uuid4().hex[:10]}"
    if source.get_backend_name() == "postgresql":
        admin = create_engine(source, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = source.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / (name + '.db')}"
    other = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path / name / "uploads"))
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
        if source.get_backend_name() == "postgresql":
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture
def demo(app, world):
    """The world plus the whole demo partnership: every kind of record and evidence file."""
    with app.app_context(), acting_as("test"):
        load_demo()
        db.session.commit()


def _writer(app, world, stop: threading.Event, written: list[int]) -> None:
    """A SPOC uploading evidence through the app, one request after another, like a busy user."""
    client = app.test_client()
    spoc = world.users[Role.SPOC]
    assert sign_in(client, spoc.email, spoc.password).status_code == 302
    n = 0
    while not stop.is_set():
        n += 1
        data = b"%PDF-1.4 written during the backup " + str(n).encode()
        response = client.post(
            f"/plans/{world.plan_id}/rows/{world.row_id}/evidence",
            data={"file": (io.BytesIO(data), f"during-{n}.pdf"), "note": f"during {n}"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        written.append(n)


def test_backup_while_writing_then_restore_reproduces_every_record_and_file(app, world, demo, tmp_path):
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_writer, args=(app, world, stop, written))
    writer.start()
    try:
        while len(written) < 3:  # the writer is well under way
            threading.Event().wait(0.01)
        with app.app_context():
            during = create_backup(tmp_path / "during.tar.gz")
    finally:
        stop.set()
        writer.join()
    assert len(written) > 3

    with app.app_context():
        quiet = create_backup(tmp_path / "quiet.tar.gz")
        source_tables = table_checksums(db.engine)
        source_files = file_checksums(get_storage())
    assert len(quiet["files"]) == len(source_files) > 10
    assert sum(int(v.split(":")[0]) for v in source_tables.values()) > 500

    # The quiet snapshot restored into an empty instance is the same, table by table and file by file.
    with fresh_instance(app, tmp_path) as other, other.app_context():
        restore_backup(tmp_path / "quiet.tar.gz")
        assert table_checksums(db.engine) == source_tables
        assert file_checksums(get_storage()) == source_files
        # The restored instance works: the demo's users sign in and see their data.
        _, email = DEMO_LOGINS[0]
        signed_in = sign_in(other.test_client(), email, DEMO_PASSWORD, secret=DEMO_TOTP_SECRET)
        assert signed_in.status_code == 302

    # The snapshot taken mid-write is consistent: whole transactions only, every file present.
    with fresh_instance(app, tmp_path) as other, other.app_context():
        restore_backup(tmp_path / "during.tar.gz")
        rows = db.session.scalars(select(EvidenceFile)).all()
        storage = get_storage()
        for evidence in rows:
            assert hashlib.sha256(storage.get(evidence.storage_key)).hexdigest() == source_files[evidence.storage_key]
        restored = sorted(int(e.note.split()[1]) for e in rows if e.note.startswith("during "))
        # Whole requests only, in order: the uploads that made it are exactly the first few.
        assert restored == list(range(1, len(restored) + 1))
        assert 0 < len(restored) <= len(written)
        for evidence in rows:
            if evidence.note.startswith("during "):
                assert source_files[evidence.storage_key] == evidence.sha256
        assert len(during["files"]) >= len(rows)


def test_restore_refuses_a_damaged_archive_and_writes_nothing(app, world, tmp_path):
    with app.app_context():
        create_backup(tmp_path / "good.tar.gz")
    # One byte changed in a stored file; the manifest still has the old checksum.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(tmp_path / "good.tar.gz", "r:gz") as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("files/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.addfile(member, io.BytesIO(data))
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes((tmp_path / "good.tar.gz").read_bytes()[:-200])

    with fresh_instance(app, tmp_path) as other, other.app_context():
        with pytest.raises(BackupError, match=r"files/evidence/.* does not match its checksum: the archive is damaged"):
            restore_backup(damaged)
        with pytest.raises(BackupError, match="cannot be read"):
            restore_backup(truncated)
        result = other.test_cli_runner().invoke(args=["restore", str(damaged)])
        assert result.exit_code == 1 and "the archive is damaged" in result.output
        assert inspect(db.engine).get_table_names() == []
        assert get_storage().keys() == []


def test_restore_refuses_a_database_that_is_not_empty(app, world, tmp_path):
    with app.app_context():
        create_backup(tmp_path / "b.tar.gz")
        before = table_checksums(db.engine)
        with pytest.raises(BackupError, match="the database is not empty"):
            restore_backup(tmp_path / "b.tar.gz")
        assert table_checksums(db.engine) == before


def test_backup_command_writes_the_archive_or_nothing(app, world, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "nightly.tar.gz"
    result = runner.invoke(args=["backup", "-o", str(target)])
    assert result.exit_code == 0, result.output
    with tarfile.open(target, "r:gz") as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
    assert manifest["revision"] and manifest["database"] in ("sqlite", "postgresql")
    assert [f["key"] for f in manifest["files"]] == get_storage_keys(app)

    # A stored file that cannot be read (a dangling link in the storage folder): the backup
    # fails with a message and leaves no archive, half-written or otherwise.
    broken = tmp_path / "broken.tar.gz"
    link = os.path.join(app.config["UPLOAD_FOLDER"], "evidence", "zz-missing.pdf")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink("/nonexistent/file.pdf", link)
    try:
        result = runner.invoke(args=["backup", "-o", str(broken)])
    finally:
        os.unlink(link)
    assert result.exit_code == 1 and "the file store could not be read" in result.output
    assert not broken.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def get_storage_keys(app) -> list[str]:
    """Every stored key but the import stash's, which backups leave out."""
    with app.app_context():
        return [k for k in get_storage().keys() if not k.startswith("imports/")]  # noqa: SIM118 - storage


def test_backup_and_restore_with_object_storage(app, world, tmp_path, monkeypatch, s3_endpoint):  # noqa: F811
    source = S3Storage(_new_bucket(s3_endpoint), endpoint_url=s3_endpoint, region=REGION, **CREDENTIALS)
    monkeypatch.setitem(app.extensions, "storage", source)
    for n in range(3):
        source.put(f"evidence/s3/{n}.bin", bytes(range(256)) * (n + 1))
    with app.app_context():
        create_backup(tmp_path / "s3.tar.gz")
        tables = table_checksums(db.engine)
    with fresh_instance(app, tmp_path) as other, other.app_context():
        target = S3Storage(_new_bucket(s3_endpoint), endpoint_url=s3_endpoint, region=REGION, **CREDENTIALS)
        other.extensions["storage"] = target
        restore_backup(tmp_path / "s3.tar.gz")
        assert table_checksums(db.engine) == tables
        assert file_checksums(target) == file_checksums(source) and len(target.keys()) == 3
