"""The storage contract, run against a local folder and a real S3-compatible server (moto)."""

import errno
import os
import threading
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from core.app import create_app
from core.storage import (
    LocalStorage,
    S3Storage,
    StorageError,
    StorageKeyExists,
    StorageKeyMissing,
    check_key,
    get_storage,
)

REGION = "eu-west-2"
CREDENTIALS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}
#: Every byte value, so nothing is lost to an encoding on the way through.
BINARY = bytes(range(256)) * 64


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server on a free loopback port for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _new_bucket(endpoint: str) -> str:
    name = f"evidence-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@pytest.fixture
def s3_storage(s3_endpoint) -> S3Storage:
    return S3Storage(_new_bucket(s3_endpoint), endpoint_url=s3_endpoint, region=REGION, **CREDENTIALS)


@pytest.fixture
def local_storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "uploads")


@pytest.fixture(params=["local", "s3"])
def storage(request):
    return request.getfixturevalue(f"{request.param}_storage")


# The contract every backend keeps.


def test_put_then_get_returns_the_same_bytes(storage):
    storage.put("evidence/ab/abcdef.pdf", BINARY)
    assert storage.get("evidence/ab/abcdef.pdf") == BINARY


def test_exists_only_after_put(storage):
    assert not storage.exists("evidence/ab/abcdef.pdf")
    storage.put("evidence/ab/abcdef.pdf", b"%PDF-1.7")
    assert storage.exists("evidence/ab/abcdef.pdf")
    assert not storage.exists("evidence/ab/abcdeg.pdf")


def test_put_refuses_to_overwrite_and_keeps_the_original(storage):
    storage.put("evidence/ab/abcdef.pdf", b"original")
    with pytest.raises(StorageError) as raised:
        storage.put("evidence/ab/abcdef.pdf", b"replacement")
    assert isinstance(raised.value, StorageKeyExists)
    assert raised.value.message == "A file with this name is already stored"
    assert storage.get("evidence/ab/abcdef.pdf") == b"original"


def test_get_of_a_missing_key_raises_storage_error(storage):
    with pytest.raises(StorageKeyMissing):
        storage.get("evidence/ab/missing.pdf")


def test_empty_file_round_trips(storage):
    storage.put("imports/empty.csv", b"")
    assert storage.exists("imports/empty.csv")
    assert storage.get("imports/empty.csv") == b""


def test_keys_lists_what_was_put_under_a_prefix(storage):
    assert storage.keys() == []
    for key in ["evidence/ab/ab1.pdf", "evidence/cd/cd1.png", "imports/1234.xlsx", "evidence/ab/ab2.docx"]:
        storage.put(key, b"x")
    assert storage.keys() == ["evidence/ab/ab1.pdf", "evidence/ab/ab2.docx", "evidence/cd/cd1.png", "imports/1234.xlsx"]
    assert storage.keys("evidence/") == ["evidence/ab/ab1.pdf", "evidence/ab/ab2.docx", "evidence/cd/cd1.png"]
    assert storage.keys("evidence/ab/") == ["evidence/ab/ab1.pdf", "evidence/ab/ab2.docx"]
    assert storage.keys("evidence/ab/ab1") == ["evidence/ab/ab1.pdf"]
    assert storage.keys("imp") == ["imports/1234.xlsx"]
    assert storage.keys("nothing/") == []


def test_delete_removes_and_is_quiet_when_already_gone(storage):
    storage.put("imports/upload.xlsx", b"x")
    storage.delete("imports/upload.xlsx")
    assert not storage.exists("imports/upload.xlsx")
    assert storage.keys("imports/") == []
    storage.delete("imports/upload.xlsx")


