"""Updating a plan from a spreadsheet on its page, and deleting a plan made by mistake."""

import hashlib
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.extensions import db
from core.vocab import Role
from plans.models import Plan, PlanRow, PlanSection, ProgressUpdate
from tests.plans.test_transfer_views import counts


def exported(client, plan_id: int):
    response = client.get(f"/plans/export?format=xlsx&plan={plan_id}")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, plan_id: int, data: bytes, filename: str = "education.xlsx", key: str = ""):
    form = {"file": (io.BytesIO(data), filename), "key": key}
    return client.post(f"/plans/{plan_id}/update-from-file", data=form, content_type="multipart/form-data")


def test_a_spoc_updates_their_plan_from_its_edited_export(app, client, world, login_as):
    spoc = login_as(Role.SPOC)
    book = exported(client, world.plan_id)
    sheet = book.worksheets[0]
    # The world's plan shows Duty, Actions, Progress and RAG (the other columns are empty).
    assert [c.value for c in sheet[1]] == ["Duty", "Actions", "Progress", "RAG", "Row id"]
    assert [c.value for c in sheet[2]] == ["Training", None, None, None, None]
    assert [c.value for c in sheet[3]] == ["Train staff", "Run WRAP", None, None, world.row_id]
    sheet["C3"] = "- Booked two WRAP sessions\n- 40 staff trained"
    sheet["D3"] = "Green"
    sheet.append(["Audit training records", "- Check registers\n- Report to the board", None, None, None])
    data = saved(book)

    response = upload(client, world.plan_id, data)
    assert response.status_code == 302
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Check the changes" in page
    assert "<strong>1</strong> row added" in page and "<strong>1</strong> changed" in page
    assert "<strong>0</strong> missing from the file" in page
    assert "Row 4: Audit training records" in page
    assert "Row 3: Train staff" in page
    assert "- Booked two WRAP sessions<br>- 40 staff trained" in page
    assert counts(app)["ProgressUpdate"] == 0  # the preview changes nothing

    assert client.post(location, data={}).status_code == 302
    with app.app_context():
        update = db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.row_id == world.row_id)).one()
        assert update.items == ["Booked two WRAP sessions", "40 staff trained"]
        assert update.markers == ["- ", "- "]
        assert (update.rag, update.source, update.author_id) == ("green", "import", spoc.id)
        assert (update.source_file, update.source_sha256) == ("education.xlsx", hashlib.sha256(data).hexdigest())
        added = db.session.scalars(select(PlanRow).where(PlanRow.plan_id == world.plan_id).order_by(PlanRow.id)).all()[
            -1
        ]
        assert (added.duty, added.actions, added.markers) == (
            "Audit training records",
            ["Check registers", "Report to the board"],
            {"actions": ["- ", "- "]},
        )
    history = client.get(f"/plans/{world.plan_id}/rows/{world.row_id}").get_data(as_text=True)
    assert "From education.xlsx" in history and hashlib.sha256(data).hexdigest()[:16] in history

    # The stash is gone, and the same file again is a preview that changes nothing.
    assert client.get(location).status_code == 404
    location = upload(client, world.plan_id, data).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "The plan already matches education.xlsx: importing it would change nothing." in page


def test_missing_rows_are_archived_only_when_ticked(app, client, world, login_as):
    login_as(Role.SPOC)
    book = exported(client, world.plan_id)
    sheet = book.worksheets[0]
    sheet.append(["Second row", "Do it", None, None, None])
    sheet.append(["Third row", "Do that", None, None, None])
    location = upload(client, world.plan_id, saved(book)).headers["Location"]
    client.post(location, data={})
    with app.app_context():
        second = db.session.scalars(select(PlanRow).where(PlanRow.duty == "Second row")).one().id

    book = exported(client, world.plan_id)
    sheet = book.worksheets[0]
    sheet.delete_rows(3, 2)  # the first two rows gone, the third kept
    location = upload(client, world.plan_id, saved(book)).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "<strong>2</strong> missing from the file" in page
    assert f'id="archive-{world.row_id}"' in page and f'id="archive-{second}"' in page
    assert client.post(location, data={"archive": [str(second)]}).status_code == 302
    with app.app_context():
        assert db.session.get(PlanRow, second).archived_at is not None
        assert db.session.get(PlanRow, world.row_id).archived_at is None
    page = client.get(f"/plans/{world.plan_id}").get_data(as_text=True)
    assert "Second row" not in page and "Train staff" in page and "Third row" in page
    assert "1 archived row is not shown; their history is kept." in page


