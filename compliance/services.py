"""Compliance rules: opening a year's assessment, ratings, evidence links, improvement actions,
findings and their responses, sign-off and new versions.

Functions add and flush, never commit. A signed-off (or superseded) version refuses every
change with the reason (AssessmentLocked) before anything is written.
"""

from datetime import date

from sqlalchemy import case, func, select

from compliance.models import (
    AssessmentStatus,
    ComplianceAssessment,
    EvidenceKind,
    EvidenceLink,
    Expectation,
    Finding,
    FindingStatus,
    ImprovementAction,
    Rating,
    Severity,
)
from compliance.toolkit import BY_KEY, SECTIONS
from core.db import utcnow
from core.extensions import db
from core.models import User
from core.vocab import Rag, Role


class AssessmentLocked(Exception):
    """The version is signed off (or superseded): read-only. The message says why."""


class ComplianceError(ValueError):
    """Bad input to a compliance service; the message names the problem."""


def _check_open(assessment: ComplianceAssessment) -> None:
    if assessment.status == AssessmentStatus.SIGNED_OFF.value:
        who = assessment.signed_off_by.full_name if assessment.signed_off_by else "the auditor"
        raise AssessmentLocked(
            f"The {assessment.year} assessment (version {assessment.version}) was signed off by {who} on "
            f"{assessment.signed_off_at:%-d %B %Y} and is read-only. Open a new version, with a reason, to change it."
        )
    if assessment.status == AssessmentStatus.SUPERSEDED.value:
        raise AssessmentLocked(
            f"Version {assessment.version} of the {assessment.year} assessment was replaced by a newer version "
            "and is read-only."
        )


def latest_assessment(partnership_id: int, year: int) -> ComplianceAssessment | None:
    return db.session.scalar(
        select(ComplianceAssessment)
        .where(ComplianceAssessment.partnership_id == partnership_id, ComplianceAssessment.year == year)
        .order_by(ComplianceAssessment.version.desc())
        .limit(1)
    )


def assessments(partnership_id: int, *, year: int | None = None) -> list[ComplianceAssessment]:
    query = select(ComplianceAssessment).where(ComplianceAssessment.partnership_id == partnership_id)
    if year is not None:
        query = query.where(ComplianceAssessment.year == year)
    return list(
        db.session.scalars(query.order_by(ComplianceAssessment.year.desc(), ComplianceAssessment.version.desc()))
    )


def _add_expectations(assessment: ComplianceAssessment, previous: ComplianceAssessment | None = None) -> None:
    carried = {e.code: e for e in previous.expectations} if previous else {}
    position = 0
    for section in SECTIONS:
        for n, text in enumerate(section.expectations, start=1):
            position += 1
            code = f"{section.number}.{n}"
            old = carried.get(code)
            expectation = Expectation(
                assessment=assessment,
                section=section.key,
                code=code,
                position=position,
                text=text,
                rating=old.rating if old else None,
                narrative=old.narrative if old else "",
            )
            db.session.add(expectation)
            if old:
                for link in old.evidence:
                    expectation.evidence.append(
                        EvidenceLink(kind=link.kind, target_id=link.target_id, label=link.label)
                    )
                for action in old.actions:
                    expectation.actions.append(
                        ImprovementAction(plan_row_id=action.plan_row_id, description=action.description)
                    )


def open_assessment(*, partnership_id: int, year: int, today: date) -> ComplianceAssessment:
    """Start the self-assessment of ``year`` (a past or the current year, not yet started)."""
    if year > today.year or year < 2000:
        raise ComplianceError(f"Enter a year from 2000 to {today.year}")
    if latest_assessment(partnership_id, year) is not None:
        raise ComplianceError(f"The {year} self-assessment has already been started")
    assessment = ComplianceAssessment(partnership_id=partnership_id, year=year, version=1)
    db.session.add(assessment)
    _add_expectations(assessment)
    db.session.flush()
    return assessment


def rate_expectation(expectation: Expectation, *, rating: str | None, narrative: str) -> None:
    _check_open(expectation.assessment)
    expectation.rating = Rating(rating).value if rating else None
    expectation.narrative = narrative.strip()
    db.session.flush()


