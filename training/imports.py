"""Importing attendance registers and e-learning exports: the register spec for core.importing.

The pipeline reads the file, guesses and checks the column mapping, and saves whole or not
at all; this module knows registers. Its row parser matches every row's person (on staff
number within the organisation, or work email) against the stored people and the file's
earlier rows, naming every problem with its row and column; its save writes, in bulk, what
the check found, so a 100,000-row register takes seconds. The same completion (person,
course, date) is never stored twice, so re-importing a file adds nothing.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from sqlalchemy import func, select

from core import clock, importing, limits
from core.audit import current_actor, write_insert_entries
from core.bulk import bulk_insert
from core.db import utcnow
from core.extensions import db
from core.importing import Checked, Field, ImportSpec, MappedRow, Requirement, Sheet, normalise
from partnership.models import Organisation
from training.models import Completion, Course, Delivery, Facilitator, Person, RegisterImport, TrainingSession
from training.people import PersonDetails, PersonIndex, PersonRef, normalise_email, normalise_staff_number, valid_email
from training.services import default_delivery, expiry_date

#: Names register uploads in the import stash.
KIND = "training"

#: field -> what the mapping page calls it.
FIELDS: dict[str, str] = {
    "name": "Name",
    "email": "Work email",
    "staff_number": "Staff number",
    "organisation": "Organisation",
    "role": "Role",
    "team": "Team or business area",
    "course": "Course",
    "completed_on": "Date completed",
    "delivery": "Delivery",
    "facilitator": "Facilitator",
    "place": "Session place",
}

#: Headings registers and e-learning exports use for each field.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "full name",
        "attendee",
        "attendee name",
        "delegate",
        "delegate name",
        "learner",
        "learner name",
        "participant",
        "staff name",
        "employee name",
    ),
    "email": ("email", "e-mail", "email address", "work email", "work email address", "learner email"),
    "staff_number": (
        "staff number",
        "staff no",
        "staff id",
        "employee number",
        "employee no",
        "employee id",
        "payroll number",
        "payroll no",
        "personnel number",
    ),
    "organisation": ("organisation", "organization", "employer", "agency", "organisation name"),
    "role": ("role", "job title", "job role", "position"),
    "team": ("team", "business area", "department", "service", "directorate"),
    "course": ("course", "course name", "course title", "training", "module"),
    "completed_on": (
        "date",
        "date completed",
        "completed",
        "completed on",
        "completion date",
        "date of training",
        "session date",
        "date attended",
    ),
    "delivery": ("delivery", "delivery method", "mode", "format"),
    "facilitator": ("facilitator", "trainer", "facilitated by", "delivered by"),
    "place": ("place", "venue", "location", "session", "session place"),
}

#: Words a Delivery cell may hold, normalised.
DELIVERY_WORDS: dict[str, Delivery] = {
    **dict.fromkeys(
        (
            "facilitated",
            "facilitatedsession",
            "facetoface",
            "inperson",
            "classroom",
            "workshop",
            "session",
            "virtual",
            "virtualclassroom",
            "liveonline",
            "teams",
            "webinar",
        ),
        Delivery.FACILITATED,
    ),
    **dict.fromkeys(("elearning", "online", "onlinemodule", "onlinecourse", "selfpaced"), Delivery.ELEARNING),
}

CHANGED_MEANWHILE = (
    "Some of these people or completions were recorded by someone else while the file was being "
    "imported. Nothing was saved: import the file again."
)
#: Longest text each field holds (the column sizes in training.models, from core.limits); a
#: longer cell is a problem the pipeline names (core.importing.checks).
MAX_LENGTHS = {
    "name": limits.SHORT_TEXT,
    "email": limits.EMAIL,
    "staff_number": limits.SHORT_CODE,
    "role": limits.SHORT_TEXT,
    "team": limits.HEADING,
    "place": limits.SHORT_TEXT,
}
EARLIEST = date(2000, 1, 1)


def register_spec(
    *, today: date | None = None, default_course_id: int | None = None, default_organisation_id: int | None = None
) -> "ImportSpec[RegisterCheck]":
    """The spec for a register. ``default_course_id`` and ``default_organisation_id`` apply to
    every row when the file has no such column (an e-learning export for one course, a register
    from one organisation); ``today`` refuses completions in the future."""
    requirements = [
        Requirement(("name",), "the person's name"),
        Requirement(("completed_on",), "the date the course was completed"),
    ]
    if not default_organisation_id:
        requirements.append(Requirement(("organisation",), "the organisation"))
    if not default_course_id:
        requirements.append(Requirement(("course",), "the course"))
    requirements.append(Requirement(("email", "staff_number"), "the work email or the staff number"))
    return ImportSpec(
        kind=KIND,
        noun="training record",
        fields=tuple(
            Field(name, label, SYNONYMS[name], MAX_LENGTHS.get(name, limits.IMPORT_CELL))
            for name, label in FIELDS.items()
        ),
        requirements=tuple(requirements),
        result=RegisterCheck,
        read_rows=partial(
            _read_rows,
            today=today or clock.today(),
            default_course_id=default_course_id,
            default_organisation_id=default_organisation_id,
        ),
        save=_save,
        changed_meanwhile=CHANGED_MEANWHILE,
    )


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """heading -> field for each heading of a register."""
    return importing.guess_mapping(register_spec(), headers)


def check_register(
    filename: str,
    data: bytes,
    *,
    mapping: dict[str, str],
    today: date,
    default_course_id: int | None = None,
    default_organisation_id: int | None = None,
) -> "RegisterCheck":
    """Read a register with ``mapping`` (heading -> field, "" to ignore) and work out what
    importing it would add. Reads only; every problem found is listed."""
    spec = register_spec(
        today=today, default_course_id=default_course_id, default_organisation_id=default_organisation_id
    )
    return importing.check(spec, filename, data, mapping)


def save_register(check: "RegisterCheck", *, sha: str, imported_by: str | None = None) -> RegisterImport:
    """Write what ``check`` found: new people, identifiers learnt for stored people, sessions
    named by place, and the new completions, each with its audit entry. Flushes only.

    Raises ImportProblems, having written nothing, if the check found any problem, or if
    someone else saved one of the same people or completions meanwhile.
    """
    return importing.save(register_spec(), check, sha=sha, imported_by=imported_by)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- checking ------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    #: The row of the file it was read from (its number, and where its cells are for problems).
    source: MappedRow
    details: PersonDetails
    course_id: int
    completed_on: date
    delivery: str
    facilitator_id: int | None
    place: str

    @property
    def number(self) -> int:
        return self.source.number


@dataclass
class NewCompletion:
    row: ParsedRow
    person: PersonRef


@dataclass
class RegisterCheck(Checked):
    """What importing the file would do, or why it cannot be imported."""

    completions: list[NewCompletion] = field(default_factory=list)
    already_recorded: int = 0
    repeated_in_file: int = 0
    index: PersonIndex | None = None

    @property
    def new_people(self) -> int:
        return len(self.index.new) if self.index else 0

    @property
    def new_completions(self) -> int:
        return len(self.completions)

    def summary(self) -> str:
        """ "12 new completions, 3 already recorded" and what else the file held."""
        parts = [
            f"{self.new_completions} new completion{'s' if self.new_completions != 1 else ''}",
            f"{self.already_recorded} already recorded",
        ]
        if self.repeated_in_file:
            parts.append(f"{self.repeated_in_file} repeated within the file")
        parts.append(f"{self.new_people} new {'person' if self.new_people == 1 else 'people'}")
        return ", ".join(parts)


@dataclass
class _Lookups:
    organisations: dict[str, int | None]  # lower-case name or short name -> id (None: ambiguous)
    organisation_names: dict[int, str]
    courses: dict[str, Course]
    facilitators: dict[str, int]

    @classmethod
    def load(cls) -> "_Lookups":
        organisations: dict[str, int | None] = {}
        names: dict[int, str] = {}
        for org_id, name, short in db.session.execute(
            select(Organisation.id, Organisation.name, Organisation.short_name)
        ):
            names[org_id] = name
            for key in {_key(name), _key(short)} - {""}:
                organisations[key] = None if organisations.get(key, org_id) != org_id else org_id
        courses = {_key(c.name): c for c in db.session.scalars(select(Course))}
        facilitators = {_key(n): i for i, n in db.session.execute(select(Facilitator.id, Facilitator.name))}
        return cls(organisations, names, courses, facilitators)


def _key(text: str) -> str:
    return " ".join((text or "").lower().split())


def _read_rows(
    sheet: Sheet,
    check: RegisterCheck,
    *,
    today: date,
    default_course_id: int | None,
    default_organisation_id: int | None,
) -> None:
    """The row parser: each row read on its own, then every person matched at once."""
    lookups = _Lookups.load()
    default_course = next((c for c in lookups.courses.values() if c.id == default_course_id), None)
    if default_course_id and default_course is None:
        check.problems.append("The course chosen for every row no longer exists")
    if default_organisation_id and default_organisation_id not in lookups.organisation_names:
        check.problems.append("The organisation chosen for every row no longer exists")
    if check.problems:
        return
    parsed: list[ParsedRow] = []
    for row in sheet.rows:
        result = _parse_row(row, lookups, default_course, default_organisation_id, today)
        if isinstance(result, list):
            check.problems.extend(result)
        else:
            parsed.append(result)
    _resolve(check, parsed, lookups)


def _parse_row(
    row: MappedRow,
    lookups: "_Lookups",
    default_course: Course | None,
    default_organisation_id: int | None,
    today: date,
) -> "ParsedRow | list[str]":
    """A ParsedRow, or the list of the row's problems."""
    problems = []
    name = " ".join(row.get("name").split())
    if not name:
        problems.append(f"{row.where('name')}: enter the person's name")
    email = normalise_email(row.get("email"))
    staff_number = normalise_staff_number(row.get("staff_number"))
    if email and not valid_email(email):
        problems.append(f"{row.where('email')}: '{row.get('email')}' is not an email address")
    if not email and not staff_number:
        problems.append(f"{row.where('email', 'staff_number')}: enter a work email or a staff number")

    organisation_id = default_organisation_id
    raw_org = row.get("organisation")
    if raw_org or not default_organisation_id:
        if not raw_org:
            problems.append(f"{row.where('organisation')}: enter the organisation")
        else:
            key = _key(raw_org)
            organisation_id = lookups.organisations.get(key)
            if key not in lookups.organisations:
                problems.append(f"{row.where('organisation')}: '{raw_org}' is not a member organisation")
            elif organisation_id is None:
                problems.append(
                    f"{row.where('organisation')}: '{raw_org}' names more than one organisation; use the full name"
                )

    course = default_course
    raw_course = row.get("course")
    if raw_course or default_course is None:
        course = lookups.courses.get(_key(raw_course)) if raw_course else None
        if not raw_course:
            problems.append(f"{row.where('course')}: enter the course")
        elif course is None:
            problems.append(
                f"{row.where('course')}: '{raw_course}' is not a course; add it on the courses page or correct the name"
            )

    completed_on = row.date("completed_on", problems)
    if not row.get("completed_on"):
        problems.append(f"{row.where('completed_on')}: enter the date the course was completed")
    elif completed_on is None:
        pass  # not a date: row.date named the problem
    elif completed_on > today:
        problems.append(f"{row.where('completed_on')}: {completed_on:%d/%m/%Y} is in the future")
    elif completed_on < EARLIEST:
        problems.append(f"{row.where('completed_on')}: {completed_on:%d/%m/%Y} is before 2000; check the year")

    delivery = None
    raw_delivery = row.get("delivery")
    if raw_delivery:
        delivery = DELIVERY_WORDS.get(normalise(raw_delivery))
        if delivery is None:
            problems.append(
                f"{row.where('delivery')}: '{raw_delivery}' is not a way of delivering training; "
                "use facilitated or e-learning"
            )
    elif course is not None:
        delivery = default_delivery(course)

    facilitator_id = None
    raw_facilitator = row.get("facilitator")
    if raw_facilitator:
        facilitator_id = lookups.facilitators.get(_key(raw_facilitator))
        if facilitator_id is None:
            problems.append(
                f"{row.where('facilitator')}: '{raw_facilitator}' is not on the facilitators list; "
                "add them first or correct the name"
            )
    if problems:
        return problems
    return ParsedRow(
        source=row,
        details=PersonDetails(
            name=name,
            organisation_id=organisation_id,
            email=email,
            staff_number=staff_number,
            role=row.get("role"),
            team=row.get("team"),
        ),
        course_id=course.id,
        completed_on=completed_on,
        delivery=delivery.value,
        facilitator_id=facilitator_id,
        place=" ".join(row.get("place").split()),
    )


