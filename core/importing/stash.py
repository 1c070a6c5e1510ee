"""An upload kept in storage, beside the choices made with it, until its columns are confirmed.

In storage, not in the process: whichever app server answers the next request finds it. The
URL carries only a signed token naming the upload, its kind and its uploader; the choices (a
plan's title, a key to people's initials) stay out of URLs and server logs.
"""

import json
import logging
import uuid
from dataclasses import dataclass, field

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.storage import StorageError, get_storage

log = logging.getLogger(__name__)

#: An upload waits this long for its columns to be confirmed.
TOKEN_MAX_AGE = 24 * 60 * 60
_FOLDER = "imports"


@dataclass
class Upload:
    id: str
    #: The spec kind it was uploaded for: a token for a plan opens no register.
    kind: str
    user: int
    filename: str
    #: What the upload form chose (a plan's area and title, a register's course), as JSON.
    choices: dict
    data: bytes = field(default=b"", repr=False)

    @property
    def key(self) -> str:
        return f"{_FOLDER}/{self.id}.{self.filename.rsplit('.', 1)[-1].lower()}"

    @property
    def choices_key(self) -> str:
        return f"{_FOLDER}/{self.id}.json"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="import")


def put(*, kind: str, user: int, filename: str, data: bytes, choices: dict) -> str:
    """Store the file and its choices; the token that opens them. Raises StorageError."""
    upload = Upload(uuid.uuid4().hex, kind, user, filename, choices)
    storage = get_storage()
    storage.put(upload.key, data)
    described = {"id": upload.id, "kind": kind, "user": user, "filename": filename, "choices": choices}
    storage.put(upload.choices_key, json.dumps(described).encode())
    return _serializer().dumps({"id": upload.id, "kind": kind, "user": user})


def get(token: str, *, kind: str, user: int) -> Upload | None:
    """The upload a token names, with its bytes; None if the token is bad, expired, for another
    kind or another user, or the upload is gone (imported already, or cleared away)."""
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("kind") != kind or payload.get("user") != user:
        return None
    storage = get_storage()
    try:
        described = json.loads(storage.get(f"{_FOLDER}/{payload['id']}.json"))
        upload = Upload(
            described["id"], described["kind"], described["user"], described["filename"], described["choices"]
        )
        if (upload.id, upload.kind, upload.user) != (payload["id"], kind, user):
            return None
        upload.data = storage.get(upload.key)
    except (KeyError, TypeError, ValueError, StorageError):
        return None
    return upload


def discard(upload: Upload) -> None:
    """Remove an imported upload; a failure is logged, since a stray upload is harmless."""
    try:
        get_storage().delete(upload.key)
        get_storage().delete(upload.choices_key)
    except StorageError as failure:
        log.warning("could not remove %s: %s", upload.key, failure)
