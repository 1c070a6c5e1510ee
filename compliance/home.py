"""The home page's compliance panels: for an owner, findings awaiting their response; for the
auditor, the years still open and the findings not yet closed."""

from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from compliance import services
from compliance.models import AssessmentStatus, ComplianceAssessment, Finding, FindingStatus
from core.extensions import db
from core.permissions import Permission, has_permission
from core.vocab import Role


def findings_panel(user) -> dict | None:
    count = services.findings_awaiting_response(user.id)
    return {"count": count} if count else None


def auditor_panel(user) -> dict | None:
    """Open (not signed-off) years and the findings not closed: those answered first (they wait
    for the auditor to close them), then by due date. Two queries."""
    if not user.has_role(Role.AUDITOR) or not has_permission(user, Permission.WRITE_FINDINGS):
        return None
    years = select(ComplianceAssessment).where(ComplianceAssessment.status == AssessmentStatus.OPEN.value)
    findings = (
        select(Finding)
        .join(ComplianceAssessment)
        .where(
            Finding.status != FindingStatus.CLOSED.value,
            ComplianceAssessment.status != AssessmentStatus.SUPERSEDED.value,
        )
        .options(joinedload(Finding.owner), joinedload(Finding.assessment))
        .order_by(case((Finding.status == FindingStatus.RESPONDED.value, 0), else_=1), Finding.due_on, Finding.id)
    )
    if user.audit_year is not None:
        years = years.where(ComplianceAssessment.year == user.audit_year)
        findings = findings.where(ComplianceAssessment.year == user.audit_year)
    return {
        "years": list(db.session.scalars(years.order_by(ComplianceAssessment.year.desc()))),
        "findings": list(db.session.scalars(findings)),
    }
