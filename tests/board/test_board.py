"""The quarterly board: schedule, agenda builder, attendance, actions that carry forward,
plan checks, membership review, calendar files and the agenda and minutes PDFs."""

import io
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import func, select

from board import services as board
from board.models import AgendaItem, BoardAction, BoardMeeting, BoardMember, ItemKind, MeetingStatus, PlanCheck
from core import clock
from core.extensions import db
from core.vocab import Role
from partnership.models import Partnership
from tests.factories import schedule_board_meetings

TODAY = date(2026, 11, 21)


def schedule(partnership, first_on, count=4, today=TODAY):
    return schedule_board_meetings(partnership, first_on, count=count, today=today)


@pytest.fixture
def partnership(ctx, world):
    return db.session.get(Partnership, world.partnership_id)


def test_a_year_of_meetings_with_the_standing_agenda(partnership):
    meetings = schedule(partnership, date(2026, 11, 30))
    assert [m.held_on for m in meetings] == [
        date(2026, 11, 30),
        date(2027, 2, 28),
        date(2027, 5, 30),
        date(2027, 8, 30),
    ]
    kinds = [i.kind for i in sorted(meetings[0].items, key=lambda i: i.position)]
    assert kinds == [k.value for k in ItemKind if k is not ItemKind.CUSTOM]
    assert meetings[0].title == "Prevent Partnership Board, 30 November 2026"


def test_past_or_clashing_dates_are_refused_and_nothing_is_saved(partnership):
    schedule(partnership, date(2027, 2, 28), count=1)
    db.session.commit()
    with pytest.raises(board.ScheduleProblems) as refused:
        schedule(partnership, date(2026, 11, 28))  # second date, 28 Feb, clashes
    assert refused.value.problems == ["A board meeting is already scheduled on 28 February 2027"]
    with pytest.raises(board.ScheduleProblems) as refused:
        schedule(partnership, date(2026, 11, 20), count=1)
    assert refused.value.problems == ["20 November 2026 is in the past"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(BoardMeeting)) == 1


def test_agenda_builder_adds_before_aob_moves_and_removes(partnership):
    (meeting,) = schedule(partnership, date(2026, 12, 9), count=1)
    item = board.add_item(meeting, title="Prevent peer review", note="Ten minutes")
    titles = [i.title for i in sorted(meeting.items, key=lambda i: i.position)]
    assert titles[-2:] == ["Prevent peer review", "Any other business"]
    board.move_item(item, -1)
    assert [i.title for i in sorted(meeting.items, key=lambda i: i.position)][-3] == "Prevent peer review"
    board.remove_item(item)
    positions = sorted(i.position for i in meeting.items)
    assert positions == list(range(1, len(positions) + 1))
    assert "Prevent peer review" not in [i.title for i in meeting.items]


def test_open_actions_carry_forward_until_closed(partnership):
    first, second, third = schedule(partnership, date(2026, 12, 1), count=3)
    open_one = board.add_action(
        first, description="Chase returns", owner="Ruth", due_on=date(2027, 1, 10), agenda_item_id=None
    )
    closed_early = board.add_action(
        first, description="Book room", owner="Sam", due_on=date(2026, 12, 5), agenda_item_id=None
    )
    board.update_action(closed_early, status="done", update="Booked", closed_on=date(2026, 12, 4))
    assert [a.number for a in board.action_log(second)] == [open_one.number, closed_early.number]
    # At the third meeting, the action closed before the second is no longer listed.
    assert [a.number for a in board.action_log(third)] == [open_one.number]
    board.update_action(open_one, status="done", update="Received", closed_on=date(2027, 3, 10))
    assert [a.number for a in board.action_log(third)] == [open_one.number]  # closed since the last meeting
    assert board.action_log(first) == []


def test_an_action_needs_an_owner(partnership):
    (meeting,) = schedule(partnership, date(2026, 12, 1), count=1)
    with pytest.raises(ValueError):
        board.add_action(meeting, description="x", owner="  ", due_on=TODAY, agenda_item_id=None)


