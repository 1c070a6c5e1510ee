"""Reminder vocabularies and tables: the kinds (and which are statutory), the log, opt-outs.

The rules and the daily run are in core.reminders.
"""

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Timestamped, utcnow
from core.models import User
from core.tenancy import Scoped
from core.vocab import Role

#: SPOCs are reminded of stale and overdue rows this many days before a board meeting.
BOARD_LEAD_DAYS = 14
#: Board action owners are reminded this many days before the action falls due.
ACTION_LEAD_DAYS = 7
#: Post-closure reviews due before the next panel (or within this many days when none is set).
REVIEW_LEAD_DAYS = 30
#: Training coordinators hear of completions expiring within this many days.
REFRESHER_LEAD_DAYS = 60
#: Terms of reference reviews are flagged this many days ahead.
TERMS_LEAD_DAYS = 30
#: A reminder left "sending" this long (a crashed run) is tried again.
STUCK_AFTER = timedelta(hours=1)


class ReminderKind(StrEnum):
    PLAN_UPDATE = "plan_update"
    BOARD_ACTION = "board_action"
    POST_CLOSURE_REVIEW = "post_closure_review"
    TRAINING_REFRESHER = "training_refresher"
    MEMBERSHIP_REVIEW = "membership_review"
    TERMS_REVIEW = "terms_review"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self][0]

    @property
    def description(self) -> str:
        return _KIND_LABELS[self][1]

    @property
    def statutory(self) -> bool:
        """Reviews the partnership must hold: the reminder cannot be switched off."""
        return self in STATUTORY

    @property
    def roles(self) -> frozenset[Role]:
        """Who may receive this kind (and sees it on their reminders page)."""
        return _KIND_ROLES[self]

    @property
    def names_a_case(self) -> bool:
        """Its subject and body name a Channel case by reference (for the panel's eyes only)."""
        return self in CASE_KINDS


#: Kinds whose messages name a Channel case by reference. Anyone outside the panel who reads the
#: reminder log sees them by a label instead ("Post-closure review due: review 1 of 3").
CASE_KINDS = frozenset({ReminderKind.POST_CLOSURE_REVIEW})


STATUTORY = frozenset({ReminderKind.POST_CLOSURE_REVIEW, ReminderKind.MEMBERSHIP_REVIEW, ReminderKind.TERMS_REVIEW})

_KIND_LABELS = {
    ReminderKind.PLAN_UPDATE: (
        "Plan updates before a board",
        f"Stale or overdue rows in your plans, {BOARD_LEAD_DAYS} days before a board meeting",
    ),
    ReminderKind.BOARD_ACTION: (
        "Board actions due",
        f"Open board actions you own, {ACTION_LEAD_DAYS} days before they fall due",
    ),
    ReminderKind.POST_CLOSURE_REVIEW: (
        "Post-closure reviews",
        "6- and 12-month reviews of closed Channel cases due before the next panel",
    ),
    ReminderKind.TRAINING_REFRESHER: (
        "Training refreshers due",
        f"A monthly count of training completions expiring within {REFRESHER_LEAD_DAYS} days",
    ),
    ReminderKind.MEMBERSHIP_REVIEW: ("Board membership review", "The board's yearly review of its membership"),
    ReminderKind.TERMS_REVIEW: ("Panel terms of reference review", "The Channel Panel's terms of reference review"),
}

_KIND_ROLES = {
    ReminderKind.PLAN_UPDATE: frozenset({Role.SPOC}),
    ReminderKind.BOARD_ACTION: frozenset(
        {Role.PREVENT_LEAD, Role.SPOC, Role.BOARD_MEMBER, Role.AUDITOR}
    ),  # anyone who reads the board
    ReminderKind.POST_CLOSURE_REVIEW: frozenset({Role.PANEL_CHAIR}),
    ReminderKind.TRAINING_REFRESHER: frozenset({Role.TRAINING_COORDINATOR}),
    ReminderKind.MEMBERSHIP_REVIEW: frozenset({Role.PREVENT_LEAD}),
    ReminderKind.TERMS_REVIEW: frozenset({Role.PANEL_CHAIR}),
}


class DeliveryStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    #: Not sent because the recipient switched this kind off; recorded so the log tells
    #: an unsent reminder apart from an ignored one.
    OPTED_OUT = "opted_out"

    @property
    def label(self) -> str:
        return {"sending": "Sending", "sent": "Sent", "failed": "Failed", "opted_out": "Switched off"}[self.value]

    @property
    def tag_colour(self) -> str:
        return {"sending": "blue", "sent": "green", "failed": "red", "opted_out": "grey"}[self.value]


class ReminderLog(Scoped, Base):
    """One reminder to one person, whatever became of it. Never deleted."""

    __tablename__ = "reminder_log"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        CheckConstraint("status IN ('sending', 'sent', 'failed', 'opted_out')", name="known_status"),
        Index("ix_reminder_log_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the reminder is about, its due date and its recipient, e.g.
    #: "board_action:a12:2027-03-01:u4". The same key is never sent twice.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: The address used, as it was at the time.
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: sending, sent, failed or opted_out (DeliveryStatus).
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.SENDING.value, index=True)
    #: Why the last attempt failed, as the mail server or configuration said.
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ReminderLog {self.dedupe_key} {self.status}>"

    @property
    def status_enum(self) -> DeliveryStatus:
        return DeliveryStatus(self.status)

    @property
    def kind_enum(self) -> ReminderKind:
        return ReminderKind(self.kind)


class ReminderOptOut(Scoped, Timestamped, Base):
    """A user has switched off one non-statutory kind of reminder."""

    __tablename__ = "reminder_opt_outs"
    __audited__ = True
    __audit_label__ = "kind"
    __table_args__ = (
        UniqueConstraint("user_id", "kind"),
        CheckConstraint("kind IN ('plan_update', 'board_action', 'training_refresher')", name="optional_kind"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))

    def __repr__(self) -> str:
        return f"<ReminderOptOut user={self.user_id} {self.kind}>"
