"""Plan pages: reading, updating progress, evidence, conflicts, and who may do what."""

import hashlib
import io

import pytest
from sqlalchemy import event, func, select

from core.app import create_app
from core.audit import AuditEntry
from core.extensions import db
from core.vocab import Role
from partnership.models import BusinessArea
from plans import services
from plans.models import EvidenceFile, Plan, PlanRow, ProgressUpdate
from tests.conftest import sign_in
from tests.factories import UserFactory


def fetch(app, model, id_):
    with app.app_context():
        obj = db.session.get(model, id_)
        db.session.expunge(obj)
        return obj


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def pdf_bytes() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>WRAP register, autumn term</p>").write_pdf()


def test_plan_page_reads_like_the_table(client, world, login_as):
    login_as(Role.BOARD_MEMBER)
    page = client.get(f"/plans/{world.plan_id}").get_data(as_text=True)
    assert "Education Prevent Action Plan" in page
    assert "Training" in page  # the section
    assert "Train staff" in page and "Run WRAP" in page
    assert ">Duty</th>" in page and ">Actions</th>" in page
    assert "Update progress" not in page  # readers get no edit controls
    assert "Columns with no entries are not shown" in page


def test_spoc_records_progress_on_their_row(app, client, world, login_as):
    spoc = login_as(Role.SPOC)
    url = f"/plans/{world.plan_id}/rows/{world.row_id}/progress"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"items": "Two sessions held\n• 40 staff trained", "rag": "green", "version": "1"})
    assert response.status_code == 302
    with app.app_context():
        update = db.session.scalars(select(ProgressUpdate)).one()
        assert update.items == ["Two sessions held", "40 staff trained"]
        assert (update.rag, update.author_id) == ("green", spoc.id)
        audit = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "progress_updates")).one()
        assert audit.actor_label == spoc.email
    page = client.get(f"/plans/{world.plan_id}").get_data(as_text=True)
    assert "40 staff trained" in page
    history = client.get(f"/plans/{world.plan_id}/rows/{world.row_id}").get_data(as_text=True)
    assert "Two sessions held" in history


def test_red_without_a_reason_is_refused(app, client, world, login_as):
    login_as(Role.SPOC)
    page = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/progress", data={"items": "Behind", "rag": "red", "version": "1"}
    ).get_data(as_text=True)
    assert "Give a reason for changing the RAG status to Red" in page
    assert count(app, ProgressUpdate) == 0
    page = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/progress", data={"items": "", "rag": "", "version": "1"}
    ).get_data(as_text=True)
    assert "Enter the progress update" in page and "Select a RAG status" in page


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/plans/{plan}/rows/{row}/progress", {"items": "Sneaky", "rag": "green", "version": "1"}),
        ("post", "/plans/{plan}/rows/{row}/edit", {"duty": "Sneaky", "version": "1"}),
        ("post", "/plans/{plan}/rows/new", {"duty": "Sneaky"}),
        ("post", "/plans/{plan}/edit", {"title": "Sneaky", "status": "active", "area_id": "x"}),
        ("post", "/plans/{plan}/columns", {"col_duty": "Sneaky"}),
        ("get", "/plans/{plan}/rows/{row}/evidence", None),
    ],
)
def test_spoc_cannot_write_another_areas_plan(app, client, world, login_as, method, path, data):
    login_as(Role.SPOC)
    url = path.format(plan=world.other_plan_id, row=world.other_row_id)
    before = (count(app, ProgressUpdate), count(app, PlanRow), fetch(app, PlanRow, world.other_row_id).duty)
    response = getattr(client, method)(url, data=data)
    assert response.status_code == 403
    after = (count(app, ProgressUpdate), count(app, PlanRow), fetch(app, PlanRow, world.other_row_id).duty)
    assert after == before
    assert fetch(app, Plan, world.other_plan_id).title == "Adult social care plan"


