"""The Channel Panel chair closes a case and its 6-month review comes up on the right agenda."""

from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import select

from channel_panel.dates import add_months
from channel_panel.demo import DEMO_CASE_NAMES
from channel_panel.models import ChannelCase, PanelMeeting, PostClosureReview
from core import clock
from core.extensions import db
from tests.browser.conftest import assert_no_axe_violations, path_of, sign_in

CHAIR = "joanna.price@peterborough.example"
BOARD = "margaret.hughes@peterborough.example"


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def test_chair_closes_a_case_and_its_review_is_on_the_agenda_after_it_falls_due(page: Page, app):
    today = clock.today()
    due = add_months(today, 6)
    with app.app_context():
        case = db.session.scalars(select(ChannelCase).where(ChannelCase.stage == "support_plan")).first()
        reference, case_id = case.reference, case.id
        meetings = db.session.scalars(select(PanelMeeting).order_by(PanelMeeting.held_on)).all()
        after = next(m for m in meetings if m.held_on >= due)
        before = [m for m in meetings if m.held_on < due][-1]
        after_date, before_id = after.held_on, before.id

    sign_in(page, CHAIR)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Channel Panel").click()
    assert path_of(page) == "/channel"
    expect(page.get_by_role("heading", level=1)).to_have_text("Channel Panel")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Cases", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    assert_no_axe_violations(page)
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Close case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close the case")
    expect(page.get_by_label("Day")).to_have_value(str(today.day))
    assert_no_axe_violations(page)
    page.get_by_role("radio", name="Support completed: vulnerability reduced").check()
    page.get_by_role("button", name="Continue").click()

    # The confirmation step: nothing is closed until the chair confirms.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Close case {reference}?")
    expect(page.locator(".govuk-summary-list")).to_contain_text(long_date(due))
    assert_no_axe_violations(page)
    with app.app_context():
        assert db.session.get(ChannelCase, case_id).stage == "support_plan"
    page.get_by_role("button", name=f"Close case {reference}").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"Case {reference} closed.")
    reviews = page.locator("#reviews + table")
    expect(reviews).to_contain_text("6-month review")
    expect(reviews).to_contain_text(long_date(due))
    with app.app_context():
        assert db.session.get(ChannelCase, case_id).stage == "closed"
        assert sorted(
            r.due_on for r in db.session.scalars(select(PostClosureReview).where(PostClosureReview.case_id == case_id))
        ) == [due, add_months(today, 12)]

    # The meeting before the due date does not list it; the first meeting after it does.
    page.goto(f"/channel/meetings/{before_id}")
    expect(page.locator("#reviews-due")).not_to_contain_text(reference)
    page.get_by_role("link", name="Meetings", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panel meetings")
    assert_no_axe_violations(page)
    page.get_by_role("link", name=long_date(after_date), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(long_date(after_date))
    row = page.locator("#reviews-due tr").filter(has_text=reference)
    expect(row).to_contain_text("6-month review")
    expect(row).to_contain_text(long_date(due))
    expect(row).to_contain_text("overdue" if after_date > due else "Due on the day")
    assert_no_axe_violations(page)
    for name in DEMO_CASE_NAMES:
        expect(page.locator("main")).not_to_contain_text(name)


def test_the_board_sees_the_figures_only_without_names_or_references(page: Page):
    """The board is pointed from the Channel Panel page to the quarter's figures; the anonymised
    log is not theirs to read (no link, and the page is refused)."""
    sign_in(page, BOARD)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Channel Panel").click()
    expect(page.get_by_role("link", name="Cases", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Anonymised log")).to_have_count(0)
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Figures for the board").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Figures for")
    expect(page.get_by_role("link", name="The anonymised log these figures come from")).to_have_count(0)
    assert_no_axe_violations(page)
    main = page.locator("main")
    expect(main).not_to_contain_text("CP-20")
    for name in DEMO_CASE_NAMES:
        expect(main).not_to_contain_text(name)


def test_channel_pages_and_forms_have_no_axe_violations(page: Page, app):
    with app.app_context():
        closed = db.session.scalars(select(ChannelCase).where(ChannelCase.stage == "closed")).first()
        adopted = db.session.scalars(select(ChannelCase).where(ChannelCase.stage == "adopted")).first()
        review = closed.reviews[0]
        meeting = db.session.scalars(select(PanelMeeting).where(PanelMeeting.held_on < clock.today())).all()[-1]
        ids = (closed.id, adopted.id, review.id, meeting.id)
    closed_id, adopted_id, review_id, meeting_id = ids
    sign_in(page, CHAIR)
    for path in [
        "/channel/cases?stage=all",
        "/channel/cases/new",
        f"/channel/cases/{closed_id}/personal",
        f"/channel/cases/{closed_id}/personal/edit",
        f"/channel/cases/{closed_id}/reviews/{review_id}",
        f"/channel/cases/{adopted_id}/edit",
        f"/channel/cases/{adopted_id}/stage",
        f"/channel/cases/{adopted_id}/support/new",
        f"/channel/cases/{adopted_id}/shares/new",
        f"/channel/meetings/{meeting_id}",
        f"/channel/meetings/{meeting_id}/attendance",
        "/channel/meetings/new",
        "/channel/membership",
        "/channel/membership/new",
        "/channel/membership/panel",
        "/channel/log",
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_axe_violations(page)
    # A form's error summary too.
    page.goto(f"/channel/cases/{adopted_id}/stage")
    page.get_by_role("button", name="Save stage").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the new stage")
    assert page.title().startswith("Error:")
    assert_no_axe_violations(page)


def test_the_board_reads_small_channel_counts_as_c_and_the_lead_sets_the_threshold(page: Page):
    sign_in(page, BOARD)
    page.goto("/channel/figures")
    note = page.locator("#suppression-note")
    expect(note).to_contain_text("[c]: fewer than 5, suppressed to protect individuals.")
    cells = page.locator("td.govuk-table__cell--numeric").all_text_contents()
    assert "[c]" in cells
    assert not set(cells) & {"1", "2", "3", "4"}
    assert_no_axe_violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert ",[c]" in text and "fewer than 5, suppressed to protect individuals" in text

    page.context.clear_cookies()
    sign_in(page, "helen.marsh@cambridgeshire.example")
    page.goto("/channel/figures")
    page.get_by_role("link", name="Change the smallest count published").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership settings")
    assert_no_axe_violations(page)
    page.get_by_label("Smallest count published about people").fill("2")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("whole number from 3 to 20")
    assert_no_axe_violations(page)
    page.get_by_label("Smallest count published about people").fill("10")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Partnership settings saved")
    page.goto("/channel/figures")
    expect(page.locator("#suppression-note")).to_contain_text("[c]: fewer than 10, suppressed")
