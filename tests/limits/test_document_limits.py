"""A plan PDF prints its summary and what fits its budget; its pages say where the rest is, and
the XLSX appendix holds every row and every word."""

import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader

from core.extensions import db
from core.vocab import Role
from plans import services
from plans.models import Plan

#: 105 rows: 100 print (core.limits.PDF_ROWS), five are left to the appendix.
ROWS = 105
#: Row 1's duty: 2,000 characters, more than a cell of this plan prints (1,500).
LONG_DUTY = "Long duty " + "d" * 1990


def _build(app, world) -> int:
    with app.app_context():
        plan = db.session.get(Plan, world.plan_id)
        for number in range(1, ROWS + 1):
            duty = LONG_DUTY if number == 1 else f"Duty number {number}"
            services.add_row(plan, section_title="Training", values={"duty": duty, "actions": [f"Act {number}"]})
        db.session.commit()
        return plan.id


def test_a_long_plan_prints_its_summary_and_says_the_rest_is_in_the_xlsx_appendix(app, client, world, login_as):
    plan_id = _build(app, world)  # 1 row from the world, then 105: 106 rows in all
    login_as(Role.SPOC)

    response = client.get(f"/plans/export?format=pdf&plan={plan_id}")

    assert response.status_code == 200
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]
    text = re.sub(r"\s+", " ", " ".join(pages))
    assert "The full plan is in the XLSX appendix." in text
    assert "This PDF shows 100 of the plan's 106 rows, and 1 of its cells only in part" in text
    assert "Rows 101 to 106 are in the XLSX appendix" in text
    # The appendix's address (APP_BASE_URL, then the export), which may wrap across lines.
    assert f"http://127.0.0.1:5000/plans/export?format=xlsx&plan={plan_id}" in text.replace(" ", "")
    assert "continues in the XLSX appendix" in text
    assert "Duty number 99" in text  # the 100th row of the plan
    assert "Duty number 100" not in text  # the 101st
    assert "d" * 1600 not in text.replace(" ", "")  # the long duty is cut short
    for page in pages:  # every page: the marking, and where the full plan is
        assert "OFFICIAL" in page
        assert "Full plan: the XLSX appendix" in re.sub(r"\s+", " ", page)


def test_the_xlsx_appendix_holds_every_row_and_every_word(app, client, world, login_as):
    plan_id = _build(app, world)
    login_as(Role.SPOC)

    response = client.get(f"/plans/export?format=xlsx&plan={plan_id}")

    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
    duties = [row[0] for row in values if len([v for v in row if v is not None]) > 1]
    assert len(duties) == 106
    assert LONG_DUTY in duties
    assert duties[-1] == f"Duty number {ROWS}"


def test_a_plan_that_fits_prints_whole_without_the_note(app, client, world, login_as):
    login_as(Role.SPOC)
    response = client.get(f"/plans/export?format=pdf&plan={world.plan_id}")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "XLSX appendix" not in text
    assert "Train staff" in text
    # The summary: the world's plan has one row, with no status yet (and, added on the test's
    # day, not stale).
    flat = re.sub(r"\s+", " ", text)
    # (pypdf runs some headings together: "CompleteNot started".)
    assert re.search(
        r"Summary Rows Red Amber Green Complete ?Not started ?No status yet ?Overdue ?"
        r"Not updated this quarter 1 0 0 0 0 0 1 0 0 ",
        flat,
    )


def test_each_demo_plan_prints_whole(app, demo):
    from plans import exports

    with app.test_request_context():
        plans = exports.find_plans()
        printed = [exports.pdf_plans([plan])[0] for plan in plans]
    assert len(printed) == 11
    assert [p.export.plan.title for p in printed if not p.whole] == []


def test_a_document_of_several_plans_keeps_its_budget_and_says_which_plans_had_no_room(app, client, world, login_as):
    # In document order: the county plan (no rows), the adult social care plan (1 + 120 rows:
    # it fills the 100 rows the document prints), then the education plan (1 row), left with none.
    with app.app_context():
        plan = db.session.get(Plan, world.other_plan_id)
        for number in range(1, 121):
            services.add_row(plan, values={"duty": f"Adult duty {number}"})
        db.session.commit()
    login_as(Role.PREVENT_LEAD)

    response = client.get("/plans/export?format=pdf")

    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages))
    assert "This PDF shows 100 of the plan's 121 rows" in text
    assert "Rows 101 to 121 are in the XLSX appendix" in text
    assert "This PDF has no room for the plan's 1 row: the plans before it fill it" in text
    assert "Train staff" not in text  # the education plan's row
    assert f"format=xlsx&plan={world.plan_id}" in text.replace(" ", "")