def test_a_deputy_spoc_edits_their_areas_rows_and_no_other_areas(app, client, world):
    with app.app_context():
        area = db.session.get(BusinessArea, world.area_id)
        deputy = UserFactory(email="deputy@council.example", roles=[Role.SPOC], areas=[(area, "deputy")])
        db.session.commit()
        deputy_id = deputy.id
    assert sign_in(client, "deputy@council.example").status_code == 302

    own = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/progress",
        data={"items": "Deputy's update", "rag": "green", "version": "1"},
    )
    other = client.post(
        f"/plans/{world.other_plan_id}/rows/{world.other_row_id}/progress",
        data={"items": "Not my area", "rag": "green", "version": "1"},
    )

    assert own.status_code == 302
    assert other.status_code == 403
    with app.app_context():
        stored = db.session.execute(select(ProgressUpdate.row_id, ProgressUpdate.items, ProgressUpdate.author_id)).all()
    assert stored == [(world.row_id, ["Deputy's update"], deputy_id)]


def test_spoc_cannot_touch_the_county_plan_but_the_lead_can(client, world, login_as):
    login_as(Role.SPOC)
    assert client.get(f"/plans/{world.county_plan_id}/rows/new").status_code == 403
    new_plan = client.get("/plans/new").get_data(as_text=True)
    assert "County delivery plan (no business area)" not in new_plan
    assert (
        client.post(
            "/plans/new", data={"title": "X", "area_id": "county", "template": "spoc", "status": "active"}
        ).status_code
        == 200
    )


def test_row_under_another_plan_is_404(client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    assert client.get(f"/plans/{world.plan_id}/rows/{world.other_row_id}/edit").status_code == 404
    assert client.get(f"/plans/{world.plan_id}/rows/999999").status_code == 404


def test_second_save_of_the_same_row_is_refused_and_both_versions_shown(app, world):
    first, second = app.test_client(), app.test_client()
    sign_in(first, world.users[Role.SPOC].email)
    sign_in(second, world.users[Role.PREVENT_LEAD].email)
    url = f"/plans/{world.plan_id}/rows/{world.row_id}/edit"
    for client in (first, second):
        assert 'name="version" type="hidden" value="1"' in client.get(url).get_data(as_text=True)
    assert first.post(url, data={"duty": "Train every member of staff", "version": "1"}).status_code == 302
    response = second.post(url, data={"duty": "Train frontline staff", "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this row while you were editing it" in page
    assert "Train every member of staff" in page  # theirs
    assert "Train frontline staff" in page  # mine, still in the form
    assert fetch(app, PlanRow, world.row_id).duty == "Train every member of staff"
    # Saving again deliberately, on top of the version now shown, works.
    assert second.post(url, data={"duty": "Train frontline staff", "version": "2"}).status_code == 302
    assert fetch(app, PlanRow, world.row_id).duty == "Train frontline staff"


def test_evidence_upload_download_and_revisions(app, client, world, login_as):
    login_as(Role.SPOC)
    data = pdf_bytes()
    url = f"/plans/{world.plan_id}/rows/{world.row_id}/evidence"
    response = client.post(url, data={"file": (io.BytesIO(data), "../WRAP register.pdf"), "note": "Autumn"})
    assert response.status_code == 302
    with app.app_context():
        first = db.session.scalars(select(EvidenceFile).where(EvidenceFile.filename == "WRAP register.pdf")).one()
        assert first.sha256 == hashlib.sha256(data).hexdigest()
        assert (first.revision, first.document_id) == (1, first.id)
        first_id, first_key = first.id, first.storage_key
    download = client.get(f"/plans/{world.plan_id}/evidence/{first_id}")
    assert download.data == data
    assert download.headers["Content-Disposition"] == 'attachment; filename="WRAP register.pdf"'
    newer = pdf_bytes() + b"\n%revised"
    client.post(f"{url}/{first_id}/replace", data={"file": (io.BytesIO(newer), "WRAP register v2.pdf")})
    with app.app_context():
        revisions = db.session.scalars(
            select(EvidenceFile).where(EvidenceFile.document_id == first_id).order_by(EvidenceFile.revision)
        ).all()
        assert [(r.revision, r.filename) for r in revisions] == [(1, "WRAP register.pdf"), (2, "WRAP register v2.pdf")]
        assert revisions[0].storage_key == first_key  # the first file was not overwritten
    assert client.get(f"/plans/{world.plan_id}/evidence/{first_id}").data == data
    page = client.get(f"/plans/{world.plan_id}/rows/{world.row_id}?as_of=2000-01-01").get_data(as_text=True)
    assert "No files uploaded by then" in page


def test_auditor_can_read_evidence_but_not_other_plans_files_by_guessing(client, world, login_as):
    login_as(Role.AUDITOR)
    assert client.get(f"/plans/{world.plan_id}/evidence/{world.evidence_id}").status_code == 200
    # The file belongs to another plan: the plan in the URL must own it.
    assert client.get(f"/plans/{world.other_plan_id}/evidence/{world.evidence_id}").status_code == 404


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("notes.exe", b"MZ\x90\x00", "must be a PDF, DOCX, XLSX, PNG or JPEG"),
        ("photo.png", b"%PDF-1.4 not a png", "do not match"),
        ("empty.pdf", b"", "The selected file is empty"),
    ],
)
def test_bad_evidence_files_are_refused_with_a_message(app, client, world, login_as, filename, data, message):
    login_as(Role.SPOC)
    before = count(app, EvidenceFile)
    page = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/evidence", data={"file": (io.BytesIO(data), filename)}
    ).get_data(as_text=True)
    assert message in page
    assert count(app, EvidenceFile) == before