_CONFLICT_COLUMNS = {
    "identifiers": ("email", "staff_number"),
    "email": ("email",),
    "staff_number": ("staff_number",),
    "organisation": ("organisation", "email"),
}


def _resolve(check: RegisterCheck, parsed: list[ParsedRow], lookups: _Lookups) -> None:
    """Match each row's person and work out which completions are new. Three queries."""
    index = PersonIndex(organisation_names=lookups.organisation_names)
    for person_id, org_id, name, email, staff, role, team in db.session.execute(
        select(
            Person.id, Person.organisation_id, Person.name, Person.email, Person.staff_number, Person.role, Person.team
        )
    ):
        index.add_stored(PersonRef(person_id, name, org_id, email, staff, role, team))
    check.index = index
    matched: list[tuple[ParsedRow, PersonRef]] = []
    for row in parsed:
        ref, conflicts = index.resolve(row.details)
        for conflict in conflicts:
            check.problems.append(f"{row.source.where(*_CONFLICT_COLUMNS[conflict.field])}: {conflict.message}")
        if ref is not None:
            matched.append((row, ref))
    if check.problems or not matched:
        return
    stored: set[tuple[int, int, date]] = set()
    course_ids = {row.course_id for row, _ in matched}
    first = min(row.completed_on for row, _ in matched)
    last = max(row.completed_on for row, _ in matched)
    if any(ref.id is not None for _, ref in matched):
        stored = {
            (person_id, course_id, completed_on)
            for person_id, course_id, completed_on in db.session.execute(
                select(Completion.person_id, Completion.course_id, Completion.completed_on).where(
                    Completion.course_id.in_(course_ids), Completion.completed_on.between(first, last)
                )
            )
        }
    seen: set[tuple[int, int, date]] = set()
    for row, ref in matched:
        key = (id(ref), row.course_id, row.completed_on)
        if key in seen:
            check.repeated_in_file += 1
            continue
        seen.add(key)
        if ref.id is not None and (ref.id, row.course_id, row.completed_on) in stored:
            check.already_recorded += 1
            continue
        check.completions.append(NewCompletion(row, ref))


