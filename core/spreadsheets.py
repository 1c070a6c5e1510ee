"""Reading and writing tables as CSV and XLSX, with errors that name the row and column."""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

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


def read_table(filename: str, data: bytes, *, required: Iterable[str] = ()) -> tuple[list[str], list[Row]]:
    """Header and rows of a CSV or XLSX file; refuses files it cannot read, saying why."""
    name = filename.lower()
    try:
        if name.endswith(".csv"):
            header, raw_rows = _read_csv(data)
        elif name.endswith(".xlsx"):
            header, raw_rows = _read_xlsx(data)
        else:
            raise SpreadsheetError("the file must be a CSV or XLSX spreadsheet")
    except SpreadsheetError as exc:
        raise SpreadsheetError(f"{filename}: {exc}") from exc
    header = [h.strip() for h in header]
    if not any(header):
        raise SpreadsheetError(f"{filename}: row 1 must hold the column headings")
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


def _read_csv(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise SpreadsheetError("the CSV file is not in a text encoding that can be read") from exc
    reader = csv.reader(io.StringIO(text))
    try:
        all_rows = list(reader)
    except csv.Error as exc:
        raise SpreadsheetError(f"row {reader.line_num}: {exc}") from exc
    if not all_rows:
        raise SpreadsheetError("the file is empty")
    return all_rows[0], list(enumerate(all_rows[1:], start=2))


def _read_xlsx(data: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SpreadsheetError("the XLSX file could not be opened; it may be damaged or password-protected") from exc
    if len(parts) > _MAX_XLSX_PARTS or sum(p.file_size for p in parts) > _MAX_XLSX_UNPACKED:
        raise SpreadsheetError("the XLSX file holds too much data once unpacked; split it into smaller files")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SpreadsheetError("the XLSX file could not be opened; it may be damaged or password-protected") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = ["" if v is None else str(v) for v in next(rows)]
    except StopIteration as exc:
        raise SpreadsheetError("the file is empty") from exc
    body = [
        (number, ["" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v)) for v in values])
        for number, values in enumerate(rows, start=2)
    ]
    workbook.close()
    return header, body
