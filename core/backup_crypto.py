"""Encrypted backup archives: AES-256-GCM from the `cryptography` library, in chunks, so an
archive of any size is encrypted and checked without holding it in memory.

The key (BACKUP_KEY) is 32 random bytes written in URL-safe base64 (44 characters). Each archive
gets a random 16-byte salt; HKDF-SHA256 derives from key and salt the archive's own AES key and
a separate 16-byte key check, so the same key is safe for every backup and a wrong key is told
apart from an altered archive.

Layout: MAGIC, salt (16), nonce prefix (7), key check (16), then the archive in 1 MiB chunks,
each encrypted with the nonce prefix + a 4-byte chunk number + a last-chunk flag, and the header
as associated data (the STREAM construction): a chunk changed, moved, removed, added or cut short
fails its tag, and nothing is written from an archive that does not decrypt whole.
"""

import base64
import binascii
import hmac
import io
import os
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"PREVENT-BACKUP-AES256GCM-1\n"
CHUNK = 1024 * 1024
_TAG = 16
_SALT = 16
_PREFIX = 7
_CHECK = 16
HEADER_SIZE = len(MAGIC) + _SALT + _PREFIX + _CHECK
KEY_HELP = (
    "BACKUP_KEY must be 32 random bytes in URL-safe base64 (44 characters); make one with: "
    "python3 -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'"
)


class BadKey(ValueError):
    """BACKUP_KEY is not a valid key."""


class WrongKey(ValueError):
    """The archive was encrypted with another key."""


class Tampered(ValueError):
    """The archive does not decrypt: it was altered, cut short or damaged."""


def parse_key(text: str) -> bytes:
    """The 32 key bytes from BACKUP_KEY's text; raises BadKey with what to do."""
    value = (text or "").strip()
    try:
        key = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadKey(KEY_HELP) from exc
    if len(key) != 32:
        raise BadKey(KEY_HELP)
    return key


def _derive(key: bytes, salt: bytes, purpose: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=b"prevent-backup/1 " + purpose).derive(key)


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    if number >= 2**32:
        raise ValueError("the archive is too large to encrypt")
    return prefix + number.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def is_encrypted(path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


class EncryptingWriter(io.RawIOBase):
    """A write-only file: what is written goes to ``raw`` encrypted. ``close()`` writes the last
    chunk (and does not close ``raw``)."""

    def __init__(self, raw: BinaryIO, key: bytes) -> None:
        super().__init__()
        salt, prefix = os.urandom(_SALT), os.urandom(_PREFIX)
        self._raw = raw
        self._prefix = prefix
        self._aead = AESGCM(_derive(key, salt, b"archive key"))
        self._header = MAGIC + salt + prefix + _derive(key, salt, b"key check", _CHECK)
        self._buffer = bytearray()
        self._number = 0
        raw.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer += data
        # Keep at least one byte back: the last chunk is written by close(), flagged as last.
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        self._raw.write(self._aead.encrypt(_nonce(self._prefix, self._number, last), chunk, self._header))
        self._number += 1

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


def decrypt_file(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    """Decrypt ``source`` into ``target``; raises WrongKey or Tampered. The caller discards
    ``target`` on either: a chunk is written only after its tag is checked, but an archive is
    good only once the last chunk is."""
    header = source.read(HEADER_SIZE)
    if len(header) < HEADER_SIZE or not header.startswith(MAGIC):
        raise Tampered("the archive's header is damaged")
    salt = header[len(MAGIC) : len(MAGIC) + _SALT]
    prefix = header[len(MAGIC) + _SALT : len(MAGIC) + _SALT + _PREFIX]
    check = header[len(MAGIC) + _SALT + _PREFIX :]
    if not hmac.compare_digest(check, _derive(key, salt, b"key check", _CHECK)):
        raise WrongKey("the archive was encrypted with a different key")
    aead = AESGCM(_derive(key, salt, b"archive key"))
    number = 0
    current = source.read(CHUNK + _TAG)
    while True:
        following = source.read(CHUNK + _TAG)
        last = not following
        try:
            target.write(aead.decrypt(_nonce(prefix, number, last), current, header))
        except (InvalidTag, ValueError) as exc:
            raise Tampered("the archive does not decrypt: it has been altered, cut short or damaged") from exc
        if last:
            return
        current, number = following, number + 1
