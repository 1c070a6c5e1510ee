"""The training coordinator watches coverage, records training, and sees the organisation's figure move."""

from playwright.sync_api import Page, expect
from sqlalchemy import select

from core import clock
from core.extensions import db
from tests.browser.conftest import assert_no_axe_violations, new_context, path_of, sign_in
from training.models import Completion, Person

COORDINATOR = "nadia.kowalski@cambridgeshire.example"
BOARD_MEMBER = "margaret.hughes@peterborough.example"
FENLAND = "Fenland District Council"


def fenland_row(page: Page):
    return page.locator("#coverage-table tbody tr").filter(has_text=FENLAND)


def test_coordinator_records_training_and_sees_the_organisations_coverage_change(page: Page, app):
    sign_in(page, COORDINATOR)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Training").click()
    assert path_of(page) == "/training"
    expect(page.get_by_role("heading", level=1)).to_have_text("WRAP training coverage")
    expect(fenland_row(page)).to_contain_text("75.0%")
    expect(fenland_row(page)).to_contain_text("Red")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Record training").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record training")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Save record").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the person's full name")
    expect(summary).to_contain_text("Enter a work email address or a staff number")
    assert page.title().startswith("Error:")
    assert_no_axe_violations(page)

    today = clock.today()
    page.get_by_label("Full name").fill("Robin Ashworth")
    page.get_by_label("Work email address").fill("robin.ashworth@fenland.example")
    page.get_by_label("Organisation", exact=True).select_option(label=FENLAND)
    page.get_by_label("Job role (optional)").fill("Housing officer")
    page.get_by_label("Course", exact=True).select_option(label="WRAP")
    page.get_by_label("Day").fill(str(today.day))
    page.get_by_label("Month").fill(str(today.month))
    page.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Facilitated session").check()
    page.get_by_role("button", name="Save record").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"WRAP recorded for Robin Ashworth. Coverage at {FENLAND} is now 80.0% (16 of 20)."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Robin Ashworth")
    assert_no_axe_violations(page)
    with app.app_context():
        person = db.session.scalars(select(Person).where(Person.email == "robin.ashworth@fenland.example")).one()
        assert db.session.scalars(select(Completion.completed_on).where(Completion.person_id == person.id)).all() == [
            today
        ]

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Training").click()
    expect(fenland_row(page)).to_contain_text("80.0%")
    expect(fenland_row(page)).to_contain_text("Amber")

    fenland_row(page).get_by_role("link", name=FENLAND).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FENLAND)
    expect(page.locator("#organisation-coverage")).to_contain_text("80.0%")
    assert_no_axe_violations(page)


def test_training_pages_have_no_axe_violations(page: Page):
    sign_in(page, COORDINATOR)
    base = page.url.rsplit("/", 1)[0]
    for path, heading in [
        ("/training/headcounts", "Relevant headcounts"),
        ("/training/people", "People trained"),
        ("/training/records", "Training records"),
        ("/training/sessions", "Sessions"),
        ("/training/evaluations", "Evaluations"),
        ("/training/facilitators", "Facilitators"),
        ("/training/courses", "Courses"),
        ("/training/import", "Import a register"),
        ("/training/imports", "Imports"),
        ("/training/courses/new", "Add a course"),
        ("/training/sessions/new", "Add a session"),
    ]:
        page.goto(base + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_no_axe_violations(page)
    page.goto(base + "/training/sessions")
    page.locator("tbody a").first.click()
    expect(page.get_by_role("heading", level=2, name="Evaluations")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Record an evaluation").click()
    page.get_by_role("button", name="Save evaluation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select a score for understanding before")
    assert_no_axe_violations(page)
    page.goto(base + "/training/headcounts")
    page.get_by_role("link", name=f"Record a headcount for {FENLAND}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a headcount")
    assert_no_axe_violations(page)


def test_the_trend_chart_draws_under_the_strict_csp_for_a_board_member(browser, live_server, demo):
    context = new_context(browser, live_server, bypass_csp=False)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, BOARD_MEMBER)
    page.goto(f"{live_server}/training")
    expect(page.locator(".app-chart .main-svg").first).to_be_visible()
    expect(page.get_by_role("link", name="People")).to_have_count(0)
    assert errors == []
    context.close()