def test_a_red_rag_without_a_reason_is_a_problem_and_nothing_changes(app, client, world, login_as):
    login_as(Role.SPOC)
    book = exported(client, world.plan_id)
    book.worksheets[0]["D3"] = "Red"
    location = upload(client, world.plan_id, saved(book)).headers["Location"]
    before = counts(app)
    page = client.get(location).get_data(as_text=True)
    assert "<title>Error: Check the changes" in page
    assert (
        "Row 3, column RAG: give a reason for changing the RAG status to Red (in a column headed Reason for RAG)"
        in page
    )
    assert "Update the plan" not in page
    client.post(location, data={})
    assert counts(app) == before


def test_a_spoc_updates_only_their_own_areas_plans(app, client, world, login_as):
    login_as(Role.SPOC)
    assert client.get(f"/plans/{world.other_plan_id}/update-from-file").status_code == 403
    assert upload(client, world.other_plan_id, b"Duty\nx\n", "p.csv").status_code == 403
    # A token for their own plan does not open another plan's preview.
    location = upload(client, world.plan_id, saved(exported(client, world.plan_id))).headers["Location"]
    token = location.rsplit("/", 1)[-1]
    assert client.get(f"/plans/{world.other_plan_id}/update-from-file/{token}").status_code == 403
    assert client.get(f"/plans/{world.county_plan_id}/update-from-file/{token}").status_code == 403


def test_an_unreadable_upload_is_refused_on_the_form(app, client, world, login_as):
    login_as(Role.SPOC)
    response = upload(client, world.plan_id, b"not a spreadsheet", "plan.pdf")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Error: Update the plan from a spreadsheet" in page
    assert "plan.pdf: the file must be a CSV or XLSX spreadsheet" in page
    response = client.post(f"/plans/{world.plan_id}/update-from-file", data={}, content_type="multipart/form-data")
    assert "Select a CSV or XLSX file" in response.get_data(as_text=True)


def test_the_lead_deletes_a_plan_made_by_mistake_and_only_that(app, client, world, login_as):
    runner = app.test_cli_runner()
    source = "tests/fixtures/plans/kent-prevent-duty-action-plan-2019.csv"
    assert (
        runner.invoke(args=["plans", "import", source, "--area", str(world.area_id), "--template", "kent"]).exit_code
        == 0
    )
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id).where(Plan.title == "Kent prevent duty action plan 2019")).one()
    login_as(Role.PREVENT_LEAD)
    assert "Delete this plan" in client.get(f"/plans/{plan_id}").get_data(as_text=True)
    page = client.get(f"/plans/{plan_id}/delete").get_data(as_text=True)
    assert "Its 13 rows and their imported progress go with it" in page
    response = client.post(f"/plans/{plan_id}/delete", data={})
    assert response.status_code == 302 and response.headers["Location"] == "/plans"
    with app.app_context():
        assert db.session.get(Plan, plan_id) is None
        assert db.session.scalar(select(func.count()).select_from(PlanRow).where(PlanRow.plan_id == plan_id)) == 0
        assert (
            db.session.scalar(select(func.count()).select_from(PlanSection).where(PlanSection.plan_id == plan_id)) == 0
        )
        deleted = db.session.scalars(
            select(AuditEntry.entity).where(AuditEntry.action == "delete", AuditEntry.entity_id == plan_id)
        ).all()
        assert "plans" in deleted
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "delete", AuditEntry.entity == "plan_rows")
            )
            == 13
        )

    # The world's plan has evidence recorded: it can only be archived.
    assert "Delete this plan" not in client.get(f"/plans/{world.plan_id}").get_data(as_text=True)
    page = client.get(f"/plans/{world.plan_id}/delete").get_data(as_text=True)
    assert "This plan cannot be deleted" in page
    assert client.post(f"/plans/{world.plan_id}/delete", data={}).status_code == 403
    with app.app_context():
        assert db.session.get(Plan, world.plan_id) is not None


