"""The home page's plan panels: a SPOC's rows that need an update, and the Prevent Lead's areas
without a plan and exceptions. Each is a fixed number of queries, whatever the number of rows."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from core import clock
from core.extensions import db
from core.permissions import Permission, has_permission
from core.vocab import Rag, Role
from partnership.models import BusinessArea
from plans import rules, services
from plans.models import Plan, PlanRow, PlanStatus

#: Plans a SPOC works on: active and draft (an archived plan asks nothing of anyone).
CURRENT = (PlanStatus.ACTIVE.value, PlanStatus.DRAFT.value)
#: At most this many rows are listed on the home page; the rest are counted.
LIMIT = 15


@dataclass(frozen=True)
class RowToUpdate:
    plan_id: int
    plan_title: str
    area_name: str
    row_id: int
    reference: str
    duty: str
    actions: list
    due_date: date | None
    overdue: bool
    stale: bool
    due_soon: bool

    @property
    def label(self) -> str:
        """What the row is called in a link: its reference and duty (or first words)."""
        first_action = next((a for a in self.actions or [] if str(a).strip()), "")
        text = self.duty.strip() or str(first_action).strip() or "Row without a duty"
        text = text if len(text) <= 90 else text[:87].rstrip() + "…"
        return f"{self.reference} {text}" if self.reference else text


def _plans_of(area_ids, *, county: bool):
    """The areas' plans, and the county plan too when ``county``."""
    mine = Plan.area_id.in_(list(area_ids))
    return (mine | Plan.area_id.is_(None)) if county else mine


def rows_to_update(area_ids, today: date, *, county: bool = False) -> tuple[list[RowToUpdate], int]:
    """Rows of the areas' current plans (and the county plan's, when ``county``) that are
    overdue, stale or due soon (plans/rules.py): overdue first, then by due date; at most LIMIT
    of them, and how many there are in all. Two queries."""
    overdue, stale, due_soon = rules.overdue(today), rules.stale(today), rules.due_soon(today)
    needing = (
        select(PlanRow.id)
        .join(Plan, Plan.id == PlanRow.plan_id)
        .where(_plans_of(area_ids, county=county), Plan.status.in_(CURRENT), overdue | stale | due_soon)
    )
    total = db.session.scalar(select(func.count()).select_from(needing.subquery()))
    if not total:
        return [], 0
    query = (
        select(
            Plan.id,
            Plan.title,
            BusinessArea.name,
            PlanRow.id,
            PlanRow.reference,
            PlanRow.duty,
            PlanRow.actions,
            PlanRow.due_date,
            case((overdue, True), else_=False),
            case((stale, True), else_=False),
            case((due_soon, True), else_=False),
        )
        .join(Plan, Plan.id == PlanRow.plan_id)
        .outerjoin(BusinessArea, BusinessArea.id == Plan.area_id)
        .where(PlanRow.id.in_(needing))
        .order_by(
            case((overdue, 0), (due_soon, 1), else_=2),
            PlanRow.due_date.is_(None),
            PlanRow.due_date,
            Plan.title,
            PlanRow.position,
            PlanRow.id,
        )
        .limit(LIMIT)
    )
    rows = [
        RowToUpdate(plan_id, title, area or "County delivery plan", row_id, ref, duty, actions, due, *map(bool, flags))
        for plan_id, title, area, row_id, ref, duty, actions, due, *flags in db.session.execute(query)
    ]
    return rows, total


def rows_to_update_panel(user) -> dict | None:
    """The rows a plan's editor must update (a SPOC's areas; the county plan for the Prevent
    Lead), each one click from its update form."""
    county = has_permission(user, Permission.MANAGE_PLANS)
    if not (county or user.has_role(Role.SPOC)) or not has_permission(user, Permission.EDIT_PLANS):
        return None
    today = clock.today()
    area_ids = user.lead_area_ids
    plans = db.session.scalar(
        select(func.count()).select_from(Plan).where(_plans_of(area_ids, county=county), Plan.status.in_(CURRENT))
    )
    rows, total = rows_to_update(area_ids, today, county=county) if plans else ([], 0)
    return {
        "rows": rows,
        "total": total,
        "has_areas": bool(area_ids) or county,
        "has_plans": bool(plans),
        "stale_since": rules.stale_since(today),
        "due_soon_days": rules.DUE_SOON_DAYS,
    }


def exception_counts(today: date) -> dict[str, int]:
    """Rows of active plans that are Red, Amber, overdue or stale: one query."""
    red = PlanRow.rag == Rag.RED.value
    amber = PlanRow.rag == Rag.AMBER.value
    counts = db.session.execute(
        select(
            func.count().filter(red),
            func.count().filter(amber),
            func.count().filter(rules.overdue(today)),
            func.count().filter(rules.stale(today)),
        )
        .select_from(PlanRow)
        .join(Plan, Plan.id == PlanRow.plan_id)
        .where(Plan.status == PlanStatus.ACTIVE.value)
    ).one()
    return dict(zip(("red", "amber", "overdue", "stale"), (int(c or 0) for c in counts), strict=True))


def lead_plans_panel(user) -> dict | None:
    """For the Prevent Lead: business areas without a plan, and the plans' exceptions."""
    if not has_permission(user, Permission.MANAGE_PLANS):
        return None
    today = clock.today()
    return {
        "areas": services.areas_without_a_plan(),
        "exceptions": exception_counts(today),
        "stale_since": rules.stale_since(today),
    }
