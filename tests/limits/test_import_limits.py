"""Imports within the limits (core.limits): every cell over its limit named by row and column with
nothing saved, files over the row or byte limit refused before they are read whole, a request over
the body limit answered with the 413 page, and the file read once per import."""

import gzip
import io
import json
import re

import pytest
from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from sqlalchemy import func, select

from core.app import create_app
from core.extensions import db
from core.storage import get_storage
from core.vocab import Role
from plans.models import Plan, PlanRow, ProgressUpdate
from tests.conftest import sign_in
from tests.plans.test_transfer_views import confirm, mapping_choices


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plan_counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) for model in (Plan, PlanRow, ProgressUpdate)
        )


def upload_plan(client, world, data: bytes, filename: str, **fields):
    form = {"area_id": str(world.area_id), "template": "spoc", "title": "Limits plan", "period": "", "lead_key": ""}
    form |= fields
    form["file"] = (io.BytesIO(data), filename)
    return client.post("/plans/import", data=form, content_type="multipart/form-data")


def errors_in_summary(page: str) -> list[str]:
    """The error summary's messages, as a person reads them."""
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert summary, "no error summary on the page"
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r"<a [^>]*>(.*?)</a>", summary.group(0), re.S)]


# --- a sheet with a cell over its limit in the middle, a list of too many items, an item too long ---

#: A Lead cell of three items of 1,000 characters: 3,002 characters with its two line breaks.
LONG_LIST = "\n".join(["w" * 1000] * 3)


def awkward_sheet() -> bytes:
    rows = [["Duty", "Actions", "Impact", "Lead"]]
    for number in range(2, 12):  # rows 2 to 11 of the file
        rows.append([f"Duty of row {number}", f"Action {number}", f"Impact {number}", "Prevent Lead"])
    rows[5 - 1][3] = LONG_LIST  # row 5, column D
    rows[8 - 1][2] = "\n".join(f"Outcome {n}" for n in range(1, 27))  # row 8, column C: 26 items
    rows[10 - 1][1] = "v" * 1501  # row 10, column B: one item of 1,501 characters
    return xlsx(rows)


def test_each_cell_over_its_limit_is_named_by_row_and_column_and_nothing_is_saved(app, client, world, login_as):
    login_as(Role.SPOC)
    before = plan_counts(app)
    response = upload_plan(client, world, awkward_sheet(), "awkward.xlsx")
    assert response.status_code == 302  # the file is readable: its cells are checked on confirming
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)

    page = confirm(client, location, page).get_data(as_text=True)

    assert errors_in_summary(page) == [
        "Row 5, column D (Lead): must be 3,000 characters or fewer (it has 3,002)",
        "Row 8, column C (Impact): must have 25 items or fewer, one per line (it has 26)",
        "Row 10, column B (Actions): must have items of 1,500 characters or fewer (item 1 has 1,501)",
    ]
    assert plan_counts(app) == before


