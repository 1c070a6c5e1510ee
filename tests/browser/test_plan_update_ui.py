"""A SPOC updates their plan from its edited spreadsheet: the plan page's link, the upload, the
preview of every change (reached only through an upload, so the page sweep cannot visit it) and
the confirmation, with axe on each page."""

import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.extensions import db
from plans.models import Plan, PlanRow, ProgressUpdate
from tests.browser.conftest import assert_no_axe_violations, sign_in

SPOC = "imran.siddiqui@peterborough.example"
TITLE = "Cohesion Prevent Delivery Plan 2026-2027 (own spreadsheet layout)"


def test_spoc_updates_their_plan_from_an_edited_spreadsheet(page: Page, app, tmp_path):
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id).where(Plan.title == TITLE)).one()
    sign_in(page, SPOC)
    page.goto(f"/plans/{plan_id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    # The demo plan's sheet: section rows 2, 5 and 8; T1, T2, C1, C2 and E1 on rows 3, 4, 6, 7, 9.
    assert [sheet.cell(row=r, column=1).value for r in range(2, 10)] == [
        "Training and awareness",
        "T1",
        "T2",
        "Channel Panel",
        "C1",
        "C2",
        "Community engagement",
        "E1",
    ]
    sheet.cell(row=6, column=header.index("Status") + 1).value = "Complete"
    sheet.cell(
        row=7, column=header.index("What we will do") + 1
    ).value = "- Remind members a week before\n- Record deputies in the minutes\n- Audit attendance each quarter"
    edited = tmp_path / "cohesion-q4.xlsx"
    book.save(edited)

    page.get_by_role("link", name="Update from a spreadsheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Update the plan from a spreadsheet")
    assert_no_axe_violations(page)
    page.get_by_label("Spreadsheet").set_input_files(str(edited))
    page.get_by_role("button", name="Upload and check the changes").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the changes")
    expect(page.get_by_text("Rows are matched on row id.")).to_contain_text("0 rows added, 2 changed, 0 missing")
    status = page.get_by_role("table", name="Row 6: C1 Closed cases reviewed at 6 and 12 months")
    expect(status.get_by_role("row", name="Status")).to_have_text("Status Green Complete")
    actions = page.get_by_role("table", name="Row 7: C2 Members check the case logs")
    expect(actions.get_by_role("row").nth(1)).to_contain_text("- Audit attendance each quarter")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Update the plan").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".govuk-notification-banner").first).to_contain_text(
        "Updated from cohesion-q4.xlsx: 0 rows added, 2 changed, 0 archived."
    )
    assert_no_axe_violations(page)
    with app.app_context():
        row = db.session.scalars(select(PlanRow).where(PlanRow.plan_id == plan_id, PlanRow.reference == "C1")).one()
        update = db.session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.row_id == row.id).order_by(ProgressUpdate.id.desc())
        ).first()
        assert (update.rag, update.source_file, update.author_label) == (
            "complete",
            "cohesion-q4.xlsx",
            "Imran Siddiqui",
        )

    page.goto(f"/plans/{plan_id}/rows/{row.id}")
    expect(page.get_by_text("From cohesion-q4.xlsx")).to_be_visible()
    assert_no_axe_violations(page)
