"""Spreadsheet round trips: a plan exported, edited in a spreadsheet and imported back into itself
changes exactly what was edited, and exports again as the edited file, cell by cell."""

import csv
import hashlib
import html
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.extensions import db
from core.permissions import Role
from plans.models import Plan, PlanRow, PlanSection, ProgressUpdate
from tests.factories import BusinessAreaFactory, UserFactory
from tests.plans.test_imports import FIXTURES, KENT

CUSTOM = "custom-layout-community-safety-2026.xlsx"

#: fixture -> (import options, and per format: the column changed as progress, the list column
#: changed, what the added row holds). Columns are named by heading, as in the exported file.
FORMATS = {
    KENT: {
        "options": ["--template", "kent", "--lead-key", FIXTURES / "kent-lead-key.csv"],
        "rag": "R A G",
        "list": "Next Steps",
        "text": "Risk Area",
        "added": {"No.": "1.6", "Risk Area": "Prevent in apprenticeships", "Lead": "- DHP\n- EG"},
    },
    "county-delivery-plan-2019.xlsx": {
        "options": ["--template", "county"],
        "rag": "RAG",
        "list": "Updates",
        "text": "Area",
        "added": {
            "Area": "- Run a partnership away day\n- Invite the CSP chairs",
            "Responsible Agency": "Prevent Lead",
        },
    },
    "peterborough-education-2017-2018.xlsx": {
        "options": ["--template", "spoc"],
        "rag": "RAG",
        "list": "Progress",
        "text": "Duty",
        "added": {"Duty": "Review the SPOC network", "Actions": "- Survey SPOCs\n- Report to the board"},
    },
    CUSTOM: {
        "options": ["--template", "custom"],
        "rag": "Status",
        "list": "What we will do",
        "text": "Guidance",
        "added": {"Ref": "T3", "Workstream": "Refresher training", "What we will do": "- Book refreshers"},
    },
}


def run(app, *args):
    return app.test_cli_runner().invoke(args=["plans", *map(str, args)])


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Plan, PlanSection, PlanRow, ProgressUpdate, AuditEntry)
        }


def sheet_values(path: Path) -> list[list]:
    sheet = load_workbook(path).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def data_rows(values: list[list]) -> list[int]:
    """Indexes of the rows that are plan rows (they carry a row id in the last column)."""
    return [i for i, row in enumerate(values) if i > 0 and row[-1] is not None]


@pytest.mark.parametrize("filename", list(FORMATS))
def test_export_edit_reimport_export_gives_the_edited_file(app, tmp_path, filename):
    fmt = FORMATS[filename]
    with app.app_context():
        area = BusinessAreaFactory(name="Education")
        db.session.commit()
        area_id = area.id
    result = run(app, "import", FIXTURES / filename, "--area", area_id, *fmt["options"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id)).one()

    exported = tmp_path / "exported.xlsx"
    assert run(app, "export", "--format", "xlsx", "--plan", plan_id, "-o", exported).exit_code == 0
    book = load_workbook(exported)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert (
        header[-1] == "Row id" and sheet.column_dimensions[sheet.cell(row=1, column=len(header)).column_letter].hidden
    )
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    rows = data_rows(values)
    col = {heading: index + 1 for index, heading in enumerate(header)}

    # Three cells changed: a RAG, a list cell (with "- " markers), a text cell (with a line break).
    first, second, third, last = rows[0] + 1, rows[1] + 1, rows[2] + 1, rows[-1] + 1
    old_rag = sheet.cell(row=first, column=col[fmt["rag"]]).value
    new_rag = "Complete" if old_rag != "Complete" else "Green"
    sheet.cell(row=first, column=col[fmt["rag"]]).value = new_rag
    list_column = fmt["list"] if fmt["list"] in col else next(h for h in header if h not in (fmt["rag"], "Row id"))
    old_list = sheet.cell(row=second, column=col[list_column]).value
    new_list = "- Met the regional coordinator\n- Next meeting in January"
    sheet.cell(row=second, column=col[list_column]).value = new_list
    old_text = sheet.cell(row=third, column=col[fmt["text"]]).value
    new_text = "Reviewed with partners\nin November 2026"
    sheet.cell(row=third, column=col[fmt["text"]]).value = new_text
    # A row added after the first, and the last row deleted.
    removed_id = sheet.cell(row=last, column=len(header)).value
    sheet.delete_rows(last)
    sheet.insert_rows(first + 1)
    for heading, text in fmt["added"].items():
        sheet.cell(row=first + 1, column=col[heading]).value = text
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    sha = hashlib.sha256(edited.read_bytes()).hexdigest()

    # The dry run lists exactly those, and changes nothing.
    before = counts(app)
    result = run(app, "import", edited, "--into", plan_id, "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Rows added: 1" in lines
    assert lines[lines.index("Rows added: 1") + 1].startswith(f"  + row {first + 1}: ")
    assert "Rows changed: 3" in lines
    assert f"      {fmt['rag']}: {old_rag!r} -> {new_rag!r}" in lines or (
        not old_rag and f"      {fmt['rag']}: (empty) -> {new_rag!r}" in lines
    )
    old_list_shown = repr(old_list) if old_list else "(empty)"
    assert f"      {list_column}: {old_list_shown} -> {new_list!r}" in lines
    assert f"      {fmt['text']}: {old_text!r} -> {new_text!r}" in lines
    changed_cells = [line for line in lines if line.startswith("      ")]
    assert len(changed_cells) == 3
    assert "Rows missing from the file: 1" in lines
    assert lines[lines.index("Rows missing from the file: 1") + 1].startswith(f"  - #{removed_id}: ")
    assert lines[-1] == "Dry run: nothing was changed."
    assert counts(app) == before

    # Confirmed (archiving the missing row), then exported again: the edited file, cell by cell.
    result = run(app, "import", edited, "--into", plan_id, "--archive-missing")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"Updated plan #{plan_id}: 1 added, 3 changed, 1 archived"
    again = tmp_path / "again.xlsx"
    assert run(app, "export", "--format", "xlsx", "--plan", plan_id, "-o", again).exit_code == 0
    want, got = sheet_values(edited), sheet_values(again)
    assert len(got) == len(want)
    with app.app_context():
        added = db.session.scalars(select(PlanRow).order_by(PlanRow.id.desc())).first()
        assert got[first][-1] == added.id  # the added row now carries its id
        got[first][-1] = None
        assert got == want

        # The changed RAG is a dated progress entry whose source is the file and author the import.
        row_id = want[first - 1][-1]
        update = db.session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.row_id == row_id).order_by(ProgressUpdate.id.desc())
        ).first()
        assert (update.source, update.source_file, update.source_sha256) == ("import", "edited.xlsx", sha)
        assert db.session.get(PlanRow, removed_id).archived_at is not None

    # The same file again changes nothing.
    before = counts(app)
    result = run(app, "import", edited, "--into", plan_id)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"Plan #{plan_id} already matches edited.xlsx: nothing was changed."
    assert counts(app) == before


