"""The import pipeline with a spec of its own: the date parser, heading guesses, mapping checks,
problems named by row and column, saving whole or not at all, and the stashed upload's token."""

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import func, select

from core import importing
from core.extensions import db
from core.importing import Checked, Field, ImportProblems, ImportSpec, NotADate, Requirement, parse_date, stash
from core.models import User
from core.spreadsheets import Row, load_table
from tests.factories import UserFactory

# --- the date parser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("31/12/2026", date(2026, 12, 31)),
        ("31-12-2026", date(2026, 12, 31)),
        ("31.12.2026", date(2026, 12, 31)),
        ("1/4/2027", date(2027, 4, 1)),
        ("01/04/2027", date(2027, 4, 1)),
        ("2026-12-31", date(2026, 12, 31)),
        ("2027-4-1", date(2027, 4, 1)),
        ("2026-03-01T00:00:00", date(2026, 3, 1)),  # an XLSX date cell as core.spreadsheets reads it
        ("2026-03-01 14:30:00", date(2026, 3, 1)),
        ("31 Dec 2026", date(2026, 12, 31)),
        ("31 December 2026", date(2026, 12, 31)),
        ("1 sept 2026", date(2026, 9, 1)),
        ("5 MAY 2026", date(2026, 5, 5)),
        ("  29/02/2028 ", date(2028, 2, 29)),  # a leap year
    ],
)
def test_the_date_forms_people_type_and_spreadsheets_store_are_read(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2026", "'31/02/2026' is not a real date: February 2026 has 28 days"),
        ("29/02/2027", "'29/02/2027' is not a real date: February 2027 has 28 days"),
        ("31 April 2026", "'31 April 2026' is not a real date: April 2026 has 30 days"),
        ("2025-13-45", "'2025-13-45' is not a real date: there is no month 13"),
        ("00/03/2026", "'00/03/2026' is not a real date: there is no day 0"),
        ("next year", "'next year' is not a date; enter it like 31/03/2026"),
        ("31/12/26", "'31/12/26' is not a date; enter it like 31/03/2026"),  # two-digit years are ambiguous
        ("12/31/2026", "'12/31/2026' is not a real date: there is no month 31"),  # day first, as in the UK
        ("2026/12/31", "'2026/12/31' is not a date; enter it like 31/03/2026"),
        ("31 Smarch 2026", "'31 Smarch 2026' is not a date; enter it like 31/03/2026"),
        ("46022", "'46022' is not a date; enter it like 31/03/2026"),
        ("", "'' is not a date; enter it like 31/03/2026"),
    ],
)
def test_impossible_and_unreadable_dates_are_refused_saying_why(text, message):
    with pytest.raises(NotADate) as refused:
        parse_date(text)
    assert str(refused.value) == message


# --- a spec of the test's own: users from a staff list ---------------------------------------


@dataclass
class StaffList(Checked):
    people: list[tuple[int, str, str, date | None]] = field(default_factory=list)


def read_staff(sheet: importing.Sheet, into: StaffList) -> None:
    for row in sheet.rows:
        name, email = row.get("name"), row.get("email")
        if not name:
            into.problems.append(f"{row.where('name')}: enter the person's name")
        if "@" not in email:
            into.problems.append(f"{row.where('email')}: '{email}' is not an email address")
        started = row.date("started", into.problems)
        into.people.append((row.number, name, email, started))


def save_staff(checked: StaffList, *, job_title: str) -> list[User]:
    users = [
        User(email=email, full_name=name, job_title=job_title, password_hash="-", access_expires_on=started)
        for _, name, email, started in checked.people
    ]
    db.session.add_all(users)
    db.session.flush()
    return users


STAFF = ImportSpec(
    kind="staff",
    noun="staff list",
    fields=(
        Field("name", "Name", ("full name", "staff name")),
        Field("email", "Work email", ("email", "e-mail")),
        Field("started", "Start date", ("started", "date")),
        Field("team", "Team"),
    ),
    requirements=(Requirement(("name",), "the person's name"), Requirement(("email",), "the work email")),
    result=StaffList,
    read_rows=read_staff,
    save=save_staff,
)


