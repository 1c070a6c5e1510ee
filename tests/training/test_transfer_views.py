"""Importing a register through the pages: upload, check the columns, confirm; bad files save nothing."""

import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from core.extensions import db
from core.storage import get_storage
from core.vocab import Role
from tests.training.test_imports import csv_bytes
from training.models import Completion, Person, RegisterImport

YESTERDAY = (clock.today() - timedelta(days=1)).strftime("%d/%m/%Y")
HEADINGS = ["Delegate", "E-mail", "Employer", "Module", "Date attended", "Notes"]


def upload(client, data: bytes, filename: str = "register.csv", **fields):
    form = {"course_id": "", "organisation_id": "", **fields, "file": (io.BytesIO(data), filename)}
    return client.post("/training/import", data=form, content_type="multipart/form-data")


def mapping_choices(page: str) -> dict[str, str]:
    out = {}
    for select_id, body in re.findall(r'<select[^>]*id="(col_\d+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        out[select_id] = chosen.group(1) if chosen else ""
    return out


def stored_imports(app) -> set[str]:
    with app.app_context():
        return set(get_storage().keys("imports/"))


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(m)) for m in (Person, Completion, RegisterImport)
        )


def test_upload_check_the_columns_then_import(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    data = csv_bytes(
        HEADINGS,
        ["Zara Khan", "zara@fenland.example", "Fenland", "WRAP", YESTERDAY, "front desk"],
        ["Council Person 1", "PERSON1@council.example", "Test County Council", "Prevent e-learning", YESTERDAY, ""],
    )
    waiting, before = stored_imports(app), counts(app)

    response = upload(client, data)

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/training/import/")
    assert len(stored_imports(app) - waiting) == 2  # the file, and the choices beside it (not in the URL)
    page = client.get(location).get_data(as_text=True)
    assert mapping_choices(page) == {
        "col_0": "name",
        "col_1": "email",
        "col_2": "organisation",
        "col_3": "course",
        "col_4": "completed_on",
        "col_5": "",
    }
    assert "These columns will not be imported unless you choose a field: Notes" in page
    assert "Field for the column Delegate" in page
    assert "Zara Khan" in page  # the preview
    assert counts(app) == before  # nothing saved before the confirmation

    response = client.post(location, data=mapping_choices(page))

    assert response.status_code == 302
    assert response.headers["Location"] == "/training/imports"
    assert counts(app) == (before[0] + 1, before[1] + 2, before[2] + 1)  # Council Person 1 was matched by email
    shown = client.get("/training/imports").get_data(as_text=True)
    assert "Imported register.csv: 2 new completions, 0 already recorded, 1 new person." in shown
    assert stored_imports(app) == waiting  # the upload is removed once imported
    assert client.post(location, data=mapping_choices(page)).status_code == 404  # the token is spent


def test_a_bad_register_lists_its_problems_and_saves_nothing(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    future = (clock.today() + timedelta(days=5)).strftime("%d/%m/%Y")
    data = csv_bytes(
        HEADINGS,
        ["Zara Khan", "zara@fenland.example", "Fenland", "WRAP", future, ""],
        ["Yusuf Ali", "", "Fenland", "Knitting", YESTERDAY, ""],
    )
    before = counts(app)
    location = upload(client, data).headers["Location"]
    page = client.get(location).get_data(as_text=True)

    response = client.post(location, data=mapping_choices(page))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Check the columns" in html
    assert "There are 3 problems" in html
    assert f"Row 2, column E (Date attended): {future} is in the future" in html
    assert "Row 3, column B (E-mail): enter a work email or a staff number" in html
    assert "Row 3, column D (Module): &#39;Knitting&#39; is not a course" in html
    assert 'href="#col_4"' in html  # each problem links to its column's select
    assert "Nothing has been saved" in html
    assert counts(app) == before
    # The upload waits, so the file can be tried again with other columns.
    assert client.get(location).status_code == 200


def test_a_course_and_organisation_chosen_on_upload_apply_to_every_row(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    data = csv_bytes(["Learner", "Email", "Completed"], ["Ola Nowak", "ola@fenland.example", YESTERDAY])
    location = upload(
        client, data, course_id=str(training.elearning_id), organisation_id=str(training.fenland_id)
    ).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Every row is for the course <strong>Prevent e-learning</strong>" in page
    assert client.post(location, data=mapping_choices(page)).status_code == 302
    with app.app_context():
        person = db.session.scalars(select(Person).where(Person.email == "ola@fenland.example")).one()
        assert person.organisation_id == training.fenland_id


def test_uploads_that_cannot_be_read_are_refused_on_the_form(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    html = upload(client, b"not a spreadsheet", "register.docx").get_data(as_text=True)
    assert "register.docx: the file must be a CSV or XLSX spreadsheet" in html
    assert "Select a CSV or XLSX file" in client.post(
        "/training/import", data={}, content_type="multipart/form-data"
    ).get_data(as_text=True)


def test_someone_elses_upload_cannot_be_opened(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    location = upload(client, csv_bytes(HEADINGS, ["A", "a@x.example", "Fenland", "WRAP", YESTERDAY, ""])).headers[
        "Location"
    ]
    client.post("/logout")
    login_as(Role.PREVENT_LEAD)
    assert client.get(location).status_code == 404
    assert client.get("/training/import/not-a-token").status_code == 404


def test_a_plan_upload_cannot_be_confirmed_as_a_register(app, client, world, login_as, training):
    """One pipeline serves both: the token names the kind of upload, so a plan's opens no register."""
    login_as(Role.PREVENT_LEAD)  # may import both
    plan = client.post(
        "/plans/import",
        data={
            "area_id": "county",
            "template": "spoc",
            "title": "A plan",
            "file": (io.BytesIO(csv_bytes(["Duty", "Actions"], ["Train staff", "Run WRAP"])), "plan.csv"),
        },
        content_type="multipart/form-data",
    )
    token = plan.headers["Location"].rsplit("/", 1)[1]
    before = counts(app)

    assert client.get(f"/training/import/{token}").status_code == 404
    assert client.post(f"/training/import/{token}", data={"col_0": "name", "col_1": "email"}).status_code == 404
    assert client.get(f"/plans/import/{token}").status_code == 200
    assert counts(app) == before