def test_upload_over_the_size_limit_is_refused(app, world, tmp_path):
    small = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_FOLDER=str(tmp_path),
        MAX_CONTENT_LENGTH=2000,
    )
    client = small.test_client()
    sign_in(client, world.users[Role.SPOC].email)
    response = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/evidence",
        data={"file": (io.BytesIO(b"%PDF-1.4" + b"0" * 5000), "big.pdf")},
    )
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
    assert count(app, EvidenceFile) == 1  # only the world's own file


def test_lead_creates_a_plan_and_renames_columns(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    response = client.post(
        "/plans/new",
        data={
            "title": "Cohesion plan",
            "area_id": str(world.other_area_id),
            "template": "kent",
            "status": "draft",
            "principles": "Proportionate\n- Fair",
            "lead_key": "AB - Cohesion lead",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.title == "Cohesion plan")).one()
        assert plan.principles == ["Proportionate", "Fair"]
        assert plan.lead_key == {"AB": "Cohesion lead"}
        assert [c[1] for c in plan.columns][:2] == ["No.", "Risk area"]
        plan_id = plan.id
    client.post(f"/plans/{plan_id}/rows/new", data={"reference": "1.1", "duty": "Engagement", "actions": "Meet"})
    client.post(f"/plans/{plan_id}/columns", data={"col_reference": "Item", "col_duty": "Risk", "col_actions": "Done"})
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert ">Item</th>" in page and ">Risk</th>" in page and ">Done</th>" in page
    assert "Next steps" not in page.split("<tbody")[0]


def test_changed_since_last_board_filter(app, client, world, login_as):
    login_as(Role.SPOC)
    client.post(f"/plans/{world.plan_id}/rows/new", data={"duty": "Untouched row"})
    client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/progress",
        data={"items": "Moved on", "rag": "green", "version": "1"},
    )
    page = client.get(f"/plans/{world.plan_id}?changed=1").get_data(as_text=True)
    assert "Moved on" in page
    assert "Untouched row" not in page


def _statements(app, client, url) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def listener(*args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_overview_and_plan_page_use_a_bounded_number_of_queries(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    overview_small = _statements(app, client, "/plans")
    plan_small = _statements(app, client, f"/plans/{world.plan_id}")
    with app.app_context():
        for n in range(10):
            plan = services.create_plan(area_id=world.area_id, title=f"Extra plan {n}")
            for m in range(4):
                row = services.add_row(plan, section_title=f"Theme {m % 2}", values={"duty": f"Duty {m}"})
                services.record_progress(row, items=["Done"], rag="green", actor=None, actor_label="t")
        big = services.create_plan(area_id=world.area_id, title="Big plan")
        for m in range(30):
            row = services.add_row(big, section_title=f"Theme {m % 5}", values={"duty": f"Duty {m}"})
            services.record_progress(row, items=["Done"], rag="amber", reason="r", actor=None, actor_label="t")
        db.session.commit()
        big_id = big.id
    assert _statements(app, client, "/plans") == overview_small
    assert _statements(app, client, f"/plans/{big_id}") == plan_small
    assert "Extra plan 9" in client.get("/plans").get_data(as_text=True)
