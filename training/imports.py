"""Importing attendance registers and e-learning exports (CSV or XLSX) as training records.

Checking is separate from saving: ``check_register`` reads a file with a confirmed column
mapping, matches every row's person (on staff number within the organisation, or work email)
against the stored people and the file's earlier rows, and lists every problem with the
file's row number, column letter and heading; ``save_register`` writes only a check with no
problems, in bulk, so a bad file changes nothing and a 100,000-row register takes seconds.
The same completion (person, course, date) is never stored twice, so re-importing a file
adds nothing.
"""

import gc
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.audit import current_actor, write_insert_entries
from core.bulk import bulk_insert
from core.db import utcnow
from core.extensions import db
from core.spreadsheets import SpreadsheetError, read_table
from partnership.models import Organisation
from training.models import Completion, Course, Delivery, Facilitator, Person, RegisterImport, TrainingSession
from training.people import PersonDetails, PersonIndex, PersonRef, normalise_email, normalise_staff_number, valid_email
from training.services import default_delivery, expiry_date

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
IGNORE = ""

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
MAX_LENGTHS = {"name": 200, "email": 254, "staff_number": 40, "role": 200, "team": 100, "place": 200}
EARLIEST = date(2000, 1, 1)

_UK_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?$")


class ImportProblems(ValueError):
    """The file cannot be imported as it stands; ``problems`` says every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems[:5]))
        self.problems = problems


def normalise(heading: str) -> str:
    """Lower case without punctuation or spaces: "Staff No." -> "staffno"."""
    return re.sub(r"[\W_]+", "", heading.lower())


_FIELD_FOR = {normalise(s): name for name, words in SYNONYMS.items() for s in words}
for _name, _label in FIELDS.items():
    _FIELD_FOR.setdefault(normalise(_label), _name)


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """heading -> field for each heading; a field is guessed for one column only."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for heading in headers:
        if not heading:
            continue
        name = _FIELD_FOR.get(normalise(heading), IGNORE)
        if name in taken:
            name = IGNORE
        mapping[heading] = name
        if name:
            taken.add(name)
    return mapping


def parse_date(raw: str) -> date | None:
    """DD/MM/YYYY (also with - or .), YYYY-MM-DD, or a spreadsheet date; None if none of those."""
    raw = raw.strip()
    match = _UK_DATE.match(raw)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO_DATE.match(raw)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


@contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large register's rows are built: they hold
    no cycles (reference counting frees them), and collections triggered by hundreds of
    thousands of new objects cost about a third of the time of a 100,000-row import."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- checking ------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    details: PersonDetails
    course_id: int
    completed_on: date
    delivery: str
    facilitator_id: int | None
    place: str


@dataclass
class NewCompletion:
    row: ParsedRow
    person: PersonRef


