"""Compliance pages: the auditor's read-only reach, signed-off years refused with the reason,
the owner's response, time- and year-limited auditor accounts, report downloads."""

from datetime import date, timedelta

from sqlalchemy import select

from compliance import services
from compliance.models import ComplianceAssessment, Expectation, Finding
from core import clock
from core.extensions import db
from core.models import SecurityEvent, User
from core.vocab import Role
from tests.conftest import sign_in


def _assessment(app, world, year=2025):
    with app.app_context():
        assessment = services.open_assessment(partnership_id=world.partnership_id, year=year, today=date(2026, 2, 1))
        db.session.commit()
        return assessment.id, assessment.expectations[0].id


def _sign_off(app, world, assessment_id):
    with app.app_context():
        assessment = db.session.get(ComplianceAssessment, assessment_id)
        for e in assessment.expectations:
            services.rate_expectation(e, rating="fully", narrative="In place")
        services.sign_off(assessment, auditor=db.session.get(User, world.users[Role.AUDITOR].id), statement="Assured")
        db.session.commit()


def test_lead_starts_a_year_and_rates_an_expectation(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    page = client.get("/compliance").get_data(as_text=True)
    assert "1 January to 31 December" in page
    response = client.post("/compliance/start", data={"year": "2025"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Year assessed: <strong>1 January to 31 December 2025</strong>" in page
    assert "History of this row" in page
    with app.app_context():
        expectation = db.session.scalar(select(Expectation).where(Expectation.code == "6.1"))
        expectation_id = expectation.id
    response = client.post(
        f"/compliance/expectations/{expectation_id}", data={"rating": "partially", "narrative": "Police behind"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Expectation, expectation_id).rating == "partially"
    page = client.post("/compliance/start", data={"year": "2025"}).get_data(as_text=True)
    assert "The 2025 self-assessment has already been started" in page


def test_auditor_cannot_edit_plans_cases_or_ratings(app, client, world, login_as):
    _, expectation_id = _assessment(app, world)
    login_as(Role.AUDITOR)
    assert client.get(f"/plans/{world.plan_id}/rows/{world.row_id}/edit").status_code == 403
    assert client.post(f"/plans/{world.plan_id}/rows/{world.row_id}/progress", data={}).status_code == 403
    assert client.get("/channel/cases/new").status_code == 403
    assert client.post("/channel/cases/1/edit", data={}).status_code == 403
    assert client.post(f"/compliance/expectations/{expectation_id}", data={"rating": "not_met"}).status_code == 403
    with app.app_context():
        assert db.session.get(Expectation, expectation_id).rating is None


def test_editing_a_signed_off_year_is_refused_with_the_reason(app, client, world, login_as):
    assessment_id, expectation_id = _assessment(app, world)
    _sign_off(app, world, assessment_id)
    login_as(Role.PREVENT_LEAD)
    response = client.post(
        f"/compliance/expectations/{expectation_id}", data={"rating": "not_met", "narrative": "Changed"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "was signed off by Auditor Person on" in page
    assert "is read-only. Open a new version, with a reason, to change it." in page
    with app.app_context():
        assert db.session.get(Expectation, expectation_id).rating == "fully"
    response = client.post(f"/compliance/{assessment_id}/new-version", data={"reason": "Coverage corrected"})
    assert response.status_code == 302
    assert "Version 2 of the 2025 assessment is open" in client.get(response.headers["Location"]).get_data(as_text=True)
    old = client.get(f"/compliance/{assessment_id}").get_data(as_text=True)
    assert "replaced by a newer version and is read-only" in old


def test_finding_owner_responds_and_others_may_not(app, client, world, login_as):
    assessment_id, _ = _assessment(app, world)
    login_as(Role.AUDITOR)
    response = client.post(
        f"/compliance/{assessment_id}/findings/new",
        data={
            "section": "training",
            "title": "Coverage below target",
            "severity": "high",
            "recommendation": "Train police staff",
            "owner_id": str(world.users[Role.SPOC].id),
            "due_on": ["30", "6", "2026"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        finding_id = db.session.scalar(select(Finding.id))
    assert client.get(f"/compliance/findings/{finding_id}/respond").status_code == 403
    page = client.post(f"/compliance/findings/{finding_id}/close", data={"evidence": ""}).get_data(as_text=True)
    assert "Enter the evidence that the finding was dealt with" in page
    other = app.test_client()
    sign_in(other, world.users[Role.BOARD_MEMBER].email)
    assert other.get(f"/compliance/findings/{finding_id}/respond").status_code == 403
    owner = app.test_client()
    sign_in(owner, world.users[Role.SPOC].email)
    home = owner.get("/").get_data(as_text=True)
    assert "1 audit finding is waiting for your response." in home
    assert 'href="/compliance/my-findings">Answer your findings</a>' in home
    assert "waiting for your response" not in other.get("/").get_data(as_text=True)
    listing = owner.get("/compliance/my-findings").get_data(as_text=True)
    assert f'href="/compliance/findings/{finding_id}/respond">Coverage below target</a>' in listing
    response = owner.post(f"/compliance/findings/{finding_id}/respond", data={"response": "Sessions booked"})
    assert response.headers["Location"] == "/compliance/my-findings"
    assert "waiting for your response" not in owner.get("/").get_data(as_text=True)
    with app.app_context():
        finding = db.session.get(Finding, finding_id)
        assert (finding.status, finding.response) == ("responded", "Sessions booked")


def _limit(app, world, *, expires_on=None, audit_year=None):
    with app.app_context():
        user = db.session.get(User, world.users[Role.AUDITOR].id)
        user.access_expires_on = expires_on
        user.audit_year = audit_year
        db.session.commit()


def test_expired_auditor_cannot_sign_in_and_a_live_session_ends(app, client, world):
    auditor = world.users[Role.AUDITOR]
    _limit(app, world, expires_on=clock.today() - timedelta(days=1))
    page = sign_in(client, auditor.email).get_data(as_text=True)
    assert "access ended on" in page
    _limit(app, world, expires_on=clock.today())
    assert sign_in(client, auditor.email).status_code == 302
    assert client.get("/compliance").status_code == 200
    _limit(app, world, expires_on=clock.today() - timedelta(days=1))
    response = client.get("/compliance")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Your access ended on" in client.get("/login").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(SecurityEvent.id).where(SecurityEvent.kind == "login_expired")) is not None


def test_year_limited_auditor_sees_only_their_year(app, client, world, login_as):
    allowed, _ = _assessment(app, world, 2025)
    other, _ = _assessment(app, world, 2024)
    _limit(app, world, audit_year=2025)
    login_as(Role.AUDITOR)
    page = client.get("/compliance").get_data(as_text=True)
    assert f"/compliance/{allowed}" in page and f'/compliance/{other}"' not in page
    assert client.get(f"/compliance/{allowed}").status_code == 200
    assert client.get(f"/compliance/{other}").status_code == 403
    assert client.get(f"/compliance/{other}/report.pdf").status_code == 403
    assert client.get(f"/compliance/{other}/bundle.zip").status_code == 403
    assert client.get("/compliance/years/2024/report.pdf").status_code == 403
    response = client.get(f"/compliance/{allowed}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_lead_sets_an_auditors_access_limits(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    auditor = world.users[Role.AUDITOR]
    response = client.post(
        f"/users/{auditor.id}/edit",
        data={
            "full_name": "Auditor Person",
            "email": auditor.email,
            "roles": ["auditor"],
            "access_expires_on": ["31", "3", "2026"],
            "audit_year": "2025",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, auditor.id)
        assert (user.access_expires_on, user.audit_year) == (date(2026, 3, 31), 2025)
    page = client.post(
        f"/users/{auditor.id}/edit",
        data={"full_name": "Auditor Person", "email": auditor.email, "roles": ["auditor"], "audit_year": "25"},
    ).get_data(as_text=True)
    assert "Enter a year like 2025, or leave it blank" in page


def test_evidence_links_and_improvement_actions_through_the_pages(app, client, world, login_as):
    _, expectation_id = _assessment(app, world)
    login_as(Role.PREVENT_LEAD)
    response = client.post(
        f"/compliance/expectations/{expectation_id}/evidence", data={"kind": "board_meeting", "target_id": "4242"}
    )
    assert response.status_code == 400
    assert "There is no board meeting (agenda and minutes) number 4242" in response.get_data(as_text=True)
    response = client.post(
        f"/compliance/expectations/{expectation_id}/evidence", data={"kind": "plan_row", "target_id": str(world.row_id)}
    )
    assert response.status_code == 302
    response = client.post(
        f"/compliance/expectations/{expectation_id}/actions",
        data={"description": "", "lead": "", "due_date": ["", "", ""]},
    )
    assert "Enter the improvement action" in response.get_data(as_text=True)
    response = client.post(
        f"/compliance/expectations/{expectation_id}/actions",
        data={
            "description": "Minute every quarterly plan check",
            "lead": "County Lead",
            "due_date": ["31", "3", "2026"],
        },
    )
    assert response.status_code == 302
    page = client.get(f"/compliance/expectations/{expectation_id}").get_data(as_text=True)
    assert "Education Prevent Action Plan: row" in page
    assert f"/plans/{world.county_plan_id}/rows/" in page and "Minute every quarterly plan check" in page


def test_the_assessment_shows_rag_through_the_one_tag(app, client, world, login_as):
    """Sections not yet rated are grey "Not rated"; a check with no data is Amber, which is
    GOV.UK orange as on every other page, not yellow."""
    assessment_id, _ = _assessment(app, world)
    login_as(Role.PREVENT_LEAD)
    page = " ".join(client.get(f"/compliance/{assessment_id}").get_data(as_text=True).split())
    assert '<strong class="govuk-tag govuk-tag--grey"> Not rated </strong>' in page
    assert '<strong class="govuk-tag govuk-tag--orange"> No data </strong>' in page
    assert "govuk-tag--yellow" not in page
