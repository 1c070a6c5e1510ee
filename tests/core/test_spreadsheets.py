"""Reading CSV and XLSX tables with useful errors, and writing exports that cannot run formulas."""

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from core.spreadsheets import Row, SpreadsheetError, csv_lines, csv_text, read_table, xlsx_bytes


def xlsx(cells: dict[str, object]) -> bytes:
    """A workbook whose first sheet holds ``cells`` ({"A1": value, ...}); others stay empty."""
    workbook = Workbook()
    sheet = workbook.active
    for ref, value in cells.items():
        sheet[ref] = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# read_table


def test_csv_in_utf8_with_a_byte_order_mark():
    data = "Name,Email\r\nZoë Ångström,zoe@council.example\r\n".encode("utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")

    header, rows = read_table("people.csv", data, required=["Name", "Email"])

    assert header == ["Name", "Email"]  # no BOM stuck to the first heading
    assert rows == [Row(2, {"Name": "Zoë Ångström", "Email": "zoe@council.example"})]


def test_csv_saved_by_excel_in_windows_1252():
    data = "Name,Notes\r\nRenée,Café ‘Prevent’ – £5\r\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    header, rows = read_table("people.csv", data)

    assert header == ["Name", "Notes"]
    assert rows == [Row(2, {"Name": "Renée", "Notes": "Café ‘Prevent’ – £5"})]


def test_csv_row_numbers_are_the_ones_a_person_sees():
    data = b" Name , Email \r\n\r\nAnn , ann@council.example\r\n , \r\nBob\r\n"

    header, rows = read_table("people.CSV", data, required=["name", "EMAIL"])

    assert header == ["Name", "Email"]
    # Row 2 is empty and row 4 blank: skipped, but the numbering keeps counting them.
    assert rows == [
        Row(3, {"Name": "Ann", "Email": "ann@council.example"}),
        Row(5, {"Name": "Bob", "Email": ""}),
    ]


def test_xlsx_values_and_row_numbers():
    data = xlsx(
        {
            "A1": "Name",
            "B1": "Email",
            "C1": "Sessions",
            "A2": "Ann",
            "B2": "ann@council.example",
            "C2": 3,
            "A4": "  ",  # a blank-looking row
            "A6": " Bob ",
            "C6": date(2026, 3, 1),
        }
    )

    header, rows = read_table("people.xlsx", data, required=["Name"])

    assert header == ["Name", "Email", "Sessions"]
    assert [r.number for r in rows] == [2, 6]
    assert rows[0].values == {"Name": "Ann", "Email": "ann@council.example", "Sessions": "3"}
    assert rows[1].values["Name"] == "Bob"
    assert rows[1].values["Email"] == ""
    assert rows[1].values["Sessions"].startswith("2026-03-01")


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("people.csv", b"Name,NAME,Email\r\nAnn,Ann,a@council.example\r\n"),
        ("people.xlsx", xlsx({"A1": "Name", "B1": " NAME ", "C1": "Email"})),
    ],
    ids=["csv", "xlsx"],
)
def test_a_heading_used_twice_is_refused_naming_row_and_column(filename, data):
    with pytest.raises(SpreadsheetError, match=r"row 1, column B: the heading 'NAME' appears twice") as caught:
        read_table(filename, data)
    assert str(caught.value).startswith(f"{filename}: ")


def test_missing_required_columns_are_all_named():
    with pytest.raises(SpreadsheetError) as caught:
        read_table("people.csv", b"Name,Phone\r\nAnn,01234\r\n", required=["Name", "Email", "Organisation"])

    assert str(caught.value) == "people.csv: row 1: missing column(s): Email, Organisation"


