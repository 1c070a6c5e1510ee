"""flask plans import and flask plans export: good input saves or writes; bad input changes nothing."""

import csv
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.extensions import db
from plans.models import Plan, PlanRow, PlanSection, ProgressUpdate
from tests.factories import BusinessAreaFactory
from tests.plans.test_imports import COUNTY, FIXTURES, KENT, PETERBOROUGH, csv_bytes, expected

KEY = FIXTURES / "kent-lead-key.csv"


def run(app, *args):
    """Invoke a command as `flask ...` would, with no app context held by the test."""
    return app.test_cli_runner().invoke(args=["plans", *map(str, args)])


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Plan, PlanSection, PlanRow, ProgressUpdate, AuditEntry)
        }


@pytest.fixture
def area_id(app):
    with app.app_context():
        area = BusinessAreaFactory(name="Higher Education")
        db.session.commit()
        return area.id


def test_import_kent_with_its_lead_key(app, area_id):
    result = run(app, "import", FIXTURES / KENT, "--area", "higher education", "--template", "kent", "--lead-key", KEY)

    assert result.exit_code == 0, result.output
    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        assert (
            result.stdout
            == f"Imported 13 rows in 6 sections into plan #{plan.id}: Kent prevent duty action plan 2019\n"
        )
        assert (plan.area_id, plan.template) == (area_id, "kent")
        assert plan.lead_key["KU"] == "Kent Student Union"
        assert [h for _, h in plan.columns][:6] == expected(KENT)["headings"]
        labels = set(db.session.scalars(select(AuditEntry.actor_label).where(AuditEntry.entity == "plan_rows")))
        assert labels == {f"flask plans import {KENT}"}


def test_import_by_area_number_or_as_the_county_plan_with_a_title_and_period(app, area_id):
    result = run(
        app, "import", FIXTURES / PETERBOROUGH, "--area", area_id, "--title", "Education plan", "--period", "2017-2018"
    )
    assert result.exit_code == 0, result.output
    assert "Imported 7 rows in 0 sections" in result.stdout

    result = run(app, "import", FIXTURES / COUNTY, "--area", "COUNTY", "--template", "county")
    assert result.exit_code == 0, result.output
    assert "Imported 24 rows in 6 sections" in result.stdout
    with app.app_context():
        plans = {p.title: p for p in db.session.scalars(select(Plan))}
        assert plans["Education plan"].area_id == area_id and plans["Education plan"].period == "2017-2018"
        assert plans["County delivery plan 2019"].area_id is None


def test_map_options_override_the_guess(app, area_id):
    data_file = FIXTURES / PETERBOROUGH
    result = run(app, "import", data_file, "--area", area_id, "--drop", "evidence", "--map", "Impact=next_steps")
    assert result.exit_code == 0, result.output
    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        assert [f for f, _ in plan.columns] == ["duty", "actions", "next_steps", "leads", "progress", "due_date", "rag"]
        row = db.session.scalars(select(PlanRow).order_by(PlanRow.position)).first()
        assert row.evidence == [] and row.impact == []
        assert row.next_steps[0].startswith("Reduces risk as SPOC provides")


def test_unknown_columns_are_kept_and_a_column_is_left_out_only_by_drop(app, area_id, tmp_path):
    source = tmp_path / "plan.csv"
    source.write_bytes(csv_bytes(["Duty", "Actions", "Notes", "Scratch"], ["Train staff", "Run WRAP", "kept", "gone"]))

    # Unmapping a column without --drop names it and saves nothing.
    before = counts(app)
    result = run(app, "import", source, "--area", area_id, "--map", "Scratch=")
    assert result.exit_code == 1
    assert "these columns would not be imported: 'Scratch'" in result.stderr
    assert '--drop "Heading"' in result.stderr
    assert counts(app) == before

    result = run(app, "import", source, "--area", area_id, "--drop", "scratch")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == ["Kept as columns of their own: Notes", "Left out: Scratch"]
    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        assert plan.columns[:3] == [["duty", "Duty"], ["actions", "Actions"], ["extra:Notes", "Notes"]]
        assert db.session.scalars(select(PlanRow.extra)).one() == {"extra:Notes": "kept"}


def test_bad_options_are_all_reported_and_nothing_is_saved(app, area_id, tmp_path):
    before = counts(app)
    result = run(
        app,
        "import",
        FIXTURES / KENT,
        "--area",
        "Nowhere",
        "--template",
        "fancy",
        "--map",
        "Risk Area=risk",
        "--map",
        "Colour=rag",
        "--map",
        "no equals sign",
    )
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: --area: there is no business area called 'Nowhere'; give its name, its number or county",
        "Error: --template: 'fancy' is not a plan format; use one of: spoc, county, kent, custom",
        "Error: --map: 'risk' is not a plan field; use one of: reference, duty, actions, impact, leads, "
        "responsible_agency, timescale, due_date, progress, evidence, next_steps, rag, section, reason, row_id, keep",
        "Error: --map: the file has no column headed 'Colour'",
        "Error: --map: 'no equals sign' must look like Heading=field, or Heading= to leave a column out",
    ]
    assert counts(app) == before


