"""Backups are for their owner's eyes only: mode 0600 whatever the umask, encrypted with BACKUP_KEY
(AES-256-GCM) when it is set, refused on restore with a wrong key or an altered archive (nothing
written), and without the import stash's temporary files."""

import base64
import io
import json
import os
import stat
import tarfile
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import inspect

from core import backup_crypto
from core.backup import BackupError, create_backup, restore_backup
from core.extensions import db
from core.storage import get_storage
from tests.core.test_backup import file_checksums, fresh_instance, table_checksums

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.urlsafe_b64encode(bytes(range(1, 33))).decode()


@contextmanager
def backup_key(app, key: str):
    before = app.config.get("BACKUP_KEY", "")
    app.config["BACKUP_KEY"] = key
    try:
        yield
    finally:
        app.config["BACKUP_KEY"] = before


@contextmanager
def umask(mask: int):
    before = os.umask(mask)
    try:
        yield
    finally:
        os.umask(before)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_nothing_restored(other) -> None:
    assert inspect(db.engine).get_table_names() == []
    assert get_storage().keys() == []  # noqa: SIM118 - storage, not a dict


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o777])
def test_the_archive_is_readable_by_its_owner_only_whatever_the_umask(app, world, tmp_path, mask):
    target = tmp_path / "b.tar.gz"
    target.write_bytes(b"an older archive, world-readable")
    target.chmod(0o644)
    with umask(mask), app.app_context():
        create_backup(target)
    assert mode(target) == 0o600
    with backup_key(app, KEY), umask(mask), app.app_context():
        create_backup(tmp_path / "sealed.tar.gz")
    assert mode(tmp_path / "sealed.tar.gz") == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.tar.gz", "sealed.tar.gz"]  # no partial left


def test_backup_command_says_whether_it_encrypted(app, world, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "-o", str(tmp_path / "plain.tar.gz")])
    assert result.exit_code == 0, result.output
    assert "readable by its owner only, not encrypted (BACKUP_KEY is not set)." in result.output
    with backup_key(app, KEY):
        result = app.test_cli_runner().invoke(args=["backup", "-o", str(tmp_path / "sealed.tar.gz")])
    assert result.exit_code == 0, result.output
    assert "readable by its owner only, encrypted with BACKUP_KEY." in result.output


def test_encrypted_round_trip_restores_every_record_and_file(app, world, tmp_path):
    archive = tmp_path / "sealed.tar.gz"
    with backup_key(app, KEY), app.app_context():
        manifest = create_backup(archive)
        source_tables = table_checksums(db.engine)
        source_files = file_checksums(get_storage())
    assert manifest["encrypted"] is True
    raw = archive.read_bytes()
    assert raw.startswith(b"PREVENT-BACKUP-AES256GCM-1\n")
    with pytest.raises(tarfile.ReadError):
        tarfile.open(archive, "r:gz").close()
    assert b"council.example" not in raw and b"world evidence" not in raw

    with fresh_instance(app, tmp_path) as other, backup_key(other, KEY), other.app_context():
        restore_backup(archive)
        assert table_checksums(db.engine) == source_tables
        assert file_checksums(get_storage()) == source_files


