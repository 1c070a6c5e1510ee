"""Coverage arithmetic, pinned: the validity window, who counts once, headcounts, RAG, overall."""

from datetime import date
from decimal import Decimal

import pytest

from core.extensions import db
from core.vocab import Rag
from partnership.models import Partnership
from tests.factories import OrganisationFactory, PartnershipFactory
from tests.training.factories import (
    CompletionFactory,
    CourseFactory,
    HeadcountFactory,
    PersonFactory,
)
from training import coverage, services
from training.coverage import coverage_percent, coverage_summary, rag_for
from training.models import CourseKind
from training.services import CoverageSettings, expiry_date

SETTINGS = CoverageSettings(target_percent=90, amber_band_points=10)


@pytest.fixture
def partnership(ctx):
    return PartnershipFactory(name="Coverage Partnership")


@pytest.fixture
def wrap(ctx):
    return CourseFactory(name="WRAP", kind=CourseKind.WRAP.value, validity_months=36, counts_for_coverage=True)


def organisation(partnership, name="Council", headcount: int | None = 10, as_of=date(2025, 1, 1)):
    org = OrganisationFactory(partnership=partnership, name=name)
    if headcount is not None:
        HeadcountFactory(organisation=org, relevant_headcount=headcount, as_of=as_of)
    return org


def trained_people(org, course, n: int, completed_on=date(2025, 6, 1)) -> list:
    people = PersonFactory.create_batch(n, organisation=org)
    for person in people:
        CompletionFactory(person=person, course=course, completed_on=completed_on)
    return people


def row_for(summary, org):
    return next(r for r in summary.rows if r.organisation_id == org.id)


# --- the validity window ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed_on", "months", "expires_on"),
    [
        (date(2023, 3, 15), 36, date(2026, 3, 15)),  # the anniversary: expired that day
        (date(2024, 2, 29), 12, date(2025, 3, 1)),  # no 29 February in 2025: counts through the 28th
        (date(2025, 8, 31), 6, date(2026, 3, 1)),  # 31 August + 6 months: through 28 February
        (date(2025, 1, 31), 1, date(2025, 3, 1)),
        (date(2025, 12, 1), 1, date(2026, 1, 1)),
    ],
)
def test_expiry_is_the_anniversary_or_the_day_after_a_shorter_months_end(completed_on, months, expires_on):
    assert expiry_date(completed_on, months) == expires_on


@pytest.mark.parametrize(
    ("as_of", "counted"),
    [
        (date(2023, 3, 14), 0),  # the day before the course: not yet trained
        (date(2023, 3, 15), 1),  # the day of the course
        (date(2026, 3, 14), 1),  # the day before expiry: still current
        (date(2026, 3, 15), 0),  # the expiry day (the anniversary): expired
        (date(2026, 3, 16), 0),  # the day after
    ],
)
def test_validity_window_edges(partnership, wrap, as_of, counted):
    org = organisation(partnership, headcount=1, as_of=date(2020, 1, 1))
    trained_people(org, wrap, 1, completed_on=date(2023, 3, 15))

    row = row_for(coverage_summary(as_of=as_of), org)

    assert row.trained == counted
    assert row.percent == Decimal(100 * counted)


def test_validity_follows_the_courses_own_months_and_is_recalculated_when_it_changes(partnership, wrap):
    org = organisation(partnership, headcount=2, as_of=date(2020, 1, 1))
    short = CourseFactory(name="Short refresher", kind=CourseKind.REFRESHER.value, validity_months=12)
    trained_people(org, short, 1, completed_on=date(2025, 1, 10))
    assert row_for(coverage_summary(as_of=date(2026, 1, 9)), org).trained == 1
    assert row_for(coverage_summary(as_of=date(2026, 1, 10)), org).trained == 0

    changed = services.update_course(
        short, name=short.name, kind=short.kind, validity_months=24, counts_for_coverage=True, active=True
    )

    assert changed == 1
    assert row_for(coverage_summary(as_of=date(2026, 1, 10)), org).trained == 1
    assert row_for(coverage_summary(as_of=date(2027, 1, 10)), org).trained == 0


def test_expired_training_and_courses_that_do_not_count_are_excluded(partnership, wrap):
    org = organisation(partnership, headcount=10, as_of=date(2020, 1, 1))
    elearning = CourseFactory(name="Prevent e-learning", kind=CourseKind.ELEARNING.value, counts_for_coverage=False)
    trained_people(org, wrap, 2, completed_on=date(2025, 1, 1))  # current
    trained_people(org, wrap, 3, completed_on=date(2022, 1, 1))  # expired on 1 January 2025
    trained_people(org, elearning, 4, completed_on=date(2025, 1, 1))  # e-learning alone is not WRAP

    row = row_for(coverage_summary(as_of=date(2025, 6, 30)), org)

    assert row.trained == 2
    assert row.percent == Decimal("20.0")


