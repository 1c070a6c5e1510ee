"""An upload kept in storage, beside the choices made with it, until its columns are confirmed.

In storage, not in the process: whichever app server answers the next request finds it. The
URL carries only a signed token naming the upload, its kind and its uploader; the choices (a
plan's title, a key to people's initials) stay out of URLs and server logs.

What is kept is the file as it was read on upload (its headings, rows and SHA-256, gzipped
JSON), not the file: the file is parsed once per import, and the mapping page, its preview and
the save read the rows from here.
"""

import gzip
import io
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from core import clock
from core.audit import AuditEntry
from core.extensions import db
from core.retention import RetentionItem, RetentionSchedule
from core.spreadsheets import Table
from core.storage import StorageError, get_storage

log = logging.getLogger(__name__)

#: An upload waits this long for its columns to be confirmed.
TOKEN_MAX_AGE = 24 * 60 * 60
FOLDER = "imports"
#: An upload never imported (abandoned at the column step) is removed this many days after it
#: was stored, by `flask retention run`: its token stopped working after 24 hours.
RETENTION_DAYS = 7


@dataclass
class Upload:
    id: str
    #: The spec kind it was uploaded for: a token for a plan opens no register.
    kind: str
    user: int
    filename: str
    #: What the upload form chose (a plan's area and title, a register's course), as JSON.
    choices: dict
    #: The file as it was read on upload.
    table: Table | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return f"{FOLDER}/{self.id}.rows.json.gz"

    @property
    def sha256(self) -> str:
        return self.table.sha256 if self.table else ""

    @property
    def choices_key(self) -> str:
        return f"{FOLDER}/{self.id}.json"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="import")


def put(*, kind: str, user: int, filename: str, table: Table, choices: dict) -> str:
    """Store the file as read (``table``) and its choices; the token that opens them. Raises
    StorageError."""
    upload = Upload(uuid.uuid4().hex, kind, user, filename, choices)
    storage = get_storage()
    storage.put(upload.key, _packed(table))
    described = {
        "id": upload.id,
        "kind": kind,
        "user": user,
        "filename": filename,
        "choices": choices,
        "stored_on": clock.today().isoformat(),
    }
    storage.put(upload.choices_key, json.dumps(described).encode())
    return _serializer().dumps({"id": upload.id, "kind": kind, "user": user})


def _packed(table: Table) -> bytes:
    """The table as gzipped JSON, written a piece at a time: a 5 MB XLSX can hold 40 MB of text,
    and neither the whole JSON text nor its bytes need be held at once beside the rows."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=5, mtime=0) as packed:
        text = io.TextIOWrapper(packed, encoding="utf-8")
        json.dump(table.to_json(), text, ensure_ascii=False, separators=(",", ":"))
        text.flush()
        text.detach()
    return out.getvalue()


def get(token: str, *, kind: str, user: int) -> Upload | None:
    """The upload a token names, with its rows; None if the token is bad, expired, for another
    kind or another user, or the upload is gone (imported already, or cleared away)."""
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("kind") != kind or payload.get("user") != user:
        return None
    storage = get_storage()
    try:
        described = json.loads(storage.get(f"{FOLDER}/{payload['id']}.json"))
        upload = Upload(
            described["id"], described["kind"], described["user"], described["filename"], described["choices"]
        )
        if (upload.id, upload.kind, upload.user) != (payload["id"], kind, user):
            return None
        upload.table = Table.from_json(json.loads(gzip.decompress(storage.get(upload.key))))
    except (KeyError, TypeError, ValueError, EOFError, OSError, StorageError):
        return None
    return upload


def discard(upload: Upload) -> None:
    """Remove an imported upload; a failure is logged, since a stray upload is harmless."""
    try:
        get_storage().delete(upload.key)
        get_storage().delete(upload.choices_key)
    except StorageError as failure:
        log.warning("could not remove %s: %s", upload.key, failure)


# --- retention -------------------------------------------------------------------------------


def _stored(storage) -> dict[str, tuple[list[str], date | None]]:
    """Each upload in the stash: its keys and the day it was stored (None when unknown)."""
    uploads: dict[str, tuple[list[str], date | None]] = {}
    for key in storage.keys(f"{FOLDER}/"):
        upload_id = key.removeprefix(f"{FOLDER}/").split(".", 1)[0]
        uploads.setdefault(upload_id, ([], None))[0].append(key)
    for upload_id, (keys, _) in list(uploads.items()):
        stored_on = None
        if f"{FOLDER}/{upload_id}.json" in keys:
            try:
                stored_on = date.fromisoformat(json.loads(storage.get(f"{FOLDER}/{upload_id}.json"))["stored_on"])
            except (KeyError, TypeError, ValueError, StorageError):
                stored_on = None
        uploads[upload_id] = (keys, stored_on)
    return uploads


def retention_find(day: date) -> list[RetentionItem]:
    """Uploads stored ``RETENTION_DAYS`` or more days before ``day`` (due on that day, not after).
    An upload whose date is unknown (stored before dates were recorded, or its description lost)
    is due at once: its token lasted 24 hours."""
    items = []
    for upload_id, (keys, stored_on) in sorted(_stored(get_storage()).items()):
        due_on = stored_on + timedelta(days=RETENTION_DAYS) if stored_on else day
        if due_on <= day:
            stored = f"stored on {stored_on.isoformat()}" if stored_on else "date stored unknown"
            items.append(
                RetentionItem(key=f"upload {upload_id}", due_on=due_on, summary=f"{len(keys)} file(s), {stored}")
            )
    return sorted(items, key=lambda i: (i.due_on, i.key))


def retention_remove(day: date, items: list[RetentionItem]) -> None:
    """Delete each upload's files; one audit entry each (its id and date, not its name or content)."""
    storage = get_storage()
    uploads = _stored(storage)
    for item in items:
        upload_id = item.key.removeprefix("upload ")
        keys, _ = uploads.get(upload_id, ([], None))
        for key in keys:
            storage.delete(key)
        db.session.add(
            AuditEntry(
                actor_label="flask retention run",
                action="delete",
                entity="import_files",
                entity_id=None,
                label=f"upload {upload_id}",
                changes={
                    "retention": [
                        None,
                        f"abandoned import removed {RETENTION_DAYS} days after upload (due {item.due_on.isoformat()}): "
                        f"{item.summary}",
                    ]
                },
            )
        )
    db.session.flush()


def retention_schedule() -> RetentionSchedule:
    return RetentionSchedule(
        name="import_files",
        title="Abandoned import files",
        what="Uploaded plans, registers and e-learning exports never imported (left at the column step), "
        "with the choices made for them",
        period=lambda: f"{RETENTION_DAYS} days after upload",
        default=f"{RETENTION_DAYS} days",
        reason="an upload's link to its column step lasts 24 hours; a week allows for a weekend and a "
        "question to the person who uploaded it, after which the file (names, staff numbers) serves no purpose",
        find=retention_find,
        remove=retention_remove,
    )
