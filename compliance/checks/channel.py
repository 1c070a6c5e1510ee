"""The Channel Panel's checks: post-closure reviews held, retention run, terms of reference reviewed.

The report is read by the Prevent Lead, the board and auditors, none of whom may see a case
reference: a case is named by a label that holds only in this output ("review 2 of 5"), and no
date that could be matched to a row of the anonymised log stands beside it (days late instead)."""

from datetime import date

from sqlalchemy import func, select

from channel_panel.models import AnonymisedLogEntry, ChannelCase, Panel, PostClosureReview, RetentionRun
from compliance.checks.base import CheckResult, CheckState, Evidence, Year, _d
from core.audit import AuditEntry
from core.extensions import db

# --- 6. post-closure reviews -------------------------------------------------------------------


def channel_reviews(partnership_id: int, year: Year) -> CheckResult:
    result = CheckResult(
        "channel_reviews", "channel_panel", "Closed Channel cases had their 6- and 12-month reviews", CheckState.MET, ""
    )
    rows = db.session.execute(
        select(PostClosureReview.months, PostClosureReview.due_on, PostClosureReview.held_on)
        .join(ChannelCase, ChannelCase.id == PostClosureReview.case_id)
        .where(PostClosureReview.due_on >= year.start, PostClosureReview.due_on <= year.end)
        .order_by(PostClosureReview.due_on, ChannelCase.reference, PostClosureReview.months)
    ).all()
    if not rows:
        result.state = CheckState.NO_DATA
        result.summary = f"No data: no post-closure review fell due in {year.year}."
        return result
    on_time = late = not_held = 0
    for number, (months, due, held) in enumerate(rows, start=1):
        if held is None or held > year.end:
            not_held += 1
            days = (year.end - due).days
            detail, gap = f"Not held by year end ({days} days overdue)", True
        elif held > due:
            late += 1
            detail, gap = f"Held {(held - due).days} days late", True
        else:
            on_time += 1
            detail, gap = "Held on time", False
        result.records.append(Evidence(f"Review {number} of {len(rows)}: a {months}-month review", detail, gap))
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
        select(ChannelCase.concern_reported_on)
        .where(ChannelCase.concern_reported_on <= cutoff)
        .order_by(ChannelCase.concern_reported_on, ChannelCase.id)
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
    for number, (reported,) in enumerate(still_held, start=1):
        result.records.append(
            Evidence(
                f"Case {number} of {len(still_held)}",
                f"Concern reported in {reported.year}: held past six years",
                True,
            )
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
