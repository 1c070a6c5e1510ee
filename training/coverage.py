"""Coverage arithmetic: trained relevant staff over relevant headcount, per organisation and
overall, as at any date, with RAG against the partnership's target. Counted in SQL.

The rules, pinned by tests/training/test_coverage.py:

- Trained on day D: a person of the organisation with a completion of a course that counts
  for coverage, completed on or before D and not yet expired on D (``completed_on <= D <
  expires_on``: valid through the day before the anniversary), who had not left by D.
  Each person counts once, however many courses or registers name them.
- Headcount on day D: the organisation's latest whole-organisation headcount dated on or
  before D. None recorded, or a headcount of zero, is "no headcount": no percentage and no
  RAG, never a division by zero and never 100%.
- Coverage = trained / headcount, shown rounded down to one decimal place so that the figure
  shown never reads as meeting a target it misses. More trained than the headcount is shown
  as it is and flagged for checking; the RAG treats it as 100%.
- RAG: Green at or above the target; Amber at or above target minus the amber band; Red below.
- Overall: the sum of trained over the sum of headcounts of organisations that have one, each
  organisation's trained counted up to its headcount (an over-count in one organisation must
  not hide a shortfall in another).
- One organisation's figure is shown as counted wherever it appears (its row, its page, its
  quarter-end table): 6 trained against a headcount of 5 is 120.0%, flagged, never 100.0% in one
  table and 120.0% in another. The cap to the headcount applies only to the RAG and to adding
  organisations together (``_overall``).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import Date, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload

from core.dates import Quarter
from core.extensions import db
from core.vocab import Rag
from partnership.models import Organisation
from training.models import Completion, Course, Headcount, Person
from training.services import CoverageSettings, coverage_settings

#: Refresher training is due for people whose current training expires within this many days.
DUE_WITHIN_DAYS = 90
#: A headcount older than this on the day coverage is measured is flagged as out of date.
STALE_HEADCOUNT_DAYS = 366
TREND_QUARTERS = 8

FLAG_LABELS = {
    "no_headcount": "No headcount",
    "over_headcount": "More trained than the headcount: check the figures",
    "stale_headcount": "Headcount over a year old",
}


def coverage_percent(trained: int, headcount: int | None) -> Decimal | None:
    """trained / headcount as a percentage rounded down to 0.1; None for no headcount."""
    if not headcount:
        return None
    return (Decimal(trained * 100) / Decimal(headcount)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)


def rag_for(trained: int, headcount: int | None, settings: CoverageSettings) -> Rag | None:
    """Green at or above target, Amber within the band below it, else Red; None without a
    headcount. Compared in whole numbers, so 9 of 10 against 90% is exactly Green."""
    if not headcount:
        return None
    counted = min(trained, headcount)  # more trained than the headcount counts as 100%
    if counted * 100 >= settings.target_percent * headcount:
        return Rag.GREEN
    if counted * 100 >= settings.amber_from * headcount:
        return Rag.AMBER
    return Rag.RED


@dataclass
class CoverageRow:
    organisation_id: int
    name: str
    short_name: str
    headcount: int | None
    headcount_as_of: date | None
    headcount_source: str
    trained: int
    percent: Decimal | None
    rag: Rag | None
    flags: list[str]
    #: People whose current training expires within DUE_WITHIN_DAYS.
    due_soon: int = 0

    @property
    def has_headcount(self) -> bool:
        return bool(self.headcount)

    @property
    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS[f] for f in self.flags]


@dataclass
class CoverageSummary:
    """Coverage on ``as_of``: a row per active organisation and the overall figure."""

    as_of: date
    settings: CoverageSettings
    rows: list[CoverageRow]
    #: Sum of headcounts of organisations with a headcount.
    headcount: int
    #: Sum of their trained, each counted up to its headcount.
    trained: int
    percent: Decimal | None
    rag: Rag | None
    #: Trained people in organisations with no headcount (not in the overall figure).
    trained_without_headcount: int
    rag_counts: dict[str, int] = field(default_factory=dict)

    @property
    def without_headcount(self) -> list[CoverageRow]:
        return [r for r in self.rows if not r.has_headcount]

    @property
    def flagged(self) -> list[CoverageRow]:
        return [r for r in self.rows if "over_headcount" in r.flags]


def _points(points: list[date]):
    """The dates as a one-column table, so one query answers for every date."""
    selects = [select(literal(p, Date).label("point")) for p in points]
    return union_all(*selects).subquery("points") if len(selects) > 1 else selects[0].subquery("points")


def trained_counts(points: list[date], *, organisation_id: int | None = None) -> dict[tuple[date, int], int]:
    """(date, organisation id) -> people counted as trained on that date.

    One query and one pass over the completions, whatever the number of dates: a
    COUNT(DISTINCT person) per date, each counting the completions current on its date.
    """

    def current_on(day: date):
        return and_(
            Completion.completed_on <= day,
            Completion.expires_on > day,
            or_(Person.left_on.is_(None), Person.left_on > day),
        )

    counts = [func.count(func.distinct(case((current_on(day), Completion.person_id)))) for day in points]
    query = (
        select(Person.organisation_id, *counts)
        .select_from(Completion)
        .join(Course, Course.id == Completion.course_id)
        .join(Person, Person.id == Completion.person_id)
        .where(
            Course.counts_for_coverage.is_(True),
            Completion.expires_on > min(points),
            Completion.completed_on <= max(points),
        )
        .group_by(Person.organisation_id)
    )
    if organisation_id is not None:
        query = query.where(Person.organisation_id == organisation_id)
    counted = {}
    for org, *per_day in db.session.execute(query):
        counted.update({(day, org): n for day, n in zip(points, per_day, strict=True) if n})
    return counted


def latest_headcounts(
    points: list[date], *, organisation_id: int | None = None
) -> dict[tuple[date, int], tuple[int, date, str]]:
    """(date, organisation id) -> (headcount, its date, its source): the latest whole-organisation
    headcount dated on or before each date. One query."""
    pts = _points(points)
    latest = (
        select(pts.c.point, Headcount.organisation_id, func.max(Headcount.as_of).label("as_of"))
        .join(pts, Headcount.as_of <= pts.c.point)
        .where(Headcount.team == "")
        .group_by(pts.c.point, Headcount.organisation_id)
    )
    if organisation_id is not None:
        latest = latest.where(Headcount.organisation_id == organisation_id)
    latest = latest.subquery("latest")
    query = select(
        latest.c.point, Headcount.organisation_id, Headcount.relevant_headcount, Headcount.as_of, Headcount.source
    ).join(
        latest,
        and_(
            Headcount.organisation_id == latest.c.organisation_id,
            Headcount.as_of == latest.c.as_of,
            Headcount.team == "",
        ),
    )
    return {(_day(point), org): (n, as_of, source) for point, org, n, as_of, source in db.session.execute(query)}


def due_counts(
    as_of: date, *, within_days: int = DUE_WITHIN_DAYS, organisation_id: int | None = None
) -> dict[int, int]:
    """organisation id -> people whose current training all expires within ``within_days``."""
    due = refreshers_due_query(as_of=as_of, within_days=within_days, organisation_id=organisation_id).subquery()
    query = (
        select(Person.organisation_id, func.count())
        .join(due, due.c.person_id == Person.id)
        .where(_still_employed(as_of))
        .group_by(Person.organisation_id)
    )
    return dict(db.session.execute(query).all())


def _still_employed(as_of: date):
    return or_(Person.left_on.is_(None), Person.left_on > as_of)


def refreshers_due_query(*, as_of: date, within_days: int = DUE_WITHIN_DAYS, organisation_id: int | None = None):
    """(person_id, expires_on) of people trained on ``as_of`` whose current coverage training
    all expires within ``within_days`` (so they are not trained on as_of + within_days unless
    they train again). Leavers are not taken out here: callers join Person and apply
    ``_still_employed`` once, to the grouped people rather than to every completion."""
    horizon = as_of + timedelta(days=within_days)
    valid_until = func.max(Completion.expires_on)
    counting = select(Course.id).where(Course.counts_for_coverage.is_(True))
    # Only people with a completion expiring within the window can be due: a narrow range of
    # the coverage index, so the grouping below never runs over every current completion.
    candidates = select(Completion.person_id).where(
        Completion.course_id.in_(counting),
        Completion.expires_on > as_of,
        Completion.expires_on <= horizon,
    )
    if organisation_id is not None:
        candidates = candidates.where(
            Completion.person_id.in_(select(Person.id).where(Person.organisation_id == organisation_id))
        )
    return (
        select(Completion.person_id, valid_until.label("expires_on"))
        .where(
            Completion.person_id.in_(candidates),
            Completion.course_id.in_(counting),
            Completion.completed_on <= as_of,
            Completion.expires_on > as_of,
        )
        .group_by(Completion.person_id)
        .having(valid_until <= horizon)
    )


def refreshers_due(*, as_of: date, within_days: int = DUE_WITHIN_DAYS, organisation_id: int | None = None):
    """A SELECT of (Person, expires_on) for the refreshers-due list, soonest first (for paging).
    Without ``organisation_id``, the people of active organisations: the same people the coverage
    rows' ``due_soon`` counts, so the page can take its total from those rows."""
    due = refreshers_due_query(as_of=as_of, within_days=within_days, organisation_id=organisation_id).subquery()
    query = (
        select(Person, due.c.expires_on)
        .join(due, due.c.person_id == Person.id)
        .where(_still_employed(as_of))
        .options(joinedload(Person.organisation))
        .order_by(due.c.expires_on, Person.name, Person.id)
    )
    if organisation_id is None:
        query = query.where(Person.organisation_id.in_(select(Organisation.id).where(Organisation.active.is_(True))))
    return query


