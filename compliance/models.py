"""Compliance records: the yearly self-assessment, its expectations, evidence links,
improvement actions and the auditor's findings."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Timestamped
from core.models import User
from core.tenancy import Scoped


class Rating(StrEnum):
    FULLY = "fully"
    PARTIALLY = "partially"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        return {"fully": "Fully met", "partially": "Partially met", "not_met": "Not met"}[self.value]

    @classmethod
    def sql_values(cls) -> str:
        return ", ".join(f"'{v.value}'" for v in cls)


class AssessmentStatus(StrEnum):
    OPEN = "open"
    SIGNED_OFF = "signed_off"
    #: A signed-off version that a newer version replaced; still readable.
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {"open": "Open", "signed_off": "Signed off", "superseded": "Superseded"}[self.value]


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class FindingStatus(StrEnum):
    OPEN = "open"
    RESPONDED = "responded"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class EvidenceKind(StrEnum):
    PLAN_ROW = "plan_row"
    BOARD_MEETING = "board_meeting"
    EVIDENCE_FILE = "evidence_file"
    MEETING_PAPER = "meeting_paper"

    @property
    def label(self) -> str:
        return {
            "plan_row": "Plan row",
            "board_meeting": "Board meeting (agenda and minutes)",
            "evidence_file": "Plan evidence upload",
            "meeting_paper": "Board meeting paper",
        }[self.value]


def _values(enum) -> str:
    return ", ".join(f"'{v.value}'" for v in enum)


class ComplianceAssessment(Scoped, Timestamped, Base):
    """One version of a year's self-assessment. Signed off, it is read-only for good."""

    __tablename__ = "compliance_assessments"
    __audited__ = True
    __audit_label__ = "year"
    __table_args__ = (
        UniqueConstraint("partnership_id", "year", "version", name="one_version_number"),
        CheckConstraint(f"status IN ({_values(AssessmentStatus)})", name="known_status"),
    )

    #: The calendar year assessed (1 January to 31 December: the board's four quarters).
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default=AssessmentStatus.OPEN.value)
    #: Why this version was opened after the previous one was signed off.
    reopened_reason: Mapped[str] = mapped_column(Text, default="")
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    sign_off_statement: Mapped[str] = mapped_column(Text, default="")
    #: What the report showed when the year was signed off (checks, figures, records, findings),
    #: as canonical JSON, and its SHA-256: a signed-off report is always printed from it.
    report_snapshot: Mapped[str | None] = mapped_column(Text, info={"audit": False})
    report_sha256: Mapped[str] = mapped_column(String(64), default="")

    signed_off_by: Mapped[User | None] = relationship()
    expectations: Mapped[list["Expectation"]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="Expectation.position"
    )
    findings: Mapped[list["Finding"]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="Finding.id"
    )

    def __repr__(self) -> str:
        return f"<ComplianceAssessment {self.year} v{self.version} {self.status}>"

    @property
    def status_enum(self) -> AssessmentStatus:
        return AssessmentStatus(self.status)

    @property
    def read_only(self) -> bool:
        return self.status != AssessmentStatus.OPEN.value


class Expectation(Scoped, Timestamped, Base):
    """One expectation of a toolkit section, with the Prevent Lead's rating and narrative."""

    __tablename__ = "compliance_expectations"
    __audited__ = True
    __audit_label__ = "code"
    __table_args__ = (
        UniqueConstraint("assessment_id", "code", name="one_code"),
        CheckConstraint(f"rating IS NULL OR rating IN ({Rating.sql_values()})", name="known_rating"),
    )

    assessment_id: Mapped[int] = mapped_column(ForeignKey("compliance_assessments.id", ondelete="CASCADE"), index=True)
    #: The toolkit section key (partnership_group, risk_assessment ...).
    section: Mapped[str] = mapped_column(String(40))
    #: E.g. "1.2": section number and expectation number.
    code: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(12))
    narrative: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[ComplianceAssessment] = relationship(back_populates="expectations")
    evidence: Mapped[list["EvidenceLink"]] = relationship(
        back_populates="expectation", cascade="all, delete-orphan", order_by="EvidenceLink.id"
    )
    actions: Mapped[list["ImprovementAction"]] = relationship(
        back_populates="expectation", cascade="all, delete-orphan", order_by="ImprovementAction.id"
    )

    def __repr__(self) -> str:
        return f"<Expectation {self.code} {self.rating}>"

    @property
    def rating_enum(self) -> Rating | None:
        return Rating(self.rating) if self.rating else None


class EvidenceLink(Scoped, Timestamped, Base):
    """A link from an expectation to a record that evidences it."""

    __tablename__ = "compliance_evidence_links"
    __audited__ = True
    __audit_label__ = "label"
    __table_args__ = (CheckConstraint(f"kind IN ({_values(EvidenceKind)})", name="known_kind"),)

    expectation_id: Mapped[int] = mapped_column(
        ForeignKey("compliance_expectations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    #: The id of the linked record (a plan row, meeting, evidence file or paper).
    target_id: Mapped[int]
    #: What the link said when it was made, so it reads even if the record is later renamed.
    label: Mapped[str] = mapped_column(String(300))

    expectation: Mapped[Expectation] = relationship(back_populates="evidence")

    def __repr__(self) -> str:
        return f"<EvidenceLink {self.kind}#{self.target_id}>"


class ImprovementAction(Scoped, Timestamped, Base):
    """An improvement action: a row of the county plan, linked back to its expectation."""

    __tablename__ = "compliance_improvement_actions"
    __audited__ = True
    __audit_label__ = "description"

    expectation_id: Mapped[int] = mapped_column(
        ForeignKey("compliance_expectations.id", ondelete="CASCADE"), index=True
    )
    plan_row_id: Mapped[int] = mapped_column(ForeignKey("plan_rows.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text)

    expectation: Mapped[Expectation] = relationship(back_populates="actions")
    plan_row: Mapped["PlanRow"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<ImprovementAction row={self.plan_row_id}>"


class Finding(Scoped, Timestamped, Base):
    """An auditor's finding: the owner responds; it closes only with evidence."""

    __tablename__ = "compliance_findings"
    __audited__ = True
    __audit_label__ = "title"
    __table_args__ = (
        CheckConstraint(f"severity IN ({_values(Severity)})", name="known_severity"),
        CheckConstraint(f"status IN ({_values(FindingStatus)})", name="known_status"),
        CheckConstraint("status <> 'closed' OR closing_evidence <> ''", name="closed_with_evidence"),
    )

    assessment_id: Mapped[int] = mapped_column(ForeignKey("compliance_assessments.id", ondelete="CASCADE"), index=True)
    #: The toolkit section the finding is about.
    section: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))
    recommendation: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default=FindingStatus.OPEN.value)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    response: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    #: What shows the finding was dealt with (required to close it).
    closing_evidence: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None]

    assessment: Mapped[ComplianceAssessment] = relationship(back_populates="findings")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])

    def __repr__(self) -> str:
        return f"<Finding {self.id} {self.severity} {self.status}>"

    @property
    def severity_enum(self) -> Severity:
        return Severity(self.severity)

    @property
    def status_enum(self) -> FindingStatus:
        return FindingStatus(self.status)
