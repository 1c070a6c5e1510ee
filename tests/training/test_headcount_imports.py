"""Importing relevant headcounts: flask training headcounts and the upload and mapping pages."""

import io
from datetime import date

from openpyxl import Workbook
from sqlalchemy import select

from core.extensions import db
from core.vocab import Role
from tests.training.test_cli import counts, errors, partners, run  # noqa: F401 (partners is a fixture)
from tests.training.test_imports import csv_bytes
from training.models import Headcount

HEADINGS = ["Organisation", "Team", "Relevant headcount", "As at", "Source"]


def stored(app) -> list[tuple]:
    with app.app_context():
        return [
            (h.organisation.short_name, h.team, h.relevant_headcount, h.as_of, h.source)
            for h in db.session.scalars(select(Headcount).order_by(Headcount.id))
        ]


def test_headcounts_are_imported_and_the_same_file_again_changes_nothing(app, partners, tmp_path):  # noqa: F811
    path = tmp_path / "hr.csv"
    path.write_bytes(
        csv_bytes(
            HEADINGS,
            ["Peterborough City Council", "", "1,250", "31/03/2026", "HR establishment report, March 2026"],
            ["pcc", "Education", "310", "2026-03-31", ""],
            ["Fenland", "", "88", "31 Mar 2026", "HR"],
        )
    )
    result = run(app, "headcounts", path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Checked 3 rows of hr.csv: would record 3 headcounts added, 0 corrected, 0 already recorded. "
        "Nothing was saved.\n"
    )
    assert len(stored(app)) == 1  # the fixture's own

    result = run(app, "headcounts", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Imported hr.csv: 3 headcounts added, 0 corrected, 0 already recorded.\n"
    assert stored(app)[1:] == [
        ("PCC", "", 1250, date(2026, 3, 31), "HR establishment report, March 2026"),
        ("PCC", "Education", 310, date(2026, 3, 31), "Imported from hr.csv"),
        ("Fenland", "", 88, date(2026, 3, 31), "HR"),
    ]

    before = counts(app)
    result = run(app, "headcounts", path)
    assert result.stdout == "Imported hr.csv: 0 headcounts added, 0 corrected, 3 already recorded.\n"
    assert counts(app) == before

    # A corrected figure updates the one recorded for that organisation, team and date.
    path.write_bytes(csv_bytes(HEADINGS, ["Fenland", "", "90", "31/03/2026", "HR"]))
    result = run(app, "headcounts", path)
    assert result.stdout == "Imported hr.csv: 0 headcounts added, 1 corrected, 0 already recorded.\n"
    assert stored(app)[-1] == ("Fenland", "", 90, date(2026, 3, 31), "HR")


def test_every_problem_is_listed_with_row_and_column_and_nothing_is_saved(app, partners, tmp_path):  # noqa: F811
    path = tmp_path / "hr.csv"
    path.write_bytes(
        csv_bytes(
            HEADINGS,
            ["PCC", "", "100", "31/03/2026", "HR"],  # row 2: good
            ["Nowhere Council", "", "12", "31/03/2026", ""],  # row 3
            ["PCC", "", "about 40", "31/02/2026", ""],  # row 4
            ["Fenland", "", "", "", ""],  # row 5
            ["Fenland", "", "-3", "01/01/2027", ""],  # row 6: negative, future
            ["pcc", "", "101", "2026-03-31", ""],  # row 7: the same as row 2
        )
    )
    before = counts(app)
    result = run(app, "headcounts", path)
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: row 3, column A (Organisation): there is no organisation called 'Nowhere Council'",
        "Error: row 4, column C (Relevant headcount): 'about 40' is not a whole number of staff, 0 or more",
        "Error: row 4, column D (As at): '31/02/2026' is not a real date: February 2026 has 28 days",
        "Error: row 5, column C (Relevant headcount): enter the relevant headcount",
        "Error: row 5, column D (As at): enter the date the headcount is true on",
        "Error: row 6, column C (Relevant headcount): '-3' is not a whole number of staff, 0 or more",
        "Error: row 6, column D (As at): the date must be today or in the past",
        "Error: row 7, columns A (Organisation) and D (As at): row 2 is already a headcount for pcc on 31 March 2026",
    ]
    assert counts(app) == before and len(stored(app)) == 1


def test_a_file_without_the_needed_columns_is_refused(app, partners, tmp_path):  # noqa: F811
    path = tmp_path / "hr.csv"
    path.write_bytes(csv_bytes(["Employer", "Notes"], ["PCC", "x"]))
    result = run(app, "headcounts", path)
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: choose the column that holds the relevant headcount",
        "Error: choose the column that holds the date the headcount is true on",
    ]


def test_the_coordinator_imports_headcounts_through_the_pages(app, client, world, login_as):
    login_as(Role.TRAINING_COORDINATOR)
    page = client.get("/training/headcounts").get_data(as_text=True)
    assert "Import headcounts from a spreadsheet" in page
    workbook = Workbook()
    workbook.active.append(["Employer", "Headcount", "Census date", "Data source"])
    workbook.active.append(["Test County Council", 640, date(2026, 9, 30), "HR, September 2026"])
    out = io.BytesIO()
    workbook.save(out)
    response = client.post(
        "/training/headcounts/import",
        data={"file": (io.BytesIO(out.getvalue()), "hr.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Check the columns" in page
    choices = {"col_0": "organisation", "col_1": "relevant_headcount", "col_2": "as_of", "col_3": "source"}
    response = client.post(location, data=choices)
    assert response.status_code == 302 and response.headers["Location"] == "/training/headcounts"
    with app.app_context():
        headcount = db.session.scalars(select(Headcount).where(Headcount.as_of == date(2026, 9, 30))).one()
        assert (headcount.organisation_id, headcount.relevant_headcount, headcount.source) == (
            world.organisation_id,
            640,
            "HR, September 2026",
        )
    assert client.get(location).status_code == 404  # the upload is gone once imported
