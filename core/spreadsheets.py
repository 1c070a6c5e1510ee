"""Reading and writing tables as CSV and XLSX, with errors that name the row and column."""

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

#: Most an XLSX may unpack to, and most parts it may hold: a zip bomb is refused before openpyxl
#: reads it (the declared sizes are the most Python's zipfile will unpack).
_MAX_XLSX_UNPACKED = 200 * 1024 * 1024
_MAX_XLSX_PARTS = 2000

#: Characters that make a spreadsheet treat a cell as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class SpreadsheetError(ValueError):
    """A file that cannot be read as a table; the message says where and why."""


@dataclass
class Row:
    number: int  # the row number a person sees in the file (header is row 1)
    values: dict[str, str]


@dataclass
class Table:
    """A file read once: its headings, its rows and its SHA-256. An import keeps it (the stash)
    so later steps never read the file again."""

    filename: str
    header: list[str]
    rows: list[Row] = field(default_factory=list)
    #: Hex SHA-256 of the file's bytes: names exactly which file a record came from.
    sha256: str = ""

    def to_json(self) -> dict:
        """The table as JSON: each row as its number and its cells in heading order."""
        named = [h for h in self.header if h]
        return {
            "filename": self.filename,
            "header": self.header,
            "sha256": self.sha256,
            "rows": [[row.number, [row.values.get(h, "") for h in named]] for row in self.rows],
        }

    @classmethod
    def from_json(cls, data: dict) -> "Table":
        header = [str(h) for h in data["header"]]
        named = [h for h in header if h]
        rows = [Row(int(number), dict(zip(named, map(str, cells), strict=True))) for number, cells in data["rows"]]
        return cls(str(data["filename"]), header, rows, str(data["sha256"]))


def too_many_rows(limit: int, command: str = "") -> str:
    """The refusal of a file with more than ``limit`` rows."""
    then = f", or import it with `{command}`, which takes larger files" if command else ""
    return f"the file has more than {limit:,} rows; split it into files of {limit:,} rows or fewer{then}"


def load_table(
    filename: str,
    data: bytes,
    *,
    max_rows: int | None = None,
    max_columns: int | None = None,
    max_unpacked: int = _MAX_XLSX_UNPACKED,
    command: str = "",
) -> Table:
    """The file read once, with its SHA-256. ``max_rows`` (not counting the headings) and
    ``max_columns`` are checked as the file is read, before the rest of it is: a file over them is
    refused with a message saying how to split it (``command`` names the command that takes more)."""
    header, rows = read_table(
        filename, data, max_rows=max_rows, max_columns=max_columns, max_unpacked=max_unpacked, command=command
    )
    return Table(filename, header, rows, hashlib.sha256(data).hexdigest())


def safe_cell(value) -> object:
    """Neutralise text that a spreadsheet would run as a formula: the one rule for every cell of
    every CSV and XLSX export, headings included."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def xlsx_cell(value) -> object:
    """A cell an XLSX can hold: control characters (which a worksheet refuses) dropped, formulas
    neutralised."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return safe_cell(value)


def _csv_row(values: Iterable) -> list:
    """A CSV line's cells, headings or data alike: None as blank, formulas neutralised."""
    return ["" if v is None else safe_cell(v) for v in values]


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_csv_row(header))
    for row in rows:
        writer.writerow(_csv_row(row))
    return out.getvalue()


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The same CSV, a line at a time, for streaming large exports."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_csv_row(header))
    yield out.getvalue()
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow(_csv_row(row))
        yield out.getvalue()


