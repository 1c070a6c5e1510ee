"""The board pack read back as text: its sections and figures match the live data, and it
names no individual from the Channel Panel."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from board import pack
from board import services as board
from board.models import BoardMeeting, ItemKind
from channel_panel.demo import DEMO_CASE_NAMES
from channel_panel.figures import board_figures
from core import clock
from core.extensions import db
from plans.models import Plan, PlanRow
from training.coverage import coverage_summary


@pytest.fixture
def demo(demo, ctx):
    """The demo partnership, with an app context for the test."""


def pack_text(meeting: BoardMeeting, part: str = "pack") -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(pack.render(meeting, part=part, today=clock.today())))
    return "\n".join(p.extract_text() for p in reader.pages), reader


def squash(text: str) -> str:
    return " ".join(text.split())


def test_pack_sections_and_figures_match_the_live_data(demo):
    meeting = board.next_meeting(1, clock.today())
    previous = board.previous_meeting(meeting)
    text, reader = pack_text(meeting)
    flat = squash(text)

    # Cover, then every standing item as a numbered section, in agenda order.
    cover = squash(reader.pages[0].extract_text())
    assert cover.startswith("OFFICIAL-SENSITIVE")
    assert meeting.title in cover and "Board pack" in cover
    position = 0
    for number, item in enumerate(sorted(meeting.items, key=lambda i: i.position), start=1):
        if (
            item.kind == ItemKind.MEMBERSHIP_REVIEW.value
            and not board.membership_review_status(1, meeting.held_on).flagged
        ):
            continue
        found = flat.find(f"{number}. {item.title}", position)
        assert found > position, item.title
        position = found

    # Previous minutes and the action log carried forward.
    assert f"Minutes of {previous.title}" in flat
    for action in board.action_log(meeting):
        assert f"A{action.number} " in flat and squash(action.description)[:30] in flat

    # Every red or amber row of an active plan is listed with its plan.
    red_amber = db.session.scalars(
        select(PlanRow).join(Plan).where(Plan.status == "active", PlanRow.rag.in_(["red", "amber"]))
    ).all()
    assert red_amber
    for row in red_amber:
        assert squash(row.duty or row.actions[0])[:30] in flat

    # Training coverage as coverage_summary has it, and the Channel counts as board_figures has them.
    summary = coverage_summary(as_of=clock.today())
    assert f"{summary.percent:.1f}% overall ({summary.trained} of {summary.headcount})" in flat
    figures = board_figures(quarter_start=previous.held_on, quarter_end=clock.today())
    assert f"New referrals {figures['referrals']}" in flat
    assert f"Closed {figures['closed']}" in flat

    # The marking and "Page N of M" on every page.
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert "OFFICIAL-SENSITIVE" in page_text
        assert f"Page {number} of {len(reader.pages)}" in page_text


def test_no_individual_is_named_in_the_pack_agenda_or_minutes(demo):
    meeting = board.next_meeting(1, clock.today())
    previous = board.previous_meeting(meeting)
    texts = [pack_text(meeting)[0], pack_text(meeting, "agenda")[0], pack_text(previous, "minutes")[0]]
    for name in DEMO_CASE_NAMES:
        for part in name.split():
            assert all(part not in text for text in texts), part


def test_membership_review_item_appears_only_when_due(demo):
    meeting = board.next_meeting(1, clock.today())
    review = board.membership_review_status(meeting.partnership_id, meeting.held_on)
    text = squash(pack_text(meeting, "agenda")[0])
    assert ("Review of board membership" in text) == review.flagged
    item = next(i for i in meeting.items if i.kind == ItemKind.MEMBERSHIP_REVIEW.value)
    assert item is not None