def test_a_plan_with_never_seen_headings_keeps_every_column_on_its_page_and_in_each_export(
    app, world, client, login_as, tmp_path
):
    source = tmp_path / "council-plan.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(
            [
                ["No.", "Guidance", "Work to date", "Action required"],
                ["1", "Partnership working", "", ""],
                [
                    "1.1",
                    "Keep a multi-agency group\n- meets quarterly",
                    "- Met in September\n- Met in October",
                    "Invite CSP",
                ],
                ["1.2", "Link to the safeguarding boards", "Link agreed", "- Share minutes\n- Attend annually"],
                ["2", "Training", "", ""],
                ["2.1", "WRAP for frontline staff", "120 trained", "Book refreshers"],
            ]
        )
    result = run(app, "import", source, "--area", world.area_id, "--template", "custom")
    assert result.exit_code == 0, result.output
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id).where(Plan.title == "Council plan")).one()
    assert result.stdout.splitlines() == [
        f"Imported 3 rows in 2 sections into plan #{plan_id}: Council plan",
        "Kept as columns of their own: Guidance",
    ]
    texts = [
        "Keep a multi-agency group",
        "meets quarterly",
        "Met in September",
        "Met in October",
        "Invite CSP",
        "Link to the safeguarding boards",
        "Link agreed",
        "Share minutes",
        "Attend annually",
        "WRAP for frontline staff",
        "120 trained",
        "Book refreshers",
        "1.1",
        "1.2",
        "2.1",
        "Partnership working",
        "Training",
    ]
    for heading in ["No.", "Guidance", "Work to date", "Action required"]:
        texts.append(heading)

    login_as(Role.SPOC)
    page = html.unescape(client.get(f"/plans/{plan_id}").get_data(as_text=True))
    for text in texts:
        assert text in page, text

    for fmt in ("csv", "xlsx", "pdf"):
        out = tmp_path / f"plan.{fmt}"
        assert run(app, "export", "--format", fmt, "--plan", plan_id, "-o", out).exit_code == 0
        if fmt == "csv":
            content = out.read_text(encoding="utf-8-sig")
            assert "- meets quarterly" in content and "- Met in September\n- Met in October" in content
        elif fmt == "xlsx":
            content = "\n".join(str(v) for row in sheet_values(out) for v in row if v is not None)
            assert "Keep a multi-agency group\n- meets quarterly" in content
            assert "- Share minutes\n- Attend annually" in content
        else:
            content = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out).pages)
        for text in texts:
            assert text in content, (fmt, text)


def plan_id_of(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Plan.id)).one()


