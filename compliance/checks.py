"""Automatic compliance checks for a year: each computed in SQL from the records, returning its
figures and the records it rests on. Shown beside the manual rating, never replacing it.

The year is the calendar year, 1 January to 31 December: the board's four quarters
(core.dates.Quarter). Plan rows are judged by the rules in plans.rules (overdue, stale, in this
partnership), asked as at the year's last day, or as at today while the year is still running.
Channel material appears by case reference and counts only.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from board.models import (
    AttendanceStatus,
    BoardAttendance,
    BoardMeeting,
    BoardMember,
    MeetingStatus,
    MembershipReview,
    PlanCheck,
)
from channel_panel.models import AnonymisedLogEntry, ChannelCase, Panel, PostClosureReview, RetentionRun
from core import clock
from core.audit import AuditEntry
from core.dates import Quarter, add_months
from core.extensions import db
from core.vocab import Rag
from partnership.models import BusinessArea, Organisation
from plans import rules
from plans.models import Plan, PlanRow, PlanStatus, ProgressUpdate
from spoc.models import SpocAssignment


class CheckState(StrEnum):
    MET = "met"
    GAPS = "gaps"
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return {"met": "No gaps found", "gaps": "Gaps found", "no_data": "No data"}[self.value]

    @property
    def rag(self) -> Rag:
        return {"met": Rag.GREEN, "gaps": Rag.RED, "no_data": Rag.AMBER}[self.value]


@dataclass
class Evidence:
    """One record a check rests on: what it is, what it shows, and where to open it."""

    label: str
    detail: str = ""
    gap: bool = False
    endpoint: str = ""
    args: dict = field(default_factory=dict)


@dataclass
class CheckResult:
    key: str
    section: str
    title: str
    state: CheckState
    summary: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    records: list[Evidence] = field(default_factory=list)

    @property
    def gaps(self) -> list[Evidence]:
        return [r for r in self.records if r.gap]


@dataclass(frozen=True)
class Year:
    year: int
    #: The day the checks are run; None reads the year as at its end.
    today: date | None = None

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)

    @property
    def as_of(self) -> date:
        """The day plan rows are judged as at: 31 December, or today while the year is running."""
        return min(self.end, self.today) if self.today else self.end

    @property
    def quarters(self) -> list[Quarter]:
        return [Quarter(self.year, n) for n in (1, 2, 3, 4)]

    def label(self) -> str:
        return f"1 January to 31 December {self.year}"


def _quarter_of(column, year: Year):
    """The quarter number (1-4) of a date column, as SQL that SQLite and PostgreSQL both run."""
    q2, q3, q4 = (q.start for q in year.quarters[1:])
    return case((column < q2, 1), (column < q3, 2), (column < q4, 3), else_=4)


def _quarter_of_instant(column, year: Year):
    q2, q3, q4 = (rules.start_of(q.start) for q in year.quarters[1:])
    return case((column < q2, 1), (column < q3, 2), (column < q4, 3), else_=4)


def _d(day: date | None) -> str:
    return day.strftime("%-d %B %Y") if day else ""


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


# --- 3. every SPOC area has an active plan, checked by the board each quarter ------------------


def _spoc_plans(partnership_id: int):
    """The partnership's active SPOC plans: its plans (plans.rules) that belong to an area."""
    return select(Plan.id, Plan.title, Plan.area_id).where(
        rules.in_partnership(partnership_id), Plan.area_id.is_not(None), Plan.status == PlanStatus.ACTIVE.value
    )


