"""Channel Panel records: membership, meetings, pseudonymous cases and the anonymised log.

A case is known by its reference only. Names, dates of birth and addresses live in
CasePersonalDetails, a separate table that only the panel may open. Free text about a case
(support needs, what was shared, review notes) is case material: the audit trail records
that it changed but never what it said, so neither names nor case material outlive the
retention date in the trail. The anonymised log has no cascading link to the case and is
kept for ever.
"""

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from channel_panel.vocab import (
    Attendance,
    CaseStage,
    ClosureReason,
    Consent,
    IndividualType,
    LegalBasis,
    LifeStage,
    NotAdoptedOutcome,
    PanelRole,
    ReviewOutcome,
    SupportStatus,
    category_values,
)
from core.db import Base, Timestamped
from core.models import User
from core.tenancy import Scoped
from partnership.models import BusinessArea, Organisation

#: Never recorded in the audit trail, only that it changed.
REDACT = {"audit": "redact"}
#: Case material and the anonymised log: in the audit trail, the values and labels of these
#: records are for those who may read the anonymised log (the Prevent Lead and the panel); other
#: readers of the trail (auditors) see that a record changed, when, by whom and which fields.
CASE_MATERIAL_READERS = "view_channel_log"


class PanelMember(Scoped, Timestamped, Base):
    """A seat on the panel: the member, their deputy and their organisation."""

    __tablename__ = "channel_panel_members"
    __audited__ = True
    __audit_label__ = "member_name"
    __table_args__ = (
        CheckConstraint(f"role IN ({PanelRole.sql_values()})", name="known_role"),
        CheckConstraint("left_on IS NULL OR joined_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
    )

    role: Mapped[str] = mapped_column(String(30))
    member_name: Mapped[str] = mapped_column(String(200), info={"person_name": True})
    #: Who comes when the member cannot (they must have checked the case logs too).
    deputy_name: Mapped[str] = mapped_column(String(200), default="", info={"person_name": True})
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: The member's account, so they can confirm for themselves that they checked the case logs.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), unique=True)
    joined_on: Mapped[date | None]
    #: Set when the member leaves the panel; their attendance history stays.
    left_on: Mapped[date | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<PanelMember {self.id} {self.role}>"

    @property
    def role_label(self) -> str:
        return PanelRole(self.role).label

    def is_current(self, on: date) -> bool:
        return self.left_on is None or self.left_on > on


class Panel(Scoped, Timestamped, Base):
    """The panel itself (one per service): its chair, deputy chair and terms of reference."""

    __tablename__ = "channel_panels"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("partnership_id"),  # one panel per partnership
        CheckConstraint(
            "chair_id IS NULL OR deputy_chair_id IS NULL OR chair_id <> deputy_chair_id", name="two_chairs"
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("channel_panel_members.id", ondelete="RESTRICT"))
    deputy_chair_id: Mapped[int | None] = mapped_column(ForeignKey("channel_panel_members.id", ondelete="RESTRICT"))
    terms_reviewed_on: Mapped[date | None]
    #: When the terms of reference (and information sharing arrangements) are next reviewed.
    terms_review_due_on: Mapped[date | None]

    chair: Mapped[PanelMember | None] = relationship(foreign_keys=[chair_id])
    deputy_chair: Mapped[PanelMember | None] = relationship(foreign_keys=[deputy_chair_id])

    def __repr__(self) -> str:
        return f"<Panel {self.name}>"


class PanelMeeting(Scoped, Timestamped, Base):
    __tablename__ = "channel_panel_meetings"
    __audited__ = True
    __audit_label__ = "held_on"
    __table_args__ = (UniqueConstraint("partnership_id", "held_on"),)

    held_on: Mapped[date]
    place: Mapped[str] = mapped_column(String(200), default="")

    attendance: Mapped[list["PanelAttendance"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="PanelAttendance.id"
    )

    def __repr__(self) -> str:
        return f"<PanelMeeting {self.id} {self.held_on}>"


class PanelAttendance(Scoped, Timestamped, Base):
    """A member at a meeting: present, deputy attended, apologies or absent, and whether they
    confirmed checking the case logs beforehand."""

    __tablename__ = "channel_panel_attendance"
    __audited__ = True
    __audit_label__ = "status"
    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id"),
        CheckConstraint(f"status IS NULL OR status IN ({Attendance.sql_values()})", name="known_status"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("channel_panel_meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("channel_panel_members.id", ondelete="RESTRICT"), index=True)
    #: None until the chair records it.
    status: Mapped[str | None] = mapped_column(String(12))
    checked_case_logs: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the member (or the chair for them) confirmed the case logs were checked.
    case_logs_confirmed_at: Mapped[datetime | None]

    meeting: Mapped[PanelMeeting] = relationship(back_populates="attendance")
    member: Mapped[PanelMember] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<PanelAttendance meeting={self.meeting_id} member={self.member_id} {self.status}>"


class ChannelCase(Scoped, Timestamped, Base):
    """A referral, known by its reference (e.g. CP-2026-014); never by name.

    The audit trail (read by the Prevent Lead and auditors, never by the panel) knows a case by
    its number only: the reference is redacted there and the entry's label is the stage.
    """

    __tablename__ = "channel_cases"
    __audited__ = True
    __audit_readers__ = CASE_MATERIAL_READERS
    __audit_label__ = "stage"
    __table_args__ = (
        CheckConstraint(f"stage IN ({CaseStage.sql_values()})", name="known_stage"),
        UniqueConstraint("partnership_id", "reference"),
        CheckConstraint(f"referring_sector IN ({category_values('sector')})", name="known_sector"),
        CheckConstraint(f"concern_type IN ({category_values('concern')})", name="known_concern"),
        CheckConstraint(f"age_band IN ({category_values('age_band')})", name="known_age_band"),
        CheckConstraint(f"gender IN ({category_values('gender')})", name="known_gender"),
        CheckConstraint(f"life_stage IN ({LifeStage.sql_values()})", name="known_life_stage"),
        CheckConstraint(f"individual_type IN ({IndividualType.sql_values()})", name="known_individual_type"),
        CheckConstraint(f"consent IN ({Consent.sql_values()})", name="known_consent"),
        CheckConstraint("consent = 'not_sought' OR consent_on IS NOT NULL", name="consent_dated"),
        CheckConstraint(
            f"not_adopted_outcome IS NULL OR not_adopted_outcome IN ({NotAdoptedOutcome.sql_values()})",
            name="known_not_adopted_outcome",
        ),
        CheckConstraint(
            f"closure_reason IS NULL OR closure_reason IN ({ClosureReason.sql_values()})", name="known_closure_reason"
        ),
        CheckConstraint("referral_date >= concern_reported_on", name="referred_after_reported"),
        CheckConstraint("closed_on IS NULL OR closed_on >= referral_date", name="closed_after_referral"),
        CheckConstraint(
            "stage <> 'closed' OR (closed_on IS NOT NULL AND closure_reason IS NOT NULL)", name="closure_recorded"
        ),
        CheckConstraint(
            "stage <> 'not_adopted' OR (not_adopted_on IS NOT NULL AND not_adopted_outcome IS NOT NULL)",
            name="not_adopted_recorded",
        ),
        Index("ix_channel_cases_stage", "stage"),
        Index("ix_channel_cases_referral_date", "referral_date"),
    )

    #: CP-YYYY-NNN: the year of the referral and its number in that year.
    reference: Mapped[str] = mapped_column(String(20), info=REDACT)
    #: The date the concern was first reported; case material is deleted six years after it.
    concern_reported_on: Mapped[date]
    #: The date the referral reached the Prevent team and this panel's process.
    referral_date: Mapped[date]
    #: National categories (core.vocab.REFERRAL_CATEGORIES).
    referring_sector: Mapped[str] = mapped_column(String(30))
    concern_type: Mapped[str] = mapped_column(String(40))
    age_band: Mapped[str] = mapped_column(String(20))
    gender: Mapped[str] = mapped_column(String(20))
    #: Business area managing the referral, when there is one.
    business_area_id: Mapped[int | None] = mapped_column(ForeignKey("business_areas.id", ondelete="RESTRICT"))
    life_stage: Mapped[str] = mapped_column(String(10))
    individual_type: Mapped[str] = mapped_column(String(30), default=IndividualType.NOT_APPLICABLE.value)
    #: The individual's organisation (school, college, employer), for the anonymised log.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    department: Mapped[str] = mapped_column(String(200), default="")
    consent: Mapped[str] = mapped_column(String(12), default=Consent.NOT_SOUGHT.value)
    #: When consent was sought, given or declined (the latest of these).
    consent_on: Mapped[date | None]
    stage: Mapped[str] = mapped_column(String(20), default=CaseStage.REFERRAL.value)
    #: The date the case reached each stage (stages only move forward).
    screened_on: Mapped[date | None]
    discussed_on: Mapped[date | None]
    adopted_on: Mapped[date | None]
    not_adopted_on: Mapped[date | None]
    support_plan_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    not_adopted_outcome: Mapped[str | None] = mapped_column(String(30))
    closure_reason: Mapped[str | None] = mapped_column(String(30))
    closure_note: Mapped[str] = mapped_column(Text, default="", info=REDACT)

    personal: Mapped["CasePersonalDetails | None"] = relationship(
        back_populates="case", cascade="all, delete-orphan", uselist=False
    )
    support_items: Mapped[list["SupportPlanItem"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="SupportPlanItem.id"
    )
    shares: Mapped[list["InformationShare"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="InformationShare.shared_on"
    )
    reviews: Mapped[list["PostClosureReview"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="PostClosureReview.months"
    )
    business_area: Mapped[BusinessArea | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    def __repr__(self) -> str:
        return f"<ChannelCase {self.id} {self.reference}>"

    @property
    def stage_enum(self) -> CaseStage:
        return CaseStage(self.stage)

    @property
    def is_open(self) -> bool:
        return self.stage_enum.is_open

    def reached_on(self, stage: CaseStage) -> date | None:
        return getattr(self, stage.date_field)

    @property
    def last_stage_date(self) -> date:
        """The date of the latest stage the case reached (a new stage cannot be earlier)."""
        dates = [self.reached_on(s) for s in CaseStage]
        return max(d for d in dates if d is not None)


class CasePersonalDetails(Scoped, Timestamped, Base):
    """Who the case is about. Opened only through services.open_personal_details, which logs it.

    Every field is redacted in the audit trail; no column is called name, title, reference or
    email, so the audit label never picks up a value from here either.
    """

    __tablename__ = "channel_case_personal_details"
    __audited__ = True
    __audit_readers__ = CASE_MATERIAL_READERS
    __audit_label__ = "case_id"

    case_id: Mapped[int] = mapped_column(ForeignKey("channel_cases.id", ondelete="CASCADE"), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="", info={**REDACT, "person_name": True})
    other_names: Mapped[str] = mapped_column(String(300), default="", info=REDACT)
    date_of_birth: Mapped[date | None] = mapped_column(info=REDACT)
    address: Mapped[str] = mapped_column(Text, default="", info=REDACT)

    case: Mapped[ChannelCase] = relationship(back_populates="personal")

    def __repr__(self) -> str:
        return f"<CasePersonalDetails case={self.case_id}>"


class SupportPlanItem(Scoped, Timestamped, Base):
    __tablename__ = "channel_support_items"
    __audited__ = True
    __audit_readers__ = CASE_MATERIAL_READERS
    __audit_label__ = "status"
    __table_args__ = (CheckConstraint(f"status IN ({SupportStatus.sql_values()})", name="known_status"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("channel_cases.id", ondelete="CASCADE"), index=True)
    need: Mapped[str] = mapped_column(Text, info=REDACT)
    provider: Mapped[str] = mapped_column(String(200), default="", info=REDACT)
    status: Mapped[str] = mapped_column(String(12), default=SupportStatus.PLANNED.value)

    case: Mapped[ChannelCase] = relationship(back_populates="support_items")

    def __repr__(self) -> str:
        return f"<SupportPlanItem {self.id} case={self.case_id} {self.status}>"


class InformationShare(Scoped, Timestamped, Base):
    """When information about the individual was shared, with whom, what, and on what basis."""

    __tablename__ = "channel_information_shares"
    __audited__ = True
    __audit_readers__ = CASE_MATERIAL_READERS
    __audit_label__ = "legal_basis"
    __table_args__ = (CheckConstraint(f"legal_basis IN ({LegalBasis.sql_values()})", name="known_legal_basis"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("channel_cases.id", ondelete="CASCADE"), index=True)
    shared_on: Mapped[date]
    shared_with: Mapped[str] = mapped_column(String(300), info=REDACT)
    what: Mapped[str] = mapped_column(Text, info=REDACT)
    legal_basis: Mapped[str] = mapped_column(String(20))

    case: Mapped[ChannelCase] = relationship(back_populates="shares")

    def __repr__(self) -> str:
        return f"<InformationShare {self.id} case={self.case_id} {self.shared_on}>"


class PostClosureReview(Scoped, Timestamped, Base):
    """The 6- or 12-month review of a closed case: a standing item until it is held."""

    __tablename__ = "channel_post_closure_reviews"
    __audited__ = True
    __audit_readers__ = CASE_MATERIAL_READERS
    __audit_label__ = "due_on"
    __table_args__ = (
        UniqueConstraint("case_id", "months"),
        CheckConstraint("months IN (6, 12)", name="known_months"),
        CheckConstraint(f"outcome IS NULL OR outcome IN ({ReviewOutcome.sql_values()})", name="known_outcome"),
        CheckConstraint("(held_on IS NULL) = (outcome IS NULL)", name="held_with_outcome"),
        Index("ix_channel_post_closure_reviews_due_on", "due_on"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("channel_cases.id", ondelete="CASCADE"))
    #: 6 or 12: calendar months after the closure date.
    months: Mapped[int]
    due_on: Mapped[date]
    held_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="", info=REDACT)
    #: Why the review was held more than a week before it was due (required then).
    early_reason: Mapped[str] = mapped_column(Text, default="", info=REDACT)

    case: Mapped[ChannelCase] = relationship(back_populates="reviews")

    def __repr__(self) -> str:
        return f"<PostClosureReview case={self.case_id} {self.months}m due {self.due_on}>"

    @property
    def kind_label(self) -> str:
        return f"{self.months}-month review"


class AnonymisedLogEntry(Scoped, Timestamped, Base):
    """One concern in the anonymised log, kept for ever: no name, no case reference.

    Kept in step with its case by the services while the case exists. The link to the case
    is cleared (not cascaded) when retention deletes the case material.
    """

    __tablename__ = "channel_anonymised_log"
    __audited__ = True
    __audit_readers__ = CASE_MATERIAL_READERS
    __audit_label__ = "concern_reported_on"
    __table_args__ = (
        CheckConstraint(f"stage IN ({CaseStage.sql_values()})", name="known_stage"),
        CheckConstraint(f"life_stage IN ({LifeStage.sql_values()})", name="known_life_stage"),
        Index("ix_channel_anonymised_log_referral_date", "referral_date"),
    )

    #: The live case, until retention deletes it; never shown and never followed on delete.
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_cases.id", ondelete="SET NULL"), unique=True, info={"audit": False}
    )
    concern_reported_on: Mapped[date]
    referral_date: Mapped[date]
    life_stage: Mapped[str] = mapped_column(String(10))
    individual_type: Mapped[str] = mapped_column(String(30))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    department: Mapped[str] = mapped_column(String(200), default="")
    referring_sector: Mapped[str] = mapped_column(String(30))
    concern_type: Mapped[str] = mapped_column(String(40))
    age_band: Mapped[str] = mapped_column(String(20))
    gender: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(20))
    screened_on: Mapped[date | None]
    #: The formal Channel referral: the date the case was first discussed at panel.
    discussed_on: Mapped[date | None]
    adopted_on: Mapped[date | None]
    not_adopted_on: Mapped[date | None]
    support_plan_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    not_adopted_outcome: Mapped[str | None] = mapped_column(String(30))
    closure_reason: Mapped[str | None] = mapped_column(String(30))
    review_6_held_on: Mapped[date | None]
    review_6_outcome: Mapped[str | None] = mapped_column(String(30))
    review_12_held_on: Mapped[date | None]
    review_12_outcome: Mapped[str | None] = mapped_column(String(30))
    #: When retention deleted the case material (the entry itself stays).
    material_deleted_on: Mapped[date | None]

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<AnonymisedLogEntry {self.id} {self.concern_reported_on}>"

    @property
    def channel_referral(self) -> bool:
        return self.discussed_on is not None

    @property
    def outcome_label(self) -> str:
        if self.stage == CaseStage.NOT_ADOPTED.value and self.not_adopted_outcome:
            return f"Not adopted: {NotAdoptedOutcome(self.not_adopted_outcome).label}"
        if self.stage == CaseStage.CLOSED.value and self.closure_reason:
            return f"Closed: {ClosureReason(self.closure_reason).label}"
        return f"Open ({CaseStage(self.stage).label.lower()})"
