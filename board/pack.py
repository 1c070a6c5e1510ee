"""The board pack, agenda and minutes as PDF, filled from live data when produced."""

from collections import OrderedDict
from datetime import date

from flask import current_app

from board import services as board
from board.models import AttendanceStatus, BoardMeeting, ItemKind, MeetingPaper
from core import limits
from core.charts import bar_chart_svg, describe
from core.dates import Quarter
from core.pdf import PdfError, render_pdf
from core.reminders import link
from core.vocab import Rag
from partnership.services import disclosure_threshold
from plans import rules
from plans import services as plan_services

PARTS = {"pack": "Board pack", "agenda": "Agenda", "minutes": "Minutes"}
#: Width in CSS pixels of a chart drawn with its data table beside it (templates/pdf/_chart.html).
CHART_BESIDE_TABLE = 420


def render(meeting: BoardMeeting, *, part: str, today: date) -> bytes:
    """The PDF, or PdfError (with the cause logged) when it cannot be produced."""
    try:
        context = pack_context(meeting, today=today, part=part)
    except Exception as exc:
        current_app.logger.exception("board %s could not be assembled for meeting %s", part, meeting.id)
        raise PdfError(f"The {PARTS[part].lower()} could not be produced") from exc
    return render_pdf(
        "pdf/board_pack.html",
        marking=meeting.marking,
        title=f"{PARTS[part]}: {meeting.title}",
        part=part,
        **context,
    )


def pack_context(meeting: BoardMeeting, *, today: date, part: str = "pack") -> dict:
    """Everything the agenda, minutes and pack show. Figures are read at the time of asking."""
    from sqlalchemy import select

    from core.extensions import db

    items = sorted(meeting.items, key=lambda i: i.position)
    previous = board.previous_meeting(meeting)
    attendance = board.attendance(meeting)
    papers = list(
        db.session.scalars(select(MeetingPaper).where(MeetingPaper.meeting_id == meeting.id).order_by(MeetingPaper.id))
    )
    context: dict = {
        "meeting": meeting,
        "items": items,
        "previous": previous,
        "papers": papers,
        "apologies": [
            a for a in attendance if a.status in (AttendanceStatus.APOLOGIES.value, AttendanceStatus.DEPUTY.value)
        ],
        "attendance": attendance,
        "review": board.membership_review_status(meeting.partnership_id, meeting.held_on),
        "produced_on": today,
        "kinds": ItemKind,
    }
    if part == "agenda":
        return context
    context["decisions"] = board.decisions(meeting)
    context["raised"] = board.actions_raised(meeting)
    if part == "minutes":
        return context

    since = previous.held_on if previous else Quarter.from_date(today).start
    partnership_id = meeting.partnership_id
    exceptions = plan_services.exception_rows(today=today, since=since, partnership_id=partnership_id)
    # Per plan: red and amber rows one line each, as many as the pack's budget allows, the most
    # pressing first; the rest of them, and other rows that are overdue, only changed (on track)
    # or only stale, as compact lists of references, so a large partnership's pack stays readable
    # and quick to lay out.
    red_or_amber = [row for row in exceptions if row.row.rag in (Rag.RED.value, Rag.AMBER.value)]
    pressing = sorted(red_or_amber, key=lambda row: (row.row.rag != Rag.RED.value, not row.overdue))
    in_full = {id(row) for row in pressing[: limits.PACK_EXCEPTION_LINES]}
    grouped: OrderedDict = OrderedDict()
    for row in exceptions:
        entry = grouped.setdefault(row.plan.id, (row.plan, [], [], [], [], []))
        if id(row) in in_full:
            entry[1].append(row)
        elif row.row.rag in (Rag.RED.value, Rag.AMBER.value):
            entry[2].append(row)
        elif row.overdue:
            entry[3].append(row)
        elif row.changed:
            entry[4].append(row)
        else:
            entry[5].append(row)
    summaries = plan_services.plan_summaries(today=today, statuses=["active"], partnership_id=partnership_id)
    totals = plan_services.rag_by_area(summaries)
    context.update(
        {
            "since": since,
            "stale_since": rules.stale_since(today),
            "exceptions": list(grouped.values()),
            "in_full": len(in_full),
            "red_or_amber": len(red_or_amber),
            # Where every row is, with its latest progress: the plans' XLSX export.
            "plans_export": link("plans_transfer.export_plans", format="xlsx"),
            "summaries": summaries,
            "rag_chart": _rag_chart(totals),
            "action_log": board.action_log(meeting),
            "previous_items": sorted(previous.items, key=lambda i: i.position) if previous else [],
            "previous_decisions": board.decisions(previous) if previous else [],
            "previous_raised": board.actions_raised(previous) if previous else [],
            "previous_attendance": board.attendance(previous) if previous else [],
            "training": _training(today, meeting.partnership_id),
            "channel": _channel(since, today, threshold=disclosure_threshold(partnership_id)),
        }
    )
    return context


