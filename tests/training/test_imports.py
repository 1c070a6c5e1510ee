"""Importing registers: people matched across files, re-imports add nothing, bad files save nothing."""

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.extensions import db
from core.importing import ImportProblems
from tests.factories import OrganisationFactory, PartnershipFactory
from tests.training.factories import CourseFactory, FacilitatorFactory, HeadcountFactory, PersonFactory
from training import imports
from training.coverage import coverage_summary
from training.imports import check_register, guess_mapping, save_register
from training.models import Completion, CourseKind, Person, RegisterImport, TrainingSession

TODAY = date(2026, 3, 1)
HEADINGS = ["Name", "Email", "Staff number", "Organisation", "Job title", "Course", "Date", "Delivery", "Venue"]


def csv_bytes(*rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def register(*rows, headings=HEADINGS) -> bytes:
    return csv_bytes(headings, *rows)


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Person, Completion, TrainingSession, RegisterImport, AuditEntry)
    }


def run_import(data: bytes, filename="register.csv", **kwargs):
    header = next(csv.reader(io.StringIO(data.decode("utf-8"))))
    check = check_register(filename, data, mapping=guess_mapping(header), today=TODAY, **kwargs)
    if check.problems:
        raise ImportProblems(check.problems)
    return check, save_register(check, sha=imports.sha256(data))


@pytest.fixture
def partners(ctx):
    partnership = PartnershipFactory(name="Import Partnership")
    pcc = OrganisationFactory(partnership=partnership, name="Peterborough City Council", short_name="PCC")
    fenland = OrganisationFactory(partnership=partnership, name="Fenland District Council", short_name="Fenland")
    HeadcountFactory(organisation=pcc, relevant_headcount=10, as_of=date(2025, 1, 1))
    wrap = CourseFactory(name="WRAP", kind=CourseKind.WRAP.value, counts_for_coverage=True)
    elearning = CourseFactory(
        name="Prevent e-learning", kind=CourseKind.ELEARNING.value, counts_for_coverage=False, validity_months=24
    )
    facilitator = FacilitatorFactory(name="Sam Carter")
    return type(
        "Partners", (), {"pcc": pcc, "fenland": fenland, "wrap": wrap, "elearning": elearning, "sam": facilitator}
    )


GOOD = register(
    [
        "Ada Lovelace",
        "Ada.Lovelace@PCC.example",
        "E1001",
        "PCC",
        "Social worker",
        "WRAP",
        "14/01/2026",
        "",
        "Town Hall",
    ],
    ["Ben Okoro", "ben.okoro@pcc.example", "", "peterborough city council", "", "wrap", "2026-01-14", "", "Town Hall"],
    ["Cara Lee", "", "77", "Fenland", "Housing officer", "Prevent e-learning", "03/02/2026", "online", ""],
)


def test_headings_are_guessed_from_common_register_wording():
    assert guess_mapping(
        ["Delegate name", "E-mail", "Payroll No.", "Employer", "Module", "Date attended", "Notes"]
    ) == {
        "Delegate name": "name",
        "E-mail": "email",
        "Payroll No.": "staff_number",
        "Employer": "organisation",
        "Module": "course",
        "Date attended": "completed_on",
        "Notes": "",
    }
    # A field is guessed for one column only.
    assert guess_mapping(["Date", "Completion date"]) == {"Date": "completed_on", "Completion date": ""}


