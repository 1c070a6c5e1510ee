"""The plans' checks: every SPOC area has an active plan checked by the board each quarter, and
every row was updated each quarter and was not overdue at year end (plans.rules, asked of the history)."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from board.models import (
    PlanCheck,
)
from compliance.checks.base import CheckResult, CheckState, Evidence, Year, _d, _quarter_of, _quarter_of_instant, _short
from core.dates import Quarter
from core.extensions import db
from partnership.models import BusinessArea
from plans import rules
from plans.models import Plan, PlanRow, ProgressUpdate
from spoc.models import SpocAssignment

# --- 3. every SPOC area has an active plan, checked by the board each quarter ------------------


def _spoc_plans(partnership_id: int, year: Year):
    """The partnership's SPOC plans (plans.rules, with an area) that were active on the day
    judged: a plan made or archived later does not change a closed year."""
    return select(Plan.id, Plan.title, Plan.area_id).where(
        rules.in_partnership(partnership_id), Plan.area_id.is_not(None), rules.active_at(year.after)
    )


def plans_checked(partnership_id: int, year: Year) -> CheckResult:
    result = CheckResult(
        "plans_checked",
        "partnership_plan",
        "Every area with a SPOC has an active plan, checked by the board each quarter",
        CheckState.MET,
        "",
    )
    has_spoc = exists().where(
        SpocAssignment.area_id == BusinessArea.id,
        SpocAssignment.capacity == "spoc",
        year.existed(SpocAssignment.created_at),
    )
    has_plan = exists().where(Plan.area_id == BusinessArea.id, rules.active_at(year.after))
    areas = db.session.execute(
        select(BusinessArea.id, BusinessArea.name, has_plan)
        .where(BusinessArea.partnership_id == partnership_id, year.existed(BusinessArea.created_at), has_spoc)
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
    plans = _spoc_plans(partnership_id, year).where(Plan.area_id.in_([a[0] for a in areas])).subquery()
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
    after = year.after
    plans = _spoc_plans(partnership_id, year).subquery()
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
        .where(rules.live(at=after))
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
