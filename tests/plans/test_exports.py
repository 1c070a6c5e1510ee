"""Exporting plans: CSV, XLSX and PDF each read back as the source file did."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event

from core.extensions import db
from core.vocab import Marking
from plans import exports, services
from plans.templates import FIELDS
from tests.factories import BusinessAreaFactory
from tests.plans.test_imports import COUNTY, KENT, PETERBOROUGH, expected, import_fixture

ALL = [KENT, COUNTY, PETERBOROUGH]


def items_of(value) -> list[str]:
    return str(value).split("\n") if value not in (None, "") else []


def read_back_xlsx(sheet, headings: list[str]) -> dict:
    """A sheet as the expected JSON states a file: section rows hold only their first cell."""
    rows = list(sheet.iter_rows(values_only=True))
    width = len(headings)
    reference = next((i for i, h in enumerate(rows[0]) if h == "No."), None)
    sections = []
    for values in rows[1:]:
        if values[0] and all(v in (None, "") for v in values[1:]):
            sections.append({"title": values[0], "rows": []})
            continue
        if not sections:
            sections.append({"title": None, "rows": []})
        sections[-1]["rows"].append(
            {
                "reference": values[reference] if reference is not None else None,
                "cells": {h: items_of(v) for h, v in zip(headings, values[:width], strict=True)},
            }
        )
    return {"headings": list(rows[0][:width]), "sections": sections}


def read_back_csv(text: str, headings: list[str]) -> dict:
    rows = list(csv.DictReader(io.StringIO(text)))
    sections = []
    for row in rows:
        title = row["Section"] or None
        if not sections or sections[-1]["title"] != title:
            sections.append({"title": title, "rows": []})
        sections[-1]["rows"].append(
            {"reference": row.get("No.") or None, "cells": {h: items_of(row[h]) for h in headings}}
        )
    return {"headings": [h for h in headings if h in rows[0]], "sections": sections}


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
    assert [c.value for c in sheet[1]] == [heading for _, heading in plan.columns]
    assert read_back_xlsx(sheet, want["headings"]) == want


@pytest.mark.parametrize("filename", ALL)
def test_csv_reads_back_as_the_source(plans, filename):
    plan = plans[filename]
    want = expected(filename)

    text = exports.export_bytes([plan], "csv", Marking.OFFICIAL).decode("utf-8-sig")

    header = next(csv.reader(io.StringIO(text)))
    own = dict(map(tuple, plan.columns))
    assert header == ["Plan", "Business area", "Section", *(own.get(f, FIELDS[f][0]) for f in FIELDS)]
    assert read_back_csv(text, want["headings"]) == want
    assert {r["Plan"] for r in csv.DictReader(io.StringIO(text))} == {plan.title}
    area = "County delivery plan" if filename == COUNTY else "Education"
    assert {r["Business area"] for r in csv.DictReader(io.StringIO(text))} == {area}


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
    text = exports.plans_csv([plan])
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