def test_a_register_imports_people_completions_and_sessions_with_their_audit_entries(partners):
    check, record = run_import(GOOD)

    assert check.summary() == "3 new completions, 0 already recorded, 3 new people"
    people = {p.name: p for p in db.session.scalars(select(Person))}
    assert people["Ada Lovelace"].email == "ada.lovelace@pcc.example"  # stored in lower case
    assert people["Ada Lovelace"].staff_number == "E1001"
    assert people["Ada Lovelace"].role == "Social worker"
    assert people["Cara Lee"].organisation_id == partners.fenland.id
    ada = db.session.scalars(select(Completion).where(Completion.person_id == people["Ada Lovelace"].id)).one()
    assert (ada.completed_on, ada.expires_on, ada.delivery) == (date(2026, 1, 14), date(2029, 1, 14), "facilitated")
    assert (ada.import_id, ada.source_row) == (record.id, 2)
    cara = db.session.scalars(select(Completion).where(Completion.person_id == people["Cara Lee"].id)).one()
    assert (cara.delivery, cara.expires_on, cara.session_id) == ("elearning", date(2028, 2, 3), None)
    # The two rows at the Town Hall on the same day are one session.
    (session,) = db.session.scalars(select(TrainingSession)).all()
    assert (session.place, session.held_on, session.course_id) == ("Town Hall", date(2026, 1, 14), partners.wrap.id)
    assert {c.session_id for c in db.session.scalars(select(Completion)) if c.person_id != people["Cara Lee"].id} == {
        session.id
    }
    assert (record.rows, record.new_completions, record.new_people, record.already_recorded) == (3, 3, 3, 0)
    # Bulk-written rows are in the audit trail like any other change.
    audited = db.session.execute(
        select(AuditEntry.entity, func.count())
        .where(AuditEntry.action == "insert", AuditEntry.entity.startswith("training_"))
        .where(AuditEntry.entity.not_in(["training_courses", "training_facilitators", "training_headcounts"]))
        .group_by(AuditEntry.entity)
    ).all()
    assert dict(audited) == {
        "training_people": 3,
        "training_completions": 3,
        "training_imports": 1,
        "training_sessions": 1,
    }
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "training_completions", AuditEntry.entity_id == ada.id)
    ).one()
    assert entry.changes["completed_on"] == [None, "2026-01-14"]
    assert entry.changes["person_id"] == [None, people["Ada Lovelace"].id]


def test_reimporting_the_same_file_adds_nothing(partners):
    run_import(GOOD)
    before = counts()

    check, record = run_import(GOOD)

    assert check.summary() == "0 new completions, 3 already recorded, 0 new people"
    after = counts()
    assert {k: after[k] - before[k] for k in after} == {
        "Person": 0,
        "Completion": 0,
        "TrainingSession": 0,
        "RegisterImport": 1,  # the import itself is logged
        "AuditEntry": 1,
    }
    assert imports.previous_imports(record.sha256)[1].new_completions == 3


def test_the_same_person_in_two_registers_is_counted_once(partners):
    # The first register names her by staff number and email; the e-learning export and a
    # second WRAP register name her differently, by email only or by staff number only.
    run_import(register(["Ada Lovelace", "ada@pcc.example", "E1001", "PCC", "", "WRAP", "14/01/2026", "", ""]))
    second = csv_bytes(
        ["Learner", "Learner email", "Employer", "Module", "Completion date"],
        ["A. Lovelace", "ADA@pcc.example", "PCC", "Prevent e-learning", "20/01/2026"],
    )
    third = csv_bytes(
        ["Delegate", "Payroll no", "Agency", "Course", "Date attended"],
        ["Ada L", "e1001", "Peterborough City Council", "WRAP", "15/02/2026"],
    )
    run_import(second)
    run_import(third)

    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    assert db.session.scalar(select(func.count()).select_from(Completion)) == 3
    pcc = next(r for r in coverage_summary(as_of=TODAY).rows if r.organisation_id == partners.pcc.id)
    assert (pcc.trained, pcc.headcount) == (1, 10)


def test_an_identifier_learnt_from_one_register_matches_the_next(partners):
    run_import(register(["Dev Patel", "", "S-9", "PCC", "", "WRAP", "10/01/2026", "", ""]))
    # Staff number and email together: the stored person gains the email.
    run_import(register(["Dev Patel", "dev@pcc.example", "S-9", "PCC", "", "WRAP", "11/01/2026", "", ""]))
    # Email alone now finds him.
    check, _ = run_import(register(["Dev Patel", "dev@pcc.example", "", "PCC", "", "WRAP", "12/01/2026", "", ""]))

    (person,) = db.session.scalars(select(Person)).all()
    assert (person.email, person.staff_number) == ("dev@pcc.example", "S-9")
    assert check.new_people == 0
    update = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "training_people", AuditEntry.action == "update")
    ).one()
    assert update.changes == {"email": [None, "dev@pcc.example"]}


def test_repeated_rows_in_one_file_count_once_and_staff_numbers_read_from_spreadsheets_match(partners):
    data = register(
        ["Eve Stone", "", "1234", "PCC", "", "WRAP", "10/01/2026", "", ""],
        ["Eve Stone", "", "1234.0", "PCC", "", "WRAP", "10/01/2026", "", ""],
    )
    check, _ = run_import(data)
    assert (check.new_completions, check.repeated_in_file, check.new_people) == (1, 1, 1)
    assert check.summary() == "1 new completion, 0 already recorded, 1 repeated within the file, 1 new person"


