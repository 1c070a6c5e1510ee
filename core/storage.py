"""Uploaded files behind one storage interface: a local folder, or S3-compatible object storage.

Files are write-once: a key is written one time and never replaced, so a stored piece of
evidence cannot change under the record that points at it. Several app servers share files
through object storage (or one shared folder). Keys are made by the server, never taken from
a user, and are checked strictly anyway.
"""

import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, current_app

log = logging.getLogger(__name__)

#: Slash-separated segments of letters, digits, ".", "_" and "-"; a segment never starts with
#: a dot, which rules out "." and ".." and keeps the local backend's temporary files apart.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
_PREFIX = re.compile(r"([A-Za-z0-9_-][A-Za-z0-9._-]*/)*([A-Za-z0-9_-][A-Za-z0-9._-]*)?")
_MAX_KEY_LENGTH = 512
_TEMP_PREFIX = ".tmp-"


class StorageError(Exception):
    """A file could not be stored or read; the message is safe to show to a user."""

    def __init__(self, message: str = "The file could not be saved. Try again later.") -> None:
        super().__init__(message)
        self.message = message


class StorageKeyExists(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__("A file with this name is already stored")
        self.key = key


class StorageKeyMissing(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__("The file could not be found")
        self.key = key


class Storage(Protocol):
    """Where uploaded files live. Keys look like "evidence/ab/abcdef....pdf"."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under a new ``key``; raises StorageKeyExists if it is taken."""

    def get(self, key: str) -> bytes:
        """The stored bytes; raises StorageKeyMissing if there are none."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove a temporary file (imports). Evidence is never deleted by the app."""

    def keys(self, prefix: str = "") -> list[str]:
        """Every stored key that starts with ``prefix``, sorted."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a well-formed storage key, else raise ValueError."""
    if not isinstance(key, str) or len(key) > _MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def _check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or len(prefix) > _MAX_KEY_LENGTH or not _PREFIX.fullmatch(prefix):
        raise ValueError(f"invalid storage key prefix: {prefix!r}")
    return prefix


class LocalStorage:
    """Files in a folder on this machine (or a folder that all app servers mount)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"<LocalStorage {self.root}>"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: bytes) -> None:
        # Write a temporary file beside the target, flush it to disk, then hard-link it into
        # place: the link is atomic and refuses an existing name, so a reader sees the whole
        # file or nothing, and two writers of one key cannot both win.
        path = self._path(key)
        if path.exists():
            raise StorageKeyExists(key)
        tmp_name = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.link(tmp_name, path)
            _fsync_dir(path.parent)
        except FileExistsError as exc:
            if path.exists():
                raise StorageKeyExists(key) from exc
            log.error("Could not store %s under %s: %s", key, self.root, exc)
            raise StorageError() from exc
        except OSError as exc:
            log.error("Could not store %s under %s: %s", key, self.root, exc)
            raise StorageError() from exc
        finally:
            if tmp_name is not None:
                _remove_quietly(tmp_name)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise StorageKeyMissing(key) from exc
        except OSError as exc:
            log.error("Could not read %s under %s: %s", key, self.root, exc)
            raise StorageError("The file could not be read. Try again later.") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except NotADirectoryError:
            return
        except OSError as exc:
            log.error("Could not delete %s under %s: %s", key, self.root, exc)
            raise StorageError("The file could not be removed. Try again later.") from exc

    def keys(self, prefix: str = "") -> list[str]:
        _check_prefix(prefix)
        # Walk only the folder the prefix names, not the whole store.
        folder = prefix.rpartition("/")[0]
        start = self.root.joinpath(*folder.split("/")) if folder else self.root
        found = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            relative = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                if name.startswith("."):  # temporary files of a write in progress (or a crash)
                    continue
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    found.append(key)
        return sorted(found)


def _fsync_dir(folder: Path) -> None:
    """Make the new directory entry durable too. The file is in place by now, so a failure
    here is logged rather than reported: the write has happened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open a folder
    try:
        os.fsync(fd)
    except OSError as exc:
        log.warning("Could not flush folder %s: %s", folder, exc)
    finally:
        os.close(fd)


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("Could not remove temporary file %s: %s", name, exc)


class S3Storage:
    """Objects in an S3 bucket, on AWS or any S3-compatible service (MinIO, Ceph, ...)."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "eu-west-2",
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        #: Cleared when the server answers that it does not support conditional writes.
        self.conditional_writes = True
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            # Without keys, boto3 finds credentials itself (instance role, ~/.aws, ...).
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=BotoConfig(
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
                # S3-compatible servers on their own host name usually want path-style URLs.
                s3={"addressing_style": "path" if endpoint_url else "auto"},
            ),
        )

    def __repr__(self) -> str:
        return f"<S3Storage {self.bucket} at {self.client.meta.endpoint_url}>"

    def put(self, key: str, data: bytes) -> None:
        check_key(key)
        # The head check covers servers without conditional writes; the condition closes the
        # gap between the check and the write where the server supports it.
        if self.exists(key):
            raise StorageKeyExists(key)
        try:
            if self.conditional_writes:
                try:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*")
                    return
                except ClientError as exc:
                    if _error_code(exc) not in {"NotImplemented", "501"}:
                        raise
                    log.warning("%r does not support conditional writes; relying on a check first", self)
                    self.conditional_writes = False
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        except ClientError as exc:
            # 412: the key appeared since the check; 409: another write to it is in progress.
            if _error_code(exc) in {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}:
                raise StorageKeyExists(key) from exc
            log.error("Could not store %s in %r: %s", key, self, exc)
            raise StorageError() from exc
        except BotoCoreError as exc:
            log.error("Could not store %s in %r: %s", key, self, exc)
            raise StorageError() from exc

    def get(self, key: str) -> bytes:
        check_key(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if _error_code(exc) in {"NoSuchKey", "404"}:
                raise StorageKeyMissing(key) from exc
            log.error("Could not read %s from %r: %s", key, self, exc)
            raise StorageError("The file could not be read. Try again later.") from exc
        except BotoCoreError as exc:
            log.error("Could not read %s from %r: %s", key, self, exc)
            raise StorageError("The file could not be read. Try again later.") from exc

    def exists(self, key: str) -> bool:
        check_key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in {"NoSuchKey", "404", "NotFound"}:
                return False
            log.error("Could not look for %s in %r: %s", key, self, exc)
            raise StorageError("The file store could not be reached. Try again later.") from exc
        except BotoCoreError as exc:
            log.error("Could not look for %s in %r: %s", key, self, exc)
            raise StorageError("The file store could not be reached. Try again later.") from exc
        return True

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            log.error("Could not delete %s from %r: %s", key, self, exc)
            raise StorageError("The file could not be removed. Try again later.") from exc

    def keys(self, prefix: str = "") -> list[str]:
        _check_prefix(prefix)
        found = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                found.extend(item["Key"] for item in page.get("Contents", []))
        except (ClientError, BotoCoreError) as exc:
            log.error("Could not list %s in %r: %s", prefix, self, exc)
            raise StorageError("The file store could not be reached. Try again later.") from exc
        return sorted(found)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def init_storage(app: Flask) -> None:
    """Build the storage that STORAGE_BACKEND names and keep it in app.extensions["storage"]."""
    backend = (app.config.get("STORAGE_BACKEND") or "local").strip().lower()
    if backend == "local":
        storage: Storage = LocalStorage(app.config["UPLOAD_FOLDER"])
    elif backend == "s3":
        if not app.config.get("S3_BUCKET"):
            raise RuntimeError("S3_BUCKET must be set when STORAGE_BACKEND is s3 (see README, Configuration)")
        storage = S3Storage(
            app.config["S3_BUCKET"],
            endpoint_url=app.config.get("S3_ENDPOINT_URL") or None,
            region=app.config.get("S3_REGION") or "eu-west-2",
            access_key=app.config.get("S3_ACCESS_KEY_ID") or None,
            secret_key=app.config.get("S3_SECRET_ACCESS_KEY") or None,
        )
    else:
        raise RuntimeError(f"STORAGE_BACKEND must be local or s3, not {backend!r}")
    app.extensions["storage"] = storage


def get_storage() -> Storage:
    """The current app's storage."""
    return current_app.extensions["storage"]
