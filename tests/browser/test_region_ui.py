"""The demo's regional coordinator goes from the home page to the regional roll-up: a chart per
measure with its table beside it, and nothing of the partnership's rows, people or cases."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations, path_of, sign_in

COORDINATOR = "priya.raman@region.example"
PARTNERSHIP = "Cambridgeshire and Peterborough Prevent Partnership"


def test_the_regional_coordinator_reads_the_roll_ups_of_the_partnership_granted(page: Page):
    sign_in(page, COORDINATOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Priya Raman")
    expect(page.get_by_role("heading", name="Your region")).to_be_visible()
    assert_no_axe_violations(page)
    # Only the regional page in the navigation: none of the partnership's own pages.
    navigation = page.get_by_role("navigation", name="Main menu")
    expect(navigation.get_by_role("link")).to_have_text(["Home", "Region"])

    page.get_by_role("link", name="Regional roll-up").click()
    assert path_of(page) == "/region"
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional roll-up")
    # Five charts drawn by plotly (served from the app), each with its figures in a table.
    expect(page.locator(".app-chart .main-svg").first).to_be_visible()
    assert page.locator(".app-chart").count() == 5
    for caption in (
        "Overdue plan rows",
        "Stale plan rows",
        "WRAP training coverage",
        "Channel figures, July to September 2026",
    ):
        table = page.locator("table").filter(has=page.locator("caption", has_text=caption)).first
        expect(table).to_contain_text(PARTNERSHIP)
    # The demo's rows by hand: 5 overdue and 4 stale of 46 in active plans; Channel counts hidden.
    overdue = page.locator("table").filter(has=page.locator("caption", has_text="Overdue plan rows"))
    expect(overdue.locator("tbody th")).to_have_text([PARTNERSHIP])
    expect(overdue.locator("tbody td")).to_have_text(["5", "46"])
    expect(page.locator("#channel").locator("xpath=..")).to_contain_text("[c]")
    # No person's name (the demo's SPOC, panel chair) and no plan row text reaches the page.
    body = page.locator("main").inner_text()
    for secret in (
        "Priya Natarajan",
        "Joanna Price",
        "CP-2026-",
        "Screen every Prevent referral",
        "Trainer unavailable",
    ):
        assert secret not in body
    assert_no_axe_violations(page)
