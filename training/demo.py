"""Demo training records: courses, accredited facilitators, headcounts, a few hundred fictional
staff with WRAP, refresher and e-learning completions over four years (so coverage runs from
Red to Green and some training expires within 90 days), and two evaluated sessions; two leavers,
one past the partnership's retention period.

The completions are written as an attendance register and imported through the importer,
so the demo also shows it at work. Everyone named is fictional.
"""

import csv
import io
import random
import zlib
from datetime import date, timedelta

from sqlalchemy import select

from core import importing
from core.extensions import db
from core.spreadsheets import read_table
from partnership.models import Organisation
from training import headcount_imports, imports, services, sessions
from training.models import CourseKind, Person, TrainingSession
from training.people import PersonDetails

#: organisation short name -> (relevant headcount or None, share currently WRAP-trained, email domain)
#: One organisation has no headcount and one a headcount of zero, to show "no headcount".
ORGANISATIONS = {
    "PCC": (60, 0.93, "peterborough.example"),
    "CCC": (80, 0.86, "cambridgeshire.example"),
    "Police": (50, 0.96, None),  # the police registers give staff numbers only
    "CPFT": (40, 0.70, "cpft.example"),
    "CCG": (20, 0.90, "ccg.example"),
    "Probation": (25, 0.84, "probation.example"),
    "HMP": (30, 0.60, "hmp.example"),
    "Fire": (15, 0.80, "fire.example"),
    "Cambridge": (20, 0.95, "cambridge.example"),
    "ECDC": (12, 0.75, "eastcambs.example"),
    "Fenland": (20, 0.75, "fenland.example"),
    "HDC": (18, 0.88, "huntingdonshire.example"),
    "SCDC": (None, 1.0, "scambs.example"),  # six trained, no headcount
    "PRS": (0, 0.0, "prs.example"),
}

FIRST = [
    "Alex", "Amina", "Ben", "Bethany", "Callum", "Chloe", "Daniel", "Deborah", "Elliot", "Erin", "Farah", "Finn",
    "Georgia", "Harry", "Hannah", "Ibrahim", "Isla", "Jack", "Jasmine", "Kai", "Katie", "Liam", "Lucy", "Marcus",
    "Megan", "Nathan", "Niamh", "Oliver", "Olivia", "Priya", "Rhys", "Rosie", "Sam", "Sophie", "Tariq", "Tess",
    "Usman", "Victoria", "Will", "Yasmin", "Zoe", "Adebayo", "Bronwen", "Ciaran", "Dominika", "Eilidh",
]  # fmt: skip
LAST = [
    "Abbott", "Ahmed", "Barker", "Begum", "Carter", "Chowdhury", "Davies", "Dunn", "Ellis", "Evans", "Fletcher",
    "Gill", "Green", "Hall", "Hussain", "Jackson", "Jones", "Khan", "Kowalczyk", "Lewis", "Mahmood", "Marsh",
    "Morgan", "Nguyen", "Novak", "Owen", "Patel", "Price", "Quinn", "Reid", "Roberts", "Shah", "Singh", "Taylor",
    "Turner", "Walker", "Ward", "Webb", "Wilson", "Wright", "Young", "Zielinski",
]  # fmt: skip
ROLES = ["Social worker", "Support worker", "Team manager", "Nurse", "Housing officer", "Police officer", "Teacher"]

FACILITATORS = [
    ("Grace Whitfield", "PCC", 900),  # (name, organisation, accredited this many days ago)
    ("Rachel Odum", "CCC", 1800),
    ("Tomasz Nowicki", "Police", 1200),
    ("Samuel Kerr", "CPFT", None),  # runs designated safeguarding lead training; not WRAP-accredited
]

#: The two evaluated sessions: (course, days ago, place, facilitator, capacity, attendees' organisations)
SESSIONS = [
    ("WRAP", 35, "Sand Martin House, Peterborough", "Grace Whitfield", 20, ["PCC", "Fenland", "ECDC", "HMP"]),
    ("WRAP refresher", 21, "New Shire Hall, Alconbury Weald", "Rachel Odum", 16, ["CCC", "HDC", "CPFT"]),
]
COMMENTS = [
    "Clearer about when to make a referral.",
    "The local Channel information was the most useful part.",
    "Would like a shorter refresher next time.",
    "",
    "Good to hear real, anonymised cases.",
    "",
]

