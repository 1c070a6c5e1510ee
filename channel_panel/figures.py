"""The anonymised log as the board and auditors read it, and the board's Channel figures.

Everything here is counted from the anonymised log only: no names and no case references.
The log is kept in step with each case by channel_panel.services.sync_log. Figures are shown only
through published_figures (core.disclosure): small counts as [c], with the sums between them.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, case, func, literal_column, select

from channel_panel.dates import REVIEW_MONTHS, add_months
from channel_panel.models import AnonymisedLogEntry
from channel_panel.vocab import CaseStage, IndividualType, LifeStage, ReviewOutcome, category_label
from core.dates import Quarter
from core.disclosure import Published, Shown, publish
from core.extensions import db
from core.vocab import REFERRAL_CATEGORIES, REFERRAL_DIMENSION_LABELS


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
    return _figures(quarter_start, quarter_end, None)[None]


def board_figures_by_partnership(*, quarter_start: date, quarter_end: date, partnership_ids) -> dict[int, dict]:
    """board_figures for each of ``partnership_ids`` (partnerships in scope, core.tenancy),
    counted in the same six queries, each grouped by partnership: partnership id -> figures."""
    if quarter_end < quarter_start:
        raise ValueError("quarter_end is before quarter_start")
    counted = _figures(quarter_start, quarter_end, AnonymisedLogEntry.partnership_id)
    return {pid: counted.get(pid) or _figures_of(quarter_start, quarter_end, {}) for pid in partnership_ids}


def _figures_of(quarter_start: date, quarter_end: date, row: dict) -> dict:
    """A figures dict (see board_figures) from the counted values, zeros for what was not counted."""
    headline = row.get("headline") or (0,) * (6 + 3 * len(REVIEW_MONTHS))
    referrals, discussed, adopted, not_adopted, closed, open_at_end, *review_counts = (int(n) for n in headline)
    figures: dict = {
        "quarter_start": quarter_start,
        "quarter_end": quarter_end,
        "referrals": referrals,
        "discussed_at_panel": discussed,
        "adopted": adopted,
        "not_adopted": not_adopted,
        "closed": closed,
        "open_at_end": open_at_end,
        "reviews_due": sum(review_counts[0::3]),
        "reviews_held": sum(review_counts[1::3]),
        "reviews_outstanding": sum(review_counts[2::3]),
    }
    for dimension in DIMENSIONS:
        counts_by = {code: 0 for code, _ in REFERRAL_CATEGORIES[dimension]}
        for code, n in row.get(dimension, {}).items():
            counts_by[code] = counts_by.get(code, 0) + n
        figures[f"by_{dimension}"] = counts_by
    by_stage = {stage.value: 0 for stage in CaseStage}
    for stage, n in row.get("stage", {}).items():
        by_stage[stage] += n
    figures["by_stage"] = by_stage
    return figures


def _figures(quarter_start: date, quarter_end: date, group) -> dict:
    """The figures of board_figures, for the whole log in scope (``group`` None, keyed None) or
    for each value of the column ``group``. Counted in SQL (six queries, whatever the size of
    the log or the number of groups), never by loading the log."""
    log = AnonymisedLogEntry
    known = log.referral_date <= quarter_end
    keys = [group] if group is not None else []

    def within(column):
        return func.coalesce(func.sum(case((column.between(quarter_start, quarter_end), 1), else_=0)), 0)

    stage_at_end = _stage_at(quarter_end)
    counts = [
        within(log.referral_date),
        within(log.discussed_on),
        within(log.adopted_on),
        within(log.not_adopted_on),
        within(log.closed_on),
        func.coalesce(
            func.sum(case((stage_at_end.in_([CaseStage.NOT_ADOPTED.value, CaseStage.CLOSED.value]), 0), else_=1)), 0
        ),
    ]
    reviews = []
    for months in REVIEW_MONTHS:
        held = getattr(log, f"review_{months}_held_on")
        # add_months is monotonic, so "due between two dates" is "closed between two dates".
        closed_from = _first_closed_due_on_or_after(quarter_start, months)
        closed_to = _last_closed_due_by(quarter_end, months)
        reviews += [
            func.coalesce(func.sum(case((log.closed_on.between(closed_from, closed_to), 1), else_=0)), 0),
            within(held),
            func.coalesce(
                func.sum(
                    case(
                        ((log.closed_on <= closed_to) & (held.is_(None) | (held > quarter_end)), 1),
                        else_=0,
                    )
                ),
                0,
            ),
        ]
    rows: dict = {}
    for key, *values in db.session.execute(
        select(*(keys or [literal_column("NULL")]), *counts, *reviews).where(known).group_by(*keys)
    ):
        rows.setdefault(key if keys else None, {})["headline"] = values
    for dimension, field in (
        ("sector", "referring_sector"),
        ("concern", "concern_type"),
        ("age_band", "age_band"),
        ("gender", "gender"),
    ):
        column = getattr(log, field)
        query = (
            select(*(keys or [literal_column("NULL")]), column, func.count())
            .where(log.referral_date.between(quarter_start, quarter_end))
            .group_by(*keys, column)
        )
        for key, code, n in db.session.execute(query):
            rows.setdefault(key if keys else None, {}).setdefault(dimension, {})[code] = n
    stage_query = (
        select(*(keys or [literal_column("NULL")]), stage_at_end, func.count())
        .where(known)
        .group_by(*keys, stage_at_end)
    )
    for key, stage, n in db.session.execute(stage_query):
        rows.setdefault(key if keys else None, {}).setdefault("stage", {})[stage] = n
    figures = {key: _figures_of(quarter_start, quarter_end, row) for key, row in rows.items()}
    if group is None and None not in figures:
        figures[None] = _figures_of(quarter_start, quarter_end, {})
    return figures


def _stage_at(day: date):
    """SQL for _stage_on: the furthest stage an entry had reached on ``day``."""
    whens = []
    for stage in (
        CaseStage.CLOSED,
        CaseStage.NOT_ADOPTED,
        CaseStage.SUPPORT_PLAN,
        CaseStage.ADOPTED,
        CaseStage.DISCUSSED,
        CaseStage.SCREENING,
    ):
        column = getattr(AnonymisedLogEntry, stage.date_field)
        whens.append((column <= day, literal_column(f"'{stage.value}'")))
    return case(*whens, else_=literal_column(f"'{CaseStage.REFERRAL.value}'"))


def _last_closed_due_by(day: date, months: int) -> date:
    """The latest closure date whose review ``months`` later falls on or before ``day``."""
    closed = add_months(day, -months) + timedelta(days=3)
    while add_months(closed, months) > day:
        closed -= timedelta(days=1)
    return closed


def _first_closed_due_on_or_after(day: date, months: int) -> date:
    """The earliest closure date whose review ``months`` later falls on or after ``day``."""
    closed = add_months(day, -months) - timedelta(days=3)
    while add_months(closed, months) < day:
        closed += timedelta(days=1)
    return closed


# --- the figures as they may be published ------------------------------------------------

#: The period's headline counts, in the order pages and the pack list them.
HEADLINE = (
    ("referrals", "Referrals"),
    ("discussed_at_panel", "Discussed at panel (Channel referrals)"),
    ("adopted", "Adopted"),
    ("not_adopted", "Not adopted"),
    ("closed", "Closed"),
    ("open_at_end", "Open at the end of the period"),
    ("reviews_due", "Post-closure reviews due"),
    ("reviews_held", "Post-closure reviews held"),
    ("reviews_outstanding", "Post-closure reviews outstanding at the end of the period"),
)
DIMENSIONS = ("sector", "concern", "age_band", "gender")


def published_figures(figures: dict, *, threshold: int) -> Published:
    """board_figures as they may be shown: every count of one period published together.

    Keys: each HEADLINE key; ("by_sector", code) and the other breakdowns; ("by_stage", stage).
    The sums a reader can form: each breakdown adds up to the referrals, and the open stages at
    the end add up to the cases open at the end. A period is always published whole, whichever
    page or document shows part of it, so two outputs never hide different cells of one period.
    """
    return publish(figure_counts(figures), figure_relations(), threshold=threshold)


def figure_counts(figures: dict) -> dict:
    """Every count of one period's board_figures, keyed as published_figures keys them."""
    counts: dict = {key: figures[key] for key, _ in HEADLINE}
    for dimension in DIMENSIONS:
        counts.update(
            {(f"by_{dimension}", code): figures[f"by_{dimension}"][code] for code, _ in REFERRAL_CATEGORIES[dimension]}
        )
    counts.update({("by_stage", stage.value): figures["by_stage"][stage.value] for stage in CaseStage})
    return counts