def _rag_chart(totals: dict[str, dict[str, int]]) -> dict | None:
    """Red and amber rows in each area's active plans: the chart, and its figures as a table."""
    bars, rows = [], []
    for area, counts in totals.items():
        red, amber = counts.get(Rag.RED.value, 0), counts.get(Rag.AMBER.value, 0)
        colour = Rag.RED.colour if red else Rag.AMBER.colour
        bars.append((area, red + amber, colour))
        rows.append((area, red, amber))
    if not bars:
        return None
    alt = describe(bars, heading="Bar chart of red and amber rows by area")
    return {"svg": bar_chart_svg(bars, title=alt, width=CHART_BESIDE_TABLE), "rows": rows}


def _training(today: date, partnership_id: int) -> dict | None:
    """Coverage of this partnership's organisations (a deployment may hold several)."""
    from training.coverage import coverage_summary, for_partnership
    from training.exports import pdf_rows

    summary = for_partnership(coverage_summary(as_of=today), partnership_id)
    # The coverage PDF's rule: when the organisations do not all fit, those furthest from the
    # target first, and the rest in the coverage spreadsheet, whose address the pack gives.
    rows, more = pdf_rows(summary)
    return {
        "summary": summary,
        "rows": rows,
        "more": more,
        "export": link("training.export_coverage", format="xlsx"),
        "chart": _training_chart(summary, rows),
    }


def _training_chart(summary, rows):
    bars = []
    target = summary.settings.target_percent
    for row in rows:
        if row.percent is None:
            continue
        bars.append((row.short_name or row.name, round(min(float(row.percent), 100.0), 1), Rag.look_of(row.rag).colour))
    if not bars:
        return None
    alt = describe(bars, unit="%", target=target, heading="Bar chart of WRAP coverage by organisation")
    return bar_chart_svg(bars, max_value=100, unit="%", target=target, target_label=f"Target {target}%", title=alt)


def _channel(since: date, today: date, *, threshold: int) -> dict:
    """The Channel figures for the period, published as every other output publishes them: small
    counts as [c] (core.disclosure), and no bar in the chart for a hidden count."""
    from channel_panel.figures import board_figures, published_figures
    from channel_panel.vocab import CaseStage
    from core.vocab import REFERRAL_CATEGORIES

    figures = board_figures(quarter_start=since, quarter_end=today)
    shown = published_figures(figures, threshold=threshold)
    # A stage is drawn when it has cases or is hidden: leaving out only the hidden zeros would say
    # which hidden counts are not zero.
    codes = [code for code, count in figures["by_stage"].items() if count or shown[("by_stage", code)].suppressed]
    stages = [(CaseStage(code).label, shown.value(("by_stage", code)), "#1d70b8") for code in codes]
    # The alternative text leaves the counts to the data table that follows the chart.
    alt = "Bar chart of cases by stage at the end of the period; the counts are in the table that follows."
    return {
        "period": (figures["quarter_start"], figures["quarter_end"]),
        "shown": shown,
        "chart": bar_chart_svg(stages, title=alt, width=CHART_BESIDE_TABLE) if stages else None,
        # The table beside the chart publishes exactly what the table above does.
        "stages": [(CaseStage(code).label, str(shown[("by_stage", code)])) for code in codes],
        "labels": {
            "by_sector": REFERRAL_CATEGORIES["sector"],
            "by_concern": REFERRAL_CATEGORIES["concern"],
            "by_age_band": REFERRAL_CATEGORIES["age_band"],
            "by_gender": REFERRAL_CATEGORIES["gender"],
        },
    }
