"""Facilitators, facilitated sessions with their attendees, and evaluations with their averages.

Functions add and flush, never commit; the audit trail is written in the same transaction.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, cast, extract, func, select
from sqlalchemy.orm import joinedload

from core.dates import Quarter
from core.extensions import db
from training.errors import TrainingError
from training.models import Completion, Delivery, Evaluation, Facilitator, Person, TrainingSession
from training.people import PersonDetails
from training.services import record_completion


def list_facilitators() -> list[Facilitator]:
    return list(
        db.session.scalars(
            select(Facilitator)
            .options(joinedload(Facilitator.organisation))
            .order_by(Facilitator.active.desc(), Facilitator.name)
        )
    )


def facilitator_name_taken(name: str, *, except_id: int | None = None) -> bool:
    query = select(func.count()).select_from(Facilitator).where(func.lower(Facilitator.name) == name.strip().lower())
    if except_id is not None:
        query = query.where(Facilitator.id != except_id)
    return db.session.scalar(query) > 0


def save_facilitator(
    facilitator: Facilitator | None,
    *,
    name: str,
    organisation_id: int | None,
    email: str,
    accredited_on: date | None,
    active: bool = True,
) -> Facilitator:
    if facilitator is None:
        facilitator = Facilitator()
        db.session.add(facilitator)
    facilitator.name = " ".join(name.split())
    facilitator.organisation_id = organisation_id
    facilitator.email = (email or "").strip().lower()
    facilitator.accredited_on = accredited_on
    facilitator.active = active
    db.session.flush()
    return facilitator


# --- sessions and evaluations ------------------------------------------------------------


def save_session(
    session: TrainingSession | None,
    *,
    course_id: int,
    held_on: date,
    place: str,
    facilitator_id: int | None,
    capacity: int | None,
    notes: str = "",
) -> TrainingSession:
    if session is None:
        session = TrainingSession()
        db.session.add(session)
    else:
        attended = attendee_count(session.id)
        if attended and (course_id != session.course_id or held_on != session.held_on):
            # Each attendee's record says which course they completed and when: keep them true.
            raise TrainingError(
                "The course and date cannot change once attendees are recorded: their records say what they "
                "completed and when",
                "held_on",
            )
        if capacity is not None and capacity < attended:
            raise TrainingError(
                f"More people have attended than {capacity}: the capacity cannot be lower than that", "capacity"
            )
    session.course_id = course_id
    session.held_on = held_on
    session.place = place.strip()
    session.facilitator_id = facilitator_id
    session.capacity = capacity
    session.notes = (notes or "").strip()
    db.session.flush()
    return session


def attendee_count(session_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Completion).where(Completion.session_id == session_id))


def attendees(session: TrainingSession) -> list[Completion]:
    return list(
        db.session.scalars(
            select(Completion)
            .join(Person, Person.id == Completion.person_id)
            .where(Completion.session_id == session.id)
            .options(joinedload(Completion.person).joinedload(Person.organisation))
            .order_by(Person.name)
        )
    )


def add_attendee(session: TrainingSession, *, details: PersonDetails, today: date) -> tuple[Completion, bool]:
    """Record an attendee as completing the session's course on its date."""
    if session.capacity is not None and attendee_count(session.id) >= session.capacity:
        raise TrainingError(f"The session is full: it has {session.capacity} places")
    return record_completion(
        details=details,
        course=session.course,
        completed_on=session.held_on,
        delivery=Delivery.FACILITATED.value,
        today=today,
        facilitator_id=session.facilitator_id,
        session_id=session.id,
    )


