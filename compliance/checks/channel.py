"""The Channel Panel's checks: post-closure reviews held, terms of reference reviewed (retention is
checked for every schedule in compliance.checks.retention).

The report is read by the Prevent Lead, the board and auditors, none of whom may see a case
reference: a case is named by a label that holds only in this output ("review 2 of 5"), and no
date that could be matched to a row of the anonymised log stands beside it (days late instead)."""

from datetime import date

from sqlalchemy import select

from channel_panel.models import ChannelCase, Panel, PostClosureReview
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
