"""The staff trained: matching a register row or a form to one person, and the people list.

A person is matched on their staff number (within their organisation) or their work email, so
one person is counted once however many registers name them. Functions flush, never commit.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from core.extensions import db
from partnership.models import Organisation
from training.errors import Conflict, PersonConflict, TrainingError
from training.models import Completion, Course, Person

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WHOLE_NUMBER_FLOAT = re.compile(r"^(\d+)\.0+$")


def normalise_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


def normalise_staff_number(value: str | None) -> str | None:
    """Upper case without spaces; "1234.0" (a number read from a spreadsheet) is "1234"."""
    value = re.sub(r"\s+", "", value or "").upper()
    match = _WHOLE_NUMBER_FLOAT.match(value)
    if match:
        value = match.group(1)
    return value or None


def valid_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and len(value) <= 254


@dataclass
class PersonDetails:
    """What a register row or the completion form says about a person."""

    name: str
    organisation_id: int
    email: str | None = None
    staff_number: str | None = None
    role: str = ""
    team: str = ""

    def __post_init__(self) -> None:
        self.name = " ".join(self.name.split())
        self.email = normalise_email(self.email)
        self.staff_number = normalise_staff_number(self.staff_number)
        self.role = (self.role or "").strip()
        self.team = (self.team or "").strip()


@dataclass(eq=False)
class PersonRef:
    """A person already stored (id set) or met for the first time in this batch (id None)."""

    id: int | None
    name: str
    organisation_id: int
    email: str | None
    staff_number: str | None
    role: str = ""
    team: str = ""
    #: Identifiers learnt from this batch for a stored person who lacked them.
    new_email: str | None = None
    new_staff_number: str | None = None


@dataclass
class PersonIndex:
    """Stored people by staff number (within the organisation) and by email, and the people a
    batch adds, so that one person is matched however each register names them."""

    organisation_names: dict[int, str]
    by_staff: dict[tuple[int, str], PersonRef] = field(default_factory=dict)
    by_email: dict[str, PersonRef] = field(default_factory=dict)
    new: list[PersonRef] = field(default_factory=list)
    filled: list[PersonRef] = field(default_factory=list)

    def add_stored(self, ref: PersonRef) -> None:
        if ref.staff_number:
            self.by_staff[(ref.organisation_id, ref.staff_number)] = ref
        if ref.email:
            self.by_email[ref.email] = ref

    def _org(self, organisation_id: int) -> str:
        return self.organisation_names.get(organisation_id, "another organisation")

    def resolve(self, details: PersonDetails) -> tuple[PersonRef | None, list[Conflict]]:
        """The person ``details`` names (a new one if nobody matches), or the conflicts."""
        email, staff = details.email, details.staff_number
        by_staff = self.by_staff.get((details.organisation_id, staff)) if staff else None
        by_email = self.by_email.get(email) if email else None
        if by_staff is not None and by_email is not None and by_staff is not by_email:
            return None, [
                Conflict(
                    "identifiers",
                    f"Staff number {staff} is {by_staff.name}'s but {email} is {by_email.name}'s",
                )
            ]
        ref = by_staff or by_email
        if ref is None:
            ref = PersonRef(
                id=None,
                name=details.name,
                organisation_id=details.organisation_id,
                email=email,
                staff_number=staff,
                role=details.role,
                team=details.team,
            )
            self.new.append(ref)
            self.add_stored(ref)
            return ref, []
        conflicts = []
        if ref.organisation_id != details.organisation_id:
            conflicts.append(
                Conflict(
                    "organisation",
                    f"{email} is {ref.name}, recorded at {self._org(ref.organisation_id)}; if they have moved, "
                    "change the organisation on their record first",
                )
            )
        known_email = ref.email or ref.new_email
        if email and known_email and known_email != email:
            conflicts.append(
                Conflict("email", f"Staff number {staff} is {ref.name}, recorded with the email {known_email}")
            )
        known_staff = ref.staff_number or ref.new_staff_number
        if staff and known_staff and known_staff != staff:
            conflicts.append(
                Conflict("staff_number", f"{email} is {ref.name}, recorded with the staff number {known_staff}")
            )
        if conflicts:
            return None, conflicts
        if email and not known_email and email not in self.by_email:
            self._learn(ref, email=email)
        if staff and not known_staff and (ref.organisation_id, staff) not in self.by_staff:
            self._learn(ref, staff_number=staff)
        return ref, []

    def _learn(self, ref: PersonRef, *, email: str | None = None, staff_number: str | None = None) -> None:
        if ref.id is None:  # a new person: store what the later row adds
            ref.email = ref.email or email
            ref.staff_number = ref.staff_number or staff_number
        else:
            ref.new_email = ref.new_email or email
            ref.new_staff_number = ref.new_staff_number or staff_number
            if ref not in self.filled:
                self.filled.append(ref)
        self.add_stored(ref)


def organisation_names() -> dict[int, str]:
    return dict(db.session.execute(select(Organisation.id, Organisation.name)).all())


def _ref(person: Person) -> PersonRef:
    return PersonRef(
        id=person.id,
        name=person.name,
        organisation_id=person.organisation_id,
        email=person.email,
        staff_number=person.staff_number,
        role=person.role,
        team=person.team,
    )


def find_or_create_person(details: PersonDetails) -> tuple[Person, bool]:
    """The stored person the details match (filling in a missing email or staff number), or a
    new one; ``(person, created)``. Raises PersonConflict when the identifiers disagree."""
    if not details.email and not details.staff_number:
        raise TrainingError("Enter a work email address or a staff number")
    conditions = []
    if details.email:
        conditions.append(Person.email == details.email)
    if details.staff_number:
        conditions.append(
            (Person.organisation_id == details.organisation_id) & (Person.staff_number == details.staff_number)
        )
    stored = {p.id: p for p in db.session.scalars(select(Person).where(or_(*conditions)))}
    index = PersonIndex(organisation_names=organisation_names())
    for person in stored.values():
        index.add_stored(_ref(person))
    ref, conflicts = index.resolve(details)
    if conflicts:
        raise PersonConflict(conflicts)
    if ref.id is None:
        person = Person(
            name=details.name,
            organisation_id=details.organisation_id,
            email=ref.email,
            staff_number=ref.staff_number,
            role=details.role,
            team=details.team,
        )
        db.session.add(person)
        db.session.flush()
        return person, True
    person = stored[ref.id]
    if ref.new_email:
        person.email = ref.new_email
    if ref.new_staff_number:
        person.staff_number = ref.new_staff_number
    db.session.flush()
    return person, False


def update_person(
    person: Person,
    *,
    name: str,
    email: str | None,
    staff_number: str | None,
    organisation_id: int,
    role: str,
    team: str,
    left_on: date | None,
) -> None:
    """Correct a person's record. Raises TrainingError if an identifier is someone else's."""
    email, staff_number = normalise_email(email), normalise_staff_number(staff_number)
    if not email and not staff_number:
        raise TrainingError("Enter a work email address or a staff number", "staff_number")
    if email and db.session.scalar(select(Person.id).where(Person.email == email, Person.id != person.id)):
        raise TrainingError(f"{email} is already someone else's email", "email")
    if staff_number and db.session.scalar(
        select(Person.id).where(
            Person.organisation_id == organisation_id, Person.staff_number == staff_number, Person.id != person.id
        )
    ):
        raise TrainingError(
            f"Staff number {staff_number} is already someone else's in that organisation", "staff_number"
        )
    person.name = " ".join(name.split())
    person.email = email
    person.staff_number = staff_number
    person.organisation_id = organisation_id
    person.role = role.strip()
    person.team = team.strip()
    person.left_on = left_on
    db.session.flush()


SORTS = {
    "name": (Person.name, Person.id),
    "organisation": (Organisation.name, Person.name),
    "valid_until": (None, Person.name),  # set in people_query: the latest expiry
}


def current_until(as_of: date):
    """A subquery: each person's latest expiry among coverage courses current on ``as_of``."""
    return (
        select(Completion.person_id, func.max(Completion.expires_on).label("valid_until"))
        .join(Course, Course.id == Completion.course_id)
        .where(
            Course.counts_for_coverage.is_(True),
            Completion.completed_on <= as_of,
            Completion.expires_on > as_of,
        )
        .group_by(Completion.person_id)
        .subquery()
    )


