"""The row's page: progress, RAG and reason, and an evidence file, in one form saved together (or
not at all); the progress history newest first by date; the plan page's one link per row."""

import io
import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from core.audit import AuditEntry
from core.extensions import db
from core.vocab import Role
from plans import services
from plans.models import EvidenceFile, PlanRow, ProgressUpdate

PDF = b"%PDF-1.4\n% minutes of the safeguarding leads meeting\n"


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_row_page_offers_the_update_form_to_its_editors_only(client, world, login_as):
    login_as(Role.SPOC)
    html = client.get(f"/plans/{world.plan_id}/rows/{world.row_id}").get_data(as_text=True)
    form = html.split('<form method="post"')[1].split("</form>")[0]
    assert f'action="/plans/{world.plan_id}/rows/{world.row_id}/progress"' in form
    assert 'enctype="multipart/form-data"' in form
    for name in ("items", "rag", "reason", "evidence_file", "evidence_note"):
        assert f'name="{name}"' in form, name


def test_a_reader_sees_the_row_without_the_form(app, world):
    from tests.conftest import sign_in

    reader = app.test_client()
    sign_in(reader, world.users[Role.BOARD_MEMBER].email)
    html = reader.get(f"/plans/{world.plan_id}/rows/{world.row_id}").get_data(as_text=True)
    assert "Save progress update" not in html and 'name="evidence_file"' not in html
    assert "Progress history" in html and "Evidence files" in html


def test_progress_rag_reason_and_evidence_are_saved_in_one_post(app, client, world, login_as):
    spoc = login_as(Role.SPOC)
    response = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/progress",
        data={
            "items": "Two WRAP sessions held",
            "rag": "amber",
            "reason": "One school has not booked",
            "version": "1",
            "evidence_file": (io.BytesIO(PDF), "minutes.pdf"),
            "evidence_note": "Minutes of the November meeting",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/plans/{world.plan_id}#row-{world.row_id}")
    with app.app_context():
        update = db.session.scalars(select(ProgressUpdate)).one()
        assert (update.items, update.rag, update.reason, update.author_id) == (
            ["Two WRAP sessions held"],
            "amber",
            "One school has not booked",
            spoc.id,
        )
        added = db.session.scalars(select(EvidenceFile).where(EvidenceFile.filename == "minutes.pdf")).one()
        assert (added.row_id, added.note, added.uploaded_by_id) == (
            world.row_id,
            "Minutes of the November meeting",
            spoc.id,
        )
        assert db.session.get(PlanRow, world.row_id).rag == "amber"
        audited = set(db.session.scalars(select(AuditEntry.entity).where(AuditEntry.actor_label == spoc.email)))
        assert {"progress_updates", "evidence_files", "plan_rows"} <= audited
    page = client.get(f"/plans/{world.plan_id}/rows/{world.row_id}").get_data(as_text=True)
    assert "minutes.pdf" in page and "Two WRAP sessions held" in page


def test_a_refused_file_saves_neither_the_file_nor_the_update(app, client, world, login_as):
    login_as(Role.SPOC)
    response = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/progress",
        data={
            "items": "Two WRAP sessions held",
            "rag": "green",
            "version": "1",
            "evidence_file": (io.BytesIO(b"MZ\x90\x00 not a document"), "tool.exe"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html and "The selected file must be a" in html
    assert "Two WRAP sessions held" in html  # the text is kept in the form
    assert _count(app, ProgressUpdate) == 0
    assert _count(app, EvidenceFile) == 1  # the world's own file only


def test_an_update_without_a_file_needs_no_file(app, client, world, login_as):
    login_as(Role.SPOC)
    response = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/progress",
        data={"items": "On track", "rag": "green", "version": "1"},
    )
    assert response.status_code == 302
    assert (_count(app, ProgressUpdate), _count(app, EvidenceFile)) == (1, 1)


def test_the_history_is_newest_first_by_date_even_when_an_older_update_is_saved_later(app, client, world, login_as):
    with app.app_context():
        row = db.session.get(PlanRow, world.row_id)
        services.record_progress(
            row, items=["November: sessions booked"], rag="green", actor=None, at=datetime(2026, 11, 2, 10, tzinfo=UTC)
        )
        # An import of past progress, saved after the November update.
        services.record_progress(
            row,
            items=["July: plan agreed"],
            rag="green",
            actor=None,
            actor_label="Import of plan.xlsx",
            source="import",
            at=datetime(2026, 7, 1, 10, tzinfo=UTC),
        )
        db.session.commit()
        assert db.session.get(PlanRow, world.row_id).last_progress_at == datetime(2026, 11, 2, 10, tzinfo=UTC)
    login_as(Role.BOARD_MEMBER)
    html = client.get(f"/plans/{world.plan_id}/rows/{world.row_id}").get_data(as_text=True)
    history = html.split("Progress history, newest first")[1].split("</table>")[0]
    assert history.index("November: sessions booked") < history.index("July: plan agreed")
    dates = re.findall(r"(\d{1,2} \w{3} 2026 \d\d:\d\d)", history)
    assert dates == ["2 Nov 2026 10:00", "1 Jul 2026 10:00"]


def test_the_plan_page_has_one_link_per_row_to_its_page(client, world, login_as):
    login_as(Role.SPOC)
    html = client.get(f"/plans/{world.plan_id}").get_data(as_text=True)
    assert ">History<" not in html
    assert f'href="/plans/{world.plan_id}/rows/{world.row_id}/progress">Update<' in html