def figure_relations() -> list:
    """The sums within one period's figures: each breakdown adds up to the referrals; the open
    stages at the end add up to the cases open at the end."""
    relations: list = [
        ("referrals", [(f"by_{dimension}", code) for code, _ in REFERRAL_CATEGORIES[dimension]])
        for dimension in DIMENSIONS
    ]
    relations.append(("open_at_end", [("by_stage", stage.value) for stage in CaseStage if stage.is_open]))
    return relations


def figures_table(shown: "Published | QuarterShown") -> list[tuple[str, str, int | str]]:
    """Every published count of a period as (table, row, count) for CSV and XLSX: "[c]" where hidden."""

    def cell(key) -> int | str:
        return str(shown[key]) if shown[key].suppressed else shown[key].value

    rows: list[tuple[str, str, int | str]] = [("In the period", label, cell(key)) for key, label in HEADLINE]
    for dimension in DIMENSIONS:
        table = f"Referrals by {REFERRAL_DIMENSION_LABELS[dimension].lower()}"
        rows += [(table, label, cell((f"by_{dimension}", code))) for code, label in REFERRAL_CATEGORIES[dimension]]
    rows += [
        ("Cases referred by the end of the period, by stage then", stage.label, cell(("by_stage", stage.value)))
        for stage in CaseStage
    ]
    return rows


