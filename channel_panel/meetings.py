"""Panel membership, meetings, attendance and the printable agenda.

Functions add and flush, never commit; refusals raise CaseRuleError before changing anything.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from channel_panel.models import ChannelCase, Panel, PanelAttendance, PanelMeeting, PanelMember
from channel_panel.services import CaseRuleError, ReviewDue, reviews_due
from channel_panel.vocab import OPEN_STAGES, Attendance, PanelRole
from core import clock
from core.extensions import db
from core.models import User
from core.vocab import Marking

PANEL_NAME = "Channel Panel"
#: The terms of reference are flagged this many days before their review is due.
TERMS_DUE_SOON_DAYS = 30


# --- the panel and its members -----------------------------------------------------------


def get_panel() -> Panel:
    """The partnership's panel record (there is one per partnership). Until update_panel first
    saves it, an unsaved blank one, so that reading a page never writes."""
    panel = db.session.scalar(select(Panel).order_by(Panel.id).limit(1))
    return panel or Panel(name=PANEL_NAME)


def terms_review_flag(panel: Panel, today: date) -> str | None:
    """ "overdue", "due soon" or None for the terms-of-reference review."""
    due = panel.terms_review_due_on
    if due is None:
        return None
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=TERMS_DUE_SOON_DAYS):
        return "due soon"
    return None


def update_panel(
    panel: Panel,
    *,
    chair_id: int | None,
    deputy_chair_id: int | None,
    terms_reviewed_on: date | None,
    terms_review_due_on: date | None,
    today: date,
) -> None:
    if chair_id is not None and chair_id == deputy_chair_id:
        raise CaseRuleError("deputy_chair_id", "The deputy chair must be a different member from the chair")
    if terms_reviewed_on is not None and terms_reviewed_on > today:
        raise CaseRuleError("terms_reviewed_on", "The date the terms of reference were reviewed must be in the past")
    if terms_reviewed_on and terms_review_due_on and terms_review_due_on <= terms_reviewed_on:
        raise CaseRuleError(
            "terms_review_due_on", "The next review must be after the date the terms of reference were last reviewed"
        )
    for field, member_id in (("chair_id", chair_id), ("deputy_chair_id", deputy_chair_id)):
        if member_id is not None:
            member = db.session.get(PanelMember, member_id)
            if member is None or not member.is_current(today):
                raise CaseRuleError(field, "Select a current member of the panel")
    if panel not in db.session:
        db.session.add(panel)
    panel.chair_id = chair_id
    panel.deputy_chair_id = deputy_chair_id
    panel.terms_reviewed_on = terms_reviewed_on
    panel.terms_review_due_on = terms_review_due_on
    db.session.flush()


def members(*, current_on: date | None = None) -> list[PanelMember]:
    """Members in role order; only those current on ``current_on`` when it is given."""
    order = {role.value: i for i, role in enumerate(PanelRole)}
    found = db.session.scalars(select(PanelMember)).all()
    if current_on is not None:
        found = [m for m in found if m.is_current(current_on)]
    return sorted(found, key=lambda m: (order.get(m.role, 99), m.member_name))


def save_member(
    member: PanelMember | None,
    *,
    role: str,
    member_name: str,
    deputy_name: str,
    organisation_id: int,
    user_id: int | None,
    joined_on: date | None,
    left_on: date | None,
) -> PanelMember:
    """Add a member (``member`` None) or change one. A user account links to one seat at most."""
    if user_id is not None:
        taken = db.session.scalar(
            select(PanelMember.id).where(
                PanelMember.user_id == user_id, PanelMember.id != (member.id if member else -1)
            )
        )
        if taken is not None:
            raise CaseRuleError("user_id", "That account is already linked to another member of the panel")
    if joined_on and left_on and left_on < joined_on:
        raise CaseRuleError("left_on", "The date they left must be the same as or after the date they joined")
    if member is not None and left_on is not None:
        panel = get_panel()
        if member.id in (panel.chair_id, panel.deputy_chair_id):
            raise CaseRuleError("left_on", "Choose a new chair or deputy chair before this member leaves the panel")
    if member is None:
        member = PanelMember()
        db.session.add(member)
    member.role = PanelRole(role).value
    member.member_name = member_name.strip()
    member.deputy_name = (deputy_name or "").strip()
    member.organisation_id = organisation_id
    member.user_id = user_id
    member.joined_on = joined_on
    member.left_on = left_on
    db.session.flush()
    return member


def member_for_user(user: User) -> PanelMember | None:
    return db.session.scalar(select(PanelMember).where(PanelMember.user_id == user.id))


# --- meetings and attendance -------------------------------------------------------------


def create_meeting(*, held_on: date, place: str) -> PanelMeeting:
    if db.session.scalar(select(func.count()).where(PanelMeeting.held_on == held_on)):
        raise CaseRuleError("held_on", f"There is already a panel meeting on {held_on.day} {held_on:%B %Y}")
    meeting = PanelMeeting(held_on=held_on, place=(place or "").strip())
    db.session.add(meeting)
    db.session.flush()
    return meeting


def next_meeting(today: date) -> PanelMeeting | None:
    """The first meeting today or later."""
    return db.session.scalar(
        select(PanelMeeting).where(PanelMeeting.held_on >= today).order_by(PanelMeeting.held_on).limit(1)
    )


def previous_meeting(meeting: PanelMeeting) -> PanelMeeting | None:
    return db.session.scalar(
        select(PanelMeeting)
        .where(PanelMeeting.held_on < meeting.held_on)
        .order_by(PanelMeeting.held_on.desc())
        .limit(1)
    )


def following_meeting(meeting: PanelMeeting) -> PanelMeeting | None:
    return db.session.scalar(
        select(PanelMeeting).where(PanelMeeting.held_on > meeting.held_on).order_by(PanelMeeting.held_on).limit(1)
    )


def attendance_by_member(meeting: PanelMeeting) -> dict[int, PanelAttendance]:
    return {a.member_id: a for a in meeting.attendance}


def _attendance_row(meeting: PanelMeeting, member: PanelMember) -> PanelAttendance:
    row = attendance_by_member(meeting).get(member.id)
    if row is None:
        row = PanelAttendance(member_id=member.id)
        meeting.attendance.append(row)
    return row


def record_attendance(meeting: PanelMeeting, *, entries: dict[int, tuple[str | None, bool]], today: date) -> None:
    """The chair records, per member, present / deputy attended / apologies / absent and
    whether the case logs were checked beforehand. ``entries``: member id -> (status, checked)."""
    if meeting.held_on > today and any(status for status, _ in entries.values()):
        raise CaseRuleError("attendance", "Attendance can be recorded on or after the day of the meeting")
    by_id = {m.id: m for m in members()}
    for member_id, (status, checked) in entries.items():
        member = by_id.get(member_id)
        if member is None:
            raise CaseRuleError("attendance", "Record attendance for members of the panel only")
        row = _attendance_row(meeting, member)
        row.status = Attendance(status).value if status else None
        if checked and not row.checked_case_logs:
            row.case_logs_confirmed_at = clock.now()
        row.checked_case_logs = bool(checked)
    db.session.flush()


def confirm_case_logs(meeting: PanelMeeting, member: PanelMember, *, today: date) -> PanelAttendance:
    """A member confirms, for themselves, that they checked the case logs before the meeting."""
    if meeting.held_on < today:
        raise CaseRuleError("meeting", "The case logs are confirmed before the meeting; this one has been held")
    if not member.is_current(meeting.held_on):
        raise CaseRuleError("meeting", "You are not a current member of the panel")
    row = _attendance_row(meeting, member)
    if not row.checked_case_logs:
        row.checked_case_logs = True
        row.case_logs_confirmed_at = clock.now()
    db.session.flush()
    return row


# --- the agenda --------------------------------------------------------------------------


@dataclass
class Agenda:
    """What a meeting's agenda lists: cases by reference only, never by name."""

    meeting: PanelMeeting
    previous: PanelMeeting | None
    following: PanelMeeting | None
    new_referrals: list[ChannelCase]
    open_cases: list[ChannelCase]
    reviews_due: list[ReviewDue]
    members_current: int
    case_logs_confirmed: int

    @property
    def title(self) -> str:
        return f"Channel Panel agenda, {self.meeting.held_on.day} {self.meeting.held_on:%B %Y}"