def csv_bytes(*rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_headings_are_matched_by_label_then_synonym_and_each_field_to_one_column():
    assert importing.guess_mapping(STAFF, ["Full Name", "E-mail", "Work Email", "Date", "Notes", ""]) == {
        "Full Name": "name",
        "E-mail": "email",
        "Work Email": "",  # email is taken by the column before
        "Date": "started",
        "Notes": "",
    }
    assert importing.match_heading(STAFF, "  STAFF-name ") == "name"
    assert importing.match_heading(STAFF, "Team") == "team"
    assert importing.match_heading(STAFF, "?!") == ""


def test_a_mapping_is_checked_before_any_row():
    data = csv_bytes(["Name", "Email", "Team", "Started"], ["", "not an email", "A", "31/02/2026"])
    mapping = {"Name": "team", "Email": "shoe_size", "Team": "team", "Started": "started", "Ghost": "name"}

    checked = importing.check(STAFF, "staff.csv", data, mapping)

    assert checked.problems == [
        "staff.csv: there is no column headed 'Ghost'",
        "Column B (Email): 'shoe_size' is not a staff list field",
        "Columns A and C are both mapped to Team",
        "Choose the column that holds the person's name",
        "Choose the column that holds the work email",
    ]


def test_every_problem_is_named_with_its_row_and_column_and_nothing_is_saved(ctx):
    data = csv_bytes(
        ["Name", "Email", "Notes", "Started"],
        ["Ada Lovelace", "ada@council.example", "", "14/01/2026"],
        ["", "", "only a note", ""],  # nothing in a mapped column: not a row to import
        ["Ben Okoro", "ben at council", "", "31/02/2026"],
        ["", "cara@council.example", "", "next week"],
    )
    mapping = importing.guess_mapping(STAFF, ["Name", "Email", "Notes", "Started"])
    before = users()

    checked = importing.check(STAFF, "staff.csv", data, mapping)

    assert checked.problems == [
        "Row 4, column B (Email): 'ben at council' is not an email address",
        "Row 4, column D (Started): '31/02/2026' is not a real date: February 2026 has 28 days",
        "Row 5, column A (Name): enter the person's name",
        "Row 5, column D (Started): 'next week' is not a date; enter it like 31/03/2026",
    ]
    assert (checked.rows, checked.columns, checked.ignored) == (
        4,
        [["name", "Name"], ["email", "Email"], ["started", "Started"]],
        ["Notes"],
    )
    with pytest.raises(ImportProblems) as refused:
        importing.save(STAFF, checked, job_title="Officer")
    assert refused.value.problems == checked.problems
    assert users() == before


def test_a_clean_file_is_saved_through_the_spec_with_the_upload_choices(ctx):
    data = csv_bytes(["Staff name", "Email", "Date"], ["Ada Lovelace", "ada@council.example", "14 Jan 2026"])
    checked = importing.check(STAFF, "staff.csv", data, importing.guess_mapping(STAFF, ["Staff name", "Email", "Date"]))
    assert checked.problems == []

    (user,) = importing.save(STAFF, checked, job_title="Prevent officer")

    assert (user.full_name, user.email, user.job_title, user.access_expires_on) == (
        "Ada Lovelace",
        "ada@council.example",
        "Prevent officer",
        date(2026, 1, 14),
    )


def test_a_save_a_constraint_refuses_is_undone_whole(ctx):
    UserFactory(email="ben@council.example")
    db.session.commit()
    before = users()
    data = csv_bytes(["Name", "Email"], ["Ada Lovelace", "ada@council.example"], ["Ben Okoro", "ben@council.example"])
    checked = importing.check(STAFF, "staff.csv", data, importing.guess_mapping(STAFF, ["Name", "Email"]))
    assert checked.problems == []

    with pytest.raises(ImportProblems) as refused:
        importing.save(STAFF, checked, job_title="Officer")

    assert refused.value.problems == [importing.spec.CHANGED_MEANWHILE]
    assert users() == before  # Ada, flushed in the same save, went too


@pytest.mark.parametrize(
    ("filename", "data", "problem"),
    [
        ("staff.csv", b"Name,Email\r\n", "staff.csv: there are no rows to import"),
        ("staff.csv", b"Name,Email,Notes\r\n,,a note\r\n", "staff.csv: there are no rows to import"),
        ("staff.csv", b"", "staff.csv: the file is empty"),
        ("staff.txt", b"Name,Email\r\n", "staff.txt: the file must be a CSV or XLSX spreadsheet"),
    ],
)
def test_a_file_with_nothing_to_import_says_so_once(filename, data, problem):
    mapping = {"Name": "name", "Email": "email"}
    assert importing.check(STAFF, filename, data, mapping).problems == [problem]


# --- the stashed upload ------------------------------------------------------------------------


def test_a_token_opens_its_own_upload_only_for_its_kind_and_uploader(app):
    with app.app_context():
        table = load_table("staff.csv", b"Name\nAda\n")
        token = stash.put(kind="staff", user=7, filename="staff.csv", table=table, choices={"team": "A"})
        upload = stash.get(token, kind="staff", user=7)
        assert (upload.filename, upload.choices) == ("staff.csv", {"team": "A"})
        assert (upload.table.header, upload.table.rows) == (["Name"], [Row(2, {"Name": "Ada"})])
        # SHA-256 of the file's 9 bytes, as sha256sum prints it.
        assert upload.sha256 == "e4c500a1e680541f71838b28e1d199a4ea0933c4d98ea714fbfa929789ab42e3"
        assert stash.get(token, kind="plans", user=7) is None
        assert stash.get(token, kind="staff", user=8) is None
        assert stash.get(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), kind="staff", user=7) is None
        assert stash.get("not-a-token", kind="staff", user=7) is None

        stash.discard(upload)

        assert stash.get(token, kind="staff", user=7) is None  # spent


