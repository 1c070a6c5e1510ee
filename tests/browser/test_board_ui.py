"""The Prevent Lead runs a board cycle in the browser: schedule, agenda, pack, meeting, actions."""

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from board.models import BoardMeeting
from core import clock
from core.dates import add_months
from core.extensions import db
from plans.models import Plan, PlanRow
from tests.browser.conftest import assert_no_axe_violations, sign_in

LEAD = "helen.marsh@cambridgeshire.example"


def fill_date(page: Page, name: str, day: date) -> None:
    page.locator(f"#{name}-day").fill(str(day.day))
    page.locator(f"#{name}-month").fill(str(day.month))
    page.locator(f"#{name}-year").fill(str(day.year))


def test_lead_schedules_builds_agenda_produces_pack_records_meeting_and_actions_roll_on(page: Page, app, live_server):
    with app.app_context():
        upcoming = db.session.scalars(select(BoardMeeting).order_by(BoardMeeting.held_on)).all()
        next_meeting = next(m for m in upcoming if m.held_on >= clock.today())
        after_next = next(m for m in upcoming if m.held_on > next_meeting.held_on)
        red_amber = db.session.scalars(
            select(PlanRow.duty).join(Plan).where(Plan.status == "active", PlanRow.rag.in_(["red", "amber"]))
        ).all()
        next_id, after_id, last_held_on = next_meeting.id, after_next.id, upcoming[-1].held_on

    sign_in(page, LEAD)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Board").click()
    assert_no_axe_violations(page)

    # A year of meetings, starting after the schedule the demo already has.
    page.get_by_role("link", name="Schedule meetings").click()
    first = add_months(last_held_on, 3)
    fill_date(page, "first_on", first)
    page.get_by_label("A year of quarterly meetings (4)").check()
    page.get_by_label("Start time (optional)").fill("10:00")
    page.get_by_label("Place (optional)").fill("Sand Martin House, Peterborough")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("4 meetings scheduled")
    with app.app_context():
        assert db.session.scalar(select(BoardMeeting).where(BoardMeeting.held_on == first)) is not None

    # Build the next agenda: add an item and move it up.
    page.goto(f"{live_server}/board/meetings/{next_id}")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Add an item").click()
    page.get_by_label("Item").fill("Prevent peer review findings")
    page.get_by_label("Note on the agenda (optional)").fill("Presented by the Prevent Lead, 10 minutes")
    page.get_by_role("button", name="Save item").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Item added to the agenda")
    # The move is a form post and a redirect: read the rows only once the new page has loaded.
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("move Prevent peer review findings up")).click()
    expect(page.locator("table").first.locator("tbody tr").first).to_be_visible()
    rows = page.locator("table").first.locator("tbody tr").all_inner_texts()
    position = {
        name: next(i for i, r in enumerate(rows) if name in r)
        for name in ("Prevent peer review findings", "Review of board membership", "Any other business")
    }
    assert (
        position["Prevent peer review findings"]
        < position["Review of board membership"]
        < position["Any other business"]
    )

    # The pack, read back: its exceptions match the live plans.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the board pack (PDF)").click()
    reader = PdfReader(download.value.path())
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Board pack" in text and "Prevent peer review findings" in text
    for duty in red_amber:
        assert duty[:25] in text.replace("\n", " "), duty
    assert all("OFFICIAL-SENSITIVE" in p.extract_text() for p in reader.pages)

    # Record the meeting: minutes against an item and an action arising.
    page.goto(f"{live_server}/board/meetings/{next_id}")
    page.get_by_role("link", name="Edit Prevent peer review findings").click()
    page.get_by_label("Minutes (optional)").fill(
        "The board welcomed the peer review and agreed its three recommendations."
    )
    page.get_by_role("button", name="Save item").click()
    page.get_by_role("link", name="Record an action").click()
    page.get_by_label("Action").fill("Turn the peer review recommendations into county plan rows")
    page.get_by_label("Owner").fill("Helen Marsh")
    fill_date(page, "due_on", clock.today() + timedelta(days=60))
    page.get_by_role("button", name="Add action").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("recorded")

    # The open action rolls into the next meeting's action log.
    page.goto(f"{live_server}/board/meetings/{after_id}")
    expect(page.locator("#actions ~ table").first).to_contain_text(
        "Turn the peer review recommendations into county plan rows"
    )
    assert_no_axe_violations(page)
