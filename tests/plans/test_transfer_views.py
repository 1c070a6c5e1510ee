"""Import and export pages: upload, check the columns, confirm; downloads; who may do what."""

import io
import re

from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from core import clock
from core.extensions import db
from core.storage import get_storage
from core.vocab import Role
from plans.models import Plan, PlanRow, PlanSection, ProgressUpdate
from spoc.models import SpocAssignment
from tests.plans.test_imports import COUNTY, FIXTURES, KENT, csv_bytes, expected


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Plan, PlanSection, PlanRow, ProgressUpdate)
        }


def plan_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Plan.id)))


def new_plan(app, before: set[int]) -> Plan:
    """The one plan made since ``before`` (detached, columns loaded)."""
    (plan_id,) = plan_ids(app) - before
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        db.session.expunge(plan)
        return plan


def stored_imports(app) -> set[str]:
    """Uploads waiting for confirmation (the folder is shared by the whole test session)."""
    with app.app_context():
        return set(get_storage().keys("imports/"))


def upload(client, data: bytes, filename: str, **fields):
    form = {"template": "spoc", "title": "Imported plan", "period": "", "lead_key": "", **fields}
    form["file"] = (io.BytesIO(data), filename)
    return client.post("/plans/import", data=form, content_type="multipart/form-data")


