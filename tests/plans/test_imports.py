"""Importing plans: the three source formats read back exactly; every bad input is refused whole."""

import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core import importing
from core.extensions import db
from core.importing import ImportProblems, normalise
from core.spreadsheets import read_table
from core.vocab import Rag
from plans import imports
from plans.imports import guess_mapping, parse, plan_spec
from plans.models import Plan, PlanRow, PlanSection, ProgressUpdate
from tests.factories import BusinessAreaFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
KENT = "kent-prevent-duty-action-plan-2019.csv"
COUNTY = "county-delivery-plan-2019.xlsx"
PETERBOROUGH = "peterborough-education-2017-2018.xlsx"
#: file -> (template, lead key file)
SOURCES = {KENT: ("kent", "kent-lead-key.csv"), COUNTY: ("county", None), PETERBOROUGH: ("spoc", None)}


def expected(filename: str) -> dict:
    return json.loads((FIXTURES / (Path(filename).stem + ".expected.json")).read_text(encoding="utf-8"))


def import_fixture(filename: str, *, area_id: int | None = None, title: str | None = None) -> Plan:
    """Import a fixture with its template, its lead key and the guessed mapping; flushes only."""
    template, key_file = SOURCES[filename]
    data = (FIXTURES / filename).read_bytes()
    header, _ = read_table(filename, data)
    parsed = parse(filename, data, template=template, mapping=guess_mapping(header, template))
    assert parsed.problems == []
    lead_key = imports.read_lead_key(key_file, (FIXTURES / key_file).read_bytes()) if key_file else None
    return imports.import_plan(
        parsed=parsed,
        area_id=area_id,
        template=template,
        title=title or Path(filename).stem,
        period="",
        lead_key=lead_key,
    )


def cell_items(row: PlanRow, name: str, latest: ProgressUpdate | None) -> list[str]:
    """A stored cell as the expected JSON states it: a list of items."""
    if name == "progress":
        return list(latest.items) if latest else []
    if name == "rag":
        return [Rag(row.rag).label] if row.rag else []
    value = getattr(row, name)
    if isinstance(value, list):
        return value
    if isinstance(value, date):
        return [value.strftime("%d/%m/%Y")]
    return [value] if value else []


def stored_plan(plan_id: int, headings: list[str]) -> dict:
    """The plan as the expected JSON describes a file, read straight from the tables."""
    plan = db.session.get(Plan, plan_id)
    field_for = {heading: name for name, heading in plan.columns}
    sections = db.session.scalars(
        select(PlanSection).where(PlanSection.plan_id == plan_id).order_by(PlanSection.position)
    ).all()
    rows = db.session.scalars(select(PlanRow).where(PlanRow.plan_id == plan_id).order_by(PlanRow.position)).all()
    latest = {}
    for update in db.session.scalars(
        select(ProgressUpdate).join(PlanRow).where(PlanRow.plan_id == plan_id).order_by(ProgressUpdate.id)
    ):
        latest[update.row_id] = update

    def rows_in(section_id):
        return [
            {
                "reference": row.reference or None,
                "cells": {h: cell_items(row, field_for[h], latest.get(row.id)) for h in headings},
            }
            for row in rows
            if row.section_id == section_id
        ]

    out = []
    if any(row.section_id is None for row in rows):
        out.append({"title": None, "rows": rows_in(None)})
    out.extend({"title": s.title, "rows": rows_in(s.id)} for s in sections)
    return {"headings": [h for _, h in plan.columns if h in headings], "sections": out}


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Plan, PlanSection, PlanRow, ProgressUpdate)
    }


def csv_bytes(*rows: list[str]) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


# --- the three source formats -------------------------------------------------------------


@pytest.mark.parametrize("filename", [KENT, COUNTY, PETERBOROUGH])
def test_each_source_file_imports_exactly_as_its_expected_json(ctx, filename):
    area = BusinessAreaFactory(name="Education")
    plan = import_fixture(filename, area_id=area.id)
    want = expected(filename)

    assert stored_plan(plan.id, want["headings"]) == want
    # The plan reads back with the file's own headings, then the template's due date and RAG.
    file_columns = [h for _, h in plan.columns][: len(want["headings"])]
    assert file_columns == want["headings"]
    assert [name for name, _ in plan.columns][len(want["headings"]) :] in (["due_date", "rag"], ["due_date"])


