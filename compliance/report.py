"""The annual compliance report: PDF (WeasyPrint, marked on every page) and XLSX."""

from dataclasses import dataclass
from datetime import date

from compliance import services, snapshot
from compliance.checks import CheckResult, Year, run_checks
from compliance.models import ComplianceAssessment, Rating
from compliance.snapshot import FindingView
from compliance.toolkit import SECTIONS, Section
from core import clock
from core.extensions import db
from core.pdf import render_pdf
from core.spreadsheets import xlsx_bytes
from core.vocab import Marking, Rag
from partnership.models import Partnership

MARKING = Marking.OFFICIAL_SENSITIVE


@dataclass
class SectionSummary:
    section: Section
    #: None until every expectation is rated ("Not rated").
    rag: Rag | None
    expectations: list
    checks: list[CheckResult]
    findings: list

    @property
    def rag_label(self) -> str:
        return Rag.look_of(self.rag).label


@dataclass
class ReportData:
    partnership: Partnership
    year: Year
    assessment: ComplianceAssessment | None
    sections: list[SectionSummary]
    checks: list[CheckResult]
    findings: list
    produced_on: date
    #: The SHA-256 of the stored data a signed-off report is printed from; "" when computed now.
    sha256: str = ""

    @property
    def title(self) -> str:
        return f"Annual Prevent compliance report {self.year.year}"


def report_data(partnership_id: int, year: int, *, assessment: ComplianceAssessment | None = None) -> ReportData:
    """Everything the report shows: the year's assessment (the given version, or the latest),
    each section's RAG from the ratings, every automatic check and the findings."""
    partnership = db.session.get(Partnership, partnership_id)
    if assessment is None:
        assessment = services.latest_assessment(partnership_id, year)
    frozen = snapshot.stored(assessment)
    if frozen is not None:  # signed off: printed from the data stored then
        checks, findings = frozen
    else:
        checks = run_checks(partnership_id, year)
        findings = [FindingView.of(f) for f in assessment.findings] if assessment else []
    expectations = assessment.expectations if assessment else []
    sections = []
    for section in SECTIONS:
        mine = [e for e in expectations if e.section == section.key]
        sections.append(
            SectionSummary(
                section=section,
                rag=services.section_rag(mine),
                expectations=mine,
                checks=[c for c in checks if c.section == section.key],
                findings=[f for f in findings if f.section == section.key],
            )
        )
    return ReportData(
        partnership=partnership,
        year=Year(year),
        assessment=assessment,
        sections=sections,
        checks=checks,
        findings=list(findings),
        produced_on=clock.today(),
        sha256=assessment.report_sha256 if frozen is not None else "",
    )


def report_pdf(partnership_id: int, year: int, *, assessment: ComplianceAssessment | None = None) -> bytes:
    """The annual compliance report for ``year`` as PDF bytes (needs an app context)."""
    data = report_data(partnership_id, year, assessment=assessment)
    return render_pdf("pdf/compliance_report.html", marking=MARKING, title=data.title, data=data, Rating=Rating)


def report_xlsx(partnership_id: int, year: int, *, assessment: ComplianceAssessment | None = None) -> bytes:
    """The same report as one sheet of rows: sections, expectations, checks, evidence, findings."""
    data = report_data(partnership_id, year, assessment=assessment)
    header = ["Part", "Section", "Item", "Status", "Detail"]
    rows: list[list] = [["Marking", "", MARKING.value, "", ""], ["Year", "", data.year.label(), "", ""]]
    if data.assessment is None:
        rows.append(["Self-assessment", "", "Not started", "", ""])
    else:
        a = data.assessment
        rows.append(["Self-assessment", "", f"Version {a.version}", a.status_enum.label, a.reopened_reason])
        if a.signed_off_at:
            rows.append(
                [
                    "Sign-off",
                    "",
                    a.signed_off_by.full_name if a.signed_off_by else "",
                    f"{a.signed_off_at:%Y-%m-%d}",
                    a.sign_off_statement,
                ]
            )
        if data.sha256:
            rows.append(["Report data", "", "SHA-256 of the data stored at sign-off", data.sha256, ""])
    for s in data.sections:
        rows.append(["Section", s.section.title, "Summary RAG", s.rag_label, ""])
        for e in s.expectations:
            rows.append(
                [
                    "Expectation",
                    s.section.title,
                    f"{e.code} {e.text}",
                    e.rating_enum.label if e.rating else "Not rated",
                    e.narrative,
                ]
            )
    for c in data.checks:
        rows.append(["Check", c.section, c.title, c.state.label, c.summary])
        for label, value in c.figures:
            rows.append(["Figure", c.section, f"{c.title}: {label}", value, ""])
        for r in c.records:
            rows.append(["Record", c.section, r.label, "Gap" if r.gap else "", r.detail])
    for f in data.findings:
        rows.append(
            [
                "Finding",
                f.section,
                f.title,
                f"{f.severity_label}, {f.status_label}",
                f"Recommendation: {f.recommendation} | Owner: {f.owner_name} | Due: {f.due_on:%Y-%m-%d} | "
                f"Response: {f.response or 'none yet'} | Closing evidence: {f.closing_evidence or '-'}",
            ]
        )
    return xlsx_bytes(header, rows, title=f"Compliance {year}")
