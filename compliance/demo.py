"""Demo compliance: the last complete year's self-assessment, rated, with evidence, an
improvement action in the county plan and a finding the Prevent Lead has answered. Three of
that year's board meetings are added (none in quarter 3) and a run of each retention schedule, so the checks
show both kept rules and gaps."""

from datetime import UTC, date, datetime

from sqlalchemy import or_, select, update

from board import services as board
from board.models import AttendanceStatus, BoardAttendance, BoardMeeting, BoardMember, MeetingStatus
from compliance import services
from core.extensions import db
from core.models import User
from core.retention import record_run, schedules
from partnership.models import BusinessArea, Organisation, Partnership
from plans.models import Plan, PlanRow, PlanStatus
from spoc.models import SpocAssignment

#: code -> (rating, narrative)
RATINGS = {
    "1.1": ("partially", "The board met three times; the summer meeting was cancelled and not rearranged."),
    "1.2": ("fully", "All specified authorities sit on the board; membership was reviewed in the year."),
    "2.1": ("fully", "The CTLP briefing was received at the spring board."),
    "2.2": ("partially", "Two CTLP recommendations are not yet in the county plan."),
    "3.1": ("fully", "Every SPOC area holds an active delivery plan."),
    "3.2": ("partially", "Plans were checked at each meeting held; some rows went a quarter without an update."),
    "4.1": ("fully", "The referral pathway is on every partner's intranet."),
    "4.2": ("fully", "Referral counts are recorded by business area each quarter."),
    "5.1": ("fully", "The panel reviewed its terms of reference in December."),
    "5.2": ("partially", "Most reviews were held; see the automatic check."),
    "5.3": ("fully", "Retention ran in the year."),
    "6.1": ("not_met", "No organisation reached 90% WRAP coverage by the year end."),
    "6.2": ("fully", "Every WRAP session is evaluated."),
    "7.1": ("fully", "The councils' venue hire policies were updated."),
    "7.2": ("partially", "Filtering is in place in schools; council public wifi is under review."),
    "8.1": ("fully", "A communications plan was agreed by the board."),
    "8.2": ("partially", "Engagement events were held in Peterborough only."),
}


def _year_meetings(partnership: Partnership, year: int) -> None:
    members = db.session.scalars(select(BoardMember).where(BoardMember.partnership_id == partnership.id)).all()
    plan_ids = list(
        db.session.scalars(select(Plan.id).where(Plan.area_id.is_not(None), Plan.status == PlanStatus.ACTIVE.value))
    )
    for n, held_on in enumerate((date(year, 3, 12), date(year, 6, 11), date(year, 12, 10))):
        meeting = BoardMeeting(
            partnership_id=partnership.id,
            title=board.meeting_title(held_on),
            held_on=held_on,
            status=MeetingStatus.HELD.value,
            place="Sand Martin House, Peterborough",
        )
        db.session.add(meeting)
        db.session.flush()
        for i, member in enumerate(members):
            present = (i + n) % 4 != 0
            status = AttendanceStatus.PRESENT if present else AttendanceStatus.APOLOGIES
            db.session.add(BoardAttendance(meeting_id=meeting.id, member_id=member.id, status=status.value))
        board.set_plan_checks(meeting, plan_ids)


def _set_up_before(partnership: Partnership, year: int) -> None:
    """The demo partnership's organisations, areas, SPOCs and plans were entered in the product
    before the year assessed (its rows were imported this year): the year-end checks read the
    partnership as it stood on 31 December, from these dates."""
    set_up = datetime(year - 1, 4, 1, 9, 0, tzinfo=UTC)
    areas = select(BusinessArea.id).where(BusinessArea.partnership_id == partnership.id)
    db.session.execute(
        update(Organisation).where(Organisation.partnership_id == partnership.id).values(created_at=set_up)
    )
    db.session.execute(
        update(BusinessArea).where(BusinessArea.partnership_id == partnership.id).values(created_at=set_up)
    )
    db.session.execute(update(SpocAssignment).where(SpocAssignment.area_id.in_(areas)).values(created_at=set_up))
    db.session.execute(
        update(Plan)
        .where(Plan.status == PlanStatus.ACTIVE.value, or_(Plan.area_id.in_(areas), Plan.area_id.is_(None)))
        .values(created_at=set_up, status_since=set_up)
    )


def load_compliance(*, partnership: Partnership, users: dict[str, User], today: date) -> None:
    year = today.year - 1
    _set_up_before(partnership, year)
    _year_meetings(partnership, year)
    for schedule in schedules():
        record_run(schedule=schedule.name, ran_on=date(year, 4, 1), removed=0, kept=0, run_by="flask retention run")
    assessment = services.open_assessment(partnership_id=partnership.id, year=year, today=today)
    by_code = {e.code: e for e in assessment.expectations}
    for code, (rating, narrative) in RATINGS.items():
        services.rate_expectation(by_code[code], rating=rating, narrative=narrative)
    row_id = db.session.scalar(select(PlanRow.id).join(Plan).where(Plan.area_id.is_not(None)).order_by(PlanRow.id))
    if row_id:
        services.add_evidence_link(by_code["3.2"], kind="plan_row", target_id=row_id)
    meeting_id = db.session.scalar(select(BoardMeeting.id).where(BoardMeeting.held_on == date(year, 3, 12)))
    services.add_evidence_link(by_code["2.1"], kind="board_meeting", target_id=meeting_id)
    if services.county_plan() is not None:
        services.add_improvement_action(
            by_code["6.1"],
            description="Extra WRAP sessions for the organisations furthest below 90%",
            lead="Prevent Training Coordinator",
            due_date=date(today.year, 3, 31),
        )
    lead = users["helen.marsh@cambridgeshire.example"]
    auditor = users["owen.pritchard@audit.example"]
    finding = services.record_finding(
        assessment,
        section="training",
        title="WRAP coverage below 90% in every organisation at year end",
        severity="high",
        recommendation="Agree a trajectory to 90% with each organisation and report it to the board quarterly.",
        owner_id=lead.id,
        due_on=date(today.year, 3, 31),
        raised_by=auditor,
    )
    services.respond_to_finding(
        finding, response="Agreed. Trajectories are on the next board agenda; extra sessions are booked.", actor=lead
    )
    services.record_finding(
        assessment,
        section="partnership_group",
        title="No board meeting in quarter 3",
        severity="low",
        recommendation="Rearrange a cancelled quarterly meeting within the same quarter.",
        owner_id=lead.id,
        due_on=date(today.year, 6, 30),
        raised_by=auditor,
    )
