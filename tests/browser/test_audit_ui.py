"""A change made through the user interface is recorded in the audit trail, field by field."""

from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.models import User
from partnership.demo import DEMO_LOGINS
from partnership.models import Organisation
from tests.browser.conftest import DEMO_NAMES, assert_no_axe_violations, expect_home, path_of, sign_in


def organisation_updates(app) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.entity == "organisations")
        entries = db.session.scalars(query).all()
        db.session.expunge_all()
        return entries


def test_audit_trail_records_ui_change(page: Page, app):
    _, email = DEMO_LOGINS[0]
    assert organisation_updates(app) == []

    sign_in(page, email)
    expect_home(page, DEMO_NAMES[email])
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Organisations").click()
    assert path_of(page) == "/partnership/organisations"

    page.get_by_role("link", name="Edit Fenland District Council", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Fenland District Council")
    short_name = page.get_by_label("Short name (optional)")
    expect(short_name).to_have_value("Fenland")
    short_name.fill("FDC")
    page.get_by_role("button", name="Save organisation").click()

    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Organisation saved.")
    fenland_row = page.get_by_role("row").filter(has_text="Fenland District Council")
    expect(fenland_row).to_contain_text("(FDC)")

    page.goto("/audit?entity=organisations")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    newest = page.locator("table.govuk-table tbody tr").first
    expect(newest.locator("td").nth(1)).to_have_text(email)
    expect(newest.locator("td").nth(2)).to_contain_text("Fenland District Council")
    expect(newest.locator("td").nth(3)).to_have_text("Changed")
    field = newest.locator("dt", has_text="short_name")
    expect(field).to_have_count(1)
    change = field.locator("xpath=following-sibling::dd[1]")
    expect(change).to_have_text("Fenland → FDC")
    expect(change.locator(".app-diff-before")).to_have_text("Fenland")

    assert_no_axe_violations(page)

    with app.app_context():
        lead = db.session.scalars(select(User).where(User.email == email)).one()
        fenland = db.session.scalars(select(Organisation).where(Organisation.name == "Fenland District Council")).one()
        assert fenland.short_name == "FDC"
        lead_id, fenland_id = lead.id, fenland.id
    matching = [
        e
        for e in organisation_updates(app)
        if e.changes.get("short_name") == ["Fenland", "FDC"] and e.actor_label == email
    ]
    assert len(matching) == 1, [(e.actor_label, e.changes) for e in organisation_updates(app)]
    entry = matching[0]
    assert (entry.actor_id, entry.entity_id, entry.label) == (lead_id, fenland_id, "Fenland District Council")
    # Only the field that changed is recorded.
    assert set(entry.changes) == {"short_name"}