BAD_KEYS = [
    "",
    "/evidence/a.pdf",
    "../a.pdf",
    "evidence/../../etc/passwd",
    "evidence/./a.pdf",
    "evidence//a.pdf",
    "evidence/",
    ".hidden",
    "evidence/.tmp-abc",
    "evidence\\a.pdf",
    "evidence/a b.pdf",
    "evidence/é.pdf",
    "evidence/a\x00.pdf",
    "evidence/a.pdf\n",
    "a" * 513,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused(storage, key):
    for call in (
        lambda: storage.put(key, b"x"),
        lambda: storage.get(key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
    ):
        with pytest.raises(ValueError):
            call()
    assert storage.keys() == []


@pytest.mark.parametrize("prefix", ["/", "../", "evidence/../", "evidence//", "a b", ".tmp"])
def test_bad_prefixes_are_refused(storage, prefix):
    with pytest.raises(ValueError):
        storage.keys(prefix)


def test_good_keys_are_accepted():
    for key in ["evidence/ab/0123abcdef.pdf", "imports/2f1c-4d.xlsx", "a", "A_b-c.d.e/f", "x" * 512]:
        assert check_key(key) == key


# The local folder: atomic, write-once, and nothing left behind on failure.


def _all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_local_files_live_under_the_root(local_storage):
    local_storage.put("evidence/ab/abcdef.pdf", b"x")
    assert _all_files(local_storage.root) == [local_storage.root / "evidence" / "ab" / "abcdef.pdf"]


def test_local_file_appears_only_when_complete(local_storage, monkeypatch):
    seen = {}
    real_fsync = os.fsync

    def fsync_and_look(fd):
        # Data is written but not yet linked into place: a reader must not see the key.
        seen.setdefault("exists", local_storage.exists("evidence/ab/abcdef.pdf"))
        seen.setdefault("keys", local_storage.keys())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_and_look)
    local_storage.put("evidence/ab/abcdef.pdf", BINARY)
    assert seen == {"exists": False, "keys": []}
    assert local_storage.get("evidence/ab/abcdef.pdf") == BINARY
    assert _all_files(local_storage.root) == [local_storage.root / "evidence" / "ab" / "abcdef.pdf"]


def test_local_disk_full_leaves_no_file_behind(local_storage, monkeypatch):
    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(StorageError) as raised:
        local_storage.put("evidence/ab/abcdef.pdf", BINARY)
    assert raised.value.message == "The file could not be saved. Try again later."
    assert not local_storage.exists("evidence/ab/abcdef.pdf")
    assert _all_files(local_storage.root) == []


def test_local_folder_that_cannot_be_made_raises_storage_error(local_storage):
    # A regular file where the folder should be: mkdir fails whoever runs the tests (even root).
    local_storage.root.mkdir()
    (local_storage.root / "evidence").write_bytes(b"not a folder")
    with pytest.raises(StorageError):
        local_storage.put("evidence/ab/abcdef.pdf", b"x")
    assert _all_files(local_storage.root) == [local_storage.root / "evidence"]
    assert not local_storage.exists("evidence/ab/abcdef.pdf")
    with pytest.raises(StorageKeyMissing):
        local_storage.get("evidence/ab/abcdef.pdf")


def test_local_permission_error_raises_storage_error_and_leaves_nothing(local_storage, monkeypatch):
    """A folder the app may not write to. Tests run as root, where chmod stops nothing, so the
    refusal the operating system would give is raised at the point of linking the file in."""
    import errno

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(os, "link", refuse)
    with pytest.raises(StorageError):
        local_storage.put("evidence/ab/abcdef.pdf", b"x")
    folder = local_storage.root / "evidence" / "ab"
    assert list(folder.iterdir()) == []  # neither the file nor its temporary copy


def test_local_keys_skip_temporary_files_left_by_a_crash(local_storage):
    local_storage.put("evidence/ab/abcdef.pdf", b"x")
    (local_storage.root / "evidence" / "ab" / ".tmp-left-over").write_bytes(b"partial")
    assert local_storage.keys() == ["evidence/ab/abcdef.pdf"]
    assert local_storage.keys("evidence/ab/") == ["evidence/ab/abcdef.pdf"]


def test_local_concurrent_writers_of_one_key_one_wins(local_storage):
    results = {}
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        try:
            local_storage.put("evidence/ab/abcdef.pdf", f"writer {n}".encode() * 10_000)
            results[n] = "stored"
        except StorageKeyExists:
            results[n] = "refused"

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for n, result in results.items() if result == "stored"]
    assert len(winners) == 1 and len(results) == 8
    assert local_storage.get("evidence/ab/abcdef.pdf") == f"writer {winners[0]}".encode() * 10_000
    assert _all_files(local_storage.root) == [local_storage.root / "evidence" / "ab" / "abcdef.pdf"]


