"""Upload checks on real files built in the test: accepted types, and every refusal."""

import hashlib
import io
import zipfile

import pytest
import weasyprint
from openpyxl import Workbook
from PIL import Image

from core.uploads import ALLOWED, UploadRejected, check_upload, safe_filename

MAX = 20 * 1024 * 1024

_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="{main}"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    ),
    "word/document.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Minutes of the Prevent partnership board</w:t></w:r></w:p></w:body>"
        "</w:document>"
    ),
}
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def make_pdf() -> bytes:
    return weasyprint.HTML(string="<p>Quarterly return</p>").write_pdf()


def make_docx(main: str = DOCX_MAIN) -> bytes:
    """A minimal Word document: the three parts Word needs to open it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _DOCX_PARTS.items():
            archive.writestr(name, text.replace("{main}", main))
    return out.getvalue()


def make_xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Action", "RAG"])
    workbook.active.append(["Deliver WRAP training to schools", "Green"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 8), (0, 112, 60)).save(out, format=fmt)
    return out.getvalue()


def make_zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def make_ole(*, encrypted: bool) -> bytes:
    """The start of an OLE compound file; an encrypted Office file names its EncryptedPackage."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    directory = "Root Entry".encode("utf-16-le").ljust(128, b"\0")
    if encrypted:
        directory += "EncryptionInfo".encode("utf-16-le").ljust(128, b"\0")
        directory += "EncryptedPackage".encode("utf-16-le").ljust(128, b"\0")
    else:
        directory += "WordDocument".encode("utf-16-le").ljust(128, b"\0")
    return header + directory.ljust(512, b"\0") + bytes(1024)


def rejection(filename: str, data: bytes, max_bytes: int = MAX) -> str:
    with pytest.raises(UploadRejected) as raised:
        check_upload(filename, data, max_bytes=max_bytes)
    assert str(raised.value) == raised.value.message
    return raised.value.message


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {
        "pdf": make_pdf(),
        "docx": make_docx(),
        "xlsx": make_xlsx(),
        "png": make_image("PNG"),
        "jpeg": make_image("JPEG"),
    }


# Accepted files.


@pytest.mark.parametrize(
    ("filename", "kind", "extension", "content_type"),
    [
        ("Board minutes.pdf", "pdf", "pdf", "application/pdf"),
        ("Board minutes.docx", "docx", "docx", ALLOWED["docx"]),
        ("Action plan 2025.xlsx", "xlsx", "xlsx", ALLOWED["xlsx"]),
        ("Photo of poster.png", "png", "png", "image/png"),
        ("IMG_0042.JPG", "jpeg", "jpg", "image/jpeg"),
        ("scan.jpeg", "jpeg", "jpeg", "image/jpeg"),
    ],
)
def test_accepts_real_files(files, filename, kind, extension, content_type):
    data = files[kind]
    checked = check_upload(filename, data, max_bytes=MAX)
    assert checked.extension == extension
    assert checked.content_type == content_type
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.safe_name == filename.rsplit(".", 1)[0] + "." + extension


def test_builders_make_what_they_say(files):
    assert files["pdf"].startswith(b"%PDF-")
    with zipfile.ZipFile(io.BytesIO(files["xlsx"])) as archive:
        assert "xl/workbook.xml" in archive.namelist()
    assert Image.open(io.BytesIO(files["jpeg"])).format == "JPEG"


def test_a_file_of_exactly_the_limit_is_accepted(files):
    assert check_upload("a.pdf", files["pdf"], max_bytes=len(files["pdf"])).size == len(files["pdf"])


# Refusals.


def test_refuses_an_empty_file():
    assert rejection("report.pdf", b"") == "The selected file is empty"


def test_refuses_a_file_over_the_limit(files):
    assert rejection("report.pdf", files["pdf"] + bytes(MAX)) == "The selected file must be smaller than 20 MB"
    assert rejection("report.pdf", files["pdf"], max_bytes=1024) == "The selected file must be smaller than 1 KB"
    big = 3 * 1024 * 1024 // 2
    assert rejection("report.pdf", bytes(big + 1), max_bytes=big) == "The selected file must be smaller than 1.5 MB"


