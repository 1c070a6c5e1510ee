"""Imports through the browser: the upload, the column mapping page (reached only through an upload,
so the page sweep cannot visit it) and the confirmation, with axe on each page."""

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from core.extensions import db
from plans.models import Plan, PlanRow
from tests.browser.conftest import assert_no_axe_violations, sign_in
from training.models import Completion

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
LEAD = "helen.marsh@cambridgeshire.example"
COORDINATOR = "nadia.kowalski@cambridgeshire.example"


def test_lead_imports_a_plan_through_the_column_mapping_page(page: Page, app):
    sign_in(page, LEAD)
    page.goto("/plans/import")
    assert_no_axe_violations(page)
    page.get_by_label("Spreadsheet").set_input_files(str(FIXTURES / "peterborough-education-2017-2018.xlsx"))
    page.get_by_label("Plan title").fill("Education plan imported in the browser")
    page.get_by_role("button", name="Upload and check columns").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the columns")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Import plan").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Education plan imported in the browser")
    assert_no_axe_violations(page)
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.title == "Education plan imported in the browser")).one()
        rows = db.session.scalar(select(func.count()).select_from(PlanRow).where(PlanRow.plan_id == plan.id))
    assert rows > 0


def test_coordinator_imports_a_register_through_the_column_mapping_page(page: Page, app, tmp_path):
    register = tmp_path / "register.csv"
    register.write_text(
        "Attendee name,Work email,Organisation,Course,Date completed\n"
        "Tamsin Ellery,tamsin.ellery@peterborough.example,Peterborough City Council,WRAP,03/11/2026\n"
        "Declan Oyelaran,declan.oyelaran@peterborough.example,Peterborough City Council,WRAP,03/11/2026\n",
        encoding="utf-8",
    )
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Completion))
    sign_in(page, COORDINATOR)
    page.goto("/training/import")
    page.get_by_label("Register or e-learning export").set_input_files(str(register))
    page.get_by_role("button", name="Upload and check columns").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the columns")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Import records").click()

    expect(page.locator(".govuk-notification-banner, .govuk-panel").first).to_contain_text("2")
    assert_no_axe_violations(page)
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(Completion))
    assert after == before + 2