def test_kent_sections_keep_their_numbers_and_the_lead_key(ctx):
    plan = import_fixture(KENT)
    numbers = db.session.scalars(
        select(PlanSection.number).where(PlanSection.plan_id == plan.id).order_by(PlanSection.position)
    ).all()
    assert numbers == ["1", "2", "3", "4", "5", "8"]
    assert plan.lead_key["DHP"].startswith("Dana Hollis-Parry")
    assert len(plan.lead_key) == 7
    # "DHP/ JRWS" is one lead, not two: a Lead cell is split only at line ends.
    first = db.session.scalars(select(PlanRow).where(PlanRow.plan_id == plan.id).order_by(PlanRow.position)).first()
    assert first.leads == ["DHP/ JRWS"]
    assert plan.columns[-2:] == [["rag", "R A G"], ["due_date", "Due date"]]


def test_progress_cells_become_dated_import_updates(ctx):
    plan = import_fixture(PETERBOROUGH, title="Peterborough Education")
    updates = db.session.scalars(select(ProgressUpdate).join(PlanRow).where(PlanRow.plan_id == plan.id)).all()
    assert len(updates) == 7
    assert {u.source for u in updates} == {"import"}
    assert {u.author_label for u in updates} == {f"Import of {PETERBOROUGH}"}
    assert {u.author_id for u in updates} == {None}
    assert {u.rag for u in updates} == {None}


def test_county_plan_has_no_area_and_no_updates_for_empty_cells(ctx):
    plan = import_fixture(COUNTY)
    assert plan.area_id is None and plan.is_county
    assert counts()["ProgressUpdate"] == 0
    assert counts()["PlanSection"] == 6


def test_rows_imported_without_progress_are_not_stale_or_suggested_amber_on_the_day_of_import(ctx):
    from plans import services

    plan = import_fixture(COUNTY)  # no progress cells: no update on any row
    today = date(2026, 11, 16)
    rows = [r for s in services.plan_view(plan, today=today, since=date(2026, 10, 1)) for r in s.rows]
    assert len(rows) == 24 and all(r.latest is None for r in rows)
    undated = [r for r in rows if r.row.due_date is None]
    assert undated, "the county plan has rows without a due date"
    assert [r for r in rows if r.stale] == []
    assert {r.suggested for r in undated} == {None}
    # Stale from the first day of the next quarter without an update.
    next_quarter = [s for s in services.plan_view(plan, today=date(2027, 1, 1), since=date(2027, 1, 1))]
    assert all(r.stale for s in next_quarter for r in s.rows if r.row.rag != "complete")


# --- heading matching ------------------------------------------------------------------------


def test_headings_are_normalised_without_case_punctuation_or_spaces():
    assert normalise("R A G") == "rag"
    assert normalise("Action taken to mitigate/address risk") == "actiontakentomitigateaddressrisk"
    assert normalise("  Lead(s) ") == "leads"
    assert normalise("No.") == "no"


@pytest.mark.parametrize(
    ("heading", "template", "field"),
    [
        ("Area", "county", "actions"),  # the template's own heading comes first
        ("Updates", "county", "progress"),
        ("Area", "spoc", ""),  # not a synonym anywhere
        ("Updates", "spoc", "progress"),
        ("Risk area", "spoc", "duty"),
        ("AREA OF RISK", "custom", "duty"),
        ("Objective", "spoc", "duty"),
        ("What we will do", "spoc", "actions"),
        ("Action taken", "county", "actions"),
        ("Outcome(s)", "spoc", "impact"),
        ("Intended impact", "kent", "impact"),
        ("Lead(s)", "county", "leads"),
        ("Responsible officer", "spoc", "leads"),
        ("Organisation", "spoc", "responsible_agency"),
        ("Timeframe", "spoc", "timescale"),
        ("Target date", "spoc", "due_date"),
        ("Deadline", "kent", "due_date"),
        ("Status update", "spoc", "progress"),
        ("Evidence of impact", "spoc", "evidence"),
        ("Next step", "spoc", "next_steps"),
        ("R.A.G.", "spoc", "rag"),
        ("RAG status", "county", "rag"),
        ("Status", "spoc", "rag"),
        ("Ref", "spoc", "reference"),
        ("Item", "county", "reference"),
        ("Theme", "spoc", "section"),
        ("Notes", "spoc", ""),
        ("", "spoc", ""),
    ],
)
def test_headings_match_the_template_first_then_synonyms(heading, template, field):
    assert importing.match_heading(plan_spec(template), heading) == field


