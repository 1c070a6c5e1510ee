"""A progress update over its length limit, through the browser: the GOV.UK error summary names the
field and the limit, links to the box, keeps every word typed, and nothing is saved."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.browser.test_plans_ui import PLAN_TITLE, SPOC, stored_row


def test_a_too_long_progress_update_is_refused_with_the_limit_named(page: Page, app):
    sign_in(page, SPOC)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Plans").click()
    page.get_by_role("link", name=PLAN_TITLE).click()
    page.get_by_role("link", name="Update progress for row 4").click()
    # 5,001 characters: a pasted report one character over the limit.
    text = "Head teachers briefed on the referral route. " * 111 + "Done."
    text += "." * (5001 - len(text))
    assert len(text) == 5001
    page.get_by_label("Progress update").fill(text)
    page.get_by_role("radio", name="Green", exact=True).check()
    before = stored_row(app, PLAN_TITLE, "Refer vulnerable pupils")

    page.get_by_role("button", name="Save progress update").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Progress update must be 5,000 characters or fewer")
    assert page.title().startswith("Error:")
    expect(page.locator(".govuk-error-message")).to_contain_text("Progress update must be 5,000 characters or fewer")
    expect(page.get_by_label("Progress update")).to_have_value(text)  # nothing typed is lost
    assert_no_axe_violations(page)
    assert stored_row(app, PLAN_TITLE, "Refer vulnerable pupils") == before

    summary.get_by_role("link", name="Progress update must be 5,000 characters or fewer").click()
    expect(page.get_by_label("Progress update")).to_be_focused()