def test_the_command_names_the_same_cells_and_saves_nothing(app, world, tmp_path):
    path = tmp_path / "awkward.xlsx"
    path.write_bytes(awkward_sheet())
    before = plan_counts(app)
    result = app.test_cli_runner().invoke(args=["plans", "import", str(path), "--area", str(world.area_id)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: row 5, column D (Lead): must be 3,000 characters or fewer (it has 3,002)",
        "Error: row 8, column C (Impact): must have 25 items or fewer, one per line (it has 26)",
        "Error: row 10, column B (Actions): must have items of 1,500 characters or fewer (item 1 has 1,501)",
    ]
    assert plan_counts(app) == before


def test_a_cell_over_the_limit_of_a_short_field_is_named_and_a_register_saves_nothing(app, client, world, login_as):
    """A register's name cell is held to the person's name's limit (200), in the middle of the file."""
    from training.models import Person

    login_as(Role.TRAINING_COORDINATOR)
    rows = [["Name", "Email", "Organisation", "Course", "Date completed"]]
    for n in range(2, 7):
        rows.append([f"Person {n}", f"p{n}@council.example", "Test County Council", "WRAP", "01/06/2026"])
    rows[4 - 1][0] = "N" * 201  # row 4, column A
    form = {"file": (io.BytesIO(xlsx(rows)), "register.xlsx")}
    response = client.post("/training/import", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    location = response.headers["Location"]
    mapping = client.get(location).get_data(as_text=True)
    page = client.post(location, data=mapping_choices(mapping)).get_data(as_text=True)
    assert "Row 4, column A (Name): must be 200 characters or fewer (it has 201)" in errors_in_summary(page)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == 0


# --- rows and bytes, before the file is read whole ------------------------------------------------


def csv_plan(rows: int) -> bytes:
    lines = ["Duty,Actions"] + [f"Duty {n},Action {n}" for n in range(1, rows + 1)]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_plan_file_at_the_row_limit_is_taken_and_one_row_more_is_refused(app, client, world, login_as):
    login_as(Role.SPOC)
    assert upload_plan(client, world, csv_plan(1000), "full.csv").status_code == 302

    page = upload_plan(client, world, csv_plan(1001), "over.csv").get_data(as_text=True)

    assert errors_in_summary(page) == [
        "over.csv: the file has more than 1,000 rows; split it into files of 1,000 rows or fewer"
    ]


def test_an_xlsx_register_one_row_over_the_limit_is_refused(app, client, world, login_as):
    login_as(Role.TRAINING_COORDINATOR)
    rows = [["Name", "Email"]] + [[f"Person {n}", f"p{n}@council.example"] for n in range(5001)]
    response = client.post(
        "/training/import",
        data={"file": (io.BytesIO(xlsx(rows)), "big.xlsx")},
        content_type="multipart/form-data",
    )
    assert errors_in_summary(response.get_data(as_text=True)) == [
        "big.xlsx: the file has more than 5,000 rows; split it into files of 5,000 rows or fewer, "
        "or import it with `flask training import`, which takes larger files"
    ]


def test_a_file_one_byte_over_the_size_limit_is_refused_and_not_kept(app, client, world, login_as):
    login_as(Role.SPOC)
    head = b"Duty,Actions\r\nTrain staff,Run WRAP\r\n"
    limit = 5 * 1024 * 1024
    data = head + b"x" * (limit + 1 - len(head))  # a padded last cell: 5,242,881 bytes
    assert len(data) == 5_242_881
    kept = set(_stored(app))

    page = upload_plan(client, world, data, "big.csv").get_data(as_text=True)

    assert errors_in_summary(page) == [
        "The file must be 5 MB or smaller. Split it into smaller files, or import it with "
        "`flask plans import`, which takes larger files"
    ]
    assert set(_stored(app)) == kept


def _stored(app) -> list[str]:
    with app.app_context():
        return get_storage().keys("imports/")


def test_a_request_over_the_body_limit_gets_the_413_page(app, world, tmp_path):
    small = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_FOLDER=str(tmp_path),
        MAX_UPLOAD_BYTES=1024,
        MAX_CONTENT_LENGTH=2048,
    )
    client = small.test_client()
    sign_in(client, world.users[Role.SPOC].email)
    response = client.post(
        "/plans/import",
        data={"file": (io.BytesIO(b"Duty\r\n" + b"x" * 4000), "plan.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert '<h1 class="govuk-heading-l">The file is too large</h1>' in page
    assert (
        "A file you upload must be 1 KB or smaller, and a spreadsheet to import 5 MB or smaller. Nothing was saved."
        in page
    )


def test_the_body_limit_leaves_room_for_the_largest_upload_and_its_form():
    from config import Config

    assert Config.MAX_CONTENT_LENGTH == Config.MAX_UPLOAD_BYTES + 1024 * 1024


# --- the file is read once per import ------------------------------------------------------------


def test_the_file_is_parsed_once_and_the_pages_read_its_rows_from_the_stash(app, client, world, login_as, monkeypatch):
    opened = []
    real = ExcelReader.read

    def counting(self, *args, **kwargs):  # openpyxl's own reader, counted
        opened.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ExcelReader, "read", counting)
    login_as(Role.SPOC)
    before = set(_stored(app))
    data = xlsx([["Duty", "Actions"], ["Train staff", "Run WRAP"], ["Brief governors", "Termly briefing"]])

    location = upload_plan(client, world, data, "plan.xlsx").headers["Location"]
    client.get(location)
    page = client.get(location).get_data(as_text=True)

    assert len(opened) == 1  # the upload read it; neither page load did
    added = sorted(set(_stored(app)) - before)
    # What is kept is the rows as read (and the choices), not the file.
    assert [key.rsplit(".", 1)[-1] if not key.endswith(".json.gz") else "rows" for key in added] == ["json", "rows"]
    rows_key = next(key for key in added if key.endswith(".rows.json.gz"))
    with app.app_context():
        kept = json.loads(gzip.decompress(get_storage().get(rows_key)))
        assert kept["rows"] == [[2, ["Train staff", "Run WRAP"]], [3, ["Brief governors", "Termly briefing"]]]
        # Change a cell where the rows are kept: the pages show it, and the import saves it.
        kept["rows"][0][1][0] = "Train every member of staff"
        get_storage().delete(rows_key)
        get_storage().put(rows_key, gzip.compress(json.dumps(kept).encode()))
    page = client.get(location).get_data(as_text=True)
    assert "Train every member of staff" in page

    response = confirm(client, location, page)

    assert response.status_code == 302
    assert len(opened) == 1
    with app.app_context():
        duties = db.session.scalars(
            select(PlanRow.duty).join(Plan).where(Plan.title == "Limits plan").order_by(PlanRow.position)
        ).all()
    assert duties == ["Train every member of staff", "Brief governors"]


def test_an_upload_page_says_the_limits(app, client, world, login_as):
    login_as(Role.SPOC)
    page = client.get("/plans/import").get_data(as_text=True)
    assert (
        "Files up to 5 MB and 1,000 rows (the most a plan may have). Larger files can be imported with "
        "<code>flask plans import</code>."
    ) in (re.sub(r"\s+", " ", page))


def test_commands_hold_the_text_they_take_to_the_limits(app, world, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(csv_plan(2))
    before = plan_counts(app)
    result = app.test_cli_runner().invoke(
        args=["plans", "import", str(path), "--area", str(world.area_id), "--title", "T" * 301, "--period", "2" * 41]
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: --title: the title must be 300 characters or fewer (it has 301)",
        "Error: --period: the period must be 40 characters or fewer (it has 41)",
    ]
    assert plan_counts(app) == before
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "lead@council.example", "--name", "N" * 201, "--password-stdin"],
        input="A-long-enough-passphrase-2026\n",
    )
    assert result.exit_code == 1
    assert "Error: --name: the name must be 200 characters or fewer (it has 201)" in result.output.splitlines()


def test_an_update_from_a_spreadsheet_may_not_take_a_plan_past_1000_rows(app, world):
    from core.importing import ImportProblems
    from plans import reimport, services

    with app.app_context():
        plan = db.session.get(Plan, world.plan_id)  # one row already
        for number in range(2, 1001):
            services.add_row(plan, values={"reference": str(number), "duty": f"Duty {number}"})
        db.session.commit()
        data = b"Ref,Duty\r\nX1,A new duty\r\n"
        found = reimport.preview(plan, "more.csv", data)
        assert (len(found.added), len(found.missing)) == (1, 1000)
        with pytest.raises(ImportProblems) as refused:
            reimport.apply(found, actor=None)  # the 1,000 missing rows kept: 1,001 rows
        assert refused.value.problems == [
            "The plan would have 1,001 rows; a plan may have 1,000 or fewer. "
            "Archive the rows missing from the file, or split the plan"
        ]
        db.session.rollback()
        plan = db.session.get(Plan, world.plan_id)
        found = reimport.preview(plan, "more.csv", data)
        reimport.apply(found, actor=None, archive={row.id for row in found.missing})
        assert services.live_row_count(plan) == 1
