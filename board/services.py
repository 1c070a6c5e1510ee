"""Board rules: membership and its yearly review, the meeting schedule, agendas, attendance,
minutes, decisions, actions that carry forward, and which plans the board checked.

Functions add and flush, never commit; the audit trail is written in the same transaction.
"""

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from board.models import (
    STANDING_ITEMS,
    ActionStatus,
    AgendaItem,
    AttendanceStatus,
    BoardAction,
    BoardAttendance,
    BoardMeeting,
    BoardMember,
    Decision,
    ItemKind,
    MeetingStatus,
    MembershipReview,
    PlanCheck,
)
from core.dates import Quarter, add_months
from core.extensions import db
from partnership.models import Partnership

#: A membership review is flagged as due this many days before its anniversary.
REVIEW_WARNING_DAYS = 60


class ScheduleProblems(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# --- membership --------------------------------------------------------------------------


def current_members(partnership_id: int, on: date) -> list[BoardMember]:
    return list(
        db.session.scalars(
            select(BoardMember)
            .options(joinedload(BoardMember.organisation))
            .where(
                BoardMember.partnership_id == partnership_id,
                BoardMember.joined_on <= on,
                or_(BoardMember.left_on.is_(None), BoardMember.left_on >= on),
            )
            .order_by(BoardMember.role != "chair", BoardMember.role != "vice_chair", BoardMember.representative)
        )
    )


@dataclass
class ReviewStatus:
    last: MembershipReview | None
    due_on: date | None
    state: str  # "ok", "due", "overdue", "never"

    @property
    def flagged(self) -> bool:
        return self.state != "ok"


def membership_review_status(partnership_id: int, today: date) -> ReviewStatus:
    """Reviewed every 12 months: flagged 60 days before the anniversary, overdue after it."""
    last = db.session.scalar(
        select(MembershipReview)
        .where(MembershipReview.partnership_id == partnership_id)
        .order_by(MembershipReview.reviewed_on.desc())
        .limit(1)
    )
    if last is None:
        return ReviewStatus(None, None, "never")
    due_on = add_months(last.reviewed_on, 12)
    if today > due_on:
        state = "overdue"
    elif today >= due_on - timedelta(days=REVIEW_WARNING_DAYS):
        state = "due"
    else:
        state = "ok"
    return ReviewStatus(last, due_on, state)


def record_membership_review(
    *, partnership_id: int, reviewed_on: date, outcome: str, meeting_id: int | None = None
) -> MembershipReview:
    review = MembershipReview(
        partnership_id=partnership_id, reviewed_on=reviewed_on, outcome=outcome.strip(), meeting_id=meeting_id
    )
    db.session.add(review)
    db.session.flush()
    return review


# --- meetings ----------------------------------------------------------------------------


def meeting_title(held_on: date) -> str:
    return f"Prevent Partnership Board, {held_on.day} {held_on:%B %Y}"


def schedule_meetings(
    *,
    partnership: Partnership,
    first_on: date,
    count: int,
    every_months: int,
    starts_at: time | None,
    ends_at: time | None,
    place: str,
    link: str,
    marking: str,
    today: date,
) -> list[BoardMeeting]:
    """Schedule ``count`` meetings ``every_months`` apart, each with the standing agenda.

    Refuses (ScheduleProblems, nothing written) a date in the past or one that clashes
    with a meeting already scheduled."""
    dates = [add_months(first_on, every_months * n) for n in range(count)]
    problems = []
    if starts_at and ends_at and ends_at <= starts_at:
        problems.append("The end time must be after the start time")
    taken = set(
        db.session.scalars(
            select(BoardMeeting.held_on).where(
                BoardMeeting.partnership_id == partnership.id,
                BoardMeeting.held_on.in_(dates),
                BoardMeeting.status != MeetingStatus.CANCELLED.value,
            )
        )
    )
    for day in dates:
        if day < today:
            problems.append(f"{day:%-d %B %Y} is in the past")
        elif day in taken:
            problems.append(f"A board meeting is already scheduled on {day:%-d %B %Y}")
    if problems:
        raise ScheduleProblems(problems)
    meetings = []
    for day in dates:
        meeting = BoardMeeting(
            partnership_id=partnership.id,
            title=meeting_title(day),
            held_on=day,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place.strip(),
            link=link.strip(),
            marking=marking,
        )
        for position, kind in enumerate(STANDING_ITEMS, start=1):
            meeting.items.append(AgendaItem(kind=kind.value, title=kind.default_title, position=position))
        db.session.add(meeting)
        meetings.append(meeting)
    db.session.flush()
    return meetings


def update_meeting(
    meeting: BoardMeeting,
    *,
    held_on: date,
    starts_at: time | None,
    ends_at: time | None,
    place: str,
    link: str,
    status: str,
    marking: str,
) -> None:
    clash = db.session.scalar(
        select(func.count())
        .select_from(BoardMeeting)
        .where(
            BoardMeeting.partnership_id == meeting.partnership_id,
            BoardMeeting.held_on == held_on,
            BoardMeeting.id != meeting.id,
            BoardMeeting.status != MeetingStatus.CANCELLED.value,
        )
    )
    if clash:
        raise ScheduleProblems([f"A board meeting is already scheduled on {held_on:%-d %B %Y}"])
    if held_on != meeting.held_on:
        meeting.title = meeting_title(held_on)
    meeting.held_on = held_on
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    meeting.place, meeting.link = place.strip(), link.strip()
    meeting.status = MeetingStatus(status).value
    meeting.marking = marking
    db.session.flush()


def next_meeting(partnership_id: int, today: date) -> BoardMeeting | None:
    return db.session.scalar(
        select(BoardMeeting)
        .where(
            BoardMeeting.partnership_id == partnership_id,
            BoardMeeting.held_on >= today,
            BoardMeeting.status == MeetingStatus.SCHEDULED.value,
        )
        .order_by(BoardMeeting.held_on)
        .limit(1)
    )


def previous_meeting(meeting: BoardMeeting) -> BoardMeeting | None:
    """The last meeting before this one that was not cancelled."""
    return db.session.scalar(
        select(BoardMeeting)
        .where(
            BoardMeeting.partnership_id == meeting.partnership_id,
            BoardMeeting.held_on < meeting.held_on,
            BoardMeeting.status != MeetingStatus.CANCELLED.value,
        )
        .order_by(BoardMeeting.held_on.desc())
        .limit(1)
    )


def last_meeting_before(day: date) -> date | None:
    """Date of the last board meeting held (or due to be held) before ``day``."""
    return db.session.scalar(
        select(func.max(BoardMeeting.held_on)).where(
            BoardMeeting.held_on < day, BoardMeeting.status != MeetingStatus.CANCELLED.value
        )
    )


# --- the agenda --------------------------------------------------------------------------


def add_item(meeting: BoardMeeting, *, title: str, note: str = "") -> AgendaItem:
    """A new item goes before Any other business, which stays last."""
    items = list(meeting.items)
    aob = next((i for i in items if i.kind == ItemKind.AOB.value), None)
    position = aob.position if aob else len(items) + 1
    for item in items:
        if item.position >= position:
            item.position += 1
    item = AgendaItem(meeting_id=meeting.id, kind=ItemKind.CUSTOM.value, title=title.strip(), note=note.strip())
    item.position = position
    meeting.items.append(item)
    db.session.flush()
    _renumber(meeting)
    return item


def update_item(item: AgendaItem, *, title: str, note: str, minutes: str) -> None:
    item.title = title.strip()
    item.note = note.strip()
    item.minutes = minutes.strip()
    db.session.flush()


def move_item(item: AgendaItem, direction: int) -> None:
    """Swap the item with its neighbour above (-1) or below (+1)."""
    items = sorted(item.meeting.items, key=lambda i: i.position)
    index = items.index(item)
    other = index + direction
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
        for position, each in enumerate(items, start=1):
            each.position = position
    db.session.flush()


def remove_item(item: AgendaItem) -> None:
    meeting = item.meeting
    meeting.items.remove(item)
    db.session.flush()
    _renumber(meeting)


def _renumber(meeting: BoardMeeting) -> None:
    for position, item in enumerate(sorted(meeting.items, key=lambda i: i.position), start=1):
        item.position = position
    db.session.flush()


# --- at and after the meeting --------------------------------------------------------------


def set_attendance(meeting: BoardMeeting, records: dict[int, tuple[str, str]]) -> None:
    """records: member id -> (status, deputy's name)."""
    query = select(BoardAttendance).where(BoardAttendance.meeting_id == meeting.id)
    existing = {a.member_id: a for a in db.session.scalars(query)}
    for member_id, (status, deputy_name) in records.items():
        status = AttendanceStatus(status).value
        deputy_name = deputy_name.strip() if status == AttendanceStatus.DEPUTY.value else ""
        record = existing.get(member_id)
        if record is None:
            db.session.add(
                BoardAttendance(meeting_id=meeting.id, member_id=member_id, status=status, deputy_name=deputy_name)
            )
        else:
            record.status, record.deputy_name = status, deputy_name
    db.session.flush()


def attendance(meeting: BoardMeeting) -> list[BoardAttendance]:
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(BoardAttendance)
            .where(BoardAttendance.meeting_id == meeting.id)
            .options(joinedload(BoardAttendance.member).joinedload(BoardMember.organisation))
            .order_by(BoardAttendance.id)
        )
    )


