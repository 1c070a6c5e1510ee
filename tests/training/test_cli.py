"""flask training import and flask training coverage: good input saves or writes; bad input changes nothing."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from core import clock
from core.audit import AuditEntry
from core.extensions import db
from tests.factories import OrganisationFactory, PartnershipFactory
from tests.training.factories import CourseFactory, HeadcountFactory
from tests.training.test_imports import HEADINGS, csv_bytes
from training.models import Completion, CourseKind, Person, RegisterImport

YESTERDAY = clock.today() - timedelta(days=1)


def run(app, *args):
    """Invoke a command as `flask ...` would, with no app context held by the test."""
    return app.test_cli_runner().invoke(args=["training", *map(str, args)])


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Person, Completion, RegisterImport, AuditEntry)
        }


@pytest.fixture
def partners(app):
    with app.app_context():
        partnership = PartnershipFactory(name="CLI Partnership")
        pcc = OrganisationFactory(partnership=partnership, name="Peterborough City Council", short_name="PCC")
        HeadcountFactory(organisation=pcc, relevant_headcount=4, as_of=date(2024, 1, 1))
        OrganisationFactory(partnership=partnership, name="Fenland District Council", short_name="Fenland")
        CourseFactory(name="WRAP", kind=CourseKind.WRAP.value)
        CourseFactory(name="Prevent e-learning", kind=CourseKind.ELEARNING.value, counts_for_coverage=False)
        db.session.commit()


def register_file(tmp_path, *rows, name="register.csv", headings=HEADINGS):
    path = tmp_path / name
    path.write_bytes(csv_bytes(headings, *rows))
    return path


GOOD_ROWS = [
    ["Ada Lovelace", "ada@pcc.example", "E1", "PCC", "", "WRAP", YESTERDAY.strftime("%d/%m/%Y"), "", ""],
    ["Ben Okoro", "ben@pcc.example", "", "PCC", "", "WRAP", YESTERDAY.isoformat(), "", ""],
    ["Cara Lee", "", "77", "Fenland", "", "Prevent e-learning", "03/02/2025", "", ""],
]


def test_import_saves_and_reimporting_the_same_file_adds_nothing(app, partners, tmp_path):
    path = register_file(tmp_path, *GOOD_ROWS)

    first = run(app, "import", path)

    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Imported register.csv (import #")
    assert "3 new completions, 0 already recorded, 3 new people." in first.stdout
    with app.app_context():
        labels = set(db.session.scalars(select(AuditEntry.actor_label).where(AuditEntry.entity == "training_people")))
        assert labels == {"flask training import register.csv"}
    before = counts(app)

    second = run(app, "import", path)

    assert second.exit_code == 0, second.output
    assert "0 new completions, 3 already recorded, 0 new people." in second.stdout
    assert "This file was imported before" in second.stdout
    after = counts(app)
    assert (after["Person"], after["Completion"]) == (before["Person"], before["Completion"])


def test_a_bad_file_lists_every_problem_exits_1_and_saves_nothing(app, partners, tmp_path):
    future = (clock.today() + timedelta(days=30)).strftime("%d/%m/%Y")
    path = register_file(
        tmp_path,
        GOOD_ROWS[0],
        ["Future Fay", "fay@pcc.example", "", "PCC", "", "WRAP", future, "", ""],
        ["Unknown Course", "uc@pcc.example", "", "PCC", "", "Basket weaving", "01/02/2025", "", ""],
        ["Unknown Org", "uo@pcc.example", "", "Atlantis", "", "WRAP", "01/02/2025", "", ""],
        ["No Identifier", "", "", "PCC", "", "WRAP", "01/02/2025", "", ""],
        ["Bad Date", "bd@pcc.example", "", "PCC", "", "WRAP", "2025-13-45", "", ""],
    )
    before = counts(app)

    result = run(app, "import", path)

    assert result.exit_code == 1
    assert errors(result) == [
        f"Error: row 3, column G (Date): {future} is in the future",
        "Error: row 4, column F (Course): 'Basket weaving' is not a course; add it on the courses page or correct "
        "the name",
        "Error: row 5, column D (Organisation): 'Atlantis' is not a member organisation",
        "Error: row 6, columns B (Email) and C (Staff number): enter a work email or a staff number",
        "Error: row 7, column G (Date): '2025-13-45' is not a real date: there is no month 13",
    ]
    assert result.stdout == ""
    assert counts(app) == before


def test_dry_run_reports_without_saving(app, partners, tmp_path):
    before = counts(app)
    result = run(app, "import", register_file(tmp_path, *GOOD_ROWS), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Checked 3 rows of register.csv: would add 3 new completions, 0 already recorded, 3 new people. "
        "Nothing was saved.\n"
    )
    assert counts(app) == before


def test_map_course_and_organisation_options(app, partners, tmp_path):
    path = register_file(
        tmp_path,
        ["Dev Patel", "dev@fenland.example", "01/02/2025", "x"],
        headings=["Learner", "Contact", "Finished", "Notes"],
    )
    result = run(
        app,
        "import",
        path,
        "--map",
        "learner=name",
        "--map",
        "Contact=email",
        "--map",
        "Finished=completed_on",
        "--course",
        "prevent E-LEARNING",
        "--organisation",
        "fenland",
    )
    assert result.exit_code == 0, result.output
    assert "Not imported (no matching field): Notes" in result.stdout
    with app.app_context():
        completion = db.session.scalars(select(Completion)).one()
        assert (completion.course.name, completion.person.organisation.short_name) == ("Prevent e-learning", "Fenland")


def test_bad_options_are_refused_together(app, partners, tmp_path):
    path = register_file(tmp_path, *GOOD_ROWS)
    result = run(app, "import", path, "--map", "Nope=name", "--map", "Name=shoe_size", "--course", "Knitting")
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: --course: there is no course called 'Knitting'",
        "Error: --map: the file has no column headed 'Nope'",
        "Error: --map: 'shoe_size' is not a training record field; use one of: name, email, staff_number, "
        "organisation, role, team, course, completed_on, delivery, facilitator, place",
    ]
    missing = run(app, "import", tmp_path / "missing.csv")
    assert missing.exit_code == 1 and "could not read" in missing.stderr


def test_coverage_as_csv_on_standard_output(app, partners, tmp_path):
    run(app, "import", register_file(tmp_path, *GOOD_ROWS))

    result = run(app, "coverage", "--as-of", clock.today().isoformat(), "--format", "csv")

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    pcc = next(r for r in rows if r["Short name"] == "PCC")
    assert (pcc["Trained"], pcc["Relevant headcount"], pcc["Coverage (%)"], pcc["RAG"]) == ("2", "4", "50.0", "Red")
    before = run(app, "coverage", "--as-of", (YESTERDAY - timedelta(days=1)).isoformat())
    assert next(r for r in csv.DictReader(io.StringIO(before.stdout)) if r["Short name"] == "PCC")["Trained"] == "0"


def test_coverage_to_a_file_as_xlsx_or_pdf(app, partners, tmp_path):
    xlsx = tmp_path / "coverage.xlsx"
    result = run(app, "coverage", "--format", "xlsx", "-o", xlsx)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {xlsx}\n"
    assert load_workbook(xlsx).active.cell(row=1, column=2).value == "Organisation"
    pdf = tmp_path / "coverage.pdf"
    assert run(app, "coverage", "--format", "pdf", "-o", pdf).exit_code == 0
    assert len(PdfReader(pdf).pages) == 1


def test_coverage_options_are_checked(app, partners, tmp_path):
    result = run(app, "coverage", "--as-of", "31/03/2026", "--format", "docx")
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: --as-of: '31/03/2026' is not a date; give it as YYYY-MM-DD, like 2026-03-31",
        "Error: --format: 'docx' is not an export format; use csv, xlsx or pdf",
    ]
    assert errors(run(app, "coverage", "--format", "pdf")) == ["Error: -o: give a file to write the PDF to"]
    assert errors(run(app, "coverage", "--format", "csv", "-o", tmp_path / "c.xlsx")) == [
        "Error: -o: the file name must end in .csv"
    ]
    assert not list(tmp_path.iterdir())