def test_a_guess_maps_each_field_to_one_column_only():
    # A heading no field takes is kept as a column of its own, never dropped by a guess.
    assert guess_mapping(["Action", "Actions", "Notes"], "spoc") == {
        "Action": "actions",
        "Actions": "keep",
        "Notes": "keep",
    }


# --- cell values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("31/03/2027", date(2027, 3, 31)),
        ("1/4/2027", date(2027, 4, 1)),
        ("2027-03-31", date(2027, 3, 31)),
        ("31-03-2027", date(2027, 3, 31)),
        ("31.03.2027", date(2027, 3, 31)),
        ("31 Mar 2027", date(2027, 3, 31)),
    ],
)
def test_due_dates_are_read_in_uk_and_iso_forms(raw, day):
    data = csv_bytes(["Duty", "Due date"], ["Train staff", raw])
    parsed = parse("p.csv", data, template="spoc", mapping={"Duty": "duty", "Due date": "due_date"})
    assert parsed.problems == []
    assert parsed.sections[0].rows[0].values["due_date"] == day


def test_xlsx_date_cells_are_read_as_dates():
    workbook = Workbook()
    workbook.active.append(["Duty", "Due date"])
    workbook.active.append(["Train staff", datetime(2026, 3, 1)])
    out = io.BytesIO()
    workbook.save(out)
    parsed = parse("p.xlsx", out.getvalue(), template="spoc", mapping={"Duty": "duty", "Due date": "due_date"})
    assert parsed.problems == []
    assert parsed.sections[0].rows[0].values["due_date"] == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("raw", "rag"),
    [
        ("Red", "red"),
        ("r", "red"),
        ("AMBER", "amber"),
        ("a", "amber"),
        ("Green", "green"),
        ("g", "green"),
        ("Complete", "complete"),
        ("completed", "complete"),
        ("C", "complete"),
        ("Blue", "complete"),
        ("Not started", "not_started"),
        ("NS", "not_started"),
        ("grey", "not_started"),
        ("", None),
    ],
)
def test_rag_words_people_use(raw, rag):
    data = csv_bytes(["Duty", "Actions", "RAG"], ["Train staff", "Run WRAP", raw])
    parsed = parse("p.csv", data, template="spoc", mapping={"Duty": "duty", "Actions": "actions", "RAG": "rag"})
    assert parsed.problems == []
    assert parsed.sections[0].rows[0].values.get("rag") == rag


def test_text_cells_keep_their_lines_and_list_cells_split_them_keeping_markers():
    data = csv_bytes(["Duty", "Actions", "Lead"], ["Train\nstaff", "• Book WRAP\n• Audit take-up", "DHP/ JRWS\nKU"])
    parsed = parse("p.csv", data, template="spoc", mapping={"Duty": "duty", "Actions": "actions", "Lead": "leads"})
    assert parsed.sections[0].rows[0].values == {
        "duty": "Train\nstaff",
        "actions": ["Book WRAP", "Audit take-up"],
        "leads": ["DHP/ JRWS", "KU"],
    }
    assert parsed.sections[0].rows[0].markers == {"actions": ["\u2022 ", "\u2022 "]}


def test_a_theme_column_puts_rows_in_sections(ctx):
    data = csv_bytes(["Theme", "Actions"], ["Training", "Run WRAP"], ["", "Audit WRAP"], ["Channel", "Review panel"])
    parsed = parse("p.csv", data, template="spoc", mapping={"Theme": "section", "Actions": "actions"})
    assert [(s.title, [r.values["actions"] for r in s.rows]) for s in parsed.sections] == [
        ("Training", [["Run WRAP"], ["Audit WRAP"]]),
        ("Channel", [["Review panel"]]),
    ]
    assert parsed.columns == [["actions", "Actions"]]


def test_red_and_amber_imports_carry_a_reason(ctx):
    data = csv_bytes(["Duty", "RAG", "Progress"], ["Train staff", "Amber", "Half trained"], ["Audit", "Green", ""])
    parsed = parse("p.csv", data, template="spoc", mapping={"Duty": "duty", "RAG": "rag", "Progress": "progress"})
    plan = imports.import_plan(parsed=parsed, area_id=None, template="spoc", title="T")
    updates = db.session.scalars(
        select(ProgressUpdate).join(PlanRow).where(PlanRow.plan_id == plan.id).order_by(ProgressUpdate.id)
    ).all()
    assert [(u.items, u.rag, u.reason) for u in updates] == [
        (["Half trained"], "amber", "Imported from p.csv"),
        ([], "green", ""),
    ]