def test_plan_checked_once_per_quarter(partnership, world):
    first, second = schedule(partnership, date(2026, 11, 25), count=2)
    board.set_plan_checks(first, [world.plan_id, world.county_plan_id])
    board.set_plan_checks(first, [world.plan_id])
    rows = db.session.scalars(select(PlanCheck)).all()
    assert [(c.plan_id, c.quarter_start) for c in rows] == [(world.plan_id, date(2026, 10, 1))]
    board.set_plan_checks(second, [world.plan_id])
    assert db.session.scalar(select(func.count()).select_from(PlanCheck)) == 2


def test_membership_review_status(partnership):
    assert board.membership_review_status(partnership.id, TODAY).state == "never"
    board.record_membership_review(partnership_id=partnership.id, reviewed_on=date(2026, 1, 31), outcome="Confirmed")
    assert board.membership_review_status(partnership.id, date(2026, 11, 30)).state == "ok"
    due = board.membership_review_status(partnership.id, date(2026, 12, 2))
    assert (due.state, due.due_on) == ("due", date(2027, 1, 31))
    assert board.membership_review_status(partnership.id, date(2027, 2, 1)).state == "overdue"


def test_since_last_board_uses_the_last_meeting(partnership):
    from plans.services import since_last_board

    assert since_last_board(TODAY) == date(2026, 10, 1)
    db.session.add(
        BoardMeeting(
            partnership_id=partnership.id, title="x", held_on=date(2026, 11, 2), status=MeetingStatus.HELD.value
        )
    )
    db.session.flush()
    assert since_last_board(TODAY) == date(2026, 11, 2)


# --- through the pages ---------------------------------------------------------------------


def test_lead_schedules_a_year_through_the_page(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    first = clock.today() + timedelta(days=7)
    data = {
        "first_on": [str(first.day), str(first.month), str(first.year)],
        "count": "4",
        "starts_at": "10:00",
        "ends_at": "12:00",
        "place": "Sand Martin House",
        "marking": "OFFICIAL-SENSITIVE",
    }
    assert client.post("/board/meetings/schedule", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BoardMeeting)) == 4
    page = client.post("/board/meetings/schedule", data=data).get_data(as_text=True)
    assert "A board meeting is already scheduled on" in page
    bad = dict(data, starts_at="25:99", link="meet.example")
    page = client.post("/board/meetings/schedule", data=bad).get_data(as_text=True)
    assert "Start time (optional) must be a time" in page
    assert "Enter the link in full" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BoardMeeting)) == 4


def make_meeting(app, world, days=10) -> int:
    with app.app_context():
        partnership = db.session.get(Partnership, world.partnership_id)
        (meeting,) = schedule(partnership, clock.today() + timedelta(days=days), count=1, today=clock.today())
        db.session.add(
            BoardMember(
                partnership_id=partnership.id,
                organisation_id=world.organisation_id,
                representative="Alex Board",
                deputy="Jo Deputy",
                joined_on=date(2020, 1, 1),
            )
        )
        db.session.commit()
        return meeting.id


def test_member_needs_an_organisation(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    page = client.post(
        "/board/members/new", data={"representative": "X", "role": "member", "joined_on": ["1", "1", "2026"]}
    ).get_data(as_text=True)
    assert "Select the member&#39;s organisation" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BoardMember)) == 0