def build_agenda(meeting: PanelMeeting) -> Agenda:
    """The standing items for a meeting: new referrals since the last meeting, open cases, and
    post-closure reviews due (with days overdue)."""
    previous = previous_meeting(meeting)
    window = select(ChannelCase).where(ChannelCase.referral_date <= meeting.held_on)
    if previous is not None:
        window = window.where(ChannelCase.referral_date > previous.held_on)
    new = db.session.scalars(window.order_by(ChannelCase.referral_date, ChannelCase.reference)).all()
    new_ids = {c.id for c in new}
    open_cases = [
        c
        for c in db.session.scalars(
            select(ChannelCase)
            .where(ChannelCase.stage.in_(OPEN_STAGES), ChannelCase.referral_date <= meeting.held_on)
            .order_by(ChannelCase.reference)
        )
        if c.id not in new_ids
    ]
    current = [m for m in members() if m.is_current(meeting.held_on)]
    confirmed = {a.member_id for a in meeting.attendance if a.checked_case_logs}
    return Agenda(
        meeting=meeting,
        previous=previous,
        following=following_meeting(meeting),
        new_referrals=list(new),
        open_cases=open_cases,
        reviews_due=reviews_due(meeting.held_on),
        members_current=len(current),
        case_logs_confirmed=sum(1 for m in current if m.id in confirmed),
    )


def agenda_pdf(meeting: PanelMeeting) -> bytes:
    """The agenda as a PDF, OFFICIAL-SENSITIVE on every page (raises core.pdf.PdfError)."""
    from core.pdf import render_pdf

    agenda = build_agenda(meeting)
    return render_pdf(
        "pdf/channel_agenda.html",
        marking=Marking.OFFICIAL_SENSITIVE,
        title=agenda.title,
        agenda=agenda,
        generated=clock.today(),
    )