def test_a_person_counts_once_however_many_current_completions(partnership, wrap):
    org = organisation(partnership, headcount=4)
    refresher = CourseFactory(name="WRAP refresher", kind=CourseKind.REFRESHER.value)
    (person,) = trained_people(org, wrap, 1, completed_on=date(2024, 1, 1))
    CompletionFactory(person=person, course=wrap, completed_on=date(2025, 1, 1))
    CompletionFactory(person=person, course=refresher, completed_on=date(2025, 3, 1))

    assert row_for(coverage_summary(as_of=date(2025, 6, 1)), org).trained == 1


def test_a_leaver_stops_counting_on_the_day_they_left(partnership, wrap):
    org = organisation(partnership, headcount=4)
    (person,) = trained_people(org, wrap, 1, completed_on=date(2024, 1, 1))
    person.left_on = date(2025, 5, 1)
    db.session.flush()

    assert row_for(coverage_summary(as_of=date(2025, 4, 30)), org).trained == 1
    assert row_for(coverage_summary(as_of=date(2025, 5, 1)), org).trained == 0


# --- headcounts --------------------------------------------------------------------------


def test_zero_and_missing_headcounts_show_no_headcount_never_a_division_or_100(partnership, wrap):
    zero = organisation(partnership, "Zero District", headcount=0)
    missing = organisation(partnership, "Missing District", headcount=None)
    trained_people(zero, wrap, 3)
    trained_people(missing, wrap, 2)

    summary = coverage_summary(as_of=date(2025, 7, 1))

    for org, trained in ((zero, 3), (missing, 2)):
        row = row_for(summary, org)
        assert (row.trained, row.percent, row.rag) == (trained, None, None)
        assert row.flags == ["no_headcount"]
        assert row.flag_labels == ["No headcount"]
    # Nothing has a headcount, so there is no overall figure either.
    assert (summary.headcount, summary.trained, summary.percent, summary.rag) == (0, 0, None, None)
    assert summary.trained_without_headcount == 5
    assert coverage_percent(5, 0) is None and coverage_percent(5, None) is None


def test_the_headcount_is_the_latest_dated_on_or_before_the_day(partnership, wrap):
    org = organisation(partnership, headcount=None)
    HeadcountFactory(organisation=org, as_of=date(2024, 1, 1), relevant_headcount=20, source="2024 establishment")
    HeadcountFactory(organisation=org, as_of=date(2025, 1, 1), relevant_headcount=10, source="2025 establishment")
    HeadcountFactory(organisation=org, team="Children's services", as_of=date(2025, 3, 1), relevant_headcount=3)
    trained_people(org, wrap, 5, completed_on=date(2023, 6, 1))

    before_any = row_for(coverage_summary(as_of=date(2023, 12, 31)), org)
    first = row_for(coverage_summary(as_of=date(2024, 12, 31)), org)
    second = row_for(coverage_summary(as_of=date(2025, 1, 1)), org)

    assert before_any.headcount is None and before_any.flags == ["no_headcount"]
    assert (first.headcount, first.headcount_source, first.percent) == (20, "2024 establishment", Decimal("25.0"))
    # A team's own headcount does not replace the organisation's.
    assert (second.headcount, second.headcount_as_of, second.percent) == (10, date(2025, 1, 1), Decimal("50.0"))


def test_a_headcount_over_a_year_old_is_flagged(partnership, wrap):
    org = organisation(partnership, headcount=10, as_of=date(2024, 1, 1))
    trained_people(org, wrap, 9, completed_on=date(2024, 6, 1))

    # 2024 is a leap year: 1 January 2025 is 366 days after the headcount, 2 January 367.
    assert row_for(coverage_summary(as_of=date(2025, 1, 1)), org).flags == []
    assert row_for(coverage_summary(as_of=date(2025, 1, 2)), org).flags == ["stale_headcount"]


def test_more_trained_than_the_headcount_is_shown_flagged_and_capped_in_the_rag(partnership, wrap):
    org = organisation(partnership, headcount=10)
    trained_people(org, wrap, 12)

    row = row_for(coverage_summary(as_of=date(2025, 7, 1)), org)

    assert (row.trained, row.headcount, row.percent) == (12, 10, Decimal("120.0"))
    assert row.flags == ["over_headcount"]
    assert row.rag is Rag.GREEN
    assert rag_for(12, 10, CoverageSettings(target_percent=100, amber_band_points=0)) is Rag.GREEN


