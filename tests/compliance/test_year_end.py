"""A closed year's report reads the same whenever it is printed.

The checks read the partnership as it stood on 31 December (plans active then, organisations
and areas that existed then, rows as they stood, headcounts in force then); a signed-off
version is printed from the data stored at sign-off, whatever is recorded afterwards.

Expected figures are worked out by hand from the gappy 2025 (tests/compliance/conftest.py):
areas with a SPOC are Education (the world's SPOC) and Health (no plan); the only SPOC plan
rows are the world's two, of which only Education's row had started by 2025 (its first update
was 1 February 2025); Test County Council is at 95 of 100, Test Police at 42 of 50.
"""

import io
from datetime import UTC, date, datetime

import openpyxl
from pypdf import PdfReader
from sqlalchemy import update

from board.models import BoardMeeting
from compliance.checks import CheckState, run_checks
from compliance.models import ComplianceAssessment
from compliance.report import report_pdf, report_xlsx
from core.extensions import db
from core.models import User
from core.vocab import Role
from partnership.models import Partnership
from plans import services as plan_services
from plans.models import Plan, PlanRow, PlanStatus, ProgressUpdate
from spoc.models import SpocAssignment
from tests.compliance.conftest import YEAR
from tests.compliance.test_report import _signed_off_assessment
from tests.factories import BusinessAreaFactory, OrganisationFactory
from tests.training.factories import HeadcountFactory

#: The 2025 figures, by hand (see the module docstring).
EXPECTED_2025 = {
    "plans_checked": {
        "Areas with a SPOC": "2",
        "Areas with no active plan": "1",
        "Active SPOC plans": "1",
        "Plan-quarters not checked": "1",
    },
    "rows_updated": {
        "SPOC plan rows": "1",
        "Rows missing a quarterly update": "1",
        "Rows not updated since 1 October 2025": "0",  # updated 1 November 2025
        "Rows overdue at year end": "1",
    },
    "training_coverage": {
        "Target": "90%",
        "Overall coverage": "91.3%",  # (95 + 42) / (100 + 50)
        "Organisations below target or without a headcount": "1 of 2",
    },
}


def _figures(app, partnership_id: int) -> dict[str, dict[str, str]]:
    with app.app_context():
        checks = {c.key: c for c in run_checks(partnership_id, YEAR)}
        return {key: dict(checks[key].figures) for key in EXPECTED_2025} | {
            f"{key} gaps": [(g.label, g.detail) for g in checks[key].gaps] for key in EXPECTED_2025
        }


def _the_next_year_happens(app, fixture) -> None:
    """Records made in 2026 (the suite's today is 16 November 2026): a plan for Health, a new
    organisation and a new area with its SPOC, a row added to the Education plan, headcounts as
    at 2026, and the Education plan archived."""
    world = fixture.world
    with app.app_context():
        partnership = db.session.get(Partnership, world.partnership_id)
        plan_services.create_plan(area_id=fixture.health_id, title="Health Prevent plan")
        fire = OrganisationFactory(partnership=partnership, name="Test Fire and Rescue", kind="fire")
        HeadcountFactory(organisation=fire, relevant_headcount=30, as_of=date(2026, 3, 1))
        HeadcountFactory(
            organisation=db.session.get(type(fire), fixture.police_id), relevant_headcount=42, as_of=date(2026, 1, 15)
        )
        probation = BusinessAreaFactory(partnership=partnership, name="Probation")
        db.session.add(SpocAssignment(area_id=probation.id, user_id=world.users[Role.SPOC].id, capacity="spoc"))
        education = db.session.get(Plan, world.plan_id)
        plan_services.add_row(education, values={"duty": "Brief governors", "due_date": date(2026, 1, 31)})
        education.status = PlanStatus.ARCHIVED.value
        db.session.commit()


def test_a_closed_years_checks_read_the_year_as_it_stood(app, gappy_year):
    before = _figures(app, gappy_year.world.partnership_id)
    for key, figures in EXPECTED_2025.items():
        assert before[key] == figures, key
    assert before["plans_checked gaps"] == [
        ("Health", "Has a SPOC but no active plan"),
        ("Education Prevent Action Plan", "Not checked by the board in quarter 3"),
    ]
    assert before["training_coverage gaps"] == [("Test Police", "84.0% (42 of 50)")]

    _the_next_year_happens(app, gappy_year)

    assert _figures(app, gappy_year.world.partnership_id) == before


