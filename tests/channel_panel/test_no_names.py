"""No name of an individual leaks: the demo's case names are searched for in every page, PDF,
export and audit entry that the board, auditors or agendas show."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from channel_panel.demo import DEMO_CASE_NAMES
from channel_panel.models import CasePersonalDetails, ChannelCase, PanelMeeting
from core.audit import AuditEntry
from core.demo import DEMO_PASSWORD
from core.extensions import db
from tests.conftest import sign_in

AUDITOR = "owen.pritchard@audit.example"
BOARD = "margaret.hughes@peterborough.example"
LEAD = "helen.marsh@cambridgeshire.example"
CHAIR = "joanna.price@peterborough.example"


@pytest.fixture
def demo(app, demo):
    with app.app_context():
        # Every demo individual is on file, so a clean search below means something.
        names = set(db.session.scalars(select(CasePersonalDetails.full_name)))
        assert names == set(DEMO_CASE_NAMES)


def signed_in(app, email):
    client = app.test_client()
    assert sign_in(client, email, DEMO_PASSWORD).status_code == 302
    return client


def leaked(text: str) -> list[str]:
    return [name for name in DEMO_CASE_NAMES if name in text or name.split()[1] in text]


@pytest.mark.parametrize("email", [AUDITOR, BOARD, LEAD])
def test_figures_log_and_export_hold_no_name_for_the_board_and_auditors(app, demo, email):
    client = signed_in(app, email)
    for url in ["/channel", "/channel/figures", "/channel/log", "/channel/log.csv", "/channel/figures?quarter=2025-q4"]:
        response = client.get(url)
        if url.startswith("/channel/log") and email != LEAD:
            # The log's rows are the Prevent Lead's record (and the panel's), not the board's or auditors'.
            assert response.status_code == 403, url
            continue
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert leaked(body) == [], url
        if url.startswith("/channel/log"):
            # ... nor a case reference: the Prevent Lead sees anonymised entries only.
            assert "CP-20" not in body, url


def test_every_auditor_page_and_the_audit_export_hold_no_name(app, demo):
    client = signed_in(app, AUDITOR)
    export = client.get("/audit/export.csv")
    assert export.status_code == 200
    text = export.get_data(as_text=True)
    assert "channel_case_personal_details" in text and "[redacted]" in text  # the changes are there ...
    assert leaked(text) == []  # ... but never the names
    assert "CP-20" not in text  # ... nor a case reference
    page_number = 1
    while True:
        response = client.get(f"/audit?page={page_number}")
        body = response.get_data(as_text=True)
        assert leaked(body) == [] and "CP-20" not in body, page_number
        if f"page={page_number + 1}" not in body:
            break
        page_number += 1
    assert page_number > 1
    for url in ["/audit/security", "/", "/channel"]:
        body = client.get(url).get_data(as_text=True)
        assert leaked(body) == [] and "CP-20" not in body, url
    with app.app_context():
        trail = " ".join(f"{e.label} {e.changes}" for e in db.session.scalars(select(AuditEntry)))
    assert leaked(trail) == []


def test_no_agenda_pdf_holds_a_name(app, demo):
    client = signed_in(app, CHAIR)
    with app.app_context():
        meeting_ids = list(db.session.scalars(select(PanelMeeting.id)))
        references = set(db.session.scalars(select(ChannelCase.reference)))
    seen_references = set()
    for meeting_id in meeting_ids:
        response = client.get(f"/channel/meetings/{meeting_id}/agenda.pdf")
        assert response.status_code == 200
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
        assert leaked(text) == [], meeting_id
        seen_references |= {r for r in references if r in text}
    assert seen_references  # the agendas do list cases, by reference


def test_the_panels_own_pages_show_references_not_names(app, demo):
    client = signed_in(app, CHAIR)
    with app.app_context():
        case_ids = list(db.session.scalars(select(ChannelCase.id)))
        meeting_ids = list(db.session.scalars(select(PanelMeeting.id)))
    urls = ["/channel", "/channel/cases?stage=all", "/channel/meetings", "/channel/membership"]
    urls += [f"/channel/cases/{i}" for i in case_ids] + [f"/channel/meetings/{i}" for i in meeting_ids]
    for url in urls:
        body = client.get(url).get_data(as_text=True)
        assert leaked(body) == [], url
    personal = client.get(f"/channel/cases/{case_ids[0]}/personal").get_data(as_text=True)
    assert leaked(personal)  # the one place a name is shown


def test_the_dry_run_names_cases_by_reference_only(app, demo):
    result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        oldest = db.session.scalars(select(ChannelCase).order_by(ChannelCase.concern_reported_on)).first()
    assert oldest.reference in result.output
    assert leaked(result.output) == []