def evidence_target(kind: str, target_id: int) -> str:
    """A label for the record an evidence link points at; ComplianceError if there is none."""
    from board.models import BoardMeeting, MeetingPaper
    from plans.models import EvidenceFile, PlanRow

    kind = EvidenceKind(kind)
    model = {
        EvidenceKind.PLAN_ROW: PlanRow,
        EvidenceKind.BOARD_MEETING: BoardMeeting,
        EvidenceKind.EVIDENCE_FILE: EvidenceFile,
        EvidenceKind.MEETING_PAPER: MeetingPaper,
    }[kind]
    record = db.session.get(model, target_id)
    if record is None:
        raise ComplianceError(f"There is no {kind.label.lower()} number {target_id}")
    if kind is EvidenceKind.PLAN_ROW:
        return f"{record.plan.title}: row {record.reference or record.position} {record.duty[:80]}".strip()
    if kind is EvidenceKind.BOARD_MEETING:
        return record.title if f"{record.held_on:%-d %B %Y}" in record.title else f"{record.title} ({record.held_on})"
    return f"{record.filename}"


def add_evidence_link(expectation: Expectation, *, kind: str, target_id: int) -> EvidenceLink:
    _check_open(expectation.assessment)
    label = evidence_target(kind, target_id)
    link = EvidenceLink(expectation=expectation, kind=EvidenceKind(kind).value, target_id=target_id, label=label[:300])
    db.session.add(link)
    db.session.flush()
    return link


def remove_evidence_link(link: EvidenceLink) -> None:
    _check_open(link.expectation.assessment)
    db.session.delete(link)
    db.session.flush()


def county_plan():
    from plans.models import Plan, PlanStatus

    return db.session.scalar(
        select(Plan)
        .where(Plan.area_id.is_(None), Plan.status != PlanStatus.ARCHIVED.value)
        .order_by(case((Plan.status == PlanStatus.ACTIVE.value, 0), else_=1), Plan.id)
        .limit(1)
    )


def add_improvement_action(
    expectation: Expectation, *, description: str, lead: str, due_date: date | None
) -> ImprovementAction:
    """An improvement action is a row of the county plan, under its toolkit section, linked back."""
    from plans.services import add_row

    _check_open(expectation.assessment)
    description = description.strip()
    if not description:
        raise ComplianceError("Enter the improvement action")
    plan = county_plan()
    if plan is None:
        raise ComplianceError("There is no county plan to add the action to: create the county plan first")
    section = BY_KEY[expectation.section]
    row = add_row(
        plan,
        section_title=section.title,
        values={
            "duty": f"Compliance {expectation.assessment.year}, expectation {expectation.code}: {expectation.text}",
            "actions": [description],
            "responsible_agency": [lead.strip()] if lead.strip() else [],
            "due_date": due_date,
        },
    )
    action = ImprovementAction(expectation=expectation, plan_row_id=row.id, description=description)
    db.session.add(action)
    db.session.flush()
    return action


# --- findings ----------------------------------------------------------------------------------


def can_respond(user: User | None, finding: Finding) -> bool:
    """The finding's owner and the Prevent Lead answer it (the auditor does not answer themselves)."""
    from core.permissions import Permission, has_permission

    if user is None or not getattr(user, "is_active", False):
        return False
    if has_permission(user, Permission.MANAGE_COMPLIANCE):
        return True
    return finding.owner_id == user.id


def findings_owned_by(user_id: int) -> list[Finding]:
    """Findings the user owns, open ones first, in open (not superseded) versions."""
    return list(
        db.session.scalars(
            select(Finding)
            .join(ComplianceAssessment)
            .where(Finding.owner_id == user_id, ComplianceAssessment.status != AssessmentStatus.SUPERSEDED.value)
            .order_by(case((Finding.status == FindingStatus.CLOSED.value, 1), else_=0), Finding.due_on)
        )
    )