def test_local_keys_of_a_missing_root_is_empty(tmp_path):
    assert LocalStorage(tmp_path / "not-yet").keys() == []


# S3: the conditional write, and failures turned into StorageError.


def test_s3_conditional_write_refuses_even_when_the_check_misses(s3_storage, monkeypatch):
    """Another server writes the key between our check and our write."""
    s3_storage.put("evidence/ab/abcdef.pdf", b"first")
    monkeypatch.setattr(s3_storage, "exists", lambda key: False)
    with pytest.raises(StorageKeyExists):
        s3_storage.put("evidence/ab/abcdef.pdf", b"second")
    assert s3_storage.get("evidence/ab/abcdef.pdf") == b"first"


def test_s3_without_conditional_writes_falls_back_to_the_check(s3_storage, monkeypatch):
    real_put = s3_storage.client.put_object
    conditional_calls = []

    def put_object(**kwargs):
        if "IfNoneMatch" in kwargs:
            conditional_calls.append(kwargs["Key"])
            raise ClientError(
                {"Error": {"Code": "NotImplemented", "Message": "not supported"}, "ResponseMetadata": {}},
                "PutObject",
            )
        return real_put(**kwargs)

    monkeypatch.setattr(s3_storage.client, "put_object", put_object)
    s3_storage.put("evidence/ab/one.pdf", b"one")
    s3_storage.put("evidence/ab/two.pdf", b"two")
    assert conditional_calls == ["evidence/ab/one.pdf"]  # asked once, then remembered
    assert s3_storage.get("evidence/ab/two.pdf") == b"two"
    with pytest.raises(StorageKeyExists):
        s3_storage.put("evidence/ab/one.pdf", b"again")


def test_s3_missing_bucket_raises_storage_error(s3_endpoint):
    storage = S3Storage("no-such-bucket", endpoint_url=s3_endpoint, region=REGION, **CREDENTIALS)
    with pytest.raises(StorageError):
        storage.put("evidence/ab/abcdef.pdf", b"x")
    with pytest.raises(StorageError):
        storage.keys()


def test_s3_unreachable_server_raises_storage_error():
    storage = S3Storage("evidence", endpoint_url="http://127.0.0.1:9", region=REGION, **CREDENTIALS)
    with pytest.raises(StorageError) as raised:
        storage.exists("evidence/ab/abcdef.pdf")
    assert "Try again later" in raised.value.message
    for call in (
        lambda: storage.put("evidence/ab/abcdef.pdf", b"x"),
        lambda: storage.get("evidence/ab/abcdef.pdf"),
        lambda: storage.delete("imports/a.xlsx"),
        lambda: storage.keys(),
    ):
        with pytest.raises(StorageError):
            call()


# Wiring into the app.


def test_app_uses_the_upload_folder_by_default(tmp_path):
    app = create_app("test", UPLOAD_FOLDER=str(tmp_path / "uploads"))
    with app.app_context():
        storage = get_storage()
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "uploads"


def test_app_uses_s3_when_configured(s3_endpoint):
    bucket = _new_bucket(s3_endpoint)
    app = create_app(
        "test",
        STORAGE_BACKEND="s3",
        S3_BUCKET=bucket,
        S3_ENDPOINT_URL=s3_endpoint,
        S3_ACCESS_KEY_ID=CREDENTIALS["access_key"],
        S3_SECRET_ACCESS_KEY=CREDENTIALS["secret_key"],
    )
    with app.app_context():
        storage = get_storage()
        storage.put("imports/abc.xlsx", b"x")
    assert isinstance(storage, S3Storage)
    assert storage.bucket == bucket
    assert storage.client.meta.region_name == REGION


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"STORAGE_BACKEND": "s3", "S3_BUCKET": ""}, "S3_BUCKET must be set"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be local or s3"),
    ],
)
def test_app_refuses_incomplete_storage_settings(overrides, message):
    with pytest.raises(RuntimeError, match=message):
        create_app("test", **overrides)