def test_a_plan_archived_before_the_year_end_was_not_active_at_it(app, gappy_year):
    """The other side of the rule: a plan archived in 2025 did not count at the 2025 year end,
    and a plan made in 2026 does not count either."""
    with app.app_context():
        db.session.execute(
            update(Plan)
            .where(Plan.id == gappy_year.world.plan_id)
            .values(status=PlanStatus.ARCHIVED.value, status_since=datetime(2025, 12, 31, 16, tzinfo=UTC))
        )
        db.session.commit()
    figures = _figures(app, gappy_year.world.partnership_id)
    assert figures["plans_checked"]["Active SPOC plans"] == "0"
    assert figures["plans_checked"]["Areas with no active plan"] == "2"


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _xlsx_rows(data: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_a_signed_off_report_is_printed_from_the_data_stored_at_sign_off(app, gappy_year):
    assessment_id = _signed_off_assessment(app, gappy_year)
    partnership_id = gappy_year.world.partnership_id
    with app.app_context():
        stored = db.session.get(ComplianceAssessment, assessment_id)
        sha = stored.report_sha256
        assert len(sha) == 64
        pdf_before = _pdf_text(report_pdf(partnership_id, YEAR))
        xlsx_before = _xlsx_rows(report_xlsx(partnership_id, YEAR))
    assert "Not checked by the board in quarter 3" in pdf_before
    assert sha in pdf_before.replace("\n", "")
    assert ("Report data", None, "SHA-256 of the data stored at sign-off", sha, None) in xlsx_before

    _the_next_year_happens(app, gappy_year)
    # Even records dated back into 2025 after sign-off (a late meeting in quarter 3, a late
    # update) leave the signed-off report alone, though the live checks now see them.
    with app.app_context():
        meeting = BoardMeeting(
            partnership_id=partnership_id, title="Late entry", held_on=date(2025, 8, 20), status="held"
        )
        db.session.add(meeting)
        author = db.session.get(User, gappy_year.world.users[Role.SPOC].id)
        db.session.add(
            ProgressUpdate(
                row_id=gappy_year.world.row_id,
                at=datetime(2025, 8, 1, 10, tzinfo=UTC),
                author_id=author.id,
                author_label=author.email,
                items=["Late entry"],
                rag="amber",
                reason="Behind",
            )
        )
        db.session.commit()
        live = {c.key: c for c in run_checks(partnership_id, YEAR)}
        assert live["board_quarters"].state is CheckState.MET
        assert _pdf_text(report_pdf(partnership_id, YEAR)) == pdf_before
        assert _xlsx_rows(report_xlsx(partnership_id, YEAR)) == xlsx_before


def test_a_changed_snapshot_is_refused_not_printed(app, gappy_year, login_as, client):
    assessment_id = _signed_off_assessment(app, gappy_year)
    with app.app_context():
        assessment = db.session.get(ComplianceAssessment, assessment_id)
        assessment.report_snapshot = assessment.report_snapshot.replace('"1 of 2"', '"0 of 2"')
        db.session.commit()
    login_as(Role.PREVENT_LEAD)
    for url in (
        f"/compliance/{assessment_id}/report.pdf",
        f"/compliance/{assessment_id}/report.xlsx",
        f"/compliance/{assessment_id}",
        f"/compliance/years/{YEAR}/report.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 409, url
        assert "no longer matches its SHA-256 digest" in response.get_data(as_text=True), url


def test_the_signed_off_assessment_page_shows_the_stored_checks(app, gappy_year, login_as, client):
    assessment_id = _signed_off_assessment(app, gappy_year)
    with app.app_context():
        sha = db.session.get(ComplianceAssessment, assessment_id).report_sha256
        db.session.add(
            BoardMeeting(
                partnership_id=gappy_year.world.partnership_id,
                title="Late entry",
                held_on=date(2025, 8, 20),
                status="held",
            )
        )
        db.session.commit()
    login_as(Role.PREVENT_LEAD)
    page = client.get(f"/compliance/{assessment_id}").get_data(as_text=True)
    assert "those stored at sign-off" in page and sha in page
    assert "No board meeting" in page  # quarter 3's gap as signed off, not the late entry


def test_a_row_added_to_a_plan_after_the_year_does_not_join_it(app, gappy_year):
    with app.app_context():
        row = db.session.get(PlanRow, gappy_year.world.other_row_id)
        assert row.created_at.year == 2026  # made on the suite's today: no 2025 history
    assert _figures(app, gappy_year.world.partnership_id)["rows_updated"]["SPOC plan rows"] == "1"
