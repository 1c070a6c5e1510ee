"""The plan row rules every part of the product asks: overdue, stale, due soon, and which plans
are "in this partnership".

Each rule is written once, here: as a SQL expression for queries that count or filter rows (the
overview, the board's exceptions and pack, the reminders, the compliance checks), and beside it
as a predicate on a loaded row for pages that already hold the rows. tests/plans/test_rules.py
runs both on the same rows at each boundary.

Where earlier copies of these rules disagreed, this is what was decided:

- **Overdue**: not complete, and the due date is before today (``due_date < today``). A row due
  on 31 December is not overdue on 31 December; it is overdue from 1 January. The compliance
  year-end check used to count it as overdue on 31 December (``due <= year end``); it now asks
  this rule as at 31 December.
- **Stale**: not complete, and no progress update since the start of the current quarter
  (``stale_since(today)``: 1 October for any day from October to December), counted from
  00:00 UTC on that day. A row never updated counts from the day it was added or imported
  (its ``created_at``): a row imported today without progress is not stale today, and becomes
  stale when a quarter starts without an update. A row updated on the quarter start is not stale; one last updated the
  day before is. Every page, the board pack, the reminders and the compliance report name that
  date ("not updated since 1 October 2026"). The plan page used to name the last board meeting's
  date instead: that date answers "what changed since the board", a different question.
- **Due soon**: not complete, and due from today to ``DUE_SOON_DAYS`` (30) days ahead, both days
  included. Without evidence, such a row is suggested Amber.
- **In this partnership**: plans of the partnership's business areas, and the county delivery
  plan (the plan with no area); every plan when no partnership is named. A SPOC plan is one with
  an area.

"Complete" is the row's RAG being Complete. A check that looks back in time (compliance, at a
year end) passes its own "complete then" instead of the row's RAG today.
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, true

from core.dates import Quarter
from core.vocab import Rag
from partnership.models import BusinessArea
from plans.models import Plan, PlanRow, PlanStatus

#: Days ahead of today within which a row is "due soon" (suggested Amber without evidence).
DUE_SOON_DAYS = 30


# --- the dates the rules turn on ---------------------------------------------------------------


def stale_since(today: date) -> date:
    """The date a row must have been updated on or after not to be stale: the first day of the
    current quarter. Pages print it as "not updated since 1 October 2026"."""
    return Quarter.from_date(today).start


def start_of(day: date) -> datetime:
    """00:00 UTC on ``day``: the instant a date-based rule compares update times with."""
    return datetime.combine(day, time.min, UTC)


# --- as SQL ------------------------------------------------------------------------------------


def live(at: datetime | None = None) -> ColumnElement[bool]:
    """The row is part of its plan (not archived), or was at the instant ``at``. Archived rows
    keep their history but leave the plan's page, exports and every roll-up."""
    if at is None:
        return PlanRow.archived_at.is_(None)
    return or_(PlanRow.archived_at.is_(None), PlanRow.archived_at > at)


def complete(rag: ColumnElement[str | None] = PlanRow.rag) -> ColumnElement[bool]:
    """The row's RAG (or ``rag``, e.g. a past update's) is Complete; never NULL: no RAG is not
    complete."""
    return func.coalesce(rag, "") == Rag.COMPLETE.value


def overdue(today: date, *, is_complete: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
    """Past its due date and not complete. ``is_complete`` replaces the row's RAG today, for a
    check as at an earlier date; it must never be NULL."""
    return and_(PlanRow.due_date < today, not_(complete() if is_complete is None else is_complete))


def stale(today: date) -> ColumnElement[bool]:
    """Not complete, and no progress update since stale_since(today) (a row never updated: not
    added since then)."""
    return and_(
        not_(complete()),
        func.coalesce(PlanRow.last_progress_at, PlanRow.created_at) < start_of(stale_since(today)),
    )


def due_soon(today: date) -> ColumnElement[bool]:
    """Not complete, and due from today to DUE_SOON_DAYS ahead."""
    return and_(
        not_(complete()),
        PlanRow.due_date >= today,
        PlanRow.due_date <= today + timedelta(days=DUE_SOON_DAYS),
    )


def in_partnership(partnership_id: int | None) -> ColumnElement[bool]:
    """The partnership's plans: its areas' plans and the county plan; every plan for None."""
    if partnership_id is None:
        return true()
    areas = select(BusinessArea.id).where(BusinessArea.partnership_id == partnership_id)
    return or_(Plan.area_id.is_(None), Plan.area_id.in_(areas))


def active_at(instant: datetime) -> ColumnElement[bool]:
    """The plan was active just before ``instant`` (e.g. the first instant after a year end):
    made before it, and either active now since before it, or active until a status change
    made after it (a plan archived in January was active on 31 December). A plan still a draft,
    or made after ``instant``, was not. Read from created_at and status_since, so a closed
    year's answer does not change when plans are added, archived or reactivated later."""
    made = Plan.created_at < instant
    active_now = Plan.status == PlanStatus.ACTIVE.value
    return and_(
        made,
        or_(
            and_(active_now, Plan.status_since < instant),
            and_(~active_now, Plan.status != PlanStatus.DRAFT.value, Plan.status_since >= instant),
        ),
    )


# --- on loaded rows ----------------------------------------------------------------------------


def is_complete(row: PlanRow) -> bool:
    return row.rag == Rag.COMPLETE.value


def is_overdue(row: PlanRow, today: date) -> bool:
    """overdue(), for a loaded row."""
    return row.due_date is not None and row.due_date < today and not is_complete(row)


def is_stale(row: PlanRow, today: date) -> bool:
    """stale(), for a loaded row."""
    if is_complete(row):
        return False
    return (row.last_progress_at or row.created_at) < start_of(stale_since(today))


def is_due_soon(row: PlanRow, today: date) -> bool:
    """due_soon(), for a loaded row."""
    if row.due_date is None or is_complete(row):
        return False
    return today <= row.due_date <= today + timedelta(days=DUE_SOON_DAYS)
