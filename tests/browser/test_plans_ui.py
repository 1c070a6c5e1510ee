"""A SPOC keeps their plan current through the browser; the Prevent Lead reads the overview."""

from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.extensions import db
from plans import services
from plans.models import Plan, PlanRow, ProgressUpdate
from tests.browser.conftest import assert_no_axe_violations, path_of, sign_in

SPOC = "priya.natarajan@cambridgeshire.example"
LEAD = "helen.marsh@cambridgeshire.example"
PLAN_TITLE = "Peterborough Education Prevent Action Plan 2026-2027"


def latest_update(app, plan_title: str, duty_start: str) -> ProgressUpdate | None:
    with app.app_context():
        row = db.session.scalars(
            select(PlanRow).join(Plan).where(Plan.title == plan_title, PlanRow.duty.startswith(duty_start))
        ).one()
        update = db.session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.row_id == row.id).order_by(ProgressUpdate.id.desc())
        ).first()
        db.session.expunge_all()
        return update


def stored_row(app, plan_title: str, duty_start: str) -> tuple:
    """What the database holds for a row: its RAG, version, last progress time and every update."""
    with app.app_context():
        row = db.session.scalars(
            select(PlanRow).join(Plan).where(Plan.title == plan_title, PlanRow.duty.startswith(duty_start))
        ).one()
        updates = [(u.id, u.items, u.rag, u.reason) for u in row.updates]
        return row.rag, row.version, row.last_progress_at, updates


def test_spoc_updates_progress_and_must_give_a_reason_for_red(page: Page, app):
    sign_in(page, SPOC)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Plans").click()
    assert path_of(page) == "/plans"
    assert_no_axe_violations(page)
    page.get_by_role("link", name=PLAN_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PLAN_TITLE)
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Update progress for row 4").click()
    page.get_by_label("Progress update").fill("Referral route re-briefed to all head teachers\nTwo referrals this term")
    page.get_by_role("radio", name="Red", exact=True).check()
    before = stored_row(app, PLAN_TITLE, "Refer vulnerable pupils")
    assert before[0] != "red"  # so the refused save would have changed it
    page.get_by_role("button", name="Save progress update").click()
    # A change to Red without a reason is refused, with the GOV.UK error summary.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Give a reason for changing the RAG status to Red")
    assert page.title().startswith("Error:")
    assert_no_axe_violations(page)
    assert stored_row(app, PLAN_TITLE, "Refer vulnerable pupils") == before

    page.get_by_label("Reason for the change").fill("A referral was delayed by three weeks")
    page.get_by_role("button", name="Save progress update").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Progress update saved.")
    update = latest_update(app, PLAN_TITLE, "Refer vulnerable pupils")
    assert update.items == ["Referral route re-briefed to all head teachers", "Two referrals this term"]
    assert (update.rag, update.reason) == ("red", "A referral was delayed by three weeks")
    expect(page.locator("tbody")).to_contain_text("Two referrals this term")


def test_spoc_sees_no_edit_controls_on_another_areas_plan(page: Page):
    sign_in(page, SPOC)
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/plans")
    page.get_by_role("link", name="Health Prevent Action Plan 2026-2027").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Health Prevent Action Plan 2026-2027")
    expect(page.get_by_role("link", name="Add a row")).to_have_count(0)
    expect(page.get_by_role("link", name="Update progress", exact=False)).to_have_count(0)


def test_lead_overview_draws_the_chart_without_console_errors(browser, live_server, demo):
    from tests.browser.conftest import new_context

    context = new_context(browser, live_server, bypass_csp=False)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, LEAD)
    page.goto(f"{live_server}/plans")
    expect(page.locator(".app-chart .main-svg").first).to_be_visible()
    assert errors == []
    context.close()


def test_plan_forms_and_area_pages_have_no_axe_violations(page: Page, app):
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.title == PLAN_TITLE)).one()
        row = db.session.scalars(select(PlanRow).where(PlanRow.plan_id == plan.id).order_by(PlanRow.position)).first()
        plan_id, row_id, area_id = plan.id, row.id, plan.area_id
    sign_in(page, SPOC)
    base = page.url.rsplit("/", 1)[0]
    for path in [
        f"/plans/{plan_id}/rows/{row_id}",
        f"/plans/{plan_id}/rows/{row_id}/edit",
        f"/plans/{plan_id}/rows/{row_id}/evidence",
        f"/plans/{plan_id}/columns",
        f"/plans/{plan_id}/edit",
        "/plans/new",
        f"/areas/{area_id}",
    ]:
        page.goto(base + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_axe_violations(page)
    page.goto(base + f"/areas/{area_id}")
    page.get_by_role("link", name="Record", exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referral activity")
    assert_no_axe_violations(page)


def test_an_area_named_as_a_link_is_plain_text_in_the_overview_chart(page: Page, app):
    """A business area named <a href="https://example.org">x</a> with a plan: in the chart the
    Prevent Lead sees its name as typed, and plotly draws no link anywhere in the chart."""
    from partnership.models import BusinessArea, Partnership

    hostile = '<a href="https://example.org">x</a>'
    with app.app_context():
        partnership = db.session.scalars(select(Partnership).order_by(Partnership.id)).first()
        area = BusinessArea(partnership_id=partnership.id, name=hostile)
        db.session.add(area)
        db.session.flush()
        plan = services.create_plan(area_id=area.id, title="Plan of the oddly named area", template="spoc")
        services.add_row(plan, values={"duty": "A duty", "actions": ["An action"]})
        db.session.commit()
    sign_in(page, LEAD)
    page.goto("/plans")
    page.wait_for_selector(".app-chart .main-svg")
    ticks = page.locator(".app-chart .ytick text").all_text_contents()
    assert hostile in ticks
    assert page.locator(".app-chart a").count() == 0
    assert page.evaluate("() => document.querySelectorAll('.app-chart [href], .app-chart [*|href]').length") == 0
    assert_no_axe_violations(page)
