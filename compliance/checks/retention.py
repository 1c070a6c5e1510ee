"""The retention check: every schedule registered with the kernel (core.retention), its period,
when it last ran, and whether anything was held past its period as at the year's end. Counts
only: no case reference, name or file name."""

from sqlalchemy import case, func, select

from compliance.checks.base import CheckResult, CheckState, Evidence, Year, _d
from core.extensions import db
from core.retention import RetentionRun, schedules


def retention(partnership_id: int, year: Year) -> CheckResult:
    result = CheckResult(
        "retention", "channel_panel", "Retention ran and nothing is held past its period", CheckState.MET, ""
    )
    as_of = year.as_of
    in_year = (RetentionRun.ran_on >= year.start) & (RetentionRun.ran_on <= year.end)
    # A run after the day that removed something due by then: it was still held that day.
    late = (RetentionRun.ran_on > as_of) & (RetentionRun.oldest_due_on <= as_of)
    rows = db.session.execute(
        select(
            RetentionRun.schedule,
            func.max(case((RetentionRun.ran_on <= as_of, RetentionRun.ran_on))),
            func.count(case((in_year, RetentionRun.id))),
            func.min(case((late, RetentionRun.ran_on))),
        ).group_by(RetentionRun.schedule)
    ).all()
    runs = {name: (last, count, late_on) for name, last, count, late_on in rows}
    not_run, held_total, late_titles, total_runs = [], 0, [], 0
    for schedule in schedules():
        last, count, late_on = runs.get(schedule.name, (None, 0, None))
        total_runs += count
        try:
            held = len(schedule.find(as_of))
        except Exception:  # a store that cannot be read must not hide the other schedules
            db.session.rollback()
            held = None
        parts = [f"Last ran {_d(last) if last else 'never'}", f"{count} run(s) in {year.year}"]
        if held is None:
            parts.append("could not be checked (the store could not be read)")
        else:
            parts.append(f"{held} held past their period on {_d(as_of)}")
            held_total += held
        if late_on:
            parts.append(f"material due by {_d(as_of)} was removed only on {_d(late_on)}")
            late_titles.append(schedule.title)
        if not count:
            not_run.append(schedule.title)
        gap = not count or bool(held) or held is None or bool(late_on)
        result.records.append(Evidence(f"{schedule.title} ({schedule.period()})", "; ".join(parts) + ".", gap))
    result.figures = [
        ("Schedules", str(len(result.records))),
        ("Retention runs in the year", str(total_runs)),
        ("Held past their period", str(held_total)),
    ]
    problems = []
    if not_run:
        problems.append(f"no run in {year.year} of: {', '.join(not_run)}")
    if held_total:
        problems.append(f"{held_total} held past their period on {_d(as_of)}")
    if late_titles:
        problems.append(f"removed late: {', '.join(late_titles)}")
    if any(r.gap for r in result.records) and not problems:
        problems.append("a schedule could not be checked")
    result.state = CheckState.GAPS if problems else CheckState.MET
    result.summary = (
        "; ".join(problems)[0].upper() + "; ".join(problems)[1:] + "."
        if problems
        else f"Every schedule ran in {year.year}; nothing was held past its period on {_d(as_of)}."
    )
    return result