@dataclass
class RegisterCheck:
    """What importing the file would do, or why it cannot be imported."""

    filename: str
    problems: list[str] = field(default_factory=list)
    rows: int = 0
    completions: list[NewCompletion] = field(default_factory=list)
    already_recorded: int = 0
    repeated_in_file: int = 0
    index: PersonIndex | None = None
    #: [field, heading] of each imported column, in file order.
    columns: list[list[str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

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


def _mapping_problems(header: list[str], mapping: dict[str, str], filename: str, defaults: dict) -> list[str]:
    problems = []
    headings = {h for h in header if h}
    for heading in mapping:
        if heading not in headings:
            problems.append(f"{filename}: there is no column headed '{heading}'")
    by_field: dict[str, list[str]] = {}
    for index, heading in enumerate(header):
        name = mapping.get(heading, IGNORE) if heading else IGNORE
        letter = get_column_letter(index + 1)
        if name and name not in FIELDS:
            problems.append(f"Column {letter} ({heading}): '{name}' is not a training record field")
        elif name:
            by_field.setdefault(name, []).append(letter)
    for name, letters in by_field.items():
        if len(letters) > 1:
            listed = ", ".join(letters[:-1]) + " and " + letters[-1]
            problems.append(f"Columns {listed} are all mapped to {FIELDS[name]}")
    needed = [("name", "the person's name"), ("completed_on", "the date the course was completed")]
    if not defaults.get("organisation_id"):
        needed.append(("organisation", "the organisation"))
    if not defaults.get("course_id"):
        needed.append(("course", "the course"))
    for name, what in needed:
        if name not in by_field:
            problems.append(f"Choose the column that holds {what}")
    if "email" not in by_field and "staff_number" not in by_field:
        problems.append("Choose the column that holds the work email or the staff number")
    return problems


def check_register(
    filename: str,
    data: bytes,
    *,
    mapping: dict[str, str],
    today: date,
    default_course_id: int | None = None,
    default_organisation_id: int | None = None,
) -> RegisterCheck:
    """Read a register with ``mapping`` (heading -> field, "" to ignore) and work out what
    importing it would add. Reads only; every problem found is listed, none stops the reading.

    ``default_course_id`` and ``default_organisation_id`` apply to every row when the file has
    no such column (an e-learning export for one course, a register from one organisation).
    """
    with _bulk():
        return _check(filename, data, mapping, today, default_course_id, default_organisation_id)


def _check(filename, data, mapping, today, default_course_id, default_organisation_id) -> RegisterCheck:
    check = RegisterCheck(filename=filename)
    try:
        header, rows = read_table(filename, data)
    except SpreadsheetError as exc:
        check.problems.append(str(exc))
        return check
    defaults = {"course_id": default_course_id, "organisation_id": default_organisation_id}
    check.problems.extend(_mapping_problems(header, mapping, filename, defaults))
    columns = {
        mapping[h]: (get_column_letter(i + 1), h) for i, h in enumerate(header) if h and mapping.get(h) in FIELDS
    }
    check.columns = [[name, heading] for name, (_, heading) in columns.items()]
    check.ignored = [h for h in header if h and not mapping.get(h)]
    check.rows = len(rows)
    if check.problems:
        return check
    if not rows:
        check.problems.append(f"{filename}: there are no rows to import")
        return check
    lookups = _Lookups.load()
    default_course = next((c for c in lookups.courses.values() if c.id == default_course_id), None)
    if default_course_id and default_course is None:
        check.problems.append("The course chosen for every row no longer exists")
    if default_organisation_id and default_organisation_id not in lookups.organisation_names:
        check.problems.append("The organisation chosen for every row no longer exists")
    if check.problems:
        return check

    def where(row_number: int, *names: str) -> str:
        cells = sorted((columns[n] for n in names if n in columns), key=lambda c: (len(c[0]), c[0]))
        if not cells:
            return f"Row {row_number}"
        if len(cells) == 1:
            return f"Row {row_number}, column {cells[0][0]} ({cells[0][1]})"
        return f"Row {row_number}, columns " + " and ".join(f"{letter} ({heading})" for letter, heading in cells)

    parsed: list[ParsedRow] = []
    for row in rows:
        values = {name: row.values.get(heading, "").strip() for name, (_, heading) in columns.items()}
        result = _parse_row(row.number, values, lookups, default_course, default_organisation_id, today, where)
        if isinstance(result, list):
            check.problems.extend(result)
        else:
            parsed.append(result)
    _resolve(check, parsed, lookups, where)
    return check


def _parse_row(number, values, lookups, default_course, default_organisation_id, today, where):
    """A ParsedRow, or the list of the row's problems."""
    problems = []
    name = " ".join(values.get("name", "").split())
    if not name:
        problems.append(f"{where(number, 'name')}: enter the person's name")
    for key, limit in MAX_LENGTHS.items():
        if len(values.get(key, "")) > limit:
            problems.append(f"{where(number, key)}: must be {limit} characters or fewer")
    email = normalise_email(values.get("email"))
    staff_number = normalise_staff_number(values.get("staff_number"))
    if email and not valid_email(email):
        problems.append(f"{where(number, 'email')}: '{values['email']}' is not an email address")
    if not email and not staff_number:
        problems.append(f"{where(number, 'email', 'staff_number')}: enter a work email or a staff number")

    organisation_id = default_organisation_id
    raw_org = values.get("organisation", "")
    if raw_org or not default_organisation_id:
        if not raw_org:
            problems.append(f"{where(number, 'organisation')}: enter the organisation")
        else:
            key = _key(raw_org)
            organisation_id = lookups.organisations.get(key)
            if key not in lookups.organisations:
                problems.append(f"{where(number, 'organisation')}: '{raw_org}' is not a member organisation")
            elif organisation_id is None:
                problems.append(
                    f"{where(number, 'organisation')}: '{raw_org}' names more than one organisation; use the full name"
                )

    course = default_course
    raw_course = values.get("course", "")
    if raw_course or default_course is None:
        course = lookups.courses.get(_key(raw_course)) if raw_course else None
        if not raw_course:
            problems.append(f"{where(number, 'course')}: enter the course")
        elif course is None:
            problems.append(
                f"{where(number, 'course')}: '{raw_course}' is not a course; add it on the courses page or "
                "correct the name"
            )

    raw_date = values.get("completed_on", "")
    completed_on = parse_date(raw_date) if raw_date else None
    if not raw_date:
        problems.append(f"{where(number, 'completed_on')}: enter the date the course was completed")
    elif completed_on is None:
        problems.append(f"{where(number, 'completed_on')}: '{raw_date}' is not a date; enter it like 31/03/2026")
    elif completed_on > today:
        problems.append(f"{where(number, 'completed_on')}: {completed_on:%d/%m/%Y} is in the future")
    elif completed_on < EARLIEST:
        problems.append(f"{where(number, 'completed_on')}: {completed_on:%d/%m/%Y} is before 2000; check the year")

    delivery = None
    raw_delivery = values.get("delivery", "")
    if raw_delivery:
        delivery = DELIVERY_WORDS.get(normalise(raw_delivery))
        if delivery is None:
            problems.append(
                f"{where(number, 'delivery')}: '{raw_delivery}' is not a way of delivering training; "
                "use facilitated or e-learning"
            )
    elif course is not None:
        delivery = default_delivery(course)

    facilitator_id = None
    raw_facilitator = values.get("facilitator", "")
    if raw_facilitator:
        facilitator_id = lookups.facilitators.get(_key(raw_facilitator))
        if facilitator_id is None:
            problems.append(
                f"{where(number, 'facilitator')}: '{raw_facilitator}' is not on the facilitators list; "
                "add them first or correct the name"
            )
    if problems:
        return problems
    return ParsedRow(
        number=number,
        details=PersonDetails(
            name=name,
            organisation_id=organisation_id,
            email=email,
            staff_number=staff_number,
            role=values.get("role", ""),
            team=values.get("team", ""),
        ),
        course_id=course.id,
        completed_on=completed_on,
        delivery=delivery.value,
        facilitator_id=facilitator_id,
        place=" ".join(values.get("place", "").split()),
    )


_CONFLICT_COLUMNS = {
    "identifiers": ("email", "staff_number"),
    "email": ("email",),
    "staff_number": ("staff_number",),
    "organisation": ("organisation", "email"),
}


def _resolve(check: RegisterCheck, parsed: list[ParsedRow], lookups: _Lookups, where) -> None:
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
            check.problems.append(f"{where(row.number, *_CONFLICT_COLUMNS[conflict.field])}: {conflict.message}")
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


def save_register(check: RegisterCheck, *, sha: str, imported_by: str | None = None) -> RegisterImport:
    """Write what ``check`` found: new people, identifiers learnt for stored people, sessions
    named by place, and the new completions, each with its audit entry. Flushes only.

    Raises ImportProblems, having written nothing, if the check found any problem, or if
    someone else saved one of the same people or completions meanwhile (the transaction is
    rolled back: a unique constraint refused the write).
    """
    if check.problems:
        raise ImportProblems(check.problems)
    try:
        with _bulk():
            return _save(check, sha=sha, imported_by=imported_by)
    except IntegrityError as exc:
        db.session.rollback()
        raise ImportProblems([CHANGED_MEANWHILE]) from exc


def _save(check: RegisterCheck, *, sha: str, imported_by: str | None) -> RegisterImport:
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
