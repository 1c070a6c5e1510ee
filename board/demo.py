"""Demo board: standing members as in the strategy (fictional people), a membership review
coming due, two past meetings with attendance, minutes, decisions and actions (some still
open, so they roll into the next agenda), and the coming year's quarterly schedule."""

from datetime import date, time, timedelta

from board import services as board
from board.models import STANDING_ITEMS, AgendaItem, BoardMeeting, BoardMember, ItemKind, MeetingPaper, MeetingStatus
from core.dates import add_months
from core.extensions import db
from core.models import User
from partnership.models import Organisation, Partnership
from plans.models import Plan

#: (organisation short name, representative, deputy, role)
MEMBERS = [
    ("CCC", "Helen Marsh", "Imran Siddiqui", "chair"),
    ("Police", "Detective Inspector Sam Oduya", "Kieran Walsh", "vice_chair"),
    ("PCC", "Cllr Margaret Hughes", "", "elected_member_lead"),
    ("CCC", "Cllr Brian Fletcher", "", "elected_member_lead"),
    ("PCC", "Priya Natarajan", "Tom Baxter", "spoc"),
    ("CPFT", "Marcus Bell", "", "spoc"),
    ("CCG", "Ruth Evans", "", "spoc"),
    ("Probation", "Andrea Kowal", "Leon Forde", "member"),
    ("HMP", "Graham Ashby", "", "member"),
    ("Fire", "Station Manager Nia Roberts", "", "member"),
    ("HDC", "Paul Whitfield", "", "member"),
    ("Police", "Claire Dunmore", "", "adviser"),
]


def _past_meeting(partnership: Partnership, held_on: date) -> BoardMeeting:
    meeting = BoardMeeting(
        partnership_id=partnership.id,
        title=board.meeting_title(held_on),
        held_on=held_on,
        starts_at=time(10, 0),
        ends_at=time(12, 0),
        place="Sand Martin House, Peterborough",
        status=MeetingStatus.HELD.value,
    )
    for position, kind in enumerate(STANDING_ITEMS, start=1):
        meeting.items.append(AgendaItem(kind=kind.value, title=kind.default_title, position=position))
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _item(meeting: BoardMeeting, kind: ItemKind) -> AgendaItem:
    return next(i for i in meeting.items if i.kind == kind.value)


def load_board(
    *, partnership: Partnership, organisations: dict[str, Organisation], users: dict[str, User], today: date
) -> None:
    members = {}
    for short, representative, deputy, role in MEMBERS:
        member = BoardMember(
            partnership_id=partnership.id,
            organisation_id=organisations[short].id,
            representative=representative,
            deputy=deputy,
            role=role,
            joined_on=date(2019, 4, 1),
        )
        db.session.add(member)
        members[representative] = member
    db.session.flush()
    board.record_membership_review(
        partnership_id=partnership.id,
        reviewed_on=add_months(today, -11),
        outcome="Membership confirmed; Fire and Rescue invited as a standing member",
    )

    older = _past_meeting(partnership, add_months(today, -5) - timedelta(days=3))
    last = _past_meeting(partnership, add_months(today, -2) + timedelta(days=4))
    for meeting, apologies in ((older, {"Graham Ashby"}), (last, {"Cllr Brian Fletcher", "Paul Whitfield"})):
        records = {}
        for name, member in members.items():
            if name in apologies:
                records[member.id] = ("apologies", "")
            elif name == "Andrea Kowal" and meeting is last:
                records[member.id] = ("deputy", "Leon Forde")
            else:
                records[member.id] = ("present", "")
        board.set_attendance(meeting, records)

    _item(older, ItemKind.PLAN_EXCEPTIONS).minutes = (
        "The board reviewed every SPOC plan. Health reported that two commissioned providers had not "
        "returned training data."
    )
    first = board.add_action(
        older,
        description="Chase the two providers' WRAP training returns",
        owner="Ruth Evans",
        due_on=add_months(older.held_on, 1),
        agenda_item_id=_item(older, ItemKind.PLAN_EXCEPTIONS).id,
    )
    board.update_action(
        first, status="done", update="Both returns received", closed_on=last.held_on - timedelta(days=10)
    )
    board.add_decision(older, text="The county delivery plan for 2026-2027 is adopted.", agenda_item_id=None)

    _item(last, ItemKind.MINUTES).minutes = "The minutes of the previous meeting were agreed as a true record."
    _item(
        last, ItemKind.TRAINING
    ).minutes = (
        "Coverage is below the 90% target in three organisations. Education will run extra WRAP sessions in January."
    )
    _item(
        last, ItemKind.CTLP
    ).minutes = (
        "The police presented the refreshed CTLP. Its two recommendations were added to the county delivery plan."
    )
    board.add_action(
        last,
        description="Book additional WRAP sessions for academies with coverage below target",
        owner="Priya Natarajan",
        due_on=today + timedelta(days=30),
        agenda_item_id=_item(last, ItemKind.TRAINING).id,
    )
    board.add_action(
        last,
        description="Circulate the CTLP recommendations to all SPOCs",
        owner="Detective Inspector Sam Oduya",
        due_on=last.held_on + timedelta(days=21),
        agenda_item_id=_item(last, ItemKind.CTLP).id,
    )
    board.add_decision(
        last, text="Membership review to be taken at the next meeting.", agenda_item_id=_item(last, ItemKind.AOB).id
    )
    plan_ids = [p.id for p in db.session.query(Plan).filter(Plan.status == "active")]
    board.set_plan_checks(last, plan_ids[: max(1, len(plan_ids) - 2)])

    upcoming = board.schedule_meetings(
        partnership=partnership,
        first_on=today + timedelta(days=18),
        count=4,
        every_months=3,
        starts_at=time(10, 0),
        ends_at=time(12, 0),
        place="Sand Martin House, Peterborough",
        link="https://meet.example/prevent-board",
        marking="OFFICIAL-SENSITIVE",
        today=today,
    )
    # A paper for the next meeting's training item (the CTLP item still waits for its paper, as
    # the Prevent Lead's home page says); board members open it from their home page.
    _attach_paper(
        upcoming[0],
        item=_item(upcoming[0], ItemKind.TRAINING),
        title="WRAP coverage note for the board",
        text="Coverage is 84.3% against the 90% target; eight organisations are below it.",
        uploader=users.get("helen.marsh@cambridgeshire.example"),
    )


def _attach_paper(meeting: BoardMeeting, *, item: AgendaItem, title: str, text: str, uploader: User | None) -> None:
    import uuid

    from weasyprint import HTML

    from core.storage import get_storage
    from core.uploads import check_upload

    data = HTML(string=f"<h1>{title}</h1><p>{meeting.title}</p><p>{text}</p>").write_pdf()
    checked = check_upload(f"{title}.pdf", data, max_bytes=20 * 1024 * 1024)
    key = f"papers/{checked.sha256[:2]}/{uuid.uuid4().hex}.{checked.extension}"
    get_storage().put(key, data)
    db.session.add(
        MeetingPaper(
            meeting_id=meeting.id,
            agenda_item_id=item.id,
            title=title,
            filename=checked.safe_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            storage_key=key,
            uploaded_by_id=uploader.id if uploader else None,
        )
    )
    db.session.flush()