# --- RAG -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trained", "rag", "percent"),
    [
        (1000, Rag.GREEN, "100.0"),
        (900, Rag.GREEN, "90.0"),  # exactly the target
        (899, Rag.AMBER, "89.9"),  # just below: Amber, and shown as 89.9 not 90.0
        (801, Rag.AMBER, "80.1"),
        (800, Rag.AMBER, "80.0"),  # exactly target minus the band
        (799, Rag.RED, "79.9"),
        (0, Rag.RED, "0.0"),
    ],
)
def test_rag_bands_at_the_exact_boundaries(trained, rag, percent):
    assert rag_for(trained, 1000, SETTINGS) is rag
    assert coverage_percent(trained, 1000) == Decimal(percent)


def test_a_percentage_is_rounded_down_so_it_never_reads_as_meeting_the_target():
    assert coverage_percent(8999, 10000) == Decimal("89.9")
    assert coverage_percent(2, 3) == Decimal("66.6")
    assert rag_for(8999, 10000, SETTINGS) is Rag.AMBER


def test_the_partnerships_target_and_band_decide_the_rag(partnership, wrap):
    org = organisation(partnership, headcount=20)
    trained_people(org, wrap, 15)  # 75%
    assert row_for(coverage_summary(as_of=date(2025, 7, 1)), org).rag is Rag.RED

    first = db.session.scalars(db.select(Partnership).order_by(Partnership.id)).first()
    services.update_settings(first, target_percent=80, amber_band_points=5)

    summary = coverage_summary(as_of=date(2025, 7, 1))
    assert (summary.settings.target_percent, summary.settings.amber_band_points) == (80, 5)
    assert row_for(summary, org).rag is Rag.AMBER


# --- overall -----------------------------------------------------------------------------------


def test_overall_figure_sums_organisations_with_a_headcount_each_capped_at_its_headcount(partnership, wrap):
    a = organisation(partnership, "A Council", headcount=10)
    b = organisation(partnership, "B Council", headcount=10)
    c = organisation(partnership, "C Council", headcount=10)
    d = organisation(partnership, "D Council", headcount=None)
    inactive = organisation(partnership, "Former Member", headcount=10)
    inactive.active = False
    trained_people(a, wrap, 9)
    trained_people(b, wrap, 5)
    trained_people(c, wrap, 12)
    trained_people(d, wrap, 3)
    trained_people(inactive, wrap, 1)

    summary = coverage_summary(as_of=date(2025, 7, 1))

    assert [r.name for r in summary.rows] == ["A Council", "B Council", "C Council", "D Council"]
    assert (summary.headcount, summary.trained) == (30, 24)  # 9 + 5 + 10 (C capped), D left out
    assert summary.percent == Decimal("80.0")
    assert summary.rag is Rag.AMBER
    assert summary.trained_without_headcount == 3
    assert summary.rag_counts == {"green": 2, "amber": 0, "red": 1}
    assert [r.name for r in summary.flagged] == ["C Council"]
    assert [r.name for r in summary.without_headcount] == ["D Council"]


def test_coverage_is_counted_in_a_fixed_number_of_queries(partnership, wrap, app):
    from sqlalchemy import event

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            coverage_summary(as_of=date(2025, 7, 1))
            coverage.coverage_trend(as_of=date(2025, 7, 1))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    org = organisation(partnership, headcount=5)
    trained_people(org, wrap, 2)
    small = statements()
    for n in range(15):
        trained_people(organisation(partnership, f"Extra {n}", headcount=8), wrap, 3)
    assert statements() == small


# --- trend and refreshers due ---------------------------------------------------------------------


def test_trend_gives_each_quarter_end_and_the_day_itself(partnership, wrap):
    org = organisation(partnership, headcount=10, as_of=date(2023, 1, 1))
    trained_people(org, wrap, 4, completed_on=date(2023, 2, 1))  # expire 1 February 2026
    trained_people(org, wrap, 4, completed_on=date(2025, 8, 15))

    trend = coverage.coverage_trend(as_of=date(2026, 2, 10))

    assert [p.on for p in trend] == [
        date(2024, 3, 31),
        date(2024, 6, 30),
        date(2024, 9, 30),
        date(2024, 12, 31),
        date(2025, 3, 31),
        date(2025, 6, 30),
        date(2025, 9, 30),
        date(2025, 12, 31),
        date(2026, 2, 10),
    ]
    assert [p.percent for p in trend] == [Decimal("40.0")] * 6 + [Decimal("80.0"), Decimal("80.0"), Decimal("40.0")]
    assert trend[0].label == "Mar 2024" and trend[-1].label == "10 Feb 2026"
    assert trend[-1].rag is Rag.RED and trend[-2].rag is Rag.AMBER