# --- saving ----------------------------------------------------------------------------------


def _insert(model, rows: list[dict]) -> None:
    """Insert many rows at once (no RETURNING: on SQLite that is a row at a time): COPY on PostgreSQL."""
    bulk_insert(model.__table__, rows)


def _person_key(email: str | None, organisation_id: int, staff_number: str | None) -> tuple:
    return ("email", email) if email else ("staff", organisation_id, staff_number)


def _save(check: RegisterCheck, *, sha: str, imported_by: str | None = None) -> RegisterImport:
    """The spec's save: what save_register describes."""
    index = check.index
    record = RegisterImport(
        filename=check.filename[:200],
        sha256=sha,
        imported_by=(imported_by or current_actor()[1])[:254],
        rows=check.rows,
        new_completions=check.new_completions,
        already_recorded=check.already_recorded,
        repeated_in_file=check.repeated_in_file,
        new_people=check.new_people,
    )
    db.session.add(record)
    db.session.flush()
    now = utcnow()

    people = [
        {
            "name": ref.name,
            "email": ref.email,
            "staff_number": ref.staff_number,
            "organisation_id": ref.organisation_id,
            "role": ref.role,
            "team": ref.team,
            "left_on": None,
            "created_at": now,
            "updated_at": now,
        }
        for ref in index.new
    ]
    if people:
        # New ids are read back by each person's unique email or staff number.
        newest = db.session.scalar(select(func.coalesce(func.max(Person.id), 0)))
        _insert(Person, people)
        inserted = {
            _person_key(email, org_id, staff): person_id
            for person_id, email, org_id, staff in db.session.execute(
                select(Person.id, Person.email, Person.organisation_id, Person.staff_number).where(Person.id > newest)
            )
        }
        for ref in index.new:
            ref.id = inserted[_person_key(ref.email, ref.organisation_id, ref.staff_number)]
        write_insert_entries(Person, people, [ref.id for ref in index.new], label_key="name")

    if index.filled:  # few: through the ORM, so each change is audited as usual
        stored = {
            p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_([r.id for r in index.filled])))
        }
        for ref in index.filled:
            stored[ref.id].email = ref.new_email or stored[ref.id].email
            stored[ref.id].staff_number = ref.new_staff_number or stored[ref.id].staff_number
        db.session.flush()

    sessions = _sessions_for(check.completions)
    courses = {c.id: c.validity_months for c in db.session.scalars(select(Course))}
    completions = [
        {
            "person_id": item.person.id,
            "course_id": item.row.course_id,
            "completed_on": item.row.completed_on,
            "expires_on": expiry_date(item.row.completed_on, courses[item.row.course_id]),
            "delivery": item.row.delivery,
            "session_id": sessions.get(_session_key(item.row)),
            "facilitator_id": item.row.facilitator_id,
            "import_id": record.id,
            "source_row": item.row.number,
            "created_at": now,
            "updated_at": now,
        }
        for item in check.completions
    ]
    _insert(Completion, completions)
    inserted = {
        (person_id, course_id, completed_on): completion_id
        for completion_id, person_id, course_id, completed_on in db.session.execute(
            select(Completion.id, Completion.person_id, Completion.course_id, Completion.completed_on).where(
                Completion.import_id == record.id
            )
        )
    }
    ids = [inserted[(c["person_id"], c["course_id"], c["completed_on"])] for c in completions]
    write_insert_entries(Completion, completions, ids, label_key="completed_on")
    return record