def test_a_plan_with_progress_typed_since_its_import_cannot_be_deleted(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    # The county plan has no rows: a new row and a progress update on the page.
    client.post(f"/plans/{world.county_plan_id}/rows/new", data={"actions": "Meet quarterly", "section_title": ""})
    assert client.get(f"/plans/{world.county_plan_id}/delete").status_code == 200
    assert "Delete this plan" in client.get(f"/plans/{world.county_plan_id}/delete").get_data(as_text=True)
    with app.app_context():
        row_id = db.session.scalars(select(PlanRow.id).where(PlanRow.plan_id == world.county_plan_id)).one()
    page = client.get(f"/plans/{world.county_plan_id}/rows/{row_id}/progress").get_data(as_text=True)
    version = page.split('name="version"')[1].split('value="')[1].split('"')[0]
    response = client.post(
        f"/plans/{world.county_plan_id}/rows/{row_id}/progress",
        data={"items": "Met in October", "rag": "green", "reason": "", "version": version},
    )
    assert response.status_code == 302
    assert "This plan cannot be deleted" in client.get(f"/plans/{world.county_plan_id}/delete").get_data(as_text=True)
    assert client.post(f"/plans/{world.county_plan_id}/delete", data={}).status_code == 403


def test_a_plans_own_columns_are_edited_on_the_row_form_keeping_lines_and_markers(app, client, world, login_as):
    runner = app.test_cli_runner()
    path = "tests/fixtures/plans/custom-layout-community-safety-2026.xlsx"
    args = ["plans", "import", path, "--area", str(world.area_id), "--template", "custom", "--title", "Own layout"]
    assert runner.invoke(args=args).exit_code == 0
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id).where(Plan.title == "Own layout")).one()
        row = db.session.scalars(select(PlanRow).where(PlanRow.plan_id == plan_id, PlanRow.reference == "T2")).one()
        row_id, version = row.id, row.version
    login_as(Role.SPOC)
    page = client.get(f"/plans/{plan_id}/rows/{row_id}/edit").get_data(as_text=True)
    assert "Guidance" in page and "Some staff may require additional training" in page
    assert "- Local briefing on referrals\n- Local briefing on the Channel Panel" in page  # markers in the box
    response = client.post(
        f"/plans/{plan_id}/rows/{row_id}/edit",
        data={
            "version": str(version),
            "section_title": "Training and awareness",
            "reference": "T2",
            "actions": "- Local briefing on referrals\n- Local briefing on the Channel Panel",
            "leads": "Prevent Lead",
            "extra_0": "Additional briefings where WRAP is not enough",  # Workstream
            "extra_1": "Briefings supplement WRAP.\n- referrals\n- the Channel Panel",  # Guidance
            "extra_2": "Ongoing",  # Target
            "extra_3": "",  # Notes
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(PlanRow, row_id)
        assert row.extra["extra:Guidance"] == "Briefings supplement WRAP.\n- referrals\n- the Channel Panel"
        assert row.markers["actions"] == ["- ", "- "]
        changes = db.session.scalars(
            select(AuditEntry.changes).where(
                AuditEntry.entity == "plan_rows", AuditEntry.entity_id == row_id, AuditEntry.action == "update"
            )
        ).all()
        assert any("extra" in change for change in changes)
