"""The anonymised log as the board and auditors read it, and the board's Channel figures.

Everything here is counted from the anonymised log only: no names and no case references.
The log is kept in step with each case by channel_panel.services.sync_log.
"""

from datetime import date

from sqlalchemy import Select, select

from channel_panel.dates import REVIEW_MONTHS, add_months
from channel_panel.models import AnonymisedLogEntry
from channel_panel.vocab import CaseStage, IndividualType, LifeStage, ReviewOutcome, category_label
from core.extensions import db
from core.vocab import REFERRAL_CATEGORIES


def log_query() -> Select:
    return select(AnonymisedLogEntry).order_by(
        AnonymisedLogEntry.concern_reported_on.desc(), AnonymisedLogEntry.id.desc()
    )


LOG_HEADER = [
    "Entry",
    "Date concern raised",
    "Child or adult",
    "Staff or student",
    "Organisation",
    "Department",
    "Channel referral",
    "Channel referral date",
    "Referring sector",
    "Type of concern",
    "Stage",
    "Outcome",
    "Closed",
    "6-month review",
    "12-month review",
    "Case material deleted",
]


def log_summary(entry: AnonymisedLogEntry) -> dict:
    """One log entry as the page shows it (fewer, fuller columns than the CSV)."""
    individual = LifeStage(entry.life_stage).label
    if entry.individual_type != IndividualType.NOT_APPLICABLE.value:
        individual += f"; {IndividualType(entry.individual_type).label.lower()}"
    where = ", ".join(p for p in (entry.organisation.name if entry.organisation else "", entry.department) if p)
    reviews = []
    for months in REVIEW_MONTHS:
        held = getattr(entry, f"review_{months}_held_on")
        if held:
            outcome = ReviewOutcome(getattr(entry, f"review_{months}_outcome")).label.lower()
            reviews.append((f"{months}-month", held, outcome))
    return {
        "entry": entry.id,
        "raised": entry.concern_reported_on,
        "individual": individual,
        "where": where,
        "channel_referral": entry.discussed_on,
        "sector": category_label("sector", entry.referring_sector),
        "concern": category_label("concern", entry.concern_type),
        "outcome": entry.outcome_label,
        "closed_on": entry.closed_on,
        "reviews": reviews,
        "deleted_on": entry.material_deleted_on,
    }


def log_row(entry: AnonymisedLogEntry) -> list:
    """One log entry as the CSV holds it: categories in words, no case reference."""

    def review(months: int) -> str:
        held = getattr(entry, f"review_{months}_held_on")
        outcome = getattr(entry, f"review_{months}_outcome")
        return f"{held.isoformat()} {ReviewOutcome(outcome).label}" if held else ""

    return [
        entry.id,
        entry.concern_reported_on.isoformat(),
        LifeStage(entry.life_stage).label,
        IndividualType(entry.individual_type).label,
        entry.organisation.name if entry.organisation else "",
        entry.department,
        "Yes" if entry.channel_referral else "No",
        entry.discussed_on.isoformat() if entry.discussed_on else "",
        category_label("sector", entry.referring_sector),
        category_label("concern", entry.concern_type),
        CaseStage(entry.stage).label,
        entry.outcome_label,
        entry.closed_on.isoformat() if entry.closed_on else "",
        review(6),
        review(12),
        entry.material_deleted_on.isoformat() if entry.material_deleted_on else "",
    ]


# --- figures for the board ---------------------------------------------------------------


def _stage_on(entry: AnonymisedLogEntry, day: date) -> str:
    for stage in (
        CaseStage.CLOSED,
        CaseStage.NOT_ADOPTED,
        CaseStage.SUPPORT_PLAN,
        CaseStage.ADOPTED,
        CaseStage.DISCUSSED,
        CaseStage.SCREENING,
    ):
        reached = getattr(entry, stage.date_field)
        if reached is not None and reached <= day:
            return stage.value
    return CaseStage.REFERRAL.value


def board_figures(*, quarter_start: date, quarter_end: date) -> dict:
    """Anonymised Channel counts for a period (normally a quarter), from the anonymised log only.

    Returns a dict, every count an int and every category listed (zeros included)::

        {
          "quarter_start": date, "quarter_end": date,
          "referrals": int,            # referral date within the period
          "discussed_at_panel": int,   # first discussed at panel within the period
          "adopted": int, "not_adopted": int, "closed": int,   # reached that stage within it
          "open_at_end": int,          # referred by the end and still open at the end
          "reviews_due": int,          # post-closure reviews (6 and 12 months) due within it
          "reviews_held": int,         # post-closure reviews held within it
          "reviews_outstanding": int,  # due by the end and not held by the end
          "by_sector": {code: int},    # the period's referrals by referring sector
          "by_concern": {code: int},   # ... by type of concern
          "by_age_band": {code: int},  # ... by age band
          "by_gender": {code: int},    # ... by gender
          "by_stage": {stage: int},    # every case referred by the end, by its stage at the end
        }

    Codes are those of core.vocab.REFERRAL_CATEGORIES and channel_panel.vocab.CaseStage.
    No names and no case references: the board and auditors may see all of it.
    """
    if quarter_end < quarter_start:
        raise ValueError("quarter_end is before quarter_start")
    entries = db.session.scalars(
        select(AnonymisedLogEntry).where(AnonymisedLogEntry.referral_date <= quarter_end)
    ).all()

    def within(day: date | None) -> bool:
        return day is not None and quarter_start <= day <= quarter_end

    referred = [e for e in entries if within(e.referral_date)]
    figures: dict = {
        "quarter_start": quarter_start,
        "quarter_end": quarter_end,
        "referrals": len(referred),
        "discussed_at_panel": sum(within(e.discussed_on) for e in entries),
        "adopted": sum(within(e.adopted_on) for e in entries),
        "not_adopted": sum(within(e.not_adopted_on) for e in entries),
        "closed": sum(within(e.closed_on) for e in entries),
        "open_at_end": sum(CaseStage(_stage_on(e, quarter_end)).is_open for e in entries),
        "reviews_due": 0,
        "reviews_held": 0,
        "reviews_outstanding": 0,
    }
    for entry in entries:
        if entry.closed_on is None or entry.closed_on > quarter_end:
            continue
        for months in REVIEW_MONTHS:
            due = add_months(entry.closed_on, months)
            held = getattr(entry, f"review_{months}_held_on")
            figures["reviews_due"] += within(due)
            figures["reviews_held"] += within(held)
            figures["reviews_outstanding"] += due <= quarter_end and (held is None or held > quarter_end)
    for dimension, field in (
        ("sector", "referring_sector"),
        ("concern", "concern_type"),
        ("age_band", "age_band"),
        ("gender", "gender"),
    ):
        counts = {code: 0 for code, _ in REFERRAL_CATEGORIES[dimension]}
        for entry in referred:
            counts[getattr(entry, field)] = counts.get(getattr(entry, field), 0) + 1
        figures[f"by_{dimension}"] = counts
    by_stage = {stage.value: 0 for stage in CaseStage}
    for entry in entries:
        by_stage[_stage_on(entry, quarter_end)] += 1
    figures["by_stage"] = by_stage
    return figures