def people_query(
    *,
    q: str = "",
    organisation_id: int | None = None,
    sort: str = "name",
    as_of: date,
    trained_between: tuple[date, date] | None = None,
):
    """(Person, valid_until) rows for the people list: search by name, email or staff number;
    ``trained_between`` keeps only people with a completion in those dates (an auditor limited to
    one year)."""
    valid = current_until(as_of)
    query = (
        select(Person, valid.c.valid_until)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(valid, valid.c.person_id == Person.id)
        .options(joinedload(Person.organisation))
    )
    text = q.strip().lower()
    if text:
        like = f"%{text}%"
        query = query.where(
            or_(
                func.lower(Person.name).like(like),
                Person.email.like(like),
                func.lower(Person.staff_number).like(like),
            )
        )
    if organisation_id is not None:
        query = query.where(Person.organisation_id == organisation_id)
    if trained_between is not None:
        query = query.where(
            select(Completion.id)
            .where(Completion.person_id == Person.id, Completion.completed_on.between(*trained_between))
            .exists()
        )
    if sort == "valid_until":
        # People with no current training first: they are the ones to chase.
        return query.order_by(
            case((valid.c.valid_until.is_(None), 0), else_=1), valid.c.valid_until, Person.name, Person.id
        )
    return query.order_by(*SORTS.get(sort, SORTS["name"]))
