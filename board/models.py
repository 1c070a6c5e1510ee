"""The quarterly partnership board: members, membership reviews, meetings, agendas, attendance,
decisions, actions, plan checks and papers."""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Timestamped, utcnow
from core.tenancy import Scoped
from partnership.models import Organisation

# --- the quarterly partnership board ------------------------------------------------------


class BoardRole(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    ELECTED_MEMBER_LEAD = "elected_member_lead"
    SPOC = "spoc"
    ADVISER = "adviser"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return {
            "chair": "Chair",
            "vice_chair": "Vice-chair",
            "elected_member_lead": "Elected member lead",
            "spoc": "SPOC",
            "adviser": "Adviser",
            "member": "Member",
        }[self.value]


BOARD_ROLE_VALUES = ", ".join(f"'{r.value}'" for r in BoardRole)


class BoardMember(Scoped, Timestamped, Base):
    """A standing seat on the board: an organisation's representative and deputy."""

    __tablename__ = "board_members"
    __audited__ = True
    __audit_label__ = "representative"
    __table_args__ = (
        CheckConstraint(f"role IN ({BOARD_ROLE_VALUES})", name="known_role"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
    )

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    representative: Mapped[str] = mapped_column(String(200))
    deputy: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(30), default=BoardRole.MEMBER.value)
    joined_on: Mapped[date]
    left_on: Mapped[date | None]

    organisation: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<BoardMember {self.id} {self.representative}>"

    def is_current(self, on: date) -> bool:
        return self.joined_on <= on and (self.left_on is None or self.left_on >= on)


class MembershipReview(Scoped, Timestamped, Base):
    """The board's 12-monthly review of its own membership."""

    __tablename__ = "membership_reviews"
    __audited__ = True
    __audit_label__ = "outcome"

    reviewed_on: Mapped[date]
    outcome: Mapped[str] = mapped_column(Text)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("board_meetings.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<MembershipReview {self.reviewed_on}>"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class BoardMeeting(Scoped, Timestamped, Base):
    __tablename__ = "board_meetings"
    __audited__ = True
    __audit_label__ = "title"
    __table_args__ = (
        UniqueConstraint("partnership_id", "held_on"),
        CheckConstraint("status IN ('scheduled', 'held', 'cancelled')", name="known_status"),
        CheckConstraint("marking IN ('OFFICIAL', 'OFFICIAL-SENSITIVE')", name="known_marking"),
    )

    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date]
    starts_at: Mapped[time | None]
    ends_at: Mapped[time | None]
    place: Mapped[str] = mapped_column(String(300), default="")
    #: A video call link, when the meeting is online or hybrid.
    link: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default=MeetingStatus.SCHEDULED.value)
    #: Protective marking printed on this meeting's agenda, minutes and pack.
    marking: Mapped[str] = mapped_column(String(20), default="OFFICIAL-SENSITIVE")

    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<BoardMeeting {self.id} {self.held_on}>"


class ItemKind(StrEnum):
    """Standing agenda items are filled from live data when the agenda or pack is produced."""

    APOLOGIES = "apologies"
    MINUTES = "minutes"
    ACTION_LOG = "action_log"
    PLAN_EXCEPTIONS = "plan_exceptions"
    TRAINING = "training"
    CHANNEL = "channel"
    CTLP = "ctlp"
    MEMBERSHIP_REVIEW = "membership_review"
    AOB = "aob"
    CUSTOM = "custom"

    @property
    def default_title(self) -> str:
        return {
            "apologies": "Welcome, introductions and apologies",
            "minutes": "Minutes of the last meeting and matters arising",
            "action_log": "Action log",
            "plan_exceptions": "Delivery plans: exceptions",
            "training": "Training coverage against the 90% target",
            "channel": "Channel Panel figures",
            "ctlp": "Counter Terrorism Local Profile and risk update",
            "membership_review": "Review of board membership",
            "aob": "Any other business",
            "custom": "",
        }[self.value]


STANDING_ITEMS = [k for k in ItemKind if k is not ItemKind.CUSTOM]
ITEM_KIND_VALUES = ", ".join(f"'{k.value}'" for k in ItemKind)


class AgendaItem(Scoped, Timestamped, Base):
    __tablename__ = "agenda_items"
    __audited__ = True
    __audit_label__ = "title"
    __table_args__ = (CheckConstraint(f"kind IN ({ITEM_KIND_VALUES})", name="known_kind"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20), default=ItemKind.CUSTOM.value)
    title: Mapped[str] = mapped_column(String(300))
    #: The chair's note on the agenda, e.g. who presents and for how long.
    note: Mapped[str] = mapped_column(Text, default="")
    #: Minutes recorded against this item at the meeting.
    minutes: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[BoardMeeting] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} {self.title}>"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"
    DEPUTY = "deputy"
    ABSENT = "absent"

    @property
    def label(self) -> str:
        return {"present": "Present", "apologies": "Apologies", "deputy": "Deputy attended", "absent": "Absent"}[
            self.value
        ]


class BoardAttendance(Scoped, Timestamped, Base):
    __tablename__ = "board_attendance"
    __audited__ = True
    __audit_label__ = "status"
    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id"),
        CheckConstraint("status IN ('present', 'apologies', 'deputy', 'absent')", name="known_status"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("board_members.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(12))
    #: Who attended in the member's place, when a deputy came.
    deputy_name: Mapped[str] = mapped_column(String(200), default="", info={"person_name": True})

    member: Mapped[BoardMember] = relationship()

    def __repr__(self) -> str:
        return f"<BoardAttendance meeting={self.meeting_id} member={self.member_id} {self.status}>"


class Decision(Scoped, Timestamped, Base):
    __tablename__ = "board_decisions"
    __audited__ = True
    __audit_label__ = "text"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<Decision {self.id}>"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return {"open": "Open", "done": "Done", "dropped": "Dropped"}[self.value]


class BoardAction(Scoped, Timestamped, Base):
    """An action arising: it stays on every later action log until it is closed."""

    __tablename__ = "board_actions"
    __audited__ = True
    __audit_label__ = "description"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'done', 'dropped')", name="known_status"),
        CheckConstraint("length(owner) > 0", name="has_owner"),
        Index("ix_board_actions_status", "status"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id", ondelete="RESTRICT"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"))
    #: A stable number for the action log, e.g. 12 (shown as A12).
    number: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default=ActionStatus.OPEN.value)
    closed_on: Mapped[date | None]
    #: The latest update on the action, as reported at a meeting.
    update: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[BoardMeeting] = relationship()

    def __repr__(self) -> str:
        return f"<BoardAction A{self.number} {self.status}>"


class PlanCheck(Scoped, Timestamped, Base):
    """The board checked a plan at a meeting: one record per plan per quarter."""

    __tablename__ = "plan_checks"
    __audited__ = True
    __table_args__ = (UniqueConstraint("plan_id", "quarter_start"),)

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id", ondelete="CASCADE"), index=True)
    quarter_start: Mapped[date]

    def __repr__(self) -> str:
        return f"<PlanCheck plan={self.plan_id} {self.quarter_start}>"


class MeetingPaper(Scoped, Base):
    """A paper attached to a meeting (or one of its items); the file is write-once in storage."""

    __tablename__ = "meeting_papers"
    __audited__ = True
    __audit_label__ = "filename"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id", ondelete="RESTRICT"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<MeetingPaper {self.id} {self.filename}>"