def test_an_xlsx_register_with_real_dates_imports(partners):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Staff number", "Organisation", "Course", "Date completed", "Facilitator"])
    sheet.append(["Finn Moss", 5521, "Fenland", "WRAP", date(2025, 11, 5), "sam carter"])
    out = io.BytesIO()
    workbook.save(out)
    data = out.getvalue()

    check = check_register("register.xlsx", data, mapping=guess_mapping([c.value for c in sheet[1]]), today=TODAY)
    assert check.problems == []
    save_register(check, sha=imports.sha256(data))

    completion = db.session.scalars(select(Completion)).one()
    assert (completion.completed_on, completion.facilitator_id) == (date(2025, 11, 5), partners.sam.id)
    assert completion.person.staff_number == "5521"


def test_a_course_and_organisation_can_be_given_for_every_row(partners):
    data = csv_bytes(["Learner", "Email", "Completed"], ["Gus Hart", "gus@fenland.example", "01/02/2026"])
    check, _ = run_import(data, default_course_id=partners.elearning.id, default_organisation_id=partners.fenland.id)

    completion = db.session.scalars(select(Completion)).one()
    assert (completion.course_id, completion.delivery) == (partners.elearning.id, "elearning")
    assert completion.person.organisation_id == partners.fenland.id


# --- the error report ------------------------------------------------------------------------


def test_every_bad_row_is_listed_with_its_row_and_column_and_nothing_is_saved(partners):
    data = register(
        ["Ada Lovelace", "ada@pcc.example", "", "PCC", "", "WRAP", "14/01/2026", "", ""],  # fine
        ["Future Fay", "fay@pcc.example", "", "PCC", "", "WRAP", "25/12/2030", "", ""],
        ["Unknown Course", "uc@pcc.example", "", "PCC", "", "Knitting", "14/01/2026", "", ""],
        ["Unknown Org", "uo@pcc.example", "", "Narnia Council", "", "WRAP", "14/01/2026", "", ""],
        ["No Identifier", "", "", "PCC", "", "WRAP", "14/01/2026", "", ""],
        ["Bad Date", "bd@pcc.example", "", "PCC", "", "WRAP", "31/02/2026", "", ""],
        ["", "noname@pcc.example", "", "PCC", "", "WRAP", "14/01/2026", "", ""],
        ["Bad Email", "not-an-email", "", "PCC", "", "WRAP", "14/01/2026", "", ""],
        ["Bad Delivery", "del@pcc.example", "", "PCC", "", "WRAP", "14/01/2026", "carrier pigeon", ""],
        ["Old Date", "old@pcc.example", "", "PCC", "", "WRAP", "14/01/1926", "", ""],
    )
    before = counts()

    check = check_register("register.csv", data, mapping=guess_mapping(HEADINGS), today=TODAY)

    assert check.problems == [
        "Row 3, column G (Date): 25/12/2030 is in the future",
        "Row 4, column F (Course): 'Knitting' is not a course; add it on the courses page or correct the name",
        "Row 5, column D (Organisation): 'Narnia Council' is not a member organisation",
        "Row 6, columns B (Email) and C (Staff number): enter a work email or a staff number",
        "Row 7, column G (Date): '31/02/2026' is not a real date: February 2026 has 28 days",
        "Row 8, column A (Name): enter the person's name",
        "Row 9, column B (Email): 'not-an-email' is not an email address",
        "Row 10, column H (Delivery): 'carrier pigeon' is not a way of delivering training; "
        "use facilitated or e-learning",
        "Row 11, column G (Date): 14/01/1926 is before 2000; check the year",
    ]
    with pytest.raises(ImportProblems):
        save_register(check, sha="0" * 64)
    assert counts() == before