def _session_key(row: ParsedRow) -> tuple[int, date, str] | None:
    if not row.place or row.delivery != Delivery.FACILITATED.value:
        return None
    return (row.course_id, row.completed_on, row.place.lower())


def _sessions_for(items: list[NewCompletion]) -> dict[tuple[int, date, str], int]:
    """Session ids for the rows that name a place: a stored session of the same course, day and
    place, or a new one (with the first row's facilitator)."""
    wanted: dict[tuple[int, date, str], ParsedRow] = {}
    for item in items:
        key = _session_key(item.row)
        if key is not None and key not in wanted:
            wanted[key] = item.row
    if not wanted:
        return {}
    found = {}
    for session_id, course_id, held_on, place in db.session.execute(
        select(TrainingSession.id, TrainingSession.course_id, TrainingSession.held_on, TrainingSession.place).where(
            TrainingSession.held_on.in_({key[1] for key in wanted})
        )
    ):
        found[(course_id, held_on, place.lower())] = session_id
    for key, row in wanted.items():
        if key not in found:
            session = TrainingSession(
                course_id=row.course_id, held_on=row.completed_on, place=row.place, facilitator_id=row.facilitator_id
            )
            db.session.add(session)
            db.session.flush()
            found[key] = session.id
    return found


def previous_imports(sha: str) -> list[RegisterImport]:
    """Earlier imports of a file with the same bytes, newest first."""
    return list(
        db.session.scalars(
            select(RegisterImport).where(RegisterImport.sha256 == sha).order_by(RegisterImport.id.desc())
        )
    )
