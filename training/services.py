"""Training rules: course validity and expiry, the partnership's target, completions and
headcounts. People are matched in training.people; sessions and evaluations are in
training.sessions; coverage arithmetic is in training.coverage.

Functions add and flush, never commit; the audit trail is written in the same transaction.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import joinedload

from core.dates import add_months
from core.extensions import db
from partnership.models import Organisation, Partnership
from training.errors import AlreadyRecorded, TrainingError
from training.models import Completion, Course, CourseKind, Delivery, Headcount, Person
from training.people import PersonDetails, find_or_create_person

# --- dates -------------------------------------------------------------------------------


def expiry_date(completed_on: date, validity_months: int) -> date:
    """The first day a completion no longer counts.

    Training is current from the day it was completed through the day before its anniversary
    ``validity_months`` later: WRAP on 15 March 2023 (36 months) counts until 14 March 2026
    and has expired on 15 March 2026. When the anniversary falls in a shorter month (29 February,
    31 August + 6 months) the training counts through that month's last day.
    """
    anniversary = add_months(completed_on, validity_months)
    if anniversary.day != completed_on.day:  # clamped to the end of the month
        return anniversary + timedelta(days=1)
    return anniversary


# --- settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageSettings:
    target_percent: int = 90
    amber_band_points: int = 10

    @property
    def amber_from(self) -> int:
        return max(0, self.target_percent - self.amber_band_points)


def coverage_settings() -> CoverageSettings:
    """The partnership's target and amber band (the defaults when there is no partnership yet)."""
    row = db.session.execute(
        select(Partnership.training_target_percent, Partnership.training_amber_band_points)
        .order_by(Partnership.id)
        .limit(1)
    ).first()
    if row is None:
        return CoverageSettings()
    return CoverageSettings(target_percent=row[0], amber_band_points=row[1])


def update_settings(
    partnership: Partnership,
    *,
    target_percent: int,
    amber_band_points: int,
    leaver_retention_months: int | None = None,
) -> None:
    if not 1 <= target_percent <= 100 or not 0 <= amber_band_points <= 100:
        raise TrainingError("The target must be 1 to 100 and the band 0 to 100")
    if leaver_retention_months is not None and not 1 <= leaver_retention_months <= 240:
        raise TrainingError("Leavers' records must be kept 1 to 240 months")
    partnership.training_target_percent = target_percent
    partnership.training_amber_band_points = amber_band_points
    if leaver_retention_months is not None:
        partnership.leaver_retention_months = leaver_retention_months
    db.session.flush()


# --- courses -----------------------------------------------------------------------------


def list_courses(*, active_only: bool = False) -> list[Course]:
    query = select(Course).order_by(Course.counts_for_coverage.desc(), Course.name)
    if active_only:
        query = query.where(Course.active.is_(True))
    return list(db.session.scalars(query))


def course_name_taken(name: str, *, except_id: int | None = None) -> bool:
    query = select(func.count()).select_from(Course).where(func.lower(Course.name) == name.strip().lower())
    if except_id is not None:
        query = query.where(Course.id != except_id)
    return db.session.scalar(query) > 0


def create_course(*, name: str, kind: str, validity_months: int, counts_for_coverage: bool | None = None) -> Course:
    kind = CourseKind(kind)
    course = Course(
        name=name.strip(),
        kind=kind.value,
        validity_months=validity_months,
        counts_for_coverage=kind.counts_by_default if counts_for_coverage is None else counts_for_coverage,
    )
    db.session.add(course)
    db.session.flush()
    return course


def update_course(
    course: Course, *, name: str, kind: str, validity_months: int, counts_for_coverage: bool, active: bool
) -> int:
    """Save the course; a new validity recalculates its completions' expiry. Returns how many."""
    recalculate = validity_months != course.validity_months
    course.name = name.strip()
    course.kind = CourseKind(kind).value
    course.validity_months = validity_months
    course.counts_for_coverage = counts_for_coverage
    course.active = active
    db.session.flush()
    if not recalculate:
        return 0
    return recalculate_expiry(course)


def recalculate_expiry(course: Course) -> int:
    """Set expires_on of every completion of ``course`` from its validity: one UPDATE per
    distinct completion date, sent together (the course's audit entry records the change)."""
    days = db.session.scalars(select(Completion.completed_on).where(Completion.course_id == course.id).distinct()).all()
    if not days:
        return 0
    table = Completion.__table__
    statement = (
        update(table)
        .where(table.c.course_id == bindparam("b_course"), table.c.completed_on == bindparam("b_day"))
        .values(expires_on=bindparam("b_expires"))
    )
    db.session.execute(
        statement,
        [{"b_course": course.id, "b_day": d, "b_expires": expiry_date(d, course.validity_months)} for d in days],
    )
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Completion).where(Completion.course_id == course.id))


# --- records ------------------------------------------------------------------------------


