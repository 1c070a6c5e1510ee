"""The plan row rules at their boundaries, each asked twice: as the SQL expression the overview,
the board, the reminders and compliance use, and as the predicate pages use on loaded rows.
Both must give the same, hand-worked answer."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from core.extensions import db
from plans import rules, services
from plans.models import Plan, PlanRow
from tests.factories import BusinessAreaFactory, PartnershipFactory

NEW_YEARS_EVE = date(2026, 12, 31)
NEW_YEARS_DAY = date(2027, 1, 1)
#: The suite's today: quarter 4 of 2026 started on 1 October.
TODAY = date(2026, 11, 16)


@pytest.fixture
def plan(ctx):
    area = BusinessAreaFactory(name="Education")
    return services.create_plan(area_id=area.id, title="Education plan")


def row(plan, *, due=None, rag="green", updated=None) -> PlanRow:
    made = services.add_row(plan, values={"duty": "A duty", "due_date": due})
    made.rag = rag
    made.last_progress_at = updated
    db.session.flush()
    return made


def in_sql(expression, made: PlanRow) -> bool:
    return db.session.scalar(select(PlanRow.id).where(PlanRow.id == made.id, expression)) is not None


def both(expression, predicate, made: PlanRow, today: date) -> bool:
    """The rule's answer, after checking the SQL and the Python agree."""
    sql, python = in_sql(expression(today), made), predicate(made, today)
    assert sql == python, f"SQL says {sql}, Python says {python}"
    return python


# --- overdue: due_date < today, not complete -----------------------------------------------------


def test_a_row_due_on_31_december_is_overdue_from_1_january(plan):
    due_nye = row(plan, due=date(2026, 12, 31))
    assert both(rules.overdue, rules.is_overdue, due_nye, NEW_YEARS_EVE) is False
    assert both(rules.overdue, rules.is_overdue, due_nye, NEW_YEARS_DAY) is True


def test_complete_unrated_and_undated_rows(plan):
    assert (
        both(rules.overdue, rules.is_overdue, row(plan, due=date(2026, 12, 30), rag="complete"), NEW_YEARS_EVE) is False
    )
    assert both(rules.overdue, rules.is_overdue, row(plan, due=date(2026, 12, 30), rag=None), NEW_YEARS_EVE) is True
    assert both(rules.overdue, rules.is_overdue, row(plan, due=None), NEW_YEARS_DAY) is False


# --- stale: no update since the start of the quarter ---------------------------------------------


def test_stale_since_is_the_quarter_start():
    assert rules.stale_since(date(2026, 11, 16)) == date(2026, 10, 1)
    assert rules.stale_since(date(2026, 10, 1)) == date(2026, 10, 1)
    assert rules.stale_since(date(2026, 9, 30)) == date(2026, 7, 1)
    assert rules.stale_since(date(2027, 1, 1)) == date(2027, 1, 1)


def test_a_row_updated_on_the_quarter_start_is_not_stale_and_the_day_before_is(plan):
    on_the_start = row(plan, updated=datetime(2026, 10, 1, 0, 0, tzinfo=UTC))
    day_before = row(plan, updated=datetime(2026, 9, 30, 12, 0, tzinfo=UTC))
    last_moment_before = row(plan, updated=datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC))
    assert both(rules.stale, rules.is_stale, on_the_start, TODAY) is False
    assert both(rules.stale, rules.is_stale, day_before, TODAY) is True
    assert both(rules.stale, rules.is_stale, last_moment_before, TODAY) is True


def test_never_updated_rows_count_from_the_day_they_were_added(plan):
    # Added (imported) before this quarter and never updated: stale. Added today: not stale
    # on the day of import, whatever its RAG; it becomes stale when the next quarter starts.
    added_last_quarter = row(plan, updated=None, rag=None)
    added_last_quarter.created_at = datetime(2026, 9, 30, 23, 59, tzinfo=UTC)
    db.session.flush()
    assert both(rules.stale, rules.is_stale, added_last_quarter, TODAY) is True
    imported_today = row(plan, updated=None, rag=None)
    assert imported_today.created_at.date() == TODAY
    assert both(rules.stale, rules.is_stale, imported_today, TODAY) is False
    assert both(rules.stale, rules.is_stale, imported_today, date(2027, 1, 1)) is True
    assert both(rules.stale, rules.is_stale, row(plan, updated=None, rag="complete"), TODAY) is False
    old_but_done = row(plan, updated=datetime(2025, 1, 1, tzinfo=UTC), rag="complete")
    assert both(rules.stale, rules.is_stale, old_but_done, TODAY) is False


# --- due soon: today to 30 days ahead --------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (date(2026, 11, 15), False),  # yesterday: overdue, not due soon
        (date(2026, 11, 16), True),  # today
        (date(2026, 12, 16), True),  # the 30th day
        (date(2026, 12, 17), False),  # the 31st day
    ],
)
def test_due_soon_window(plan, due, expected):
    assert both(rules.due_soon, rules.is_due_soon, row(plan, due=due), TODAY) is expected


def test_a_complete_row_is_never_due_soon(plan):
    assert both(rules.due_soon, rules.is_due_soon, row(plan, due=date(2026, 11, 20), rag="complete"), TODAY) is False


# --- in this partnership ------------------------------------------------------------------------


def test_in_partnership_is_its_areas_plans_and_the_county_plan(ctx):
    ours, theirs = PartnershipFactory(name="Ours"), PartnershipFactory(name="Theirs")
    our_plan = services.create_plan(area_id=BusinessAreaFactory(partnership=ours).id, title="Our plan")
    services.create_plan(area_id=BusinessAreaFactory(partnership=theirs).id, title="Their plan")
    services.create_plan(area_id=None, title="County plan", template="county")

    def titles(partnership_id):
        return sorted(db.session.scalars(select(Plan.title).where(rules.in_partnership(partnership_id))))

    assert our_plan.title == "Our plan"
    assert titles(ours.id) == ["County plan", "Our plan"]
    assert titles(theirs.id) == ["County plan", "Their plan"]
    assert titles(None) == ["County plan", "Our plan", "Their plan"]