def test_a_wrong_key_is_refused_with_a_clear_message_and_nothing_is_written(app, world, tmp_path):
    archive = tmp_path / "sealed.tar.gz"
    with backup_key(app, KEY), app.app_context():
        create_backup(archive)
    with fresh_instance(app, tmp_path) as other, other.app_context():
        with backup_key(other, OTHER_KEY):
            with pytest.raises(BackupError) as refused:
                restore_backup(archive)
            assert (
                str(refused.value) == "BACKUP_KEY is not the key this archive was encrypted with; nothing was restored"
            )
            result = other.test_cli_runner().invoke(args=["restore", str(archive)])
            assert result.exit_code == 1
            assert "Error: BACKUP_KEY is not the key this archive was encrypted with" in result.output
        with pytest.raises(BackupError, match="^the archive is encrypted: set BACKUP_KEY to the key it was made with$"):
            restore_backup(archive)
        assert_nothing_restored(other)


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "add a byte", "change the header"])
def test_an_altered_archive_is_refused_and_nothing_is_written(app, world, tmp_path, damage):
    archive = tmp_path / "sealed.tar.gz"
    with backup_key(app, KEY), app.app_context():
        create_backup(archive)
    raw = bytearray(archive.read_bytes())
    if damage == "flip a byte":
        raw[len(raw) // 2] ^= 0x01
    elif damage == "cut short":
        del raw[-100:]
    elif damage == "add a byte":
        raw += b"\x00"
    else:  # the salt: the key check no longer matches, so it reads as another key's archive
        raw[len(backup_crypto.MAGIC)] ^= 0x01
    altered = tmp_path / "altered.tar.gz"
    altered.write_bytes(bytes(raw))
    expected = (
        "BACKUP_KEY is not the key this archive was encrypted with"
        if damage == "change the header"
        else "the archive does not decrypt: it has been altered, cut short or damaged; nothing was restored"
    )
    with fresh_instance(app, tmp_path) as other, backup_key(other, KEY), other.app_context():
        with pytest.raises(BackupError, match=expected):
            restore_backup(altered)
        assert_nothing_restored(other)


def test_chunks_cannot_be_dropped_reordered_or_cut_at_a_boundary(monkeypatch):
    monkeypatch.setattr(backup_crypto, "CHUNK", 64)
    key = bytes(range(32))
    plain = bytes(range(256)) * 3  # 768 bytes: 12 chunks of 64, the 12th written at close, flagged last
    sealed = io.BytesIO()
    writer = backup_crypto.EncryptingWriter(sealed, key)
    writer.write(plain[:100])
    writer.write(plain[100:])
    writer.close()
    data = sealed.getvalue()
    header, body = data[: backup_crypto.HEADER_SIZE], data[backup_crypto.HEADER_SIZE :]
    size = 64 + 16
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    assert [len(c) for c in chunks] == [64 + 16] * 12

    out = io.BytesIO()
    backup_crypto.decrypt_file(io.BytesIO(data), out, key)
    assert out.getvalue() == plain

    for altered in (
        header + b"".join(chunks[:-1]),  # the last chunk dropped: cut exactly at a boundary
        header + chunks[1] + chunks[0] + b"".join(chunks[2:]),  # two chunks swapped
        header + chunks[0] + b"".join(chunks),  # a chunk repeated
    ):
        with pytest.raises(backup_crypto.Tampered):
            backup_crypto.decrypt_file(io.BytesIO(altered), io.BytesIO(), key)

    empty = io.BytesIO()
    backup_crypto.EncryptingWriter(empty, key).close()
    out = io.BytesIO()
    backup_crypto.decrypt_file(io.BytesIO(empty.getvalue()), out, key)
    assert len(empty.getvalue()) == backup_crypto.HEADER_SIZE + 16 and out.getvalue() == b""


@pytest.mark.parametrize("key", ["not base64 at all!", base64.urlsafe_b64encode(b"too short").decode(), "A" * 60])
def test_a_malformed_key_is_refused_before_anything_is_written(app, world, tmp_path, key):
    with backup_key(app, key):
        result = app.test_cli_runner().invoke(args=["backup", "-o", str(tmp_path / "b.tar.gz")])
    assert result.exit_code == 1
    assert "Error: BACKUP_KEY must be 32 random bytes in URL-safe base64 (44 characters); make one with:" in (
        result.output
    )
    assert list(tmp_path.iterdir()) == []


def test_the_import_stash_is_left_out_of_backups(app, world, tmp_path):
    with app.app_context():
        upload = uuid.uuid4().hex
        get_storage().put(f"imports/{upload}.csv", b"Name,Email\nAnn Leaver,ann@example.org\n")
        get_storage().put(f"imports/{upload}.json", b"{}")
        try:
            manifest = create_backup(tmp_path / "b.tar.gz")
            kept = sorted(k for k in get_storage().keys() if not k.startswith("imports/"))  # noqa: SIM118
        finally:
            get_storage().delete(f"imports/{upload}.csv")
            get_storage().delete(f"imports/{upload}.json")
    assert [f["key"] for f in manifest["files"]] == kept and kept
    with tarfile.open(tmp_path / "b.tar.gz", "r:gz") as archive:
        names = archive.getnames()
        listed = json.loads(archive.extractfile("manifest.json").read())["files"]
    assert not [n for n in names if n.startswith("files/imports/")]
    assert [f["key"] for f in listed] == kept
