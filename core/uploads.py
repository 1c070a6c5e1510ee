"""Checks on uploaded evidence files: type sniffed from the bytes, size, and a safe name.

Neither the filename nor the browser's content type is trusted: the extension must be one
we accept and the bytes must be that kind of file.
"""

import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

#: Accepted extensions and the content type we serve each with.
ALLOWED = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
#: What the contents must turn out to be for each extension.
_KIND_FOR_EXTENSION = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "png": "png", "jpg": "jpeg", "jpeg": "jpeg"}

#: The main part's content type in [Content_Types].xml: this is what tells a Word document from
#: a spreadsheet, and both from their macro-enabled (.docm, .xlsm) and template variants.
_OOXML_MAIN = {
    "docx": ("word/document.xml", b"wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", b"spreadsheetml.sheet.main+xml"),
}
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: The stream an encrypted Office file keeps its real contents in (directory names are UTF-16).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_MAX_ZIP_ENTRIES = 2000
#: Unzipped size allowed, as a multiple of the upload limit.
_MAX_ZIP_RATIO = 10
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024
_MAX_NAME_LENGTH = 120

_TYPE_LIST = "PDF, DOCX, XLSX, PNG or JPEG"


class UploadRejected(ValueError):
    """An upload we refuse; the message is GOV.UK error wording for the file field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    #: The user's filename made safe to show and to offer as a download name.
    safe_name: str
    #: Lower case, without the dot: one of ALLOWED.
    extension: str
    content_type: str
    size: int
    #: Hex SHA-256 of the bytes, for integrity checks and spotting duplicates.
    sha256: str


def check_upload(filename: str, data: bytes, *, max_bytes: int) -> CheckedUpload:
    """Check an uploaded file and describe it, or raise UploadRejected saying what is wrong."""
    if not data:
        raise UploadRejected("The selected file is empty")
    name, extension = _clean_name(filename or "")
    if extension not in ALLOWED:
        raise UploadRejected(f"The selected file must be a {_TYPE_LIST}")
    if len(data) > max_bytes:
        raise UploadRejected(f"The selected file must be smaller than {size_label(max_bytes)}")
    kind = _sniff(data, max_unzipped=_MAX_ZIP_RATIO * max_bytes)
    if kind == "encrypted-office":
        raise UploadRejected("The selected file is password-protected. Remove the password and upload it again")
    if kind == "old-office" and extension in _OOXML_MAIN:
        raise UploadRejected(
            f"The selected file is in an old Word or Excel format. Save it as a {extension.upper()} and upload it again"
        )
    if kind != _KIND_FOR_EXTENSION[extension]:
        raise UploadRejected(f"The selected file's contents do not match its .{extension} extension")
    return CheckedUpload(
        safe_name=name,
        extension=extension,
        content_type=ALLOWED[extension],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def safe_filename(filename: str) -> str:
    """The basename of ``filename`` in plain ASCII letters, digits, spaces and . _ - ( ).

    At most 120 characters, keeping the extension, and never empty ("evidence.pdf").
    """
    return _clean_name(filename)[0]


def _clean_name(filename: str) -> tuple[str, str]:
    """(safe name, lower-case extension or "")."""
    # Browsers on Windows have sent full paths; both separators end the directory part.
    base = re.split(r"[/\\]", filename)[-1]
    # Decompose accents so "Môn" keeps its letters as "Mon"; the result is ASCII, which is safe
    # in headers, zip backups and every file system.
    base = re.sub(r"\s+", " ", unicodedata.normalize("NFKD", base))
    base = "".join(c for c in base if c.isascii() and not unicodedata.category(c).startswith("C"))
    base = re.sub(r"[^A-Za-z0-9 ._()-]", "", base)
    # Windows drops trailing dots and spaces, so "report.pdf." is report.pdf.
    base = re.sub(r"\s+", " ", base).strip(" ").rstrip(" .")
    stem, dot, extension = base.rpartition(".")
    if not dot or len(extension) > 10:
        stem, extension = base, ""
    extension = extension.lower()
    stem = stem.strip(" .")
    if not extension:
        return (stem[:_MAX_NAME_LENGTH] or "evidence"), ""
    stem = stem[: _MAX_NAME_LENGTH - len(extension) - 1].rstrip(" .")
    return f"{stem or 'evidence'}.{extension}", extension


def size_label(size: int) -> str:
    """A size limit as people read it: "20 MB", "1.5 MB", "300 KB"."""
    mb = size / (1024 * 1024)
    if mb >= 1:
        return f"{mb:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


def _sniff(data: bytes, *, max_unzipped: int) -> str | None:
    """What the bytes are: pdf, png, jpeg, docx, xlsx, zip, encrypted-office, old-office or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(_OLE_SIGNATURE):
        # Office keeps a password-protected DOCX or XLSX inside an OLE compound file; any other
        # OLE file is a legacy .doc or .xls (or something else again).
        return "encrypted-office" if _ENCRYPTED_PACKAGE in data else "old-office"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data, max_unzipped=max_unzipped)
    return None


def _sniff_zip(data: bytes, *, max_unzipped: int) -> str:
    damaged = UploadRejected("The selected file is damaged. Save it again and upload the new copy")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise damaged from exc
    with archive:
        entries = archive.infolist()
        # Declared sizes are the most that Python's zipfile (and so openpyxl) will unpack, so
        # they bound the work a later reader of this file can be made to do. Nothing is
        # unpacked here but the small [Content_Types].xml.
        if len(entries) > _MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > max_unzipped:
            raise UploadRejected("The selected file contains too much data. Upload a smaller file")
        names = {e.filename for e in entries}
        if "[Content_Types].xml" not in names:
            return "zip"
        content_types = archive.getinfo("[Content_Types].xml")
        if content_types.file_size > _MAX_CONTENT_TYPES_BYTES:
            return "zip"
        try:
            declared = archive.read(content_types)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            # Corrupt data, an unknown compression method, or an encrypted entry.
            raise damaged from exc
    for kind, (main_part, main_type) in _OOXML_MAIN.items():
        if main_part in names and main_type in declared:
            return kind
    return "zip"
