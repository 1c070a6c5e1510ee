"""Exporting plans: CSV, XLSX and PDF each read back as the source file did."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pypdf import PdfReader
from sqlalchemy import event

from core.extensions import db
from core.vocab import Marking
from plans import exports, services
from tests.factories import BusinessAreaFactory
from tests.plans.test_imports import COUNTY, KENT, PETERBOROUGH, expected, import_fixture

ALL = [KENT, COUNTY, PETERBOROUGH]
#: The columns each plan's page shows (worked out from the fixtures: the county plan has no
#: Timescale or Expected Outcomes entry, and no plan a due date; Progress and RAG are always shown).
SHOWN = {
    KENT: ["No.", "Risk Area", "Action taken to mitigate/address risk", "Next Steps", "Lead", "R A G"],
    COUNTY: ["Area", "Responsible Agency", "Updates", "RAG"],
    PETERBOROUGH: ["Duty", "Actions", "Impact", "Lead", "Progress", "Evidence", "RAG"],
}


def items_of(value) -> list[str]:
    """A cell's items, without the list markers the source file wrote (the expected JSON has none)."""
    return [re.sub(r"^\u2022 ", "", line) for line in str(value).split("\n")] if value not in (None, "") else []


def read_back(header: list[str], body: list[tuple[bool, list]], headings: list[str]) -> dict:
    """Rows as the expected JSON states a file: (is a section row, values) for each row; a
    section row holds its title last (after its number under No.)."""
    reference = header.index("No.") if "No." in header else None
    sections = []
    for is_section, values in body:
        if is_section:
            sections.append({"title": [v for v in values if v not in (None, "")][-1], "rows": []})
            continue
        if not sections:
            sections.append({"title": None, "rows": []})
        by_heading = dict(zip(header, values, strict=False))
        sections[-1]["rows"].append(
            {
                "reference": values[reference] if reference is not None else None,
                "cells": {h: items_of(by_heading.get(h)) for h in headings},
            }
        )
    return {"headings": headings, "sections": sections}


def read_back_xlsx(sheet, headings: list[str]) -> dict:
    """A sheet: section rows are those without a row id (the last, hidden column)."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    body = [(r[-1] is None, r[:-1]) for r in rows[1:]]
    return read_back(list(rows[0][:-1]), body, headings)


def read_back_csv(text: str, headings: list[str]) -> dict:
    """One plan's CSV: section rows are the short ones (the CSV has no row id)."""
    rows = list(csv.reader(io.StringIO(text)))
    body = [(len(r) < len(rows[0]), r) for r in rows[1:]]
    return read_back(rows[0], body, headings)


def normalised(text: str) -> str:
    """Whitespace as one space, and none after a hyphen (the PDF breaks lines there)."""
    return re.sub(r"-\s+", "-", re.sub(r"\s+", " ", text)).strip()


@pytest.fixture
def plans(ctx):
    area = BusinessAreaFactory(name="Education")
    return {
        name: import_fixture(name, area_id=None if name == COUNTY else area.id, title=name.rsplit(".", 1)[0])
        for name in ALL
    }


@pytest.mark.parametrize("filename", ALL)
def test_xlsx_reads_back_as_the_source(plans, filename):
    plan = plans[filename]
    want = expected(filename)

    workbook = load_workbook(io.BytesIO(exports.plans_xlsx([plan])))

    assert len(workbook.worksheets) == 1
    sheet = workbook.worksheets[0]
    assert sheet.title == plan.title[:31]
    # The columns the page shows (those with an entry, and Progress and RAG), then the row id.
    assert [c.value for c in sheet[1]] == [*SHOWN[filename], "Row id"]
    assert sheet.column_dimensions[get_column_letter(len(SHOWN[filename]) + 1)].hidden
    assert read_back_xlsx(sheet, want["headings"]) == want


@pytest.mark.parametrize("filename", ALL)
def test_csv_reads_back_as_the_source(plans, filename):
    plan = plans[filename]
    want = expected(filename)

    text = exports.export_bytes([plan], "csv", Marking.OFFICIAL).decode("utf-8-sig")

    header = next(csv.reader(io.StringIO(text)))
    # The same columns, in the same order, as the page and the XLSX: no empty ones.
    assert header == SHOWN[filename]
    assert read_back_csv(text, want["headings"]) == want


def test_one_csv_holds_every_plan_under_common_headings(plans):
    text = exports.plans_csv(list(plans.values()))
    rows = list(csv.DictReader(io.StringIO(text)))
    # The plans name the duty differently (Risk Area, Duty), so the default heading is used.
    assert "Duty" in rows[0] and "Risk Area" not in rows[0]
    assert len(rows) == sum(len(s["rows"]) for f in ALL for s in expected(f)["sections"])
    kent = [r for r in rows if r["Plan"] == plans[KENT].title]
    assert kent[0]["Duty"].startswith("Engagement with Prevent partners")
    assert kent[0]["Section"] == "Partnership and Leadership"


