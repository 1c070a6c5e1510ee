"""Reminders in the browser: a coordinator switches one off; the Prevent Lead reads the log."""

from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.extensions import db
from core.models import User
from core.reminders import ReminderOptOut
from core.vocab import Role
from partnership.demo import DEMO_LOGINS
from tests.browser.conftest import DEMO_NAMES, assert_no_axe_violations, expect_home, path_of, sign_in

LOGINS = dict(DEMO_LOGINS)


def test_a_user_switches_a_reminder_off_and_the_lead_sees_the_log(page: Page, app):
    email = LOGINS[Role.SPOC]
    sign_in(page, email)
    expect_home(page, DEMO_NAMES[email])
    page.get_by_role("link", name="Reminders", exact=True).click()
    assert path_of(page) == "/reminders"
    expect(page.get_by_role("heading", level=1)).to_have_text("Your reminders")
    board_actions = page.get_by_label("Board actions due")
    expect(board_actions).to_be_checked()
    assert_no_axe_violations(page)
    board_actions.uncheck()
    page.get_by_role("button", name="Save reminder settings").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your reminder settings are saved.")
    expect(page.get_by_label("Board actions due")).not_to_be_checked()
    expect(page.get_by_label("Plan updates before a board")).to_be_checked()
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        kinds = db.session.scalars(select(ReminderOptOut.kind).where(ReminderOptOut.user_id == user_id)).all()
    assert kinds == ["board_action"]

    page.context.clear_cookies()
    lead = LOGINS[Role.PREVENT_LEAD]
    sign_in(page, lead)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Reminder log").click()
    assert path_of(page) == "/reminders/log"
    expect(page.get_by_role("table")).to_contain_text("Switched off")
    page.get_by_label("Result").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows.first).to_contain_text("Failed")
    expect(page.locator("tbody")).not_to_contain_text("Sent")
    assert_no_axe_violations(page)