def test_problems_in_the_file_are_all_reported_with_row_and_column(app, area_id, tmp_path):
    source = tmp_path / "plan.csv"
    source.write_bytes(
        csv_bytes(
            ["Duty", "Actions", "Lead", "Due date", "Notes", "R A G"],
            ["Train staff", "Run WRAP", "SPOC", "31/03/2027", "", "Green"],
            ["", "", "SPOC", "", "", ""],
            ["Audit", "Check", "SPOC", "2027-02-30", "", "Purple"],
        )
    )
    before = counts(app)
    result = run(app, "import", source, "--area", area_id, "--template", "kent")
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: row 3: enter the duty, risk area or actions",
        "Error: row 4, column D (Due date): '2027-02-30' is not a real date: February 2027 has 28 days",
        "Error: row 4, column F (R A G): 'Purple' is not a RAG status; use Red, Amber, Green, Complete or Not started",
    ]
    assert counts(app) == before

    result = run(app, "import", FIXTURES / KENT, "--area", area_id, "--map", "Lead=actions")
    assert result.exit_code == 1
    assert errors(result) == ["Error: columns C and E are both mapped to Actions"]
    assert counts(app) == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plan.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "may be damaged or password-protected"),
        ("plan.txt", b"Duty\nTrain staff\n", "plan.txt: the file must be a CSV or XLSX spreadsheet"),
        ("plan.csv", b"", "plan.csv: the file is empty"),
    ],
)
def test_unreadable_files_are_refused(app, area_id, tmp_path, name, data, message):
    source = tmp_path / name
    source.write_bytes(data)
    before = counts(app)
    result = run(app, "import", source, "--area", area_id)
    assert result.exit_code == 1
    assert len(errors(result)) == 1 and message in errors(result)[0]
    assert counts(app) == before


def test_a_missing_file_is_reported(app, area_id, tmp_path):
    result = run(app, "import", tmp_path / "absent.csv", "--area", area_id, "--lead-key", tmp_path / "absent-key.csv")
    assert result.exit_code == 1
    assert errors(result) == [
        f"Error: --lead-key: could not read {tmp_path / 'absent-key.csv'}: No such file or directory",
        f"Error: could not read {tmp_path / 'absent.csv'}: No such file or directory",
    ]


# flask plans export


@pytest.fixture
def imported(app, area_id):
    assert (
        run(app, "import", FIXTURES / KENT, "--area", area_id, "--template", "kent", "--title", "Kent").exit_code == 0
    )
    assert run(app, "import", FIXTURES / COUNTY, "--area", "county", "--template", "county").exit_code == 0
    with app.app_context():
        return {p.title: p.id for p in db.session.scalars(select(Plan))}


def test_export_every_plan_as_xlsx(app, imported, tmp_path):
    target = tmp_path / "plans.xlsx"
    result = run(app, "export", "--format", "xlsx", "-o", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {target}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plans.xlsx"]  # no .part file left behind
    workbook = load_workbook(target)
    assert workbook.sheetnames == ["County delivery plan 2019", "Kent"]
    assert [c.value for c in workbook["Kent"][1]][:6] == expected(KENT)["headings"]


def test_export_one_plan_as_csv_and_pdf(app, imported, tmp_path):
    kent = imported["Kent"]
    assert run(app, "export", "--format", "csv", "--plan", kent, "-o", tmp_path / "kent.csv").exit_code == 0
    header, *rows = list(csv.reader(io.StringIO((tmp_path / "kent.csv").read_text(encoding="utf-8-sig"))))
    # The plan's page: its six shown columns, its 13 rows and its 6 section rows (number and title).
    assert header[:2] == ["No.", "Risk Area"] and len(header) == 6
    assert [len(r) for r in rows].count(6) == 13 and [len(r) for r in rows].count(2) == 6

    assert run(app, "export", "--format", "pdf", "--plan", kent, "-o", tmp_path / "kent.pdf").exit_code == 0
    pages = PdfReader(tmp_path / "kent.pdf").pages
    assert all("OFFICIAL" in page.extract_text() for page in pages)


def test_export_refuses_bad_options_and_writes_nothing(app, imported, tmp_path):
    result = run(app, "export", "--format", "docx", "--plan", "999", "-o", tmp_path / "missing" / "plans.docx")
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: --format: 'docx' is not an export format; use csv, xlsx or pdf",
        f"Error: -o: the folder {tmp_path / 'missing'} does not exist",
        "Error: --plan: there is no plan #999",
    ]
    result = run(app, "export", "--format", "csv", "--plan", "one", "-o", tmp_path / "plans.xlsx")
    assert errors(result) == [
        "Error: -o: the file name must end in .csv",
        "Error: --plan: 'one' is not a plan number",
    ]
    assert list(tmp_path.iterdir()) == []


def test_section_rows_can_be_named_and_a_column_kept_by_map(app, area_id, tmp_path):
    source = tmp_path / "plan.csv"
    source.write_bytes(
        csv_bytes(
            ["Duty", "Actions", "Comments"],
            ["Training", "All rows below", ""],
            ["Train staff", "Run WRAP", "On track"],
        )
    )
    result = run(app, "import", source, "--area", area_id, "--section-row", "2", "--map", "Comments=keep")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("Imported 1 rows in 1 sections into plan #")
    with app.app_context():
        assert db.session.scalars(select(PlanSection.title)).all() == ["Training"]
        row = db.session.scalars(select(PlanRow)).one()
        assert (row.duty, row.extra) == ("Train staff", {"extra:Comments": "On track"})