# --- a spec that keeps the columns no field holds, and lets the person mark rows --------------


@dataclass
class KeptList(Checked):
    cells: list[dict] = field(default_factory=list)
    marked: list[int] = field(default_factory=list)


def read_cells(sheet: importing.Sheet, into: KeptList) -> None:
    into.cells = [dict(row.values) for row in sheet.rows]
    into.marked = sorted(sheet.marked)


KEEPING = ImportSpec(
    kind="keeping",
    noun="list",
    fields=(Field("name", "Name"),),
    requirements=(Requirement(("name",), "the name"),),
    result=KeptList,
    read_rows=read_cells,
    save=lambda checked: checked,
    kept_prefix="own:",
    marks_rows="Rows that are headings",
)


def test_a_spec_that_keeps_columns_keeps_every_unmatched_heading_unless_left_out():
    header = ["Name", "Notes", "Scratch", "Name2"]
    assert importing.guess_mapping(KEEPING, header) == {
        "Name": "name",
        "Notes": "keep",
        "Scratch": "keep",
        "Name2": "keep",
    }
    data = csv_bytes(header, ["Ada", "first\n- second", "x", "y"], ["Ben", "", "", ""])
    mapping = {"Name": "name", "Notes": "keep", "Scratch": "", "Name2": "own:Notes"}
    checked = importing.check(KEEPING, "list.csv", data, mapping, marked=frozenset({3}))
    # Two columns kept under one heading is a problem like two columns mapped to one field.
    assert checked.problems == ["Columns B and D are both mapped to Notes"]

    mapping["Name2"] = "keep"
    checked = importing.check(KEEPING, "list.csv", data, mapping, marked=frozenset({3}))
    assert checked.problems == []
    assert (checked.kept, checked.ignored) == (["Notes", "Name2"], ["Scratch"])
    assert checked.columns == [["name", "Name"], ["own:Notes", "Notes"], ["own:Name2", "Name2"]]
    assert checked.cells == [{"name": "Ada", "own:Notes": "first\n- second", "own:Name2": "y"}, {"name": "Ben"}]
    assert checked.marked == [3]
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