@pytest.mark.parametrize("filename", ALL)
def test_pdf_holds_every_item_with_the_marking_on_every_landscape_page(plans, filename):
    plan = plans[filename]
    want = expected(filename)

    pdf = exports.plans_pdf([plan], Marking.OFFICIAL_SENSITIVE)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    for page in reader.pages:
        assert float(page.mediabox.width) > float(page.mediabox.height)
        assert "OFFICIAL-SENSITIVE" in page.extract_text()
    text = normalised(" ".join(page.extract_text() for page in reader.pages))
    missing = [
        item[:30]
        for section in want["sections"]
        for row in section["rows"]
        for items in row["cells"].values()
        for item in items
        if normalised(item[:30]) not in text
    ]
    assert missing == []
    titles = [s["title"] for s in want["sections"] if s["title"]]
    assert all(normalised(t) in text for t in titles)


def test_pdf_of_several_plans_starts_each_on_a_new_page(plans):
    pdf = exports.plans_pdf([plans[COUNTY], plans[KENT]], Marking.OFFICIAL)
    pages = [normalised(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    starts = [i for i, text in enumerate(pages) if plans[KENT].title in text]
    assert starts and starts[0] > 0
    assert plans[COUNTY].title not in pages[starts[0]]


def test_spreadsheet_exports_neutralise_formulas(ctx):
    plan = services.create_plan(area_id=None, title="=cmd|' /C calc'!A0", template="spoc")
    services.add_row(plan, values={"duty": '=HYPERLINK("http://evil.example")', "actions": ["+1+1", "@SUM(A1)"]})
    other = services.create_plan(area_id=None, title="Other", template="spoc")
    text = exports.plans_csv([plan, other])
    row = list(csv.DictReader(io.StringIO(text)))[0]
    assert row["Plan"] == "'=cmd|' /C calc'!A0"
    assert row["Duty"] == '\'=HYPERLINK("http://evil.example")'
    assert row["Actions"] == "'+1+1\n@SUM(A1)"

    sheet = load_workbook(io.BytesIO(exports.plans_xlsx([plan]))).worksheets[0]
    assert sheet.cell(row=2, column=1).value == '\'=HYPERLINK("http://evil.example")'
    assert sheet.cell(row=2, column=1).data_type == "s"
    assert sheet.cell(row=2, column=2).value == "'+1+1\n@SUM(A1)"


def test_sheet_titles_are_safe_and_unique():
    taken: set[str] = set()
    first = exports.sheet_title("Plan: A/B [2019] * and a very long name indeed", taken)
    second = exports.sheet_title("Plan: A/B [2019] * and a very long name indeed", taken)
    assert first == "Plan A B 2019 and a very long n"
    assert second == "Plan A B 2019 and a very lo (2)"
    assert all(len(t) <= 31 and not set("[]:*?/\\") & set(t) for t in (first, second))
    assert exports.sheet_title("???", taken) == "Plan"
    assert exports.sheet_title("history", taken) == "History plan"


def test_exports_read_each_plan_in_a_fixed_number_of_queries(ctx):
    """Bounded queries: exporting 30 rows costs what exporting 3 does (no lazy load per row)."""
    small = services.create_plan(area_id=None, title="Small", template="kent")
    large = services.create_plan(area_id=None, title="Large", template="kent")
    for plan, n in ((small, 3), (large, 30)):
        for i in range(n):
            row = services.add_row(
                plan, section_title=f"Section {i % 3}", values={"reference": f"1.{i}", "duty": f"Risk {i}"}
            )
            services.record_progress(row, items=[f"Update {i}"], rag="green", actor=None, actor_label="t")
    db.session.commit()

    def queries(plan, fmt) -> int:
        db.session.expire_all()
        plan = exports.find_plans(plan.id)
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            exports.export_bytes(plan, fmt, Marking.OFFICIAL)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    for fmt in ("csv", "xlsx"):
        assert queries(small, fmt) == queries(large, fmt)


def test_export_filenames():
    class P:
        title = "Kent Prevent Duty: Action Plan 2019!"

    assert exports.export_filename([P()], "pdf", single=True) == "kent-prevent-duty-action-plan-2019.pdf"
    assert re.fullmatch(r"plans-\d{4}-\d{2}-\d{2}\.xlsx", exports.export_filename([P(), P()], "xlsx", single=False))


def test_plan_column_headings_are_neutralised_like_cells(ctx):
    from plans.templates import default_columns

    heading = '=HYPERLINK("http://x","y")'
    columns = [[name, heading if name == "duty" else text] for name, text in default_columns("spoc")]
    plan = services.create_plan(area_id=None, title="Plan with a hostile heading", template="spoc", columns=columns)
    services.add_row(plan, values={"duty": "Keep records", "actions": ["Check"]})

    header = next(csv.reader(io.StringIO(exports.plans_csv([plan]))))
    assert '\'=HYPERLINK("http://x","y")' in header
    assert heading not in header

    sheet = load_workbook(io.BytesIO(exports.plans_xlsx([plan]))).worksheets[0]
    first = sheet.cell(row=1, column=1)
    assert first.value == '\'=HYPERLINK("http://x","y")'
    assert first.data_type == "s"