@pytest.mark.parametrize("filename", ["people.txt", "people.xls", "people.csv.pdf", "people"])
def test_other_kinds_of_file_are_refused(filename):
    with pytest.raises(SpreadsheetError, match="must be a CSV or XLSX spreadsheet"):
        read_table(filename, b"Name\r\nAnn\r\n")


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("bom-only.csv", b"\xef\xbb\xbf", "bom-only.csv: the file is empty"),
        ("empty.xlsx", xlsx({}), "empty.xlsx: the file is empty"),
        ("no-headings.csv", b",,\r\nAnn,b,c\r\n", "row 1 must hold the column headings"),
        ("no-headings.xlsx", xlsx({"A3": "Name", "A4": "Ann"}), "row 1 must hold the column headings"),
    ],
    ids=["csv", "csv-bom-only", "xlsx", "csv-blank-row-1", "xlsx-blank-row-1"],
)
def test_an_empty_file_or_a_file_without_headings_is_refused(filename, data, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_table(filename, data)


@pytest.mark.parametrize(
    "data",
    [b"", b"not a spreadsheet at all", xlsx({"A1": "Name"})[:200], b"PK\x03\x04" + b"\x00" * 100],
    ids=["empty", "text", "truncated", "zip-header-only"],
)
def test_a_damaged_xlsx_is_refused(data):
    with pytest.raises(SpreadsheetError, match="could not be opened; it may be damaged"):
        read_table("people.xlsx", data)


# Writing exports

HEADER = ["Formula", "Plus", "At", "Minus", "Tab", "Plain", "Number", "Missing"]
DANGEROUS = ["=SUM(A1)", "+1", "@x", "-2", "\tcmd", "Fine - really", -2, None]
NEUTRALISED = ["'=SUM(A1)", "'+1", "'@x", "'-2", "'\tcmd", "Fine - really"]


def test_csv_text_neutralises_formulas():
    text = csv_text(HEADER, [DANGEROUS])

    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [HEADER, NEUTRALISED + ["-2", ""]]


def test_xlsx_bytes_neutralises_formulas():
    data = xlsx_bytes(HEADER, [DANGEROUS], title="A title longer than thirty-one characters")

    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    assert sheet.title == "A title longer than thirty-one "
    assert [c.value for c in sheet[1]] == HEADER
    cells = sheet[2]
    assert [c.value for c in cells[:6]] == NEUTRALISED
    assert [c.data_type for c in cells[:6]] == ["s"] * 6  # text, never a formula ("f")
    assert cells[6].value == -2
    assert cells[6].data_type == "n"
    assert sheet.max_row == 2


def test_csv_lines_streams_the_same_csv_a_line_at_a_time():
    rows = [DANGEROUS, ["Ann", "a, with comma", 'quote "here"', "multi\nline", "", "", 3, None]]

    lines = list(csv_lines(HEADER, iter(rows)))

    assert len(lines) == 1 + len(rows)
    assert "".join(lines) == csv_text(HEADER, rows)
    assert lines[1].startswith("'=SUM(A1),'+1,'@x,'-2,")


def test_a_value_under_no_heading_is_refused_with_its_place():
    with pytest.raises(SpreadsheetError, match=r"people.csv: row 3, column C: a value in a column with no heading"):
        read_table("people.csv", b"Name,Role\r\nAnn,SPOC\r\nBen,Lead,extra\r\n")


def test_headings_are_neutralised_by_the_same_rule_as_cells():
    # One rule for every cell: a heading starting = + - @ (or a tab or CR) gets a leading quote.
    header = ['=HYPERLINK("http://x","y")', "+1", "Plain"]
    rows = [['=HYPERLINK("http://x","y")', "-2", "ok"]]
    expected = ['\'=HYPERLINK("http://x","y")', "'+1", "Plain"]
    assert next(csv.reader(io.StringIO(csv_text(header, rows)))) == expected
    assert next(csv.reader(io.StringIO("".join(csv_lines(header, rows))))) == expected
    sheet = load_workbook(io.BytesIO(xlsx_bytes(header, rows))).active
    assert [c.value for c in sheet[1]] == expected
    assert [c.data_type for c in sheet[1]] == ["s", "s", "s"]
    assert [c.value for c in sheet[2]] == ['\'=HYPERLINK("http://x","y")', "'-2", "ok"]
