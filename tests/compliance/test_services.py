"""Compliance rules: a signed-off year refuses changes with the reason, new versions, improvement
actions as county plan rows, findings closing only with evidence, who may respond."""

from datetime import date

import pytest
from sqlalchemy import func, select

from compliance import services
from compliance.models import AssessmentStatus, Expectation, Finding
from compliance.services import AssessmentLocked, ComplianceError
from core.extensions import db
from core.models import User
from core.vocab import Rag, Role
from plans.models import PlanRow

TODAY = date(2026, 2, 1)


@pytest.fixture
def assessment(ctx, world):
    return services.open_assessment(partnership_id=world.partnership_id, year=2025, today=TODAY)


def _user(world, role):
    return db.session.get(User, world.users[role].id)


def _rate_all(assessment):
    for e in assessment.expectations:
        services.rate_expectation(e, rating="fully", narrative="Done")


def test_opening_a_year_lists_every_toolkit_section(assessment):
    sections = {e.section for e in assessment.expectations}
    assert len(sections) == 8
    assert assessment.expectations[0].code == "1.1"
    with pytest.raises(ComplianceError, match="already been started"):
        services.open_assessment(partnership_id=assessment.partnership_id, year=2025, today=TODAY)
    with pytest.raises(ComplianceError, match="Enter a year from 2000 to 2026"):
        services.open_assessment(partnership_id=assessment.partnership_id, year=2027, today=TODAY)


def test_improvement_action_becomes_a_county_plan_row_linked_back(assessment, world):
    expectation = next(e for e in assessment.expectations if e.section == "training")
    action = services.add_improvement_action(
        expectation, description="Run WRAP for police", lead="Police", due_date=date(2026, 6, 30)
    )
    row = db.session.get(PlanRow, action.plan_row_id)
    assert row.plan_id == world.county_plan_id
    assert row.actions == ["Run WRAP for police"]
    assert row.section.title == "Training programme"
    assert row.duty.startswith(f"Compliance 2025, expectation {expectation.code}")
    assert expectation.actions == [action]


def test_sign_off_makes_the_version_read_only_with_the_reason(assessment, world):
    auditor = _user(world, Role.AUDITOR)
    with pytest.raises(ComplianceError, match="Rate every expectation before sign-off"):
        services.sign_off(assessment, auditor=auditor, statement="OK")
    _rate_all(assessment)
    with pytest.raises(ComplianceError, match="Only an auditor"):
        services.sign_off(assessment, auditor=_user(world, Role.PREVENT_LEAD), statement="OK")
    services.sign_off(assessment, auditor=auditor, statement="Assured")
    expectation = assessment.expectations[0]
    with pytest.raises(AssessmentLocked, match="signed off by Auditor Person on .* and is read-only"):
        services.rate_expectation(expectation, rating="not_met", narrative="changed")
    assert db.session.get(Expectation, expectation.id).rating == "fully"
    with pytest.raises(AssessmentLocked):
        services.add_evidence_link(expectation, kind="plan_row", target_id=world.row_id)
    with pytest.raises(AssessmentLocked):
        services.record_finding(
            assessment,
            section="training",
            title="Late",
            severity="low",
            recommendation="x",
            owner_id=auditor.id,
            due_on=TODAY,
            raised_by=auditor,
        )


def test_new_version_keeps_the_signed_off_one_readable(assessment, world):
    auditor = _user(world, Role.AUDITOR)
    _rate_all(assessment)
    finding = services.record_finding(
        assessment,
        section="training",
        title="Coverage",
        severity="high",
        recommendation="Train",
        owner_id=world.users[Role.SPOC].id,
        due_on=TODAY,
        raised_by=auditor,
    )
    services.sign_off(assessment, auditor=auditor, statement="Assured")
    with pytest.raises(ComplianceError, match="Enter the reason"):
        services.open_new_version(assessment, reason=" ")
    new = services.open_new_version(assessment, reason="Police coverage figures corrected")
    assert (new.version, new.status, new.reopened_reason) == (2, "open", "Police coverage figures corrected")
    assert assessment.status == AssessmentStatus.SUPERSEDED.value
    assert [e.rating for e in new.expectations] == ["fully"] * len(new.expectations)
    assert [f.title for f in new.findings] == ["Coverage"]
    services.rate_expectation(new.expectations[0], rating="partially", narrative="Revised")
    assert assessment.expectations[0].rating == "fully"
    with pytest.raises(AssessmentLocked, match="replaced by a newer version"):
        services.respond_to_finding(finding, response="late", actor=auditor)
    assert services.latest_assessment(world.partnership_id, 2025).id == new.id


def test_finding_closes_only_with_evidence_and_owner_or_lead_respond(assessment, world):
    auditor = _user(world, Role.AUDITOR)
    finding = services.record_finding(
        assessment,
        section="channel_panel",
        title="Review missed",
        severity="medium",
        recommendation="Hold it",
        owner_id=world.users[Role.SPOC].id,
        due_on=TODAY,
        raised_by=auditor,
    )
    assert services.can_respond(_user(world, Role.SPOC), finding)
    assert services.can_respond(_user(world, Role.PREVENT_LEAD), finding)
    assert not services.can_respond(auditor, finding)
    assert not services.can_respond(_user(world, Role.BOARD_MEMBER), finding)
    services.respond_to_finding(finding, response="Held on 3 February", actor=_user(world, Role.SPOC))
    assert finding.status == "responded"
    with pytest.raises(ComplianceError, match="Enter the evidence"):
        services.close_finding(finding, evidence="  ", closed_on=TODAY)
    assert db.session.get(Finding, finding.id).status == "responded"
    services.close_finding(finding, evidence="Minutes of the 3 February panel", closed_on=TODAY)
    assert finding.status == "closed"
    assert db.session.scalar(select(func.count(Finding.id))) == 1


def test_evidence_link_must_point_at_a_record(assessment, world):
    expectation = assessment.expectations[0]
    with pytest.raises(ComplianceError, match="There is no plan row number 99999"):
        services.add_evidence_link(expectation, kind="plan_row", target_id=99999)
    link = services.add_evidence_link(expectation, kind="plan_row", target_id=world.row_id)
    assert link.label.startswith("Education Prevent Action Plan: row")


def test_section_rag_from_ratings():
    def e(rating):
        return Expectation(rating=rating)

    assert services.section_rag([e("fully"), e("fully")]) is Rag.GREEN
    assert services.section_rag([e("fully"), e("partially")]) is Rag.AMBER
    assert services.section_rag([e("fully"), e("not_met")]) is Rag.RED
    assert services.section_rag([e("fully"), e(None)]) is None
    assert Rag.look_of(None).label == "Not rated"