def test_people_whose_identifiers_disagree_are_problems(partners):
    PersonFactory(name="Hana Ito", email="hana@pcc.example", staff_number="H1", organisation=partners.pcc)
    PersonFactory(name="Ivan Roe", email="ivan@pcc.example", staff_number="I1", organisation=partners.pcc)
    data = register(
        ["Hana Ito", "ivan@pcc.example", "H1", "PCC", "", "WRAP", "14/01/2026", "", ""],
        ["Hana Ito", "hana@pcc.example", "", "Fenland", "", "WRAP", "14/01/2026", "", ""],
        ["Hana Ito", "hana.ito@pcc.example", "H1", "PCC", "", "WRAP", "14/01/2026", "", ""],
        ["Jo New", "jo@pcc.example", "J1", "PCC", "", "WRAP", "14/01/2026", "", ""],
        ["Jo New", "jo@pcc.example", "J2", "PCC", "", "WRAP", "15/01/2026", "", ""],
    )
    before = counts()

    check = check_register("register.csv", data, mapping=guess_mapping(HEADINGS), today=TODAY)

    assert check.problems == [
        "Row 2, columns B (Email) and C (Staff number): Staff number H1 is Hana Ito's but ivan@pcc.example is "
        "Ivan Roe's",
        "Row 3, columns B (Email) and D (Organisation): hana@pcc.example is Hana Ito, recorded at Peterborough City "
        "Council; if they have moved, change the organisation on their record first",
        "Row 4, column B (Email): Staff number H1 is Hana Ito, recorded with the email hana@pcc.example",
        "Row 6, column C (Staff number): jo@pcc.example is Jo New, recorded with the staff number J1",
    ]
    assert counts() == before


def test_a_file_that_cannot_be_read_or_mapped_says_why(partners):
    assert check_register("register.txt", b"x", mapping={}, today=TODAY).problems == [
        "register.txt: the file must be a CSV or XLSX spreadsheet"
    ]
    data = csv_bytes(["Name", "Notes"], ["Ada", "x"])
    assert check_register("r.csv", data, mapping=guess_mapping(["Name", "Notes"]), today=TODAY).problems == [
        "Choose the column that holds the date the course was completed",
        "Choose the column that holds the organisation",
        "Choose the column that holds the course",
        "Choose the column that holds the work email or the staff number",
    ]
    assert check_register(
        "r.csv", data, mapping={"Name": "name", "Notes": "name", "Ghost": "email"}, today=TODAY
    ).problems[:2] == ["r.csv: there is no column headed 'Ghost'", "Columns A and B are both mapped to Name"]
    empty = csv_bytes(["Name", "Email", "Organisation", "Course", "Date"])
    assert check_register(
        "r.csv", empty, mapping=guess_mapping(HEADINGS[:1] + ["Email", "Organisation", "Course", "Date"]), today=TODAY
    ).problems == ["r.csv: there are no rows to import"]


def test_an_ambiguous_organisation_name_is_a_problem(partners):
    OrganisationFactory(partnership=partners.pcc.partnership, name="PCC Trading Ltd", short_name="Fenland")
    data = register(["Kim Day", "kim@x.example", "", "Fenland", "", "WRAP", "14/01/2026", "", ""])
    check = check_register("r.csv", data, mapping=guess_mapping(HEADINGS), today=TODAY)
    assert check.problems == [
        "Row 2, column D (Organisation): 'Fenland' names more than one organisation; use the full name"
    ]


def test_an_unknown_facilitator_is_a_problem(partners):
    data = csv_bytes(
        ["Name", "Email", "Organisation", "Course", "Date", "Trainer"],
        ["Lu Chen", "lu@pcc.example", "PCC", "WRAP", "14/01/2026", "Pat Unknown"],
    )
    check = check_register(
        "r.csv",
        data,
        mapping=guess_mapping(["Name", "Email", "Organisation", "Course", "Date", "Trainer"]),
        today=TODAY,
    )
    assert check.problems == [
        "Row 2, column F (Trainer): 'Pat Unknown' is not on the facilitators list; add them first or correct the name"
    ]


def test_a_person_recorded_by_someone_else_during_the_import_stops_it_whole(partners):
    data = register(["Nia Grey", "nia@pcc.example", "", "PCC", "", "WRAP", "14/01/2026", "", ""])
    check = check_register("register.csv", data, mapping=guess_mapping(HEADINGS), today=TODAY)
    assert check.problems == [] and check.new_people == 1
    PersonFactory(name="Nia Grey", email="nia@pcc.example", organisation=partners.pcc)  # meanwhile

    with pytest.raises(ImportProblems) as refused:
        save_register(check, sha=imports.sha256(data))

    assert refused.value.problems == [imports.CHANGED_MEANWHILE]
    assert db.session.scalar(select(func.count()).select_from(Completion)) == 0
    assert db.session.scalar(select(func.count()).select_from(RegisterImport)) == 0