def add_decision(meeting: BoardMeeting, *, text: str, agenda_item_id: int | None) -> Decision:
    decision = Decision(meeting_id=meeting.id, agenda_item_id=agenda_item_id, text=text.strip())
    db.session.add(decision)
    db.session.flush()
    return decision


def add_action(
    meeting: BoardMeeting, *, description: str, owner: str, due_on: date, agenda_item_id: int | None
) -> BoardAction:
    if not owner.strip():
        raise ValueError("an action needs an owner")
    number = (
        db.session.scalar(
            select(func.max(BoardAction.number))
            .join(BoardMeeting)
            .where(BoardMeeting.partnership_id == meeting.partnership_id)
        )
        or 0
    ) + 1
    action = BoardAction(
        meeting_id=meeting.id,
        agenda_item_id=agenda_item_id,
        number=number,
        description=description.strip(),
        owner=owner.strip(),
        due_on=due_on,
    )
    db.session.add(action)
    db.session.flush()
    return action


def update_action(action: BoardAction, *, status: str, update: str, closed_on: date | None) -> None:
    action.status = ActionStatus(status).value
    action.update = update.strip()
    action.closed_on = closed_on if action.status != ActionStatus.OPEN.value else None
    db.session.flush()


def action_log(meeting: BoardMeeting) -> list[BoardAction]:
    """Actions from earlier meetings still open, plus those closed since the previous meeting."""
    previous = previous_meeting(meeting)
    since = previous.held_on if previous else date.min
    return list(
        db.session.scalars(
            select(BoardAction)
            .join(BoardMeeting)
            .where(
                BoardMeeting.partnership_id == meeting.partnership_id,
                BoardMeeting.held_on < meeting.held_on,
                or_(
                    BoardAction.status == ActionStatus.OPEN.value,
                    BoardAction.closed_on >= since,
                ),
            )
            .order_by(BoardAction.number)
        )
    )