# --- bad input: every problem at once, nothing saved ------------------------------------------


def test_unknown_columns_are_kept_as_columns_of_the_plan_unless_left_out(ctx):
    data = csv_bytes(
        ["Duty", "Notes", "Actions", "Scratch"], ["Train staff", "A note\n- one\n- two", "Run WRAP", "SCRATCH VALUE"]
    )
    header, _ = read_table("p.csv", data)
    mapping = guess_mapping(header, "spoc")
    assert mapping == {"Duty": "duty", "Notes": "keep", "Actions": "actions", "Scratch": "keep"}
    mapping["Scratch"] = ""  # left out by choice
    parsed = parse("p.csv", data, template="spoc", mapping=mapping)
    assert parsed.problems == []
    assert (parsed.kept, parsed.ignored) == (["Notes"], ["Scratch"])
    plan = imports.import_plan(parsed=parsed, area_id=None, template="spoc", title="T")
    row = db.session.scalars(select(PlanRow).where(PlanRow.plan_id == plan.id)).one()
    assert row.extra == {"extra:Notes": "A note\n- one\n- two"}
    assert plan.columns[:3] == [["duty", "Duty"], ["extra:Notes", "Notes"], ["actions", "Actions"]]
    assert "Scratch" not in json.dumps(plan.columns) and "SCRATCH" not in json.dumps(row.extra)


def test_every_problem_in_a_file_is_listed_with_row_and_column_and_nothing_is_saved(ctx):
    data = csv_bytes(
        ["Duty", "Actions", "Lead", "Due date", "Notes", "R A G"],
        ["Train staff", "Run WRAP", "SPOC", "31/03/2027", "", "Green"],
        ["", "", "SPOC", "", "", ""],  # row 3: content but no duty or actions
        ["", "", "", "", "only a note", ""],  # row 4: nothing in a mapped column: skipped
        ["Audit", "Check", "SPOC", "31/02/2027", "", "Purple"],  # row 5: bad date and RAG
        ["Review", "", "", "next year", "", "Amber"],  # row 6: a date that is not one
    )
    header, _ = read_table("p.csv", data)
    before = counts()

    parsed = parse("p.csv", data, template="kent", mapping=guess_mapping(header, "kent"))

    assert parsed.problems == [
        "Row 3: enter the duty, risk area or actions",
        "Row 5, column D (Due date): '31/02/2027' is not a real date: February 2027 has 28 days",
        "Row 5, column F (R A G): 'Purple' is not a RAG status; use Red, Amber, Green, Complete or Not started",
        "Row 6, column D (Due date): 'next year' is not a date; enter it like 31/03/2026",
    ]
    with pytest.raises(ImportProblems) as raised:
        imports.import_plan(parsed=parsed, area_id=None, template="kent", title="T")
    assert raised.value.problems == parsed.problems
    assert counts() == before


def test_two_columns_mapped_to_one_field_is_a_problem(ctx):
    data = csv_bytes(["Duty", "Actions", "Lead", "What we will do"], ["Train staff", "Run WRAP", "SPOC", "Audit"])
    mapping = {"Duty": "duty", "Actions": "actions", "Lead": "leads", "What we will do": "actions"}
    before = counts()
    parsed = parse("p.csv", data, template="spoc", mapping=mapping)
    assert parsed.problems == ["Columns B and D are both mapped to Actions"]
    with pytest.raises(ImportProblems):
        imports.import_plan(parsed=parsed, area_id=None, template="spoc", title="T")
    assert counts() == before


def test_a_mapping_to_no_field_or_an_absent_heading_is_a_problem():
    data = csv_bytes(["Duty", "Actions"], ["Train staff", "Run WRAP"])
    parsed = parse("p.csv", data, template="spoc", mapping={"Duty": "dooty", "Actions": "actions", "Lead": "leads"})
    assert parsed.problems == [
        "p.csv: there is no column headed 'Lead'",
        "Column A (Duty): 'dooty' is not a plan field",
    ]


