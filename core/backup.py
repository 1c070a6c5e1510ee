"""Backup and restore: one archive holding a consistent database snapshot and every stored file.

`flask backup -o FILE` may run while the app is serving. The database is copied first
(SQLite: the online backup API; PostgreSQL: pg_dump, which reads one snapshot), then the
stored files. Files are write-once and written before the row that points at them is
committed, so every file the snapshot refers to is already there when it is copied.

The archive (.tar.gz) holds manifest.json (format, migration revision, database kind, time,
and the size and SHA-256 of every member), the database (database.sqlite3 or database.pgdump)
and files/<storage key>. It is written to a temporary file beside the target and renamed, so a
failed backup never leaves a half-written archive. The archive is readable by its owner only
(mode 0600, whatever the umask), and when BACKUP_KEY is set it is encrypted with AES-256-GCM
(core.backup_crypto). Temporary import files (the import stash) are left out: they are useful
for a day at most and hold names and staff numbers (see README, Retention).

`flask restore FILE` decrypts (refusing a wrong key or an altered archive) and checks every
checksum before it writes anything, and restores only into an empty database and empty file store.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404
import tarfile
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from core import backup_crypto, clock, tenancy
from core.extensions import db
from core.importing.stash import FOLDER as IMPORT_STASH
from core.storage import StorageError, check_key, get_storage

FORMAT = "prevent-backup/1"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore could not be done; the message says why and what to do."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_binary(name: str) -> str:
    """pg_dump / pg_restore: $PG_BIN, then PATH, then the newest /usr/lib/postgresql/*/bin."""
    candidates = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]) / name)
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    candidates.extend(p / name for p in versions if p.parent.name.isdigit())
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(f"{name} was not found: install the PostgreSQL client tools or set PG_BIN")


def _pg_args() -> tuple[str, dict[str, str]]:
    """The database as a libpq URL without the password, and an environment that carries it."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    # A backup holds, and a restore writes, every partnership's rows (core.tenancy).
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c {tenancy.SETTING}=*".strip()
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path() -> Path:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _revision() -> str:
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return ""
        return ",".join(sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()))


# --- backup --------------------------------------------------------------------------------


def _snapshot_database(folder: Path) -> tuple[str, Path]:
    kind = db.engine.dialect.name
    if kind == "sqlite":
        source = _sqlite_path()
        if not source.exists():
            raise BackupError(f"the database file {source} does not exist")
        target = folder / "database.sqlite3"
        # The online backup API copies a consistent image while other connections write.
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return kind, target
    if kind == "postgresql":
        target = folder / "database.pgdump"
        url, env = _pg_args()
        done = subprocess.run(  # noqa: S603 - fixed program and arguments, no shell  # nosec B603
            [
                _pg_binary("pg_dump"),
                "--enable-row-security",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(target),
                url,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        return kind, target
    raise BackupError(f"backups of {kind} databases are not supported")


def _backup_key() -> bytes | None:
    """The key from BACKUP_KEY, or None when it is not set; raises BackupError if it is malformed."""
    text = current_app.config.get("BACKUP_KEY") or ""
    if not text.strip():
        return None
    try:
        return backup_crypto.parse_key(text)
    except backup_crypto.BadKey as exc:
        raise BackupError(str(exc)) from exc


def _private_file(folder: Path, name: str):
    """A new file beside the target that only its owner can read or write (0600, whatever the umask)."""
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb"), Path(tmp_name)


def create_backup(output: Path) -> dict:
    """Write the archive to ``output`` (mode 0600; encrypted when BACKUP_KEY is set); returns the
    manifest, with "encrypted" added."""
    output = Path(output)
    if not output.parent.is_dir():
        raise BackupError(f"the folder {output.parent} does not exist")
    key = _backup_key()
    storage = get_storage()
    with tempfile.TemporaryDirectory(prefix="prevent-backup-") as tmp:
        folder = Path(tmp)
        revision = _revision()
        kind, snapshot = _snapshot_database(folder)
        members = [{"name": snapshot.name, "size": snapshot.stat().st_size, "sha256": _file_sha256(snapshot)}]
        files = []
        handle, partial = _private_file(output.parent, output.name)
        try:
            with handle:
                sink = backup_crypto.EncryptingWriter(handle, key) if key else handle
                # Streamed ("w|gz"): the encrypting writer is written to in order, never sought.
                with tarfile.open(fileobj=sink, mode="w|gz") as archive:
                    archive.add(snapshot, arcname=snapshot.name)
                    try:
                        keys = [k for k in storage.keys() if not k.startswith(f"{IMPORT_STASH}/")]  # noqa: SIM118 - storage
                        for stored in keys:
                            data = storage.get(stored)
                            info = tarfile.TarInfo(f"files/{stored}")
                            info.size = len(data)
                            info.mtime = int(clock.now().timestamp())
                            info.mode = 0o600
                            archive.addfile(info, io.BytesIO(data))
                            files.append({"key": stored, "size": len(data), "sha256": _sha256(data)})
                    except StorageError as exc:
                        raise BackupError(f"the file store could not be read: {exc.message}") from exc
                    manifest = {
                        "format": FORMAT,
                        "created_at": clock.now().isoformat(timespec="seconds"),
                        "database": kind,
                        "revision": revision,
                        "members": members,
                        "files": files,
                    }
                    raw = json.dumps(manifest, indent=1).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size = len(raw)
                    info.mtime = int(clock.now().timestamp())
                    info.mode = 0o600
                    archive.addfile(info, io.BytesIO(raw))
                if key:
                    sink.close()
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return {**manifest, "encrypted": bool(key)}


# --- restore -------------------------------------------------------------------------------


def _safe_member(name: str) -> bool:
    return not name.startswith("/") and ".." not in name.split("/")


def _extract_file(archive: tarfile.TarFile, member: tarfile.TarInfo, folder: Path) -> None:
    """Write one checked regular file under ``folder``: its bytes only, never its owner, mode or links.

    Written out by hand rather than with ``extractall(filter="data")``, which Debian 12's
    Python (3.11.2) does not have; the members were checked by ``_safe_member`` first.
    """
    target = (folder / member.name).resolve()
    if not target.is_relative_to(folder.resolve()):
        raise BackupError(f"the archive holds an unexpected entry: {member.name}")
    source = archive.extractfile(member)
    if source is None:
        raise BackupError(f"the archive holds an unexpected entry: {member.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with source, target.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)


def read_archive(path: Path, folder: Path) -> dict:
    """Unpack ``path`` into ``folder`` and check every checksum; raises BackupError."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            names = set()
            for member in archive.getmembers():
                if not member.isfile() or not _safe_member(member.name):
                    raise BackupError(f"the archive holds an unexpected entry: {member.name}")
                names.add(member.name)
            if MANIFEST not in names:
                raise BackupError("the archive has no manifest; it is not a backup made by this service")
            for member in archive.getmembers():
                _extract_file(archive, member, folder)
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise BackupError(f"the archive cannot be read ({exc}); it is damaged or not a backup") from exc
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except ValueError as exc:
        raise BackupError("the archive's manifest is damaged") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"the archive is not a {FORMAT} backup")
    expected = [(m["name"], m["sha256"], m["size"]) for m in manifest["members"]]
    for entry in manifest["files"]:
        check_key(entry["key"])
        expected.append((f"files/{entry['key']}", entry["sha256"], entry["size"]))
    if len(names) != len(expected) + 1:
        raise BackupError("the archive holds files its manifest does not list; it has been altered")
    for name, sha256, size in expected:
        member = folder / name
        if not member.is_file():
            raise BackupError(f"the archive is missing {name}")
        if member.stat().st_size != size or _file_sha256(member) != sha256:
            raise BackupError(f"{name} does not match its checksum: the archive is damaged")
    return manifest


def _decrypted(path: Path, folder: Path) -> Path:
    """``path`` itself when it is a plain archive, else its decryption in ``folder`` (which
    only the owner can read); raises BackupError for a wrong key or an altered archive."""
    try:
        encrypted = backup_crypto.is_encrypted(path)
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    if not encrypted:
        return path
    key = _backup_key()
    if key is None:
        raise BackupError("the archive is encrypted: set BACKUP_KEY to the key it was made with")
    plain = folder / "archive.tar.gz"
    try:
        with path.open("rb") as source, plain.open("wb") as target:
            backup_crypto.decrypt_file(source, target, key)
    except backup_crypto.WrongKey as exc:
        raise BackupError("BACKUP_KEY is not the key this archive was encrypted with; nothing was restored") from exc
    except backup_crypto.Tampered as exc:
        raise BackupError(f"{exc}; nothing was restored") from exc
    return plain


def _database_is_empty() -> bool:
    with db.engine.connect() as conn:
        return not inspect(conn).get_table_names()


def restore_backup(path: Path) -> dict:
    """Restore ``path`` into this (empty) instance; returns the manifest. Checks everything
    before writing anything."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    storage = get_storage()
    kind = db.engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="prevent-restore-") as tmp:
        folder = Path(tmp) / "archive"
        folder.mkdir()
        manifest = read_archive(_decrypted(path, Path(tmp)), folder)
        if manifest["database"] != kind:
            raise BackupError(
                f"the backup is of a {manifest['database']} database and this instance uses {kind}; "
                "restore it into the same kind of database"
            )
        if not _database_is_empty():
            raise BackupError("the database is not empty; restore only into a new, empty database")
        try:
            if storage.keys():
                raise BackupError("the file store is not empty; restore only into a new, empty file store")
        except StorageError as exc:
            raise BackupError(f"the file store cannot be reached: {exc.message}") from exc
        db.session.remove()
        db.engine.dispose()
        if kind == "sqlite":
            src = sqlite3.connect(folder / "database.sqlite3")
            dst = sqlite3.connect(_sqlite_path(), timeout=30)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        else:
            url, env = _pg_args()
            done = subprocess.run(  # noqa: S603 - fixed program and arguments, no shell  # nosec B603
                [
                    _pg_binary("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                    url,
                    str(folder / "database.pgdump"),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=3600,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
        try:
            for entry in manifest["files"]:
                storage.put(entry["key"], (folder / "files" / entry["key"]).read_bytes())
        except StorageError as exc:
            raise BackupError(f"the files could not be stored: {exc.message}") from exc
    return manifest


# --- commands ------------------------------------------------------------------------------


@click.command("backup")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Archive to write.")
@with_appcontext
def backup_command(output: Path) -> None:
    """Back up the database and every stored file into one archive (safe while serving)."""
    from core.cli import fail

    try:
        manifest = create_backup(output)
    except BackupError as exc:
        fail([str(exc)])
    sealed = "encrypted with BACKUP_KEY" if manifest["encrypted"] else "not encrypted (BACKUP_KEY is not set)"
    click.echo(
        f"Wrote {output}: {manifest['database']} database, {len(manifest['files'])} file(s); "
        f"readable by its owner only, {sealed}."
    )


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(archive: Path) -> None:
    """Restore a backup into an empty database and file store."""
    from core.cli import fail

    try:
        manifest = restore_backup(archive)
    except BackupError as exc:
        fail([str(exc)])
    click.echo(
        f"Restored {archive} (made {manifest['created_at']}, revision {manifest['revision'] or 'none'}): "
        f"{len(manifest['files'])} file(s)."
    )