def plans_checked(partnership_id: int, year: Year) -> CheckResult:
    result = CheckResult(
        "plans_checked",
        "partnership_plan",
        "Every area with a SPOC has an active plan, checked by the board each quarter",
        CheckState.MET,
        "",
    )
    has_spoc = exists().where(SpocAssignment.area_id == BusinessArea.id, SpocAssignment.capacity == "spoc")
    has_plan = exists().where(Plan.area_id == BusinessArea.id, Plan.status == PlanStatus.ACTIVE.value)
    areas = db.session.execute(
        select(BusinessArea.id, BusinessArea.name, has_plan)
        .where(BusinessArea.partnership_id == partnership_id, has_spoc)
        .order_by(BusinessArea.name)
    ).all()
    if not areas:
        result.state = CheckState.NO_DATA
        result.summary = "No data: no business area has a SPOC."
        return result
    for area_id, name, planned in areas:
        if not planned:
            result.records.append(
                Evidence(name, "Has a SPOC but no active plan", True, "spoc.show_area", {"area_id": area_id})
            )
    plans = _spoc_plans(partnership_id).where(Plan.area_id.in_([a[0] for a in areas])).subquery()
    quarter = _quarter_of(PlanCheck.quarter_start, year)
    checks = db.session.execute(
        select(
            plans.c.id,
            plans.c.title,
            func.count(func.distinct(quarter)).label("quarters"),
            *[func.count(PlanCheck.id).filter(quarter == n) for n in (1, 2, 3, 4)],
        )
        .select_from(plans)
        .outerjoin(
            PlanCheck,
            and_(
                PlanCheck.plan_id == plans.c.id,
                PlanCheck.quarter_start >= year.start,
                PlanCheck.quarter_start <= year.end,
            ),
        )
        .group_by(plans.c.id, plans.c.title)
        .order_by(plans.c.title)
    ).all()
    missing_total = 0
    for plan_id, title, _, *per_quarter in checks:
        missing = [n for n, count in zip((1, 2, 3, 4), per_quarter, strict=True) if not count]
        missing_total += len(missing)
        result.records.append(
            Evidence(
                title,
                f"Not checked by the board in quarter {', '.join(map(str, missing))}"
                if missing
                else "Checked every quarter",
                bool(missing),
                "plans.show_plan",
                {"plan_id": plan_id},
            )
        )
    without = sum(1 for a in areas if not a[2])
    result.figures = [
        ("Areas with a SPOC", str(len(areas))),
        ("Areas with no active plan", str(without)),
        ("Active SPOC plans", str(len(checks))),
        ("Plan-quarters not checked", str(missing_total)),
    ]
    result.state = CheckState.GAPS if (without or missing_total) else CheckState.MET
    result.summary = (
        f"{without} area(s) without an active plan; {missing_total} plan-quarter(s) not checked by the board."
        if result.state is CheckState.GAPS
        else "Every SPOC area has an active plan, checked each quarter."
    )
    return result


# --- 4. SPOC plan rows updated each quarter; overdue rows at year end --------------------------


def rows_updated(partnership_id: int, year: Year) -> CheckResult:
    """plans.rules' stale and overdue, asked of the history: a row missed quarter N when it was
    stale on the quarter's last day (no update in the quarter, and not complete by its start);
    it is overdue at the year end when due before 31 December and not complete by then. A year
    still running is judged as at today, so its current quarter reads "not updated since"."""
    result = CheckResult(
        "rows_updated",
        "partnership_plan",
        "Each SPOC plan row updated at least once a quarter; overdue rows at year end",
        CheckState.MET,
        "",
    )
    as_of = year.as_of
    quarters = [q for q in year.quarters if q.start <= as_of]
    rows = _row_history(partnership_id, year, quarters)
    if not rows:
        result.state = CheckState.NO_DATA
        result.summary = "No data: no active SPOC plan has rows."
        return result
    at = "at year end" if as_of == year.end else f"on {_d(as_of)}"
    stale_since = rules.stale_since(as_of)
    stale_rows = stale_now = overdue_rows = considered = 0
    for row_id, plan_id, title, reference, duty, due, created_at, first_at, overdue, *flags in rows:
        missing = _quarters_missed(quarters, as_of, created_at, first_at, flags)
        if missing is None:
            continue  # the row did not exist yet in this year
        considered += 1
        problems = []
        ended = [q for q in missing if q.end <= as_of]
        if ended:
            problems.append(f"no update in quarter {', '.join(str(q.number) for q in ended)}")
        if missing and missing[-1].end > as_of:  # the quarter still running: stale as the pages say
            problems.append(f"not updated since {_d(stale_since)}")
        stale_rows += bool(missing)
        stale_now += bool(missing) and missing[-1] == Quarter.from_date(as_of)
        if overdue:
            overdue_rows += 1
            problems.append(f"overdue {at} (due {_d(due)})")
        if problems:
            name = f"{title}: {reference or 'row'} {_short(duty)}".strip()
            link = {"plan_id": plan_id, "row_id": row_id}
            result.records.append(Evidence(name, "; ".join(problems), True, "plans.show_row", link))
    if not considered:
        result.state = CheckState.NO_DATA
        result.summary = f"No data: no SPOC plan row existed in {year.year}."
        return result
    result.figures = [
        ("SPOC plan rows", str(considered)),
        ("Rows missing a quarterly update", str(stale_rows)),
        (f"Rows not updated since {_d(stale_since)}", str(stale_now)),
        (f"Rows overdue {at}", str(overdue_rows)),
    ]
    result.state = CheckState.GAPS if (stale_rows or overdue_rows) else CheckState.MET
    result.summary = (
        f"{stale_rows} row(s) missed a quarterly update; {overdue_rows} row(s) overdue {at}."
        if result.state is CheckState.GAPS
        else f"Every row was updated each quarter and none was overdue {at}."
    )
    return result