def actions_raised(meeting: BoardMeeting) -> list[BoardAction]:
    return list(
        db.session.scalars(select(BoardAction).where(BoardAction.meeting_id == meeting.id).order_by(BoardAction.number))
    )


def decisions(meeting: BoardMeeting) -> list[Decision]:
    return list(db.session.scalars(select(Decision).where(Decision.meeting_id == meeting.id).order_by(Decision.id)))


def set_plan_checks(meeting: BoardMeeting, plan_ids: list[int]) -> None:
    """Mark the plans the board checked at this meeting, for the meeting's quarter."""
    quarter = Quarter.from_date(meeting.held_on).start
    existing = {c.plan_id: c for c in db.session.scalars(select(PlanCheck).where(PlanCheck.meeting_id == meeting.id))}
    wanted = {int(p) for p in plan_ids}
    for plan_id, check in existing.items():
        if plan_id not in wanted:
            db.session.delete(check)
    already = set(
        db.session.scalars(
            select(PlanCheck.plan_id).where(PlanCheck.quarter_start == quarter, PlanCheck.plan_id.in_(wanted))
        )
    )
    for plan_id in sorted(wanted - already):
        db.session.add(PlanCheck(plan_id=plan_id, meeting_id=meeting.id, quarter_start=quarter))
    db.session.flush()


def checked_plan_ids(meeting: BoardMeeting) -> set[int]:
    return set(db.session.scalars(select(PlanCheck.plan_id).where(PlanCheck.meeting_id == meeting.id)))