def test_a_product_xlsx_matches_rows_on_their_hidden_id_even_when_references_change(app, tmp_path):
    """Editing the reference of a row in an exported XLSX changes that row; it adds no row."""
    with app.app_context():
        area = BusinessAreaFactory(name="Education")
        db.session.commit()
        area_id = area.id
    assert run(app, "import", FIXTURES / KENT, "--area", area_id, "--template", "kent").exit_code == 0
    plan_id = plan_id_of(app)
    exported = tmp_path / "kent.xlsx"
    assert run(app, "export", "--format", "xlsx", "--plan", plan_id, "-o", exported).exit_code == 0
    book = load_workbook(exported)
    sheet = book.worksheets[0]
    assert sheet.cell(row=3, column=1).value == "1.1"
    sheet.cell(row=3, column=1).value = "1.2"
    book.save(exported)
    result = run(app, "import", exported, "--into", plan_id, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Rows added: 0" in result.stdout and "Rows changed: 1" in result.stdout
    assert "      No.: '1.1' -> '1.2'" in result.stdout.splitlines()


def test_a_rag_moved_to_red_without_a_reason_is_a_problem_and_nothing_changes(app, tmp_path):
    with app.app_context():
        area = BusinessAreaFactory(name="Education")
        db.session.commit()
        area_id = area.id
    assert run(app, "import", FIXTURES / KENT, "--area", area_id, "--template", "kent").exit_code == 0
    plan_id = plan_id_of(app)
    exported = tmp_path / "kent.xlsx"
    assert run(app, "export", "--format", "xlsx", "--plan", plan_id, "-o", exported).exit_code == 0
    book = load_workbook(exported)
    sheet = book.worksheets[0]
    assert sheet.cell(row=1, column=6).value == "R A G"
    sheet.cell(row=3, column=6).value = "Red"
    book.save(exported)
    before = counts(app)
    result = run(app, "import", exported, "--into", plan_id)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: row 3, column R A G: give a reason for changing the RAG status to Red "
        "(in a column headed Reason for RAG)"
    )
    assert counts(app) == before

    # With a reason column, it is saved, and the reason goes with the progress entry.
    sheet.cell(row=1, column=8).value = "Reason for RAG"
    sheet.cell(row=3, column=8).value = "Partner left the group"
    book.save(exported)
    result = run(app, "import", exported, "--into", plan_id, "--by", "nobody@council.example")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: --by: there is no user with the email nobody@council.example"
    with app.app_context():
        user_id = UserFactory(email="priya@council.example", full_name="Priya Natarajan").id
        db.session.commit()
    result = run(app, "import", exported, "--into", plan_id, "--by", "Priya@Council.example")
    assert result.exit_code == 0, result.output
    with app.app_context():
        update = db.session.scalars(select(ProgressUpdate).order_by(ProgressUpdate.id.desc())).first()
        assert (update.rag, update.reason, update.source_file) == ("red", "Partner left the group", "kent.xlsx")
        assert (update.author_id, update.author_label) == (user_id, "Priya Natarajan")


def test_into_an_unknown_plan_or_without_a_key_is_refused(app, tmp_path):
    source = tmp_path / "p.csv"
    source.write_text("Duty,Actions\nTrain staff,Run WRAP\n", encoding="utf-8")
    with app.app_context():
        area = BusinessAreaFactory(name="Education")
        db.session.commit()
        area_id = area.id
    result = run(app, "import", source, "--into", "999")
    assert result.exit_code == 1 and result.stderr.strip() == "Error: --into: there is no plan #999"
    assert run(app, "import", source, "--area", area_id).exit_code == 0
    result = run(app, "import", source, "--into", plan_id_of(app))
    assert result.exit_code == 1
    assert "the file has no Row id or reference column to match its rows" in result.stderr
    result = run(app, "import", source, "--into", plan_id_of(app), "--key", "Duty")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"Plan #{plan_id_of(app)} already matches p.csv: nothing was changed."


def test_every_problem_of_an_update_is_listed_at_once(app, tmp_path):
    with app.app_context():
        area = BusinessAreaFactory(name="Education")
        db.session.commit()
        area_id = area.id
    assert run(app, "import", FIXTURES / KENT, "--area", area_id, "--template", "kent").exit_code == 0
    plan_id = plan_id_of(app)
    exported = tmp_path / "kent.xlsx"
    assert run(app, "export", "--format", "xlsx", "--plan", plan_id, "-o", exported).exit_code == 0
    book = load_workbook(exported)
    sheet = book.worksheets[0]
    sheet.cell(row=3, column=6).value = "Amber"  # 1.1, no reason
    sheet.cell(row=4, column=7).value = 99999  # 1.4's row id changed to one the plan does not have
    book.save(exported)
    result = run(app, "import", exported, "--into", plan_id, "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: row 4 (Row id 99999): the plan has no such row; clear the cell to add the row as a new one",
        "Error: row 3, column R A G: give a reason for changing the RAG status to Amber "
        "(in a column headed Reason for RAG)",
    ]