def test_the_trend_counts_training_through_the_day_before_it_expires_at_every_quarter_end(partnership, wrap):
    """A single date cannot pin this: the query keeps only completions that expire after the
    earliest date asked about, so the window is tested at a quarter end inside the trend."""
    org = organisation(partnership, headcount=10, as_of=date(2020, 1, 1))
    trained_people(org, wrap, 1, completed_on=date(2023, 9, 30))  # expires on 30 September 2026, a quarter end
    trained_people(org, wrap, 2, completed_on=date(2023, 10, 1))  # expires on 1 October 2026, the day after

    trained = {point.on: point.trained for point in coverage.coverage_trend(as_of=date(2026, 11, 16))}

    assert trained[date(2026, 6, 30)] == 3
    assert trained[date(2026, 9, 30)] == 2  # the first has expired that day; the other two are current
    assert trained[date(2026, 11, 16)] == 0


def test_refreshers_due_are_people_whose_current_training_all_expires_within_90_days(partnership, wrap):
    org = organisation(partnership, headcount=10, as_of=date(2020, 1, 1))
    as_of = date(2026, 1, 1)
    # expires_on = completed_on + 36 months
    due_last_day = trained_people(org, wrap, 1, completed_on=date(2023, 4, 1))[0]  # expires 1 April = day 90
    trained_people(org, wrap, 1, completed_on=date(2023, 4, 2))  # expires day 91: not yet due
    due_first = trained_people(org, wrap, 1, completed_on=date(2023, 1, 2))[0]  # expires tomorrow
    renewed = trained_people(org, wrap, 1, completed_on=date(2023, 2, 1))[0]
    CompletionFactory(person=renewed, course=wrap, completed_on=date(2025, 11, 1))  # already refreshed
    trained_people(org, wrap, 1, completed_on=date(2022, 12, 1))  # expired already: not "due", lapsed

    due = db.session.execute(coverage.refreshers_due(as_of=as_of)).all()

    assert [(person.id, expires) for person, expires in due] == [
        (due_first.id, date(2026, 1, 2)),
        (due_last_day.id, date(2026, 4, 1)),
    ]
    assert coverage.due_counts(as_of) == {org.id: 2}
    assert row_for(coverage_summary(as_of=as_of), org).due_soon == 2


def test_refreshers_due_list_holds_exactly_the_people_the_coverage_rows_count(partnership, wrap):
    """The coverage page takes the list's total from the rows' due_soon, so both must agree:
    leavers are out of both, and so are the people of a deactivated organisation."""
    as_of = date(2026, 1, 1)
    council = organisation(partnership, name="Council", headcount=10)
    police = organisation(partnership, name="Police", headcount=10)
    closed = organisation(partnership, name="Closed Trust", headcount=10)
    trained_people(council, wrap, 2, completed_on=date(2023, 2, 1))
    leaver = trained_people(council, wrap, 1, completed_on=date(2023, 2, 1))[0]
    leaver.left_on = date(2025, 12, 1)
    trained_people(police, wrap, 1, completed_on=date(2023, 3, 1))
    trained_people(closed, wrap, 3, completed_on=date(2023, 2, 1))
    closed.active = False
    db.session.flush()

    listed = db.session.execute(coverage.refreshers_due(as_of=as_of)).all()
    rows = coverage_summary(as_of=as_of).rows

    assert sorted({person.organisation_id for person, _ in listed}) == sorted([council.id, police.id])
    assert leaver.id not in {person.id for person, _ in listed}
    assert len(listed) == sum(row.due_soon for row in rows) == 3


def test_team_coverage_uses_each_teams_own_headcount(partnership, wrap):
    org = organisation(partnership, headcount=20)
    HeadcountFactory(organisation=org, team="Early Help", as_of=date(2025, 1, 1), relevant_headcount=4)
    for person in trained_people(org, wrap, 3):
        person.team = "early help"
    trained_people(org, wrap, 2)  # no team
    db.session.flush()

    (team,) = coverage.team_coverage(org.id, as_of=date(2025, 7, 1))

    assert (team.team, team.headcount, team.trained, team.percent, team.rag) == (
        "Early Help",
        4,
        3,
        Decimal("75.0"),
        Rag.RED,
    )
