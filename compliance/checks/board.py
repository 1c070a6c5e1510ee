"""The board's checks: it met every quarter, and reviewed its membership within 12 months."""

from sqlalchemy import and_, func, or_, select

from board.models import (
    AttendanceStatus,
    BoardAttendance,
    BoardMeeting,
    BoardMember,
    MeetingStatus,
    MembershipReview,
)
from compliance.checks.base import CheckResult, CheckState, Evidence, Year, _d, _quarter_of
from core.dates import add_months
from core.extensions import db
from partnership.models import Organisation

# --- 1. the board met every quarter ------------------------------------------------------------


def board_quarters(partnership_id: int, year: Year) -> CheckResult:
    in_year = and_(
        BoardMeeting.partnership_id == partnership_id,
        BoardMeeting.held_on >= year.start,
        BoardMeeting.held_on <= year.end,
        BoardMeeting.status != MeetingStatus.CANCELLED.value,
    )
    meetings = db.session.execute(
        select(BoardMeeting.id, BoardMeeting.held_on, BoardMeeting.title, _quarter_of(BoardMeeting.held_on, year))
        .where(in_year)
        .order_by(BoardMeeting.held_on)
    ).all()
    result = CheckResult("board_quarters", "partnership_group", "The board met every quarter", CheckState.MET, "")
    if not meetings:
        result.state = CheckState.NO_DATA
        result.summary = f"No data: no board meeting is recorded in {year.year}."
        return result
    met = {m[3] for m in meetings}
    for m in meetings:
        result.records.append(
            Evidence(f"Board meeting {_d(m[1])}", f"Quarter {m[3]}", False, "board.show_meeting", {"meeting_id": m[0]})
        )
    missed = [q for q in year.quarters if q.number not in met]
    for q in missed:
        result.records.append(Evidence(f"Quarter {q.number} ({q.name})", "No board meeting", True))
    # Attendance of each member organisation: meetings attended (in person or by deputy).
    attended = func.count(func.distinct(BoardAttendance.meeting_id)).filter(
        BoardAttendance.status.in_([AttendanceStatus.PRESENT.value, AttendanceStatus.DEPUTY.value])
    )
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, attended)
        .select_from(BoardMember)
        .join(Organisation, Organisation.id == BoardMember.organisation_id)
        .outerjoin(
            BoardAttendance,
            and_(
                BoardAttendance.member_id == BoardMember.id,
                BoardAttendance.meeting_id.in_(select(BoardMeeting.id).where(in_year)),
            ),
        )
        .where(
            BoardMember.partnership_id == partnership_id,
            BoardMember.joined_on <= year.end,
            or_(BoardMember.left_on.is_(None), BoardMember.left_on >= year.start),
        )
        .group_by(Organisation.id, Organisation.name)
        .order_by(Organisation.name)
    ).all()
    result.figures = [("Meetings held", str(len(meetings))), ("Quarters with a meeting", f"{len(met)} of 4")]
    for _org_id, name, count in rows:
        result.figures.append((f"Attendance: {name}", f"{count} of {len(meetings)}"))
    result.state = CheckState.GAPS if missed else CheckState.MET
    result.summary = (
        f"No meeting in quarter {', '.join(str(q.number) for q in missed)}."
        if missed
        else "The board met in every quarter."
    )
    return result


# --- 2. membership reviewed within 12 months ---------------------------------------------------


def membership_review(partnership_id: int, year: Year) -> CheckResult:
    result = CheckResult(
        "membership_review",
        "partnership_group",
        "Board membership reviewed within the last 12 months",
        CheckState.MET,
        "",
    )
    last = db.session.execute(
        select(MembershipReview.id, MembershipReview.reviewed_on)
        .where(MembershipReview.partnership_id == partnership_id, MembershipReview.reviewed_on <= year.end)
        .order_by(MembershipReview.reviewed_on.desc())
        .limit(1)
    ).first()
    if last is None:
        result.state = CheckState.NO_DATA
        result.summary = f"No data: no membership review is recorded on or before 31 December {year.year}."
        return result
    due = add_months(last[1], 12)
    late = due < year.end
    result.figures = [("Last review", _d(last[1])), ("Next review due", _d(due))]
    result.records.append(
        Evidence(
            f"Membership review {_d(last[1])}",
            f"More than 12 months before 31 December {year.year}" if late else "Within 12 months of the year end",
            late,
            "board.list_members",
        )
    )
    result.state = CheckState.GAPS if late else CheckState.MET
    result.summary = (
        f"The last review ({_d(last[1])}) is more than 12 months before the year end." if late else "Reviewed in time."
    )
    return result