@dataclass(frozen=True)
class QuarterShown:
    """One quarter's cells of a publication of several quarters, read as published_figures is."""

    published: Published
    slug: str

    def __getitem__(self, key) -> Shown:
        return self.published[(self.slug, key)]

    def value(self, key) -> int | None:
        return self[key].value

    @property
    def counts(self) -> dict:
        return {key: n for (slug, key), n in self.published.counts.items() if slug == self.slug and key != "known"}

    @property
    def any_suppressed(self) -> bool:
        return any(slug == self.slug and key != "known" for slug, key in self.published.suppressed)

    @property
    def threshold(self) -> int:
        return self.published.threshold

    @property
    def footnote(self) -> str:
        return self.published.footnote


def published_quarters(quarters: list[tuple[str, dict]], *, threshold: int) -> dict[str, QuarterShown]:
    """Consecutive quarters' board_figures (oldest first, keyed by slug) published as one output.

    Each quarter's own sums as in published_figures, and the sums that join a quarter to the one
    before: the cases known at its end (every stage added up; never shown itself) are those known
    at the last one's end plus its referrals, and the closed (and not adopted) at its end are the
    last one's plus those it closed (did not adopt). Without them, the stage tables of two
    quarters would give away a hidden count of closed cases or referrals by subtraction."""
    counts: dict = {}
    relations: list = []
    known = []
    for slug, quarter in quarters:
        # The quarter's counts as published_figures keys them (published below, all together).
        counts.update({(slug, key): n for key, n in figure_counts(quarter).items()})
        relations += [((slug, total), [(slug, p) for p in parts]) for total, parts in figure_relations()]
        counts[(slug, "known")] = sum(quarter["by_stage"].values())
        relations.append(((slug, "known"), [(slug, ("by_stage", s.value)) for s in CaseStage]))
        known.append((slug, "known"))
    chains = [("known", "referrals"), (("by_stage", "closed"), "closed"), (("by_stage", "not_adopted"), "not_adopted")]
    for (before, _), (slug, _) in zip(quarters, quarters[1:], strict=False):
        for stock, flow in chains:
            relation = ((slug, stock), [(before, stock), (slug, flow)])
            if counts[relation[0]] == sum(counts[k] for k in relation[1]):  # only sums that hold
                relations.append(relation)
    published = publish(counts, relations, threshold=threshold, unpublished=known)
    return {slug: QuarterShown(published, slug) for slug, _ in quarters}


#: Quarters offered by the figures page and published together as one output (newest first).
WINDOW_QUARTERS = 5


def window(today: date) -> list[Quarter]:
    """The quarters the figures are published for, newest first: this one (up to today) and the
    four before it. Every output that publishes a quarter of them publishes the whole window,
    so two outputs never hide different cells of one quarter."""
    return Quarter.from_date(today).back(WINDOW_QUARTERS)


def published_window_by_partnership(today: date, thresholds: dict[int, int]) -> dict[int, dict[str, QuarterShown]]:
    """For each partnership in ``thresholds`` (id -> its disclosure threshold; all in scope), the
    window's quarters published as that partnership's own figures page publishes them: partnership
    id -> quarter slug -> QuarterShown. Six queries per quarter, whatever the number of
    partnerships."""
    quarters = list(reversed(window(today)))
    counted = {
        q.slug: board_figures_by_partnership(
            quarter_start=q.start, quarter_end=min(q.end, today), partnership_ids=list(thresholds)
        )
        for q in quarters
    }
    return {
        pid: published_quarters([(q.slug, counted[q.slug][pid]) for q in quarters], threshold=threshold)
        for pid, threshold in thresholds.items()
    }
