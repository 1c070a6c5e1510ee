"""Stale means "not updated since the start of the quarter" everywhere: the plan page, the plans
overview, the board pack and the compliance report all name the same date, on the demo data."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from board import pack
from board import services as board
from compliance.report import report_pdf
from core import clock
from core.demo import DEMO_PASSWORD
from core.extensions import db
from plans.models import Plan
from tests.conftest import sign_in

LEAD = "helen.marsh@cambridgeshire.example"
#: The suite's today is 16 November 2026: quarter 4 started on 1 October.
STALE_SINCE = "not updated since 1 October 2026"


def squash(text: str) -> str:
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    return squash("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def pages(app, demo):
    client = app.test_client()
    assert sign_in(client, LEAD, DEMO_PASSWORD).status_code == 302
    with app.app_context():
        plan_id = db.session.scalar(select(Plan.id).where(Plan.area_id.is_not(None)).order_by(Plan.id))
        last_board = board.previous_meeting(board.next_meeting(1, clock.today()))
    return client, plan_id, last_board


def test_the_plan_page_and_the_overview_name_the_quarter_start(pages):
    client, plan_id, last_board = pages
    plan_page = squash(client.get(f"/plans/{plan_id}").get_data(as_text=True))
    overview = squash(client.get("/plans").get_data(as_text=True))
    assert STALE_SINCE in plan_page
    assert STALE_SINCE in overview
    # "Changed since" is still counted from the last board, a different date on the same page.
    assert last_board.held_on.isoformat() != "2026-10-01"
    assert f"changed since {last_board.held_on:%-d %B %Y}" in plan_page


def test_the_board_pack_and_the_compliance_report_name_the_same_date(app, pages):
    with app.app_context():
        meeting = board.next_meeting(1, clock.today())
        board_pack = pdf_text(pack.render(meeting, part="pack", today=clock.today()))
        report = pdf_text(report_pdf(meeting.partnership_id, 2026))
    assert "Stale: not complete and " + STALE_SINCE in board_pack
    assert "Exceptions: red and amber, overdue, " + STALE_SINCE in board_pack
    assert "Not updated since 1 October 2026 (" in board_pack  # the stale rows of a plan
    assert "Rows " + STALE_SINCE in report
    assert (
        "Community Cohesion Prevent Action Plan 2026-2027: row Check venues booked for public events " + STALE_SINCE
        in (report)
    )