HEADINGS = [
    "Name", "Email", "Staff number", "Organisation", "Job title", "Team", "Course", "Date", "Facilitator", "Venue",
]  # fmt: skip
#: The county council records a headcount for this team too; about a third of its staff are in it.
TEAM = ("CCC", "Children's services")


def _ago(today: date, days: int) -> date:
    return today - timedelta(days=days)


def _months_ago(today: date, months: int) -> date:
    return services.add_months(today, -months)


def _register(organisations: dict[str, Organisation], today: date, rng: random.Random) -> list[list[str]]:
    """Register rows: each organisation's current, due, lapsed and e-learning-only people."""
    rows: list[list[str]] = []
    used_names: set[str] = set()
    session_days = {course: _ago(today, days) for course, days, *_ in SESSIONS}
    session_slots = {course: list(orgs) * 3 for course, _, _, _, _, orgs in SESSIONS}

    def person(short: str, index: int) -> tuple[str, str, str]:
        while True:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if name not in used_names:
                used_names.add(name)
                break
        domain = ORGANISATIONS[short][2]
        email = f"{name.lower().replace(' ', '.')}@{domain}" if domain else ""
        staff = f"{short[:2].upper()}{1000 + index}" if not domain or index % 3 == 0 else ""
        return name, email, staff

    def row(who, short, role, course, day, facilitator="", place=""):
        name, email, staff = who
        team = TEAM[1] if short == TEAM[0] and zlib.crc32(name.encode()) % 3 == 0 else ""
        rows.append([name, email, staff, short, role, team, course, day.strftime("%d/%m/%Y"), facilitator, place])

    for short, (headcount, share, _) in ORGANISATIONS.items():
        if short not in organisations:
            continue
        current = round((headcount if headcount is not None else 6) * share) if headcount != 0 else 3
        due = min(current, 1 + (headcount or 10) // 15)  # training expiring within 90 days
        for index in range(current):
            who = person(short, index)
            role = rng.choice(ROLES)
            if index < due:  # completed 33 to 36 months ago: counted, but expiring soon
                row(who, short, role, "WRAP", _ago(_months_ago(today, 36), -rng.randint(2, 85)))
                continue
            slot = next((c for c, orgs in session_slots.items() if short in orgs), None)
            if slot and index % 4 == 1:
                session_slots[slot].remove(short)
                course, _, place, facilitator, _, _ = next(s for s in SESSIONS if s[0] == slot)
                if course == "WRAP refresher":
                    row(who, short, role, "WRAP", _ago(today, rng.randint(1130, 1400)))
                row(who, short, role, course, session_days[slot], facilitator, place)
                continue
            day = _ago(today, rng.randint(40, 990))
            row(who, short, role, "WRAP", day, rng.choice(["Grace Whitfield", "Rachel Odum", "Tomasz Nowicki"]))
            if rng.random() < 0.4:
                row(who, short, role, "Prevent e-learning", _ago(day, rng.randint(10, 200)))
        for index in range(current, current + 3):  # WRAP lapsed: completed over three years ago
            who = person(short, index)
            row(who, short, rng.choice(ROLES), "WRAP", _ago(today, rng.randint(1110, 1460)))
        for index in range(current + 3, current + 5):  # e-learning only: not WRAP-trained
            who = person(short, index)
            row(who, short, rng.choice(ROLES), "Prevent e-learning", _ago(today, rng.randint(20, 600)))
    safeguarding = person("CPFT", 900)
    row(safeguarding, "CPFT", "Named nurse", "Designated safeguarding lead training", _ago(today, 120), "Samuel Kerr")
    return rows


def load_training(*, organisations: dict[str, Organisation], today: date) -> None:
    """Add the demo training records (the caller commits). ``organisations`` by short name."""
    rng = random.Random(2019)  # the strategy's year: the same demo every time  # nosec B311
    courses = {
        name: services.create_course(name=name, kind=kind.value, validity_months=months)
        for name, kind, months in [
            ("WRAP", CourseKind.WRAP, 36),
            ("WRAP refresher", CourseKind.REFRESHER, 36),
            ("Prevent e-learning", CourseKind.ELEARNING, 24),
            ("Designated safeguarding lead training", CourseKind.DSL, 24),
        ]
    }
    facilitators = {
        name: sessions.save_facilitator(
            None,
            name=name,
            organisation_id=organisations[short].id if short in organisations else None,
            email=f"{name.lower().replace(' ', '.')}@{organisations[short].short_name.lower()}.example"
            if short in organisations
            else "",
            accredited_on=_ago(today, days) if days else None,
        )
        for name, short, days in FACILITATORS
    }
    this_year = [["Organisation", "Relevant headcount", "As at", "Source"]]
    for short, (headcount, _, _) in ORGANISATIONS.items():
        if headcount is None or short not in organisations:
            continue
        earlier = headcount + (3 if headcount else 0)
        services.record_headcount(
            organisation_id=organisations[short].id,
            as_of=_ago(today, 800),
            relevant_headcount=earlier,
            source="HR establishment report (two years ago)",
        )
        this_year.append([short, headcount, f"{_ago(today, 100):%d/%m/%Y}", "HR establishment report, this year"])
    # This year's figures came from HR as one spreadsheet, imported as the coordinator would.
    _import_headcounts("hr-headcounts-this-year.csv", this_year, today)
    services.record_headcount(
        organisation_id=organisations[TEAM[0]].id,
        as_of=_ago(today, 100),
        relevant_headcount=30,
        source="Children's services establishment",
        team=TEAM[1],
    )

    out = io.StringIO()
    csv.writer(out).writerows([HEADINGS, *_register(organisations, today, rng)])
    data = out.getvalue().encode("utf-8")
    check = imports.check_register(
        "demo-attendance-register.csv", data, mapping=imports.guess_mapping(HEADINGS), today=today
    )
    if check.problems:
        raise RuntimeError("the demo register does not import: " + "; ".join(check.problems[:5]))
    imports.save_register(check, sha=imports.sha256(data))
    db.session.expire_all()

    for course, days, place, facilitator, capacity, _ in SESSIONS:
        session = db.session.scalars(
            select(TrainingSession).where(TrainingSession.place == place, TrainingSession.held_on == _ago(today, days))
        ).one()
        sessions.save_session(
            session,
            course_id=courses[course].id,
            held_on=session.held_on,
            place=place,
            facilitator_id=facilitators[facilitator].id,
            capacity=capacity,
            notes="Booked through the Prevent training coordinator.",
        )
        for index, completion in enumerate(sessions.attendees(session)[:8]):
            before = rng.randint(1, 3)
            sessions.record_evaluation(
                session,
                person_id=completion.person_id if index % 3 else None,
                understanding_before=before,
                understanding_after=min(5, before + rng.randint(1, 3)),
                confidence_before=rng.randint(1, 3),
                confidence_after=rng.randint(3, 5),
                comment=COMMENTS[index % len(COMMENTS)],
            )

    _leavers(organisations, courses, today)


def _leavers(organisations: dict[str, Organisation], courses: dict, today: date) -> None:
    """Two leavers with only e-learning (which does not count towards coverage, so no figure
    changes): one left 25 months ago, past the partnership's 24 months, so `flask retention run`
    deletes them; one left three months ago and is kept."""
    for name, email, left_days in (
        ("Gareth Longgone", "gareth.longgone@peterborough.example", 25 * 31),
        ("Rhian Recentleaver", "rhian.recentleaver@peterborough.example", 92),
    ):
        completion, _ = services.record_completion(
            details=PersonDetails(name=name, organisation_id=organisations["PCC"].id, email=email, role="Youth worker"),
            course=courses["Prevent e-learning"],
            completed_on=_ago(today, left_days + 200),
            delivery="elearning",
            today=today,
        )
        db.session.get(Person, completion.person_id).left_on = _ago(today, left_days)
    db.session.flush()


def _import_headcounts(filename: str, rows: list[list], today: date) -> None:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    spec = headcount_imports.headcount_spec(today=today)
    data = out.getvalue().encode("utf-8")
    header, _ = read_table(filename, data)
    checked = importing.check(spec, filename, data, importing.guess_mapping(spec, header))
    importing.save(spec, checked)