def session_rows(*, evaluated_only: bool = False):
    """Sessions newest first, each with its attendee count and evaluation averages (SQL)."""
    attended = (
        select(Completion.session_id, func.count().label("attendees"))
        .where(Completion.session_id.is_not(None))
        .group_by(Completion.session_id)
        .subquery()
    )
    rated = _averages_by(Evaluation.session_id).subquery()
    query = (
        select(
            TrainingSession,
            func.coalesce(attended.c.attendees, 0),
            rated.c.evaluations,
            rated.c.understanding_before,
            rated.c.understanding_after,
            rated.c.confidence_before,
            rated.c.confidence_after,
        )
        .outerjoin(attended, attended.c.session_id == TrainingSession.id)
        .outerjoin(rated, rated.c.session_id == TrainingSession.id)
        .options(joinedload(TrainingSession.course), joinedload(TrainingSession.facilitator))
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
    )
    if evaluated_only:
        query = query.where(rated.c.evaluations.is_not(None))
    return query


def _averages_by(*keys):
    return select(
        *keys,
        func.count().label("evaluations"),
        func.avg(Evaluation.understanding_before).label("understanding_before"),
        func.avg(Evaluation.understanding_after).label("understanding_after"),
        func.avg(Evaluation.confidence_before).label("confidence_before"),
        func.avg(Evaluation.confidence_after).label("confidence_after"),
    ).group_by(*keys)


@dataclass
class Averages:
    label: str
    evaluations: int
    understanding_before: float
    understanding_after: float
    confidence_before: float
    confidence_after: float

    @property
    def understanding_change(self) -> float:
        return self.understanding_after - self.understanding_before

    @property
    def confidence_change(self) -> float:
        return self.confidence_after - self.confidence_before


def session_averages(session_id: int) -> Averages | None:
    row = db.session.execute(_averages_by(Evaluation.session_id).where(Evaluation.session_id == session_id)).first()
    if row is None:
        return None
    _, count, understanding_before, understanding_after, confidence_before, confidence_after = row
    return Averages(
        "This session",
        int(count),
        float(understanding_before),
        float(understanding_after),
        float(confidence_before),
        float(confidence_after),
    )


def averages_by_quarter() -> list[Averages]:
    """Evaluation averages for each quarter in which sessions were held, newest first."""
    year = cast(extract("year", TrainingSession.held_on), Integer)
    month = cast(extract("month", TrainingSession.held_on), Integer)
    quarter = (month - 1) / 3 + 1
    rows = db.session.execute(
        _averages_by(year.label("year"), quarter.label("quarter"))
        .select_from(Evaluation)
        .join(TrainingSession, TrainingSession.id == Evaluation.session_id)
        .order_by(year.desc(), quarter.desc())
    ).all()
    return [
        Averages(Quarter(int(y), int(q)).name, int(n), float(ub), float(ua), float(cb), float(ca))
        for y, q, n, ub, ua, cb, ca in rows
    ]


def evaluations_of(session: TrainingSession) -> list[Evaluation]:
    return list(
        db.session.scalars(
            select(Evaluation)
            .where(Evaluation.session_id == session.id)
            .options(joinedload(Evaluation.person))
            .order_by(Evaluation.id)
        )
    )


def record_evaluation(
    session: TrainingSession,
    *,
    person_id: int | None,
    understanding_before: int,
    understanding_after: int,
    confidence_before: int,
    confidence_after: int,
    comment: str = "",
) -> Evaluation:
    scores = (understanding_before, understanding_after, confidence_before, confidence_after)
    if any(not 1 <= s <= 5 for s in scores):
        raise TrainingError("Scores must be from 1 to 5")
    if person_id is not None:
        attended = db.session.scalar(
            select(func.count())
            .select_from(Completion)
            .where(Completion.session_id == session.id, Completion.person_id == person_id)
        )
        if not attended:
            raise TrainingError("Only someone who attended the session can evaluate it")
        if db.session.scalar(
            select(Evaluation.id).where(Evaluation.session_id == session.id, Evaluation.person_id == person_id)
        ):
            raise TrainingError("This person has already evaluated the session")
    evaluation = Evaluation(
        session_id=session.id,
        person_id=person_id,
        understanding_before=understanding_before,
        understanding_after=understanding_after,
        confidence_before=confidence_before,
        confidence_after=confidence_after,
        comment=(comment or "").strip(),
    )
    db.session.add(evaluation)
    db.session.flush()
    return evaluation