@pytest.mark.parametrize("filename", ["setup.exe", "notes.txt", "report", "report.pdf.exe", "page.html", "macro.docm"])
def test_refuses_other_types(files, filename):
    assert rejection(filename, files["pdf"]) == "The selected file must be a PDF, DOCX, XLSX, PNG or JPEG"


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("poster.png", "pdf"),  # a PDF renamed .png
        ("photo.jpg", "png"),
        ("report.pdf", "jpeg"),
        ("plan.xlsx", "docx"),  # a Word document renamed .xlsx
        ("minutes.docx", "xlsx"),
    ],
)
def test_refuses_contents_that_do_not_match_the_extension(files, filename, kind):
    extension = filename.rsplit(".", 1)[1]
    assert rejection(filename, files[kind]) == f"The selected file's contents do not match its .{extension} extension"


def test_refuses_text_renamed_pdf():
    message = rejection("report.pdf", b"Just some text, not a PDF\n")
    assert message == "The selected file's contents do not match its .pdf extension"


def test_refuses_a_zip_that_is_not_a_word_document():
    data = make_zip({"photos/1.txt": b"hello", "readme.txt": b"not office"})
    assert rejection("minutes.docx", data) == "The selected file's contents do not match its .docx extension"


def test_refuses_a_macro_enabled_document_renamed_docx():
    data = make_docx(main=DOCM_MAIN)
    assert rejection("minutes.docx", data) == "The selected file's contents do not match its .docx extension"


def test_refuses_a_zip_bomb_by_unzipped_size():
    # 3 MB of zeros compresses to a few KB: far past 10 times a 100 KB limit once unzipped.
    data = make_zip({**{n: t.encode() for n, t in _DOCX_PARTS.items()}, "word/media/big.bin": bytes(3_000_000)})
    assert len(data) < 100_000
    message = rejection("minutes.docx", data, max_bytes=100_000)
    assert message == "The selected file contains too much data. Upload a smaller file"


def test_refuses_a_zip_bomb_by_number_of_entries():
    data = make_zip({f"xl/worksheets/sheet{n}.xml": b"" for n in range(2001)})
    assert rejection("plan.xlsx", data) == "The selected file contains too much data. Upload a smaller file"


def test_refuses_a_corrupt_zip(files):
    truncated = files["xlsx"][: len(files["xlsx"]) // 2]
    assert rejection("plan.xlsx", truncated) == "The selected file is damaged. Save it again and upload the new copy"


def test_refuses_a_zip_whose_contents_fail_their_checksum():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, text in _DOCX_PARTS.items():
            archive.writestr(name, text.replace("{main}", DOCX_MAIN))
    data = out.getvalue().replace(b"<Types", b"<Typez", 1)
    assert rejection("minutes.docx", data) == "The selected file is damaged. Save it again and upload the new copy"


def test_refuses_password_protected_office_files():
    message = rejection("plan.xlsx", make_ole(encrypted=True))
    assert message == "The selected file is password-protected. Remove the password and upload it again"
    assert rejection("minutes.docx", make_ole(encrypted=True)) == message


def test_refuses_old_office_formats_renamed():
    message = rejection("minutes.docx", make_ole(encrypted=False))
    assert message == "The selected file is in an old Word or Excel format. Save it as a DOCX and upload it again"
    message = rejection("report.pdf", make_ole(encrypted=False))
    assert message == "The selected file's contents do not match its .pdf extension"


# Safe names.


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\temp\\report.pdf", "report.pdf"),
        ("/var/www/../report.pdf", "report.pdf"),
        ("Board minutes (March).PDF", "Board minutes (March).pdf"),
        ("Ynys Môn – annual report.pdf", "Ynys Mon annual report.pdf"),
        ("plan\x00\x1b[31m\u202eevil.pdf", "plan31mevil.pdf"),
        ("  lots   of\tspace .pdf", "lots of space.pdf"),
        ('quote"s;and<tags>.pdf', "quotesandtags.pdf"),
        (".pdf", "evidence.pdf"),
        ("../.pdf", "evidence.pdf"),
        ("€€€.pdf", "evidence.pdf"),
        ("report.pdf.", "report.pdf"),
    ],
)
def test_safe_names(filename, expected):
    assert safe_filename(filename) == expected


def test_path_names_are_accepted_with_their_base_name(files):
    assert check_upload("../../etc/passwd.pdf", files["pdf"], max_bytes=MAX).safe_name == "passwd.pdf"
    assert check_upload("C:\\temp\\report.pdf", files["pdf"], max_bytes=MAX).safe_name == "report.pdf"


def test_long_names_are_cut_to_120_characters_keeping_the_extension():
    name = safe_filename("Delivery plan " * 20 + ".xlsx")
    assert len(name) <= 120
    assert name.endswith(".xlsx")
    assert name.startswith("Delivery plan Delivery plan")