def mapping_choices(page: str) -> dict[str, str]:
    """select id -> the option selected on the mapping page."""
    out = {}
    for select_id, body in re.findall(r'<select[^>]*id="(col_\d+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        out[select_id] = chosen.group(1) if chosen else ""
    return out


def confirm(client, location: str, page: str, **overrides):
    choices = mapping_choices(page) | overrides
    return client.post(location, data=choices)


def plan_page_has_every_item(page: str, filename: str) -> list[str]:
    """Items of the expected JSON missing from the plan page (empty when all are there)."""
    want = expected(filename)
    missing = []
    for section in want["sections"]:
        if section["title"] and str(escape(section["title"])) not in page:
            missing.append(section["title"])
        for row in section["rows"]:
            for items in row["cells"].values():
                missing.extend(item for item in items if str(escape(item)) not in page)
    return missing


def test_spoc_imports_the_kent_csv_through_the_mapping_page(app, client, world, login_as):
    login_as(Role.SPOC)
    before, waiting = plan_ids(app), stored_imports(app)
    form = client.get("/plans/import").get_data(as_text=True)
    assert f'<option value="{world.area_id}"' in form
    assert f'<option value="{world.other_area_id}"' not in form
    assert '<option value="county"' not in form  # only the Prevent Lead manages the county plan

    response = upload(
        client,
        (FIXTURES / KENT).read_bytes(),
        KENT,
        area_id=str(world.area_id),
        template="kent",
        title="University Prevent Duty Action Plan",
        period="2019-2020",
        lead_key="DHP - Policy Adviser and Prevent Lead\nKU - Kent Student Union",
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/plans/import/")
    new_files = stored_imports(app) - waiting
    assert len(new_files) == 2  # the file, and the choices kept beside it (not in the URL)
    assert "Kent Student Union" not in location and "University" not in location

    page = client.get(location).get_data(as_text=True)
    assert mapping_choices(page) == {
        "col_0": "reference",
        "col_1": "duty",
        "col_2": "actions",
        "col_3": "next_steps",
        "col_4": "leads",
        "col_5": "rag",
    }
    # Each select is labelled with the heading it maps; the preview shows the first rows.
    assert 'class="govuk-label govuk-visually-hidden" for="col_1">' in page
    assert "Plan field for the column Risk Area" in page
    assert "Partnership and Leadership" in page
    assert plan_ids(app) == before  # nothing saved before the confirmation

    response = confirm(client, location, page)
    assert response.status_code == 302
    plan = new_plan(app, before)
    assert (plan.title, plan.period, plan.area_id, plan.template) == (
        "University Prevent Duty Action Plan",
        "2019-2020",
        world.area_id,
        "kent",
    )
    assert plan.lead_key == {"DHP": "Policy Adviser and Prevent Lead", "KU": "Kent Student Union"}
    plan_id = plan.id
    assert response.headers["Location"] == f"/plans/{plan_id}"
    assert stored_imports(app) == waiting  # the upload is removed once imported

    shown = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "Imported 13 rows into University Prevent Duty Action Plan" in shown
    assert plan_page_has_every_item(shown, KENT) == []

    # The token is spent: posting it again imports nothing.
    assert confirm(client, location, page).status_code == 404
    assert len(plan_ids(app) - before) == 1


def test_lead_imports_the_county_xlsx_as_the_county_plan(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    before = plan_ids(app)
    response = upload(
        client, (FIXTURES / COUNTY).read_bytes(), COUNTY, area_id="county", template="county", title="County plan"
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert mapping_choices(page) == {
        "col_0": "actions",
        "col_1": "responsible_agency",
        "col_2": "timescale",
        "col_3": "impact",
        "col_4": "progress",
    }

    response = confirm(client, location, page)
    assert response.status_code == 302
    plan = new_plan(app, before)
    assert plan.area_id is None
    assert [h for _, h in plan.columns] == [*expected(COUNTY)["headings"], "Due date", "RAG"]
    shown = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert plan_page_has_every_item(shown, COUNTY) == []


def test_a_changed_mapping_is_used_and_unknown_columns_are_kept_unless_left_out(app, client, world, login_as):
    login_as(Role.SPOC)
    before = plan_ids(app)
    data = csv_bytes(
        ["Duty", "Actions", "Notes", "Scratch"], ["Train staff", "Run WRAP", "Keep in the plan", "Leave this out"]
    )
    location = upload(client, data, "plan.csv", area_id=str(world.area_id)).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "will be kept as columns of their own: Notes, Scratch." in page
    assert (mapping_choices(page)["col_2"], mapping_choices(page)["col_3"]) == ("keep", "keep")
    assert '<option value="">Do not import</option>' in page

    assert confirm(client, location, page, col_1="evidence", col_3="").status_code == 302
    plan = new_plan(app, before)
    assert [h for _, h in plan.columns] == ["Duty", "Actions", "Notes", "Due date", "RAG"]
    with app.app_context():
        row = db.session.scalars(select(PlanRow).where(PlanRow.plan_id == plan.id)).one()
        assert (row.duty, row.actions, row.evidence) == ("Train staff", [], ["Run WRAP"])
        assert row.extra == {"extra:Notes": "Keep in the plan"}
        assert "Leave this out" not in str(row.__dict__)


def test_never_seen_headings_accepted_as_guessed_keep_every_column_on_the_page(app, client, world, login_as):
    login_as(Role.SPOC)
    before = plan_ids(app)
    data = csv_bytes(
        ["No.", "Guidance", "Work to date", "Action required"],
        ["1", "Partnership working", "", ""],
        ["1.1", "Keep a multi-agency group", "- Met in September\n- Met in October", "Invite CSP"],
        ["2", "Training", "", ""],
        ["2.1", "WRAP for frontline staff", "120 trained", "Book refreshers"],
    )
    location = upload(client, data, "council.csv", area_id=str(world.area_id), template="custom").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert mapping_choices(page) == {"col_0": "reference", "col_1": "keep", "col_2": "progress", "col_3": "actions"}
    response = confirm(client, location, page, marked_rows="")
    assert response.status_code == 302, response.get_data(as_text=True)
    plan = new_plan(app, before)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    for text in ["No.", "Guidance", "Work to date", "Action required", "Partnership working", "Training", "1.1",
                 "Keep a multi-agency group", "Met in September", "Met in October", "Invite CSP", "2.1",
                 "WRAP for frontline staff", "120 trained", "Book refreshers"]:  # fmt: skip
        assert text in page, text
    # The sections are headings, not rows: two rows, flagged as rows are.
    assert page.count('id="row-') == 2


def test_rows_marked_on_the_mapping_page_head_sections(app, client, world, login_as):
    login_as(Role.SPOC)
    before = plan_ids(app)
    data = csv_bytes(["Duty", "Actions"], ["Training", "Everything below"], ["Train staff", "Run WRAP"])
    location = upload(client, data, "plan.csv", area_id=str(world.area_id)).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Rows that are section headings (optional)" in page
    response = confirm(client, location, page, marked_rows="two")
    assert "Enter row numbers separated by commas, for example 3, 9" in response.get_data(as_text=True)
    assert confirm(client, location, page, marked_rows="2").status_code == 302
    plan = new_plan(app, before)
    with app.app_context():
        sections = db.session.scalars(select(PlanSection.title).where(PlanSection.plan_id == plan.id)).all()
        assert sections == ["Training"]
        assert db.session.scalar(select(func.count()).select_from(PlanRow).where(PlanRow.plan_id == plan.id)) == 1


def test_a_file_with_problems_lists_them_all_and_saves_nothing(app, client, world, login_as):
    login_as(Role.SPOC)
    data = csv_bytes(
        ["Duty", "Actions", "Lead", "Due date", "RAG"],
        ["Train staff", "Run WRAP", "SPOC", "31/03/2027", "Green"],
        ["", "", "SPOC", "", ""],
        ["Audit", "Check", "SPOC", "31/02/2027", "Purple"],
    )
    location = upload(client, data, "plan.csv", area_id=str(world.area_id)).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    before, waiting = counts(app), stored_imports(app)

    response = confirm(client, location, page)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Error: " in html
    assert "govuk-error-summary" in html
    for problem in [
        "Row 3: enter the duty, risk area or actions",
        "Row 4, column D (Due date): '31/02/2027' is not a real date: February 2027 has 28 days",
        "Row 4, column E (RAG): 'Purple' is not a RAG status; use Red, Amber, Green, Complete or Not started",
    ]:
        assert str(escape(problem)) in html
    assert 'href="#col_3"' in html  # the problem links to the select of its column
    assert counts(app) == before
    assert stored_imports(app) == waiting  # kept, so the user can change the mapping and try again


def test_duplicate_mapping_is_shown_with_the_mapping_kept(app, client, world, login_as):
    login_as(Role.SPOC)
    data = csv_bytes(["Duty", "Actions", "Lead", "What we will do"], ["Train staff", "Run WRAP", "SPOC", "Audit"])
    location = upload(client, data, "plan.csv", area_id=str(world.area_id)).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    before = counts(app)

    response = confirm(client, location, page, col_3="actions")

    html = response.get_data(as_text=True)
    assert "Columns B and D are both mapped to Actions" in html
    assert mapping_choices(html)["col_3"] == "actions"
    assert counts(app) == before


def test_a_spoc_cannot_import_for_another_area(app, client, world, login_as):
    login_as(Role.SPOC)
    before, waiting = counts(app), stored_imports(app)
    response = upload(client, (FIXTURES / KENT).read_bytes(), KENT, area_id=str(world.other_area_id), template="kent")
    assert response.status_code == 403
    assert upload(client, (FIXTURES / KENT).read_bytes(), KENT, area_id="county").status_code == 403
    assert counts(app) == before
    assert stored_imports(app) == waiting


def test_the_area_permission_is_checked_again_on_confirmation(app, client, world, login_as):
    user = login_as(Role.SPOC)
    data = csv_bytes(["Duty", "Actions"], ["Train staff", "Run WRAP"])
    location = upload(client, data, "plan.csv", area_id=str(world.area_id)).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    with app.app_context():
        db.session.execute(delete(SpocAssignment).where(SpocAssignment.user_id == user.id))
        db.session.commit()
    before = counts(app)

    assert confirm(client, location, page).status_code == 403
    assert counts(app) == before


def test_bad_and_other_peoples_tokens_are_not_found(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    before = counts(app)
    data = csv_bytes(["Duty", "Actions"], ["Train staff", "Run WRAP"])
    location = upload(client, data, "plan.csv", area_id=str(world.area_id)).headers["Location"]
    token = location.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    assert client.get(f"/plans/import/{tampered}").status_code == 404
    assert client.post(f"/plans/import/{tampered}", data={"col_0": "duty"}).status_code == 404
    assert client.get("/plans/import/not-a-token").status_code == 404

    spoc = app.test_client()
    spoc.post("/login", data={"email": world.users[Role.SPOC].email, "password": world.users[Role.SPOC].password})
    assert spoc.get(location).status_code == 404  # the Prevent Lead's upload, not theirs
    assert spoc.post(location, data={"col_0": "duty", "col_1": "actions"}).status_code == 404
    assert counts(app) == before


def test_files_that_cannot_be_read_are_refused_on_the_upload_form(app, client, world, login_as):
    login_as(Role.SPOC)
    before, waiting = counts(app), stored_imports(app)
    cases = [
        ("plan.docx", b"PK\x03\x04 a document", "the file must be a CSV or XLSX spreadsheet"),
        ("plan.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "may be damaged or password-protected"),
        ("plan.csv", b"", "the file is empty"),
    ]
    for filename, data, message in cases:
        response = upload(client, data, filename, area_id=str(world.area_id))
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "govuk-error-summary" in html and message in html
    response = client.post("/plans/import", data={"area_id": str(world.area_id), "template": "spoc", "title": ""})
    html = response.get_data(as_text=True)
    assert "Select a CSV or XLSX file" in html and "Enter the plan&#39;s title" in html
    assert stored_imports(app) == waiting
    assert counts(app) == before


def test_export_downloads(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    before = plan_ids(app)
    location = upload(
        client, (FIXTURES / KENT).read_bytes(), KENT, area_id=str(world.area_id), template="kent", title="Kent Plan"
    ).headers["Location"]
    confirm(client, location, client.get(location).get_data(as_text=True))
    plan_id = new_plan(app, before).id
    client.post("/logout")
    login_as(Role.AUDITOR)  # reads plans, edits none

    response = client.get("/plans/export?format=xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == f'attachment; filename="plans-{clock.today():%Y-%m-%d}.xlsx"'
    workbook = load_workbook(io.BytesIO(response.data))
    assert len(workbook.worksheets) == len(before) + 1  # every plan, a sheet each
    sheet = workbook["Kent Plan"]
    assert [c.value for c in sheet[1]][:6] == expected(KENT)["headings"]

    response = client.get(f"/plans/export?format=pdf&plan={plan_id}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="kent-plan.pdf"'
    assert response.data.startswith(b"%PDF")

    response = client.get(f"/plans/export?format=csv&plan={plan_id}")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="kent-plan.csv"'
    assert "Partnership and Leadership" in response.data.decode("utf-8-sig")

    assert client.get("/plans/export?format=docx").status_code == 400
    assert client.get("/plans/export").status_code == 400
    assert client.get("/plans/export?format=csv&plan=99999").status_code == 404
    assert client.get("/plans/export?format=csv&plan=abc").status_code == 404
    assert client.get("/plans/import").status_code == 403  # auditors do not import


def test_roles_without_plans_cannot_export(client, world, login_as):
    login_as(Role.PANEL_CHAIR)
    assert client.get("/plans/export?format=csv").status_code == 403


def test_a_board_member_downloads_a_hostile_heading_as_text(app, client, world, login_as):
    # A plan column headed =HYPERLINK(...) reaches a board member's spreadsheet as text, in the CSV
    # and the XLSX the export page offers.
    import csv

    with app.app_context():
        plan = db.session.get(Plan, world.plan_id)
        plan.columns = [[name, '=HYPERLINK("http://x","y")' if name == "duty" else h] for name, h in plan.columns]
        db.session.commit()
    login_as(Role.BOARD_MEMBER)
    text = client.get(f"/plans/export?format=csv&plan={world.plan_id}").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))  # the BOM tells Excel it is UTF-8
    assert '\'=HYPERLINK("http://x","y")' in header and '=HYPERLINK("http://x","y")' not in header
    sheet = load_workbook(io.BytesIO(client.get(f"/plans/export?format=xlsx&plan={world.plan_id}").data)).active
    headings = [c.value for c in sheet[1]]
    assert '\'=HYPERLINK("http://x","y")' in headings and '=HYPERLINK("http://x","y")' not in headings
