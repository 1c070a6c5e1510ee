"""Training records: courses, the people trained, sessions, completions, headcounts, evaluations.

Coverage is counted from these tables in SQL (see training.coverage): a completion counts
for its person's organisation from the day it was completed until the day before it
expires (``expires_on``, kept here so the arithmetic needs no month maths in SQL).
"""

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Timestamped
from core.tenancy import Scoped
from partnership.models import Organisation


class CourseKind(StrEnum):
    WRAP = "wrap"
    REFRESHER = "refresher"
    ELEARNING = "elearning"
    DSL = "dsl"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "wrap": "WRAP (Workshop to Raise Awareness of Prevent)",
            "refresher": "Refresher",
            "elearning": "Prevent e-learning",
            "dsl": "Designated safeguarding lead training",
            "other": "Other course",
        }[self.value]

    @property
    def counts_by_default(self) -> bool:
        """The county plan's target is staff "WRAP-trained": WRAP and its refresher count;
        e-learning supports WRAP but does not replace it (a partnership may decide otherwise)."""
        return self in (CourseKind.WRAP, CourseKind.REFRESHER)


class Delivery(StrEnum):
    FACILITATED = "facilitated"
    ELEARNING = "elearning"

    @property
    def label(self) -> str:
        return "Facilitated session" if self is Delivery.FACILITATED else "E-learning"


KIND_VALUES = ", ".join(f"'{k.value}'" for k in CourseKind)
DELIVERY_VALUES = ", ".join(f"'{d.value}'" for d in Delivery)
#: Three years: how long WRAP stays current unless a course says otherwise.
DEFAULT_VALIDITY_MONTHS = 36


class Course(Scoped, Timestamped, Base):
    __tablename__ = "training_courses"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(f"kind IN ({KIND_VALUES})", name="known_kind"),
        CheckConstraint("validity_months BETWEEN 1 AND 240", name="validity_in_range"),
        UniqueConstraint("partnership_id", "name"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    #: How long a completion stays current: it counts until the day before this many months later.
    validity_months: Mapped[int] = mapped_column(default=DEFAULT_VALIDITY_MONTHS)
    #: Whether a current completion makes the person count as trained towards the target.
    counts_for_coverage: Mapped[bool] = mapped_column(default=False)
    #: False once the course is no longer offered; its records still count while current.
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.name}>"

    @property
    def kind_enum(self) -> CourseKind:
        return CourseKind(self.kind)


class Person(Scoped, Timestamped, Base):
    """A member of staff at a partner organisation who has been trained (not a system user).

    Matched across registers on the staff number (within the organisation) or the work email,
    so one person is counted once however many registers name them.
    """

    __tablename__ = "training_people"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("organisation_id", "staff_number"),
        UniqueConstraint("partnership_id", "email"),
        CheckConstraint("email IS NOT NULL OR staff_number IS NOT NULL", name="has_identifier"),
        CheckConstraint("email IS NULL OR email = lower(email)", name="email_lower_case"),
        Index("ix_training_people_name", "name"),
    )

    name: Mapped[str] = mapped_column(String(200), info={"person_name": True})
    #: Work email, lower case; None when the registers give only a staff number.
    email: Mapped[str | None] = mapped_column(String(254))
    #: The organisation's own staff or payroll number, upper case; unique within the organisation.
    staff_number: Mapped[str | None] = mapped_column(String(40))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: Job role, as the register gives it, e.g. "Social worker".
    role: Mapped[str] = mapped_column(String(200), default="")
    #: Team or business area within the organisation, for team headcounts ("" for none).
    team: Mapped[str] = mapped_column(String(100), default="")
    #: The day they left the organisation: from then on their training no longer counts there.
    left_on: Mapped[date | None]

    organisation: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.name}>"

    @property
    def identifier(self) -> str:
        return self.email or f"Staff number {self.staff_number}"


class Facilitator(Scoped, Timestamped, Base):
    """Someone who runs sessions; WRAP facilitators are accredited by the Home Office."""

    __tablename__ = "training_facilitators"
    __audited__ = True
    __table_args__ = (UniqueConstraint("partnership_id", "name"),)

    name: Mapped[str] = mapped_column(String(200), info={"person_name": True})
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    email: Mapped[str] = mapped_column(String(254), default="")
    #: The date of their WRAP facilitator accreditation; None if not accredited.
    accredited_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation | None] = relationship()

    def __repr__(self) -> str:
        return f"<Facilitator {self.id} {self.name}>"


class TrainingSession(Scoped, Timestamped, Base):
    """A facilitated session: its attendees are the completions that point at it."""

    __tablename__ = "training_sessions"
    __audited__ = True
    __audit_label__ = "place"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_training_sessions_held_on", "held_on"),
    )

    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id", ondelete="RESTRICT"))
    held_on: Mapped[date]
    place: Mapped[str] = mapped_column(String(200))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("training_facilitators.id", ondelete="RESTRICT"))
    #: Places available; None when not known (sessions made from an imported register).
    capacity: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")

    course: Mapped[Course] = relationship()
    facilitator: Mapped[Facilitator | None] = relationship()

    def __repr__(self) -> str:
        return f"<TrainingSession {self.id} {self.held_on} {self.place}>"