def test_attendance_actions_and_minutes_through_the_pages(app, client, world, login_as):
    meeting_id = make_meeting(app, world)
    login_as(Role.PREVENT_LEAD)
    with app.app_context():
        member_id = db.session.scalars(select(BoardMember.id)).one()
        item_id = db.session.scalars(
            select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id, AgendaItem.kind == "training")
        ).one()
    client.post(
        f"/board/meetings/{meeting_id}/attendance", data={f"status-{member_id}": "deputy", f"deputy-{member_id}": ""}
    )
    page = client.get(f"/board/meetings/{meeting_id}").get_data(as_text=True)
    assert "Enter the name of the deputy who attended for Alex Board" in page
    client.post(
        f"/board/meetings/{meeting_id}/attendance",
        data={f"status-{member_id}": "deputy", f"deputy-{member_id}": "Jo Deputy"},
    )
    page = client.post(
        f"/board/meetings/{meeting_id}/actions/new", data={"description": "Chase", "owner": "", "agenda_item_id": ""}
    ).get_data(as_text=True)
    assert "Enter who owns the action" in page and "Enter a due date" in page
    due = clock.today() + timedelta(days=30)
    client.post(
        f"/board/meetings/{meeting_id}/actions/new",
        data={
            "description": "Book WRAP sessions",
            "owner": "Education SPOC",
            "due_on": [str(due.day), str(due.month), str(due.year)],
            "agenda_item_id": str(item_id),
        },
    )
    client.post(
        f"/board/meetings/{meeting_id}/items/{item_id}/edit",
        data={"title": "Training coverage", "note": "", "minutes": "Coverage is 86%."},
    )
    client.post(f"/board/meetings/{meeting_id}/decisions/new", data={"text": "Adopt the plan", "agenda_item_id": ""})
    minutes = client.get(f"/board/meetings/{meeting_id}/minutes.pdf")
    assert minutes.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(minutes.data)).pages)
    for expected in [
        "Coverage is 86%.",
        "Adopt the plan",
        "Book WRAP sessions",
        "Jo Deputy for Alex Board",
        "OFFICIAL-SENSITIVE",
    ]:
        assert expected in text, expected
    with app.app_context():
        action = db.session.scalars(select(BoardAction)).one()
        assert (action.owner, action.due_on, action.agenda_item_id) == ("Education SPOC", due, item_id)


def test_agenda_pdf_lists_items_in_the_chairs_order_with_marking_on_every_page(app, client, world, login_as):
    meeting_id = make_meeting(app, world)
    login_as(Role.PREVENT_LEAD)
    client.post(f"/board/meetings/{meeting_id}/items/new", data={"title": "Prevent peer review", "note": "Ten minutes"})
    with app.app_context():
        item_id = db.session.scalars(select(AgendaItem.id).where(AgendaItem.title == "Prevent peer review")).one()
    client.post(f"/board/meetings/{meeting_id}/items/{item_id}/move", data={"direction": "up"})
    reader = PdfReader(io.BytesIO(client.get(f"/board/meetings/{meeting_id}/agenda.pdf").data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert text.index("Counter Terrorism Local Profile") < text.index("Prevent peer review")
    assert text.index("Prevent peer review") < text.index("Review of board membership")
    assert "Review of board membership" in text  # never reviewed, so the item shows
    for page in reader.pages:
        assert "OFFICIAL-SENSITIVE" in page.extract_text()


def test_remove_item_needs_confirmation(app, client, world, login_as):
    meeting_id = make_meeting(app, world)
    login_as(Role.PREVENT_LEAD)
    with app.app_context():
        item_id = db.session.scalars(
            select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id, AgendaItem.kind == "aob")
        ).one()
    page = client.get(f"/board/meetings/{meeting_id}/items/{item_id}/remove").get_data(as_text=True)
    assert "Remove 'Any other business' from the agenda?" in page
    with app.app_context():
        assert db.session.get(AgendaItem, item_id) is not None
    client.post(f"/board/meetings/{meeting_id}/items/{item_id}/remove")
    with app.app_context():
        assert db.session.get(AgendaItem, item_id) is None


def test_calendar_files(app, client, world, login_as):
    meeting_id = make_meeting(app, world)
    login_as(Role.BOARD_MEMBER)
    single = Calendar.from_ical(client.get(f"/board/meetings/{meeting_id}.ics").data)
    events = single.walk("VEVENT")
    assert len(events) == 1
    assert str(events[0]["summary"]).startswith("Prevent Partnership Board")
    assert events[0].decoded("dtstart").hour == 10
    feed = Calendar.from_ical(client.get("/board/meetings.ics").data)
    assert len(feed.walk("VEVENT")) == 1


def test_board_member_reads_but_cannot_change(app, client, world, login_as):
    meeting_id = make_meeting(app, world)
    login_as(Role.BOARD_MEMBER)
    page = client.get(f"/board/meetings/{meeting_id}").get_data(as_text=True)
    assert "Save attendance" not in page and "Add an item" not in page
    assert client.post(f"/board/meetings/{meeting_id}/items/new", data={"title": "x"}).status_code == 403