def test_a_mapping_with_no_duty_actions_or_reference_says_so_once():
    data = csv_bytes(["Lead", "Evidence"], ["SPOC", "Minutes"], ["SPOC", "Register"])
    parsed = parse("p.csv", data, template="spoc", mapping={"Lead": "leads", "Evidence": "evidence"})
    assert parsed.problems == ["Choose the column that holds the Duty, Actions or Ref"]


def test_overlong_references_are_refused():
    data = csv_bytes(["No.", "Risk Area"], ["1.1.1.1.1.1.1.1.1.1.1.1", "Risk"])
    parsed = parse("p.csv", data, template="kent", mapping={"No.": "reference", "Risk Area": "duty"})
    assert parsed.problems == ["Row 2, column A (No.): must be 20 characters or fewer (it has 23)"]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("plan.docx", b"PK\x03\x04 a word document", "plan.docx: the file must be a CSV or XLSX spreadsheet"),
        (
            "plan.xlsx",
            b"PK\x03\x04 not really a workbook",
            "plan.xlsx: the XLSX file could not be opened; it may be damaged or password-protected",
        ),
        (
            # An encrypted workbook is an OLE compound file, whatever its name says.
            "protected.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
            "protected.xlsx: the XLSX file could not be opened; it may be damaged or password-protected",
        ),
        ("plan.csv", b"", "plan.csv: the file is empty"),
        ("plan.csv", b"Duty,Actions\r\n", "plan.csv: there are no rows to import"),
    ],
)
def test_files_that_cannot_be_read_give_one_clear_problem(ctx, filename, data, message):
    before = counts()
    parsed = parse(filename, data, template="spoc", mapping={"Duty": "duty", "Actions": "actions"})
    assert parsed.problems == [message]
    with pytest.raises(ImportProblems):
        imports.import_plan(parsed=parsed, area_id=None, template="spoc", title="T")
    assert counts() == before


def test_section_rows_are_told_from_rows_by_what_they_hold():
    county = csv_bytes(["Area", "Responsible agency"], ["Partnership", ""], ["Keep a partnership group", "Council"])
    parsed = parse("c.csv", county, template="county", mapping=guess_mapping(["Area", "Responsible agency"], "county"))
    assert [(s.title, len(s.rows)) for s in parsed.sections] == [("Partnership", 1)]

    kent = csv_bytes(["No.", "Risk Area", "Lead"], ["2", "Training", ""], ["2.1", "Staff awareness", "JRWS"])
    parsed = parse("k.csv", kent, template="kent", mapping=guess_mapping(["No.", "Risk Area", "Lead"], "kent"))
    assert [(s.title, s.number, len(s.rows)) for s in parsed.sections] == [("Training", "2", 1)]

    # A row whose only cell is its first column heads a section, whatever field that column holds.
    spoc = csv_bytes(["Duty", "Actions"], ["Training", ""], ["Audit training", "Check registers"])
    parsed = parse("s.csv", spoc, template="spoc", mapping=guess_mapping(["Duty", "Actions"], "spoc"))
    assert [(s.title, [r.values["duty"] for r in s.rows]) for s in parsed.sections] == [
        ("Training", ["Audit training"])
    ]

    # So does a row whose only cell is the reference, wherever that column is.
    refs = csv_bytes(["Actions", "Ref"], ["", "Partnership working"], ["Meet quarterly", "1.1"])
    parsed = parse("r.csv", refs, template="spoc", mapping={"Actions": "actions", "Ref": "reference"})
    assert [(s.title, [r.values["reference"] for r in s.rows]) for s in parsed.sections] == [
        ("Partnership working", ["1.1"])
    ]

    # And a row the person marked, whatever it holds.
    marked = csv_bytes(["Duty", "Actions"], ["Training", "see below"], ["Audit training", "Check registers"])
    parsed = parse("m.csv", marked, template="spoc", mapping={"Duty": "duty", "Actions": "actions"}, marked={2})
    assert [(s.title, len(s.rows)) for s in parsed.sections] == [("Training", 1)]


def test_overlong_section_names_are_refused_with_their_column():
    data = csv_bytes(["No.", "Risk Area"], ["1", "x" * 301], ["1.1", "Risk"])
    parsed = parse("p.csv", data, template="kent", mapping={"No.": "reference", "Risk Area": "duty"})
    assert parsed.problems == ["Row 2, column B (Risk Area): a section name must be 300 characters or fewer"]