def _row_history(partnership_id: int, year: Year, quarters: list[Quarter]) -> list:
    """One query: each active SPOC plan row with its first update, whether it was overdue on the
    day judged, and per quarter whether it was complete at the start and how many updates it had."""
    as_of = year.as_of
    after = rules.start_of(as_of + timedelta(days=1))  # the first instant after the day judged
    plans = _spoc_plans(partnership_id).subquery()
    in_year = and_(
        ProgressUpdate.row_id == PlanRow.id,
        ProgressUpdate.at >= rules.start_of(year.start),
        ProgressUpdate.at < after,
    )
    quarter = _quarter_of_instant(ProgressUpdate.at, year)
    # The subqueries read their own alias of the updates: the outer query joins the table too.
    history = aliased(ProgressUpdate)
    first_update = select(func.min(history.at)).where(history.row_id == PlanRow.id).scalar_subquery()
    any_update = exists().where(history.row_id == PlanRow.id)

    def complete_before(instant: datetime):
        """The row was complete just before ``instant``: its latest update by then said so, or
        it has no history and is complete now (a row imported as complete). Never NULL."""
        latest = (
            select(history.rag)
            .where(history.row_id == PlanRow.id, history.at < instant)
            .order_by(history.at.desc(), history.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        return or_(rules.complete(latest), and_(rules.complete(), ~any_update))

    columns = (PlanRow.id, PlanRow.plan_id, plans.c.title, PlanRow.reference, PlanRow.duty, PlanRow.due_date)
    return db.session.execute(
        select(
            *columns,
            PlanRow.created_at,
            first_update,
            func.coalesce(rules.overdue(as_of, is_complete=complete_before(after)), False),
            *[complete_before(rules.start_of(q.start)) for q in quarters],
            *[func.count(ProgressUpdate.id).filter(quarter == q.number) for q in quarters],
        )
        .join(plans, plans.c.id == PlanRow.plan_id)
        .outerjoin(ProgressUpdate, in_year)
        .group_by(*columns, PlanRow.created_at)
        .order_by(plans.c.title, PlanRow.position)
    ).all()


def _quarters_missed(
    quarters: list[Quarter], as_of: date, created_at: datetime, first_at: datetime | None, flags: list
) -> list[Quarter] | None:
    """The quarters a row went without an update while not complete; None when the row did not
    exist yet in any quarter judged. ``flags`` holds, per quarter, "complete at its start" and
    then the quarter's update counts (as _row_history gives them)."""
    complete_at_start, updates = flags[: len(quarters)], flags[len(quarters) :]
    started = min(d for d in (created_at, first_at) if d is not None)
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    # A quarter asks for an update once the row existed in it (up to the day judged).
    required = [i for i, q in enumerate(quarters) if started < rules.start_of(min(q.end, as_of) + timedelta(days=1))]
    if not required:
        return None
    return [quarters[i] for i in required if not updates[i] and not complete_at_start[i]]


def _short(text: str, limit: int = 60) -> str:
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- 5. WRAP coverage at year end --------------------------------------------------------------


def training_coverage(partnership_id: int, year: Year) -> CheckResult:
    from training.coverage import coverage_summary, for_partnership

    result = CheckResult(
        "training_coverage",
        "training",
        "Every organisation's WRAP coverage against the target at year end",
        CheckState.MET,
        "",
    )
    summary = for_partnership(coverage_summary(as_of=year.end), partnership_id)
    target = summary.settings.target_percent
    if not any(r.has_headcount or r.trained for r in summary.rows):
        result.state = CheckState.NO_DATA
        result.summary = f"No data: no headcount or training record stands at 31 December {year.year}."
        return result
    below = 0
    for row in summary.rows:
        if not row.has_headcount:
            gap, detail = True, f"No headcount at year end ({row.trained} trained)"
        else:
            gap = row.rag is not Rag.GREEN
            detail = f"{row.percent}% ({row.trained} of {row.headcount})"
        below += gap
        result.records.append(
            Evidence(row.name, detail, gap, "training.show_organisation", {"organisation_id": row.organisation_id})
        )
    result.figures = [
        ("Target", f"{target}%"),
        ("Overall coverage", f"{summary.percent}%" if summary.percent is not None else "No headcount"),
        ("Organisations below target or without a headcount", f"{below} of {len(summary.rows)}"),
    ]
    result.state = CheckState.GAPS if below else CheckState.MET
    result.summary = (
        f"{below} organisation(s) below the {target}% target or without a headcount."
        if below
        else f"Every organisation at or above {target}%."
    )
    return result


# --- 6. post-closure reviews -------------------------------------------------------------------


def channel_reviews(partnership_id: int, year: Year) -> CheckResult:
    result = CheckResult(
        "channel_reviews", "channel_panel", "Closed Channel cases had their 6- and 12-month reviews", CheckState.MET, ""
    )
    rows = db.session.execute(
        select(ChannelCase.reference, PostClosureReview.months, PostClosureReview.due_on, PostClosureReview.held_on)
        .join(ChannelCase, ChannelCase.id == PostClosureReview.case_id)
        .where(PostClosureReview.due_on >= year.start, PostClosureReview.due_on <= year.end)
        .order_by(PostClosureReview.due_on, ChannelCase.reference, PostClosureReview.months)
    ).all()
    if not rows:
        result.state = CheckState.NO_DATA
        result.summary = f"No data: no post-closure review fell due in {year.year}."
        return result
    on_time = late = not_held = 0
    for reference, months, due, held in rows:
        if held is None or held > year.end:
            not_held += 1
            days = (year.end - due).days
            detail, gap = f"Not held by year end ({days} days overdue)", True
        elif held > due:
            late += 1
            detail, gap = f"Held {_d(held)}, {(held - due).days} days late", True
        else:
            on_time += 1
            detail, gap = f"Held {_d(held)}, on time", False
        result.records.append(Evidence(f"Case {reference}: {months}-month review due {_d(due)}", detail, gap))
    result.figures = [
        ("Reviews due in the year", str(len(rows))),
        ("Held on time", str(on_time)),
        ("Held late", str(late)),
        ("Not held by year end", str(not_held)),
    ]
    result.state = CheckState.GAPS if (late or not_held) else CheckState.MET
    result.summary = (
        f"{not_held} review(s) not held by year end; {late} held late."
        if result.state is CheckState.GAPS
        else "Every review due was held on time."
    )
    return result


# --- 7. retention ------------------------------------------------------------------------------


def retention(partnership_id: int, year: Year) -> CheckResult:
    result = CheckResult(
        "retention", "channel_panel", "Retention ran and nothing is held past six years", CheckState.MET, ""
    )
    runs = db.session.execute(
        select(RetentionRun.ran_on, RetentionRun.deleted_count, RetentionRun.kept_open_count)
        .where(RetentionRun.ran_on >= year.start, RetentionRun.ran_on <= year.end)
        .order_by(RetentionRun.ran_on)
    ).all()
    # Retention date = six years after the concern was reported: due by 31 December of the year
    # when the concern was reported on or before 31 December six years earlier.
    cutoff = date(year.year - 6, 12, 31)
    still_held = db.session.execute(
        select(ChannelCase.reference, ChannelCase.concern_reported_on)
        .where(ChannelCase.concern_reported_on <= cutoff)
        .order_by(ChannelCase.concern_reported_on)
    ).all()
    deleted_after = db.session.scalar(
        select(func.count(AnonymisedLogEntry.id)).where(
            AnonymisedLogEntry.concern_reported_on <= cutoff, AnonymisedLogEntry.material_deleted_on > year.end
        )
    )
    for ran_on, deleted, kept in runs:
        result.records.append(Evidence(f"Retention run {_d(ran_on)}", f"{deleted} deleted, {kept} kept open"))
    if not runs:
        result.records.append(Evidence(f"No retention run in {year.year}", "flask retention run was not run", True))
    for reference, reported in still_held:
        result.records.append(
            Evidence(f"Case {reference}", f"Concern reported {_d(reported)}: held past six years", True)
        )
    if deleted_after:
        result.records.append(
            Evidence(
                f"{deleted_after} case(s) deleted only after the year end", "Held past six years at year end", True
            )
        )
    held = len(still_held) + (deleted_after or 0)
    result.figures = [("Retention runs in the year", str(len(runs))), ("Cases held past six years", str(held))]
    result.state = CheckState.GAPS if (not runs or held) else CheckState.MET
    parts = []
    if not runs:
        parts.append(f"retention did not run in {year.year}")
    if held:
        parts.append(f"{held} case(s) held past six years")
    result.summary = ("; ".join(parts).capitalize() + ".") if parts else "Retention ran; nothing held past six years."
    return result


# --- 8. Channel terms of reference -------------------------------------------------------------


def terms_reviewed(partnership_id: int, year: Year) -> CheckResult:
    result = CheckResult(
        "terms_reviewed", "channel_panel", "The Channel terms of reference reviewed within the year", CheckState.MET, ""
    )
    panel = db.session.execute(select(Panel.id, Panel.terms_reviewed_on, Panel.terms_review_due_on)).first()
    if panel is None:
        result.state = CheckState.NO_DATA
        result.summary = "No data: no Channel panel is recorded."
        return result
    # Earlier review dates are in the audit trail of the panel record (one record: few entries).
    history = db.session.scalars(
        select(AuditEntry.changes).where(AuditEntry.entity == Panel.__tablename__, AuditEntry.entity_id == panel[0])
    ).all()
    dates = {panel[1]} if panel[1] else set()
    for changes in history:
        after = (changes or {}).get("terms_reviewed_on", [None, None])[1]
        if after:
            dates.add(date.fromisoformat(str(after)[:10]))
    in_year = sorted(d for d in dates if year.start <= d <= year.end)
    for day in in_year:
        result.records.append(
            Evidence(
                f"Terms of reference reviewed {_d(day)}",
                "From the panel's history",
                False,
                "audit.list_entries",
                {"entity": Panel.__tablename__, "entity_id": panel[0]},
            )
        )
    if not in_year:
        last = max((d for d in dates if d <= year.end), default=None)
        result.records.append(
            Evidence(
                "No review in the year",
                f"Last review before it: {_d(last) or 'none recorded'}",
                True,
                "audit.list_entries",
                {"entity": Panel.__tablename__, "entity_id": panel[0]},
            )
        )
    result.figures = [("Reviews in the year", str(len(in_year))), ("Next review due", _d(panel[2]) or "not set")]
    result.state = CheckState.MET if in_year else CheckState.GAPS
    result.summary = "Reviewed in the year." if in_year else f"Not reviewed in {year.year}."
    return result


CHECKS = (
    board_quarters,
    membership_review,
    plans_checked,
    rows_updated,
    training_coverage,
    channel_reviews,
    retention,
    terms_reviewed,
)


def run_checks(partnership_id: int, year: int, *, today: date | None = None) -> list[CheckResult]:
    """Every automatic check for ``year`` (1 January to 31 December); a year still running is
    judged as at ``today`` (the clock's today unless given)."""
    span = Year(year, today or clock.today())
    return [check(partnership_id, span) for check in CHECKS]