def xlsx_bytes(header: list[str], rows: Iterable[Iterable], *, title: str = "Export") -> bytes:
    """One sheet: the header row and the rows, every cell (headings too) through xlsx_cell."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([xlsx_cell(v) for v in header])
    for row in rows:
        sheet.append([xlsx_cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read_table(
    filename: str,
    data: bytes,
    *,
    required: Iterable[str] = (),
    max_rows: int | None = None,
    max_columns: int | None = None,
    max_unpacked: int = _MAX_XLSX_UNPACKED,
    command: str = "",
) -> tuple[list[str], list[Row]]:
    """Header and rows of a CSV or XLSX file; refuses files it cannot read, saying why.

    With ``max_rows``, a file with more rows (below the headings; blank rows do not count) is
    refused as soon as the row after the limit is read, the rest unread; with ``max_columns``, a
    file with more headings than that; with ``max_unpacked``, an XLSX that unpacks to more bytes
    (checked before it is opened).
    """
    name = filename.lower()
    try:
        if name.endswith(".csv"):
            header, raw_rows = _read_csv(data, max_rows)
        elif name.endswith(".xlsx"):
            header, raw_rows = _read_xlsx(data, max_rows, max_unpacked)
        else:
            raise SpreadsheetError("the file must be a CSV or XLSX spreadsheet")
    except _TooManyRows as exc:
        raise SpreadsheetError(f"{filename}: {too_many_rows(max_rows or 0, command)}") from exc
    except SpreadsheetError as exc:
        raise SpreadsheetError(f"{filename}: {exc}") from exc
    header = [h.strip() for h in header]
    if not any(header):
        raise SpreadsheetError(f"{filename}: row 1 must hold the column headings")
    if max_columns is not None and len(header) > max_columns:
        raise SpreadsheetError(
            f"{filename}: the file has {len(header)} columns; a file to import may have {max_columns} or fewer"
        )
    seen = set()
    for index, heading in enumerate(header, start=1):
        if heading and heading.lower() in seen:
            raise SpreadsheetError(
                f"{filename}: row 1, column {get_column_letter(index)}: the heading '{heading}' appears twice"
            )
        seen.add(heading.lower())
    missing = [r for r in required if r.lower() not in seen]
    if missing:
        raise SpreadsheetError(f"{filename}: row 1: missing column(s): {', '.join(missing)}")
    rows = []
    for number, values in raw_rows:
        if not any(str(v).strip() for v in values):
            continue
        for index, value in enumerate(values, start=1):
            if str(value).strip() and (index > len(header) or not header[index - 1]):
                raise SpreadsheetError(
                    f"{filename}: row {number}, column {get_column_letter(index)}: a value in a column with no heading"
                )
        padded = list(values) + [""] * (len(header) - len(values))
        rows.append(Row(number, {h: str(v).strip() for h, v in zip(header, padded, strict=False) if h}))
    return header, rows


class _TooManyRows(Exception):
    """A file with more rows than the reader was told to take."""


def _bounded(rows: Iterator, max_rows: int | None) -> list:
    """The rows, refusing the one after ``max_rows`` as soon as it is read."""
    out = []
    for row in rows:
        out.append(row)
        if max_rows is not None and len(out) > max_rows:
            raise _TooManyRows
    return out


def _read_csv(data: bytes, max_rows: int | None = None):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise SpreadsheetError("the CSV file is not in a text encoding that can be read") from exc
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        if header is None:
            raise SpreadsheetError("the file is empty")
        # Blank lines do not count towards the limit, as they are not rows to import.
        body = _bounded(((n, r) for n, r in enumerate(reader, start=2) if any(c.strip() for c in r)), max_rows)
    except csv.Error as exc:
        raise SpreadsheetError(f"row {reader.line_num}: {exc}") from exc
    return header, body


def _read_xlsx(data: bytes, max_rows: int | None = None, max_unpacked: int = _MAX_XLSX_UNPACKED):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SpreadsheetError("the XLSX file could not be opened; it may be damaged or password-protected") from exc
    if len(parts) > _MAX_XLSX_PARTS or sum(p.file_size for p in parts) > max_unpacked:
        raise SpreadsheetError("the XLSX file holds too much data once unpacked; split it into smaller files")
    try:
        reader = _Reader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read()
        workbook = reader.wb
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SpreadsheetError("the XLSX file could not be opened; it may be damaged or password-protected") from exc
    sheet = workbook.worksheets[0]
    # Rows are counted as they are read, and reading stops at the first past the limit. (The
    # sheet's declared size is not trusted: formatted blank rows count in it, and a file can lie.)
    rows = sheet.iter_rows(values_only=True)
    try:
        header = ["" if v is None else str(v) for v in next(rows)]
    except StopIteration as exc:
        raise SpreadsheetError("the file is empty") from exc
    cells = ((number, [_xlsx_text(v) for v in values]) for number, values in enumerate(rows, start=2))
    body = _bounded(((number, row) for number, row in cells if any(c.strip() for c in row)), max_rows)
    workbook.close()
    return header, body


class _Sheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet, without the size it works out on opening: a sheet that declares
    no size (<dimension>; openpyxl's own write-only files and other tools' leave it out) is parsed
    whole for it before a row is read, 3 s for 100,000 rows. Rows are counted as they are read
    instead, and none is dropped because a declared size says the sheet ends sooner."""

    def _get_size(self) -> None:
        return None


class _Reader(ExcelReader):
    """openpyxl's reader, opening each worksheet as a _Sheet (read-only files only)."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            worksheet = _Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