def findings_awaiting_response(user_id: int) -> int:
    """How many findings the user owns that still wait for their response (home page notice)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Finding)
        .join(ComplianceAssessment)
        .where(
            Finding.owner_id == user_id,
            Finding.status == FindingStatus.OPEN.value,
            ComplianceAssessment.status != AssessmentStatus.SUPERSEDED.value,
        )
    )


def record_finding(
    assessment: ComplianceAssessment,
    *,
    section: str,
    title: str,
    severity: str,
    recommendation: str,
    owner_id: int,
    due_on: date,
    raised_by: User,
) -> Finding:
    _check_open(assessment)
    if section not in BY_KEY:
        raise ComplianceError("Select the toolkit section")
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.active:
        raise ComplianceError("Select an active user as the owner")
    finding = Finding(
        assessment=assessment,
        section=section,
        title=title.strip(),
        severity=Severity(severity).value,
        recommendation=recommendation.strip(),
        owner_id=owner_id,
        due_on=due_on,
        raised_by_id=raised_by.id,
    )
    db.session.add(finding)
    db.session.flush()
    return finding


def respond_to_finding(finding: Finding, *, response: str, actor: User) -> None:
    _check_open(finding.assessment)
    if finding.status == FindingStatus.CLOSED.value:
        raise ComplianceError("This finding is closed")
    if not response.strip():
        raise ComplianceError("Enter the response")
    finding.response = response.strip()
    finding.responded_at = utcnow()
    finding.responded_by_id = actor.id
    finding.status = FindingStatus.RESPONDED.value
    db.session.flush()


def close_finding(finding: Finding, *, evidence: str, closed_on: date) -> None:
    """A finding closes only with the evidence that it was dealt with."""
    _check_open(finding.assessment)
    if finding.status == FindingStatus.CLOSED.value:
        raise ComplianceError("This finding is already closed")
    if not evidence.strip():
        raise ComplianceError("Enter the evidence that the finding was dealt with")
    finding.closing_evidence = evidence.strip()
    finding.closed_on = closed_on
    finding.status = FindingStatus.CLOSED.value
    db.session.flush()


# --- sign-off and versions ---------------------------------------------------------------------


def sign_off(assessment: ComplianceAssessment, *, auditor: User, statement: str) -> None:
    """The auditor signs the year off; from then on this version is read-only, and its report is
    printed from the data stored now (compliance.snapshot), with the data's SHA-256."""
    _check_open(assessment)
    if Role.AUDITOR not in auditor.role_set:
        raise ComplianceError("Only an auditor signs off a year")
    unrated = [e.code for e in assessment.expectations if not e.rating]
    if unrated:
        raise ComplianceError(f"Rate every expectation before sign-off (not rated: {', '.join(unrated)})")
    if not statement.strip():
        raise ComplianceError("Enter the sign-off statement")
    from compliance import snapshot

    snapshot.take(assessment)  # the report is printed from this data from now on
    assessment.status = AssessmentStatus.SIGNED_OFF.value
    assessment.signed_off_at = utcnow()
    assessment.signed_off_by_id = auditor.id
    assessment.sign_off_statement = statement.strip()
    db.session.flush()


def open_new_version(assessment: ComplianceAssessment, *, reason: str) -> ComplianceAssessment:
    """A new, editable version of a signed-off year, carrying its ratings, evidence, actions and
    open findings; the signed-off version stays readable (superseded)."""
    if assessment.status != AssessmentStatus.SIGNED_OFF.value:
        raise ComplianceError("Only a signed-off version can be reopened as a new version")
    if not reason.strip():
        raise ComplianceError("Enter the reason for opening a new version")
    version = db.session.scalar(
        select(func.max(ComplianceAssessment.version)).where(
            ComplianceAssessment.partnership_id == assessment.partnership_id,
            ComplianceAssessment.year == assessment.year,
        )
    )
    new = ComplianceAssessment(
        partnership_id=assessment.partnership_id,
        year=assessment.year,
        version=version + 1,
        reopened_reason=reason.strip(),
    )
    db.session.add(new)
    _add_expectations(new, assessment)
    for finding in assessment.findings:
        if finding.status != FindingStatus.CLOSED.value:
            db.session.add(
                Finding(
                    assessment=new,
                    section=finding.section,
                    title=finding.title,
                    severity=finding.severity,
                    recommendation=finding.recommendation,
                    owner_id=finding.owner_id,
                    due_on=finding.due_on,
                    raised_by_id=finding.raised_by_id,
                    response=finding.response,
                    responded_at=finding.responded_at,
                    responded_by_id=finding.responded_by_id,
                    status=finding.status,
                )
            )
    assessment.status = AssessmentStatus.SUPERSEDED.value
    db.session.flush()
    return new


# --- summaries ---------------------------------------------------------------------------------


def section_rag(expectations: list[Expectation]) -> Rag | None:
    """A section's RAG from its manual ratings: Green if all fully met, Red if any not met,
    Amber otherwise; None ("Not rated") until every expectation is rated."""
    ratings = [e.rating for e in expectations]
    if not ratings or any(r is None for r in ratings):
        return None
    if any(r == Rating.NOT_MET.value for r in ratings):
        return Rag.RED
    if all(r == Rating.FULLY.value for r in ratings):
        return Rag.GREEN
    return Rag.AMBER


def year_visible(user: User, year: int) -> bool:
    """A year-limited auditor sees only their year."""
    return user.audit_year is None or user.audit_year == year