class RegisterImport(Scoped, Timestamped, Base):
    """One import of an attendance register or e-learning export, with what it added."""

    __tablename__ = "training_imports"
    __audited__ = True
    __audit_label__ = "filename"

    filename: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the file's bytes: the same file imported twice is recognisable.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: Who imported it: a user's email or the command.
    imported_by: Mapped[str] = mapped_column(String(254))
    rows: Mapped[int] = mapped_column(default=0)
    new_completions: Mapped[int] = mapped_column(default=0)
    #: Rows whose completion was already recorded (from an earlier file or form).
    already_recorded: Mapped[int] = mapped_column(default=0)
    #: Rows repeating an earlier row of the same file.
    repeated_in_file: Mapped[int] = mapped_column(default=0)
    new_people: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<RegisterImport {self.id} {self.filename}>"


class Completion(Scoped, Timestamped, Base):
    """A person completed a course on a day. The same completion is never stored twice."""

    __tablename__ = "training_completions"
    __audited__ = True
    __audit_label__ = "completed_on"
    __table_args__ = (
        UniqueConstraint("person_id", "course_id", "completed_on"),
        CheckConstraint(f"delivery IN ({DELIVERY_VALUES})", name="known_delivery"),
        CheckConstraint("expires_on > completed_on", name="expires_after_completion"),
        # Coverage on a day reads this index alone: course, still current on the day, completed by then, who.
        # Covers the coverage count (core.tenancy adds the partnership to every query: without it
        # here each completion was read from the table too, twice as slow).
        Index(
            "ix_training_completions_coverage", "course_id", "expires_on", "completed_on", "person_id", "partnership_id"
        ),
        Index("ix_training_completions_session_id", "session_id"),
    )

    person_id: Mapped[int] = mapped_column(ForeignKey("training_people.id", ondelete="RESTRICT"))
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id", ondelete="RESTRICT"))
    completed_on: Mapped[date]
    #: The first day the completion no longer counts: completed_on plus the course's validity
    #: (see training.services.expiry_date). Derived, so not audited: it is recalculated when the
    #: course's validity changes, and the course's own audit entry records that change.
    expires_on: Mapped[date] = mapped_column(info={"audit": False})
    delivery: Mapped[str] = mapped_column(String(12))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="RESTRICT"))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("training_facilitators.id", ondelete="RESTRICT"))
    #: The import that brought the record in, and its row in that file; None when typed in.
    import_id: Mapped[int | None] = mapped_column(ForeignKey("training_imports.id", ondelete="RESTRICT"), index=True)
    source_row: Mapped[int | None]

    person: Mapped[Person] = relationship()
    course: Mapped[Course] = relationship()
    session: Mapped[TrainingSession | None] = relationship()
    facilitator: Mapped[Facilitator | None] = relationship()
    source: Mapped[RegisterImport | None] = relationship()

    def __repr__(self) -> str:
        return f"<Completion {self.id} person={self.person_id} course={self.course_id} {self.completed_on}>"

    def is_current(self, on: date) -> bool:
        return self.completed_on <= on < self.expires_on


class Headcount(Scoped, Timestamped, Base):
    """The relevant headcount of an organisation (or one of its teams) as at a date: the
    denominator of coverage. It stands until a later headcount is recorded."""

    __tablename__ = "training_headcounts"
    __audited__ = True
    __audit_label__ = "source"
    __table_args__ = (
        UniqueConstraint("organisation_id", "team", "as_of"),
        CheckConstraint("relevant_headcount >= 0", name="not_negative"),
    )

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: "" for the whole organisation, else the team or business area the figure is for.
    team: Mapped[str] = mapped_column(String(100), default="")
    #: The date the figure is true on.
    as_of: Mapped[date]
    #: Staff who should be WRAP-trained (frontline and other relevant roles), not all staff.
    relevant_headcount: Mapped[int]
    #: Where the figure comes from, e.g. "HR establishment report, March 2026".
    source: Mapped[str] = mapped_column(String(300))

    organisation: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<Headcount {self.organisation_id} {self.team or 'all'} {self.as_of} {self.relevant_headcount}>"


class Evaluation(Scoped, Timestamped, Base):
    """An attendee's evaluation of a session: understanding and confidence before and after (1-5)."""

    __tablename__ = "training_evaluations"
    __audited__ = True
    __audit_label__ = "comment"
    __table_args__ = (
        UniqueConstraint("session_id", "person_id"),
        CheckConstraint("understanding_before BETWEEN 1 AND 5", name="understanding_before_1_5"),
        CheckConstraint("understanding_after BETWEEN 1 AND 5", name="understanding_after_1_5"),
        CheckConstraint("confidence_before BETWEEN 1 AND 5", name="confidence_before_1_5"),
        CheckConstraint("confidence_after BETWEEN 1 AND 5", name="confidence_after_1_5"),
    )

    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="RESTRICT"), index=True)
    #: None for an anonymous evaluation form.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("training_people.id", ondelete="RESTRICT"))
    understanding_before: Mapped[int]
    understanding_after: Mapped[int]
    confidence_before: Mapped[int]
    confidence_after: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person | None] = relationship()

    def __repr__(self) -> str:
        return f"<Evaluation {self.id} session={self.session_id}>"
