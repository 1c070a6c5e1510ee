"""The auditor walks the demo year's self-assessment, with the Prevent Lead's answers: the
Lead rates an expectation and responds to a finding; the auditor records a finding, closes
one with evidence, signs the year off and downloads the report."""

from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from compliance.models import ComplianceAssessment, Finding
from core import clock
from core.extensions import db
from tests.browser.conftest import assert_no_axe_violations, path_of, sign_in

LEAD = "helen.marsh@cambridgeshire.example"
AUDITOR = "owen.pritchard@audit.example"
YEAR = clock.today().year - 1


def _open_year(page: Page) -> None:
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Compliance").click()
    assert path_of(page) == "/compliance"
    assert_no_axe_violations(page)
    page.get_by_role("link", name=f"{YEAR} (1 January to 31 December {YEAR})").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Annual compliance {YEAR}")


def test_lead_answers_and_auditor_signs_off_and_downloads_the_report(page: Page, app):
    sign_in(page, LEAD)
    _open_year(page)
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Rate and add evidence for 4.2").click()
    assert_no_axe_violations(page)
    page.get_by_role("radio", name="Partially met").check()
    page.get_by_label("Narrative").fill("Counts are recorded; two areas reported late")
    page.get_by_role("button", name="Save the rating").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Expectation 4.2 saved.")
    page.get_by_role("link", name="Respond to No board meeting in quarter 3").click()
    assert_no_axe_violations(page)
    page.get_by_label("Response").fill("The autumn meeting is now fixed for the first week of each quarter")
    page.get_by_role("button", name="Save the response").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Response saved.")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, AUDITOR)
    _open_year(page)
    expect(page.get_by_text("Counts are recorded; two areas reported late")).to_be_visible()
    expect(page.get_by_role("link", name="Rate and add evidence for 4.2")).to_have_count(0)
    page.get_by_text("Records this check rests on", exact=False).first.click()
    expect(page.get_by_text("Quarter 3 (July to September", exact=False).first).to_be_visible()

    page.get_by_role("link", name="Record a finding").click()
    page.get_by_role("button", name="Record the finding").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the finding")
    assert page.title().startswith("Error:")
    assert_no_axe_violations(page)
    page.get_by_label("Toolkit section").select_option(label="3. Partnership plan")
    page.get_by_label("Finding").fill("Two SPOC areas have no active plan")
    page.get_by_role("radio", name="Medium").check()
    page.get_by_label("Recommendation").fill("Agree plans for the County Lead and CPFT areas")
    page.get_by_label("Owner").select_option(label="Helen Marsh (helen.marsh@cambridgeshire.example)")
    page.get_by_label("Day").fill("30")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill(str(YEAR + 1))
    page.get_by_role("button", name="Record the finding").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Finding recorded.")

    page.get_by_role("link", name="Close with evidence").filter(has_text="No board meeting in quarter 3").click()
    assert_no_axe_violations(page)
    page.get_by_label("Evidence that the finding was dealt with").fill("Next year's schedule, minuted on 10 December")
    page.get_by_role("button", name="Close the finding").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Finding closed.")

    page.get_by_role("link", name="Sign off the year").click()
    assert_no_axe_violations(page)
    page.get_by_label("Sign-off statement").fill("Reasonable assurance, subject to the open findings")
    page.get_by_role("button", name="Sign off the year").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("signed off and now read-only")
    expect(page.get_by_role("link", name="Record a finding")).to_have_count(0)
    assert_no_axe_violations(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (PDF)").click()
    reader = PdfReader(download.value.path())
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert f"Annual Prevent compliance report {YEAR}" in text
    assert f"Quarter 3 (July to September {YEAR})" in text
    assert "Two SPOC areas have no active plan" in text
    assert "The autumn meeting is now fixed for the first week of each quarter" in text
    assert "Signed off by Owen Pritchard" in text
    assert all("OFFICIAL-SENSITIVE" in p.extract_text() for p in reader.pages)

    with app.app_context():
        assessment = db.session.scalar(select(ComplianceAssessment).where(ComplianceAssessment.year == YEAR))
        assert assessment.status == "signed_off"
        closed = db.session.scalar(select(Finding).where(Finding.title == "No board meeting in quarter 3"))
        assert closed.status == "closed"