def _day(value) -> date:
    """A date from the database: SQLite may hand back text for a computed date column."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _row(
    organisation: tuple[int, str, str],
    as_of: date,
    settings: CoverageSettings,
    trained: int,
    headcount: tuple[int, date, str] | None,
    due_soon: int = 0,
) -> CoverageRow:
    organisation_id, name, short_name = organisation
    count, counted_on, source = headcount if headcount else (None, None, "")
    flags = []
    if not count:
        flags.append("no_headcount")
    elif trained > count:
        flags.append("over_headcount")
    if counted_on is not None and (as_of - counted_on).days > STALE_HEADCOUNT_DAYS:
        flags.append("stale_headcount")
    return CoverageRow(
        organisation_id=organisation_id,
        name=name,
        short_name=short_name,
        headcount=count,
        headcount_as_of=counted_on,
        headcount_source=source,
        trained=trained,
        percent=coverage_percent(trained, count),
        rag=rag_for(trained, count, settings),
        flags=flags,
        due_soon=due_soon,
    )


def _organisations(
    organisation_id: int | None = None, *, made_before: datetime | None = None
) -> list[tuple[int, str, str]]:
    query = select(Organisation.id, Organisation.name, Organisation.short_name).order_by(Organisation.name)
    if organisation_id is None:
        query = query.where(Organisation.active.is_(True))
    else:
        query = query.where(Organisation.id == organisation_id)
    if made_before is not None:
        query = query.where(Organisation.created_at < made_before)
    return [tuple(r) for r in db.session.execute(query)]


def _overall(rows: list[CoverageRow], settings: CoverageSettings) -> tuple[int, int, Decimal | None, Rag | None]:
    with_headcount = [r for r in rows if r.has_headcount]
    headcount = sum(r.headcount for r in with_headcount)
    trained = sum(min(r.trained, r.headcount) for r in with_headcount)
    return headcount, trained, coverage_percent(trained, headcount), rag_for(trained, headcount, settings)


def coverage_summary(*, as_of: date, made_before: datetime | None = None) -> CoverageSummary:
    """Coverage on ``as_of`` for every active organisation, and overall.

    Returns a CoverageSummary: ``rows`` (one CoverageRow per active organisation, by name, with
    headcount and its date and source, trained, percent, RAG, flags and refreshers due),
    and the overall ``headcount``, ``trained``, ``percent`` and ``rag``, with the partnership's
    ``settings`` (target and amber band). Five queries, whatever the number of organisations
    or records. The board pack reads it as it stands. ``made_before`` leaves out organisations
    added to the product from that instant (a closed year's compliance check reads the
    organisations that existed at its end).
    """
    settings = coverage_settings()
    return _summary(
        as_of,
        settings,
        trained_counts([as_of]),
        latest_headcounts([as_of]),
        due_counts(as_of),
        _organisations(made_before=made_before),
    )


def for_partnership(summary: CoverageSummary, partnership_id: int) -> CoverageSummary:
    """``summary`` narrowed to one partnership's organisations (a deployment may hold several),
    with the overall figures worked out again from those rows alone."""
    from dataclasses import replace

    from partnership.models import Organisation

    ours = set(db.session.scalars(select(Organisation.id).where(Organisation.partnership_id == partnership_id)))
    if all(row.organisation_id in ours for row in summary.rows):
        return summary
    rows = [row for row in summary.rows if row.organisation_id in ours]
    headcount, trained, percent, rag = _overall(rows, summary.settings)
    rag_counts = {key: sum(1 for r in rows if r.rag is not None and r.rag.value == key) for key in summary.rag_counts}
    return replace(
        summary,
        rows=rows,
        headcount=headcount,
        trained=trained,
        percent=percent,
        rag=rag,
        trained_without_headcount=sum(r.trained for r in rows if not r.has_headcount),
        rag_counts=rag_counts,
    )


def coverage_by_partnership(*, as_of: date) -> dict[int, CoverageSummary]:
    """Coverage on ``as_of`` of every partnership in scope (core.tenancy), each against its own
    target and amber band: partnership id -> CoverageSummary, as coverage_summary gives it for
    one partnership. Six queries, whatever the number of partnerships or organisations."""
    from partnership.models import Partnership

    settings = {
        pid: CoverageSettings(target_percent=target, amber_band_points=band)
        for pid, target, band in db.session.execute(
            select(Partnership.id, Partnership.training_target_percent, Partnership.training_amber_band_points)
        )
    }
    organisations: dict[int, list[tuple[int, str, str]]] = {pid: [] for pid in settings}
    query = (
        select(Organisation.partnership_id, Organisation.id, Organisation.name, Organisation.short_name)
        .where(Organisation.active.is_(True))
        .order_by(Organisation.name)
    )
    for pid, *organisation in db.session.execute(query):
        organisations.setdefault(pid, []).append(tuple(organisation))
    trained, headcounts, due = trained_counts([as_of]), latest_headcounts([as_of]), due_counts(as_of)
    return {
        pid: _summary(as_of, settings.get(pid, CoverageSettings()), trained, headcounts, due, ours)
        for pid, ours in organisations.items()
    }


def coverage_with_trend(*, as_of: date, quarters: int = TREND_QUARTERS) -> tuple[CoverageSummary, list["TrendPoint"]]:
    """coverage_summary and coverage_trend for the coverage page, sharing their queries: one
    pass over the completions answers every date, ``as_of`` included.

    Counted afresh on every call, never kept in the process: every app server shows the
    coverage of what is committed. The counting is aggregates in SQL, a fixed number of
    queries whatever the number of organisations, people or records."""
    settings = coverage_settings()
    points = trend_points(as_of, quarters)
    trained = trained_counts(points)
    headcounts = latest_headcounts(points)
    organisations = _organisations()
    summary = _summary(as_of, settings, trained, headcounts, due_counts(as_of), organisations)
    return summary, _trend(points, settings, trained, headcounts, organisations)


def _summary(as_of, settings, trained, headcounts, due, organisations) -> CoverageSummary:
    rows = [
        _row(org, as_of, settings, trained.get((as_of, org[0]), 0), headcounts.get((as_of, org[0])), due.get(org[0], 0))
        for org in organisations
    ]
    headcount, counted, percent, rag = _overall(rows, settings)
    rag_counts = {rag_value.value: 0 for rag_value in (Rag.GREEN, Rag.AMBER, Rag.RED)}
    for row in rows:
        if row.rag is not None:
            rag_counts[row.rag.value] += 1
    return CoverageSummary(
        as_of=as_of,
        settings=settings,
        rows=rows,
        headcount=headcount,
        trained=counted,
        percent=percent,
        rag=rag,
        trained_without_headcount=sum(r.trained for r in rows if not r.has_headcount),
        rag_counts=rag_counts,
    )


def organisation_coverage(organisation: Organisation, *, as_of: date) -> CoverageRow:
    settings = coverage_settings()
    trained = trained_counts([as_of], organisation_id=organisation.id)
    headcount = latest_headcounts([as_of], organisation_id=organisation.id)
    due = due_counts(as_of, organisation_id=organisation.id)
    return _row(
        (organisation.id, organisation.name, organisation.short_name),
        as_of,
        settings,
        trained.get((as_of, organisation.id), 0),
        headcount.get((as_of, organisation.id)),
        due.get(organisation.id, 0),
    )


@dataclass
class TrendPoint:
    on: date
    label: str
    headcount: int
    trained: int
    percent: Decimal | None
    rag: Rag | None


def trend_points(as_of: date, quarters: int = TREND_QUARTERS) -> list[date]:
    """The last ``quarters`` quarter ends on or before ``as_of``, oldest first, and ``as_of`` itself."""
    latest = Quarter.from_date(as_of)
    if latest.end > as_of:
        latest = latest.previous()
    points = [q.end for q in reversed(latest.back(quarters))]
    if points[-1] != as_of:
        points.append(as_of)
    return points


def coverage_trend(
    *, as_of: date, quarters: int = TREND_QUARTERS, organisation_id: int | None = None
) -> list[TrendPoint]:
    """Coverage at each of the last ``quarters`` quarter ends and on ``as_of``: overall, or for
    one organisation. Four queries, whatever the number of points or organisations."""
    settings = coverage_settings()
    points = trend_points(as_of, quarters)
    trained = trained_counts(points, organisation_id=organisation_id)
    headcounts = latest_headcounts(points, organisation_id=organisation_id)
    return _trend(
        points, settings, trained, headcounts, _organisations(organisation_id), single=organisation_id is not None
    )


def _trend(points, settings, trained, headcounts, organisations, *, single: bool = False) -> list["TrendPoint"]:
    """Coverage at each point: overall, or (``single``) one organisation's own figures, as
    counted (see the module's rules)."""
    out = []
    for point in points:
        rows = [
            _row(org, point, settings, trained.get((point, org[0]), 0), headcounts.get((point, org[0])))
            for org in organisations
        ]
        if single and len(rows) == 1:
            (row,) = rows
            headcount, counted, percent, rag = row.headcount or 0, row.trained, row.percent, row.rag
        else:
            headcount, counted, percent, rag = _overall(rows, settings)
        label = f"{point:%b %Y}" if point == Quarter.from_date(point).end else f"{point:%-d %b %Y}"
        out.append(TrendPoint(point, label, headcount, counted, percent, rag))
    return out


@dataclass
class TeamRow:
    team: str
    headcount: int | None
    headcount_as_of: date | None
    trained: int
    percent: Decimal | None
    rag: Rag | None


def team_coverage(organisation_id: int, *, as_of: date) -> list[TeamRow]:
    """Coverage by team within an organisation, for the teams with a headcount of their own
    (people are matched to a team by its name, ignoring case)."""
    settings = coverage_settings()
    latest = (
        select(func.lower(Headcount.team).label("team_key"), func.max(Headcount.as_of).label("as_of"))
        .where(Headcount.organisation_id == organisation_id, Headcount.team != "", Headcount.as_of <= as_of)
        .group_by(func.lower(Headcount.team))
        .subquery()
    )
    headcounts = db.session.execute(
        select(Headcount.team, Headcount.relevant_headcount, Headcount.as_of)
        .join(latest, and_(func.lower(Headcount.team) == latest.c.team_key, Headcount.as_of == latest.c.as_of))
        .where(Headcount.organisation_id == organisation_id)
        .order_by(Headcount.team)
    ).all()
    if not headcounts:
        return []
    trained = dict(
        db.session.execute(
            select(func.lower(Person.team), func.count(func.distinct(Completion.person_id)))
            .join(Completion, Completion.person_id == Person.id)
            .join(Course, Course.id == Completion.course_id)
            .where(
                Person.organisation_id == organisation_id,
                Course.counts_for_coverage.is_(True),
                Completion.completed_on <= as_of,
                Completion.expires_on > as_of,
                or_(Person.left_on.is_(None), Person.left_on > as_of),
            )
            .group_by(func.lower(Person.team))
        ).all()
    )
    rows = []
    for team, count, counted_on in headcounts:
        n = trained.get(team.lower(), 0)
        rows.append(TeamRow(team, count, counted_on, n, coverage_percent(n, count), rag_for(n, count, settings)))
    return rows