def completions_of(person: Person) -> list[Completion]:
    return list(
        db.session.scalars(
            select(Completion)
            .where(Completion.person_id == person.id)
            .options(
                joinedload(Completion.course),
                joinedload(Completion.session),
                joinedload(Completion.facilitator),
                joinedload(Completion.source),
            )
            .order_by(Completion.completed_on.desc(), Completion.id.desc())
        )
    )


def completions_query(
    *,
    q: str = "",
    course_id: int | None = None,
    organisation_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    sort: str = "newest",
):
    """Training records for the records list, newest first unless sorted otherwise."""
    query = (
        select(Completion)
        .join(Person, Person.id == Completion.person_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .options(
            joinedload(Completion.person).joinedload(Person.organisation),
            joinedload(Completion.course),
            joinedload(Completion.facilitator),
        )
    )
    text = q.strip().lower()
    if text:
        like = f"%{text}%"
        query = query.where(
            or_(func.lower(Person.name).like(like), Person.email.like(like), func.lower(Person.staff_number).like(like))
        )
    if course_id is not None:
        query = query.where(Completion.course_id == course_id)
    if organisation_id is not None:
        query = query.where(Person.organisation_id == organisation_id)
    if date_from is not None:
        query = query.where(Completion.completed_on >= date_from)
    if date_to is not None:
        query = query.where(Completion.completed_on <= date_to)
    orders = {
        "newest": (Completion.completed_on.desc(), Completion.id.desc()),
        "oldest": (Completion.completed_on, Completion.id),
        "name": (Person.name, Completion.completed_on.desc()),
        "organisation": (Organisation.name, Person.name, Completion.completed_on.desc()),
    }
    return query.order_by(*orders.get(sort, orders["newest"]))


# --- completions -------------------------------------------------------------------------


def default_delivery(course: Course) -> Delivery:
    return Delivery.ELEARNING if course.kind == CourseKind.ELEARNING.value else Delivery.FACILITATED


def record_completion(
    *,
    details: PersonDetails,
    course: Course,
    completed_on: date,
    delivery: str,
    today: date,
    facilitator_id: int | None = None,
    session_id: int | None = None,
) -> tuple[Completion, bool]:
    """Record that a person completed a course, matching them on staff number or email
    (a new person otherwise); ``(completion, person_created)``.

    Raises TrainingError for a date in the future, PersonConflict when the identifiers
    disagree, and AlreadyRecorded when the same person, course and date are already stored.
    """
    if completed_on > today:
        raise TrainingError("The date the course was completed must be today or in the past")
    person, created = find_or_create_person(details)
    existing = db.session.scalar(
        select(Completion).where(
            Completion.person_id == person.id,
            Completion.course_id == course.id,
            Completion.completed_on == completed_on,
        )
    )
    if existing is not None:
        raise AlreadyRecorded(existing)
    completion = Completion(
        person_id=person.id,
        course_id=course.id,
        completed_on=completed_on,
        expires_on=expiry_date(completed_on, course.validity_months),
        delivery=Delivery(delivery).value,
        facilitator_id=facilitator_id,
        session_id=session_id,
    )
    db.session.add(completion)
    db.session.flush()
    return completion, created


def delete_completion(completion: Completion) -> None:
    """Remove a record entered in error (the audit trail keeps what it said)."""
    db.session.delete(completion)
    db.session.flush()


# --- headcounts --------------------------------------------------------------------------


def headcount_taken(organisation_id: int, team: str, as_of: date, *, except_id: int | None = None) -> bool:
    query = (
        select(func.count())
        .select_from(Headcount)
        .where(
            Headcount.organisation_id == organisation_id,
            func.lower(Headcount.team) == team.strip().lower(),
            Headcount.as_of == as_of,
        )
    )
    if except_id is not None:
        query = query.where(Headcount.id != except_id)
    return db.session.scalar(query) > 0


def record_headcount(
    *, organisation_id: int, as_of: date, relevant_headcount: int, source: str, team: str = ""
) -> Headcount:
    if relevant_headcount < 0:
        raise TrainingError("The headcount cannot be negative")
    headcount = Headcount(
        organisation_id=organisation_id,
        team=team.strip(),
        as_of=as_of,
        relevant_headcount=relevant_headcount,
        source=source.strip(),
    )
    db.session.add(headcount)
    db.session.flush()
    return headcount


def update_headcount(headcount: Headcount, *, as_of: date, relevant_headcount: int, source: str, team: str) -> None:
    if relevant_headcount < 0:
        raise TrainingError("The headcount cannot be negative")
    headcount.team = team.strip()
    headcount.as_of = as_of
    headcount.relevant_headcount = relevant_headcount
    headcount.source = source.strip()
    db.session.flush()


def delete_headcount(headcount: Headcount) -> None:
    db.session.delete(headcount)
    db.session.flush()


def headcounts_of(organisation_id: int) -> list[Headcount]:
    return list(
        db.session.scalars(
            select(Headcount)
            .where(Headcount.organisation_id == organisation_id)
            .order_by(Headcount.as_of.desc(), Headcount.team)
        )
    )
