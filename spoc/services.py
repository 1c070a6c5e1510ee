"""Business area rules: who leads and deputises for which area."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.dates import Quarter
from core.extensions import db
from core.models import User
from core.vocab import REFERRAL_CATEGORIES, REFERRAL_DIMENSION_LABELS
from partnership.models import BusinessArea
from spoc.models import Capacity, ReferralCount, SpocAssignment


def list_areas() -> list[BusinessArea]:
    """Every area with its SPOCs loaded in one extra query."""
    return list(
        db.session.scalars(
            select(BusinessArea)
            .options(
                selectinload(BusinessArea.assignments).joinedload(SpocAssignment.user),
                selectinload(BusinessArea.organisation),
            )
            .order_by(BusinessArea.name)
        )
    )


def set_user_areas(user: User, *, lead_ids: list[int], deputy_ids: list[int]) -> None:
    """Make the user SPOC for ``lead_ids`` and deputy for ``deputy_ids``, and nothing else."""
    wanted = {int(i): Capacity.SPOC.value for i in lead_ids}
    wanted.update({int(i): Capacity.DEPUTY.value for i in deputy_ids})
    for assignment in list(user.spoc_assignments):
        if assignment.area_id not in wanted:
            user.spoc_assignments.remove(assignment)
        elif assignment.capacity != wanted[assignment.area_id]:
            assignment.capacity = wanted[assignment.area_id]
    have = {a.area_id for a in user.spoc_assignments}
    for area_id in sorted(set(wanted) - have):
        user.spoc_assignments.append(SpocAssignment(area_id=area_id, capacity=wanted[area_id]))
    db.session.flush()


def create_area(
    *, partnership_id: int, name: str, organisation_id: int | None, contact_email: str, contact_phone: str
) -> BusinessArea:
    area = BusinessArea(
        partnership_id=partnership_id,
        name=name.strip(),
        organisation_id=organisation_id,
        contact_email=contact_email.strip().lower(),
        contact_phone=contact_phone.strip(),
    )
    db.session.add(area)
    db.session.flush()
    return area


def update_area(
    area: BusinessArea, *, name: str, organisation_id: int | None, contact_email: str, contact_phone: str
) -> None:
    area.name = name.strip()
    area.organisation_id = organisation_id
    area.contact_email = contact_email.strip().lower()
    area.contact_phone = contact_phone.strip()
    db.session.flush()


def area_name_taken(partnership_id: int, name: str, *, except_id: int | None = None) -> bool:
    query = (
        select(func.count())
        .select_from(BusinessArea)
        .where(
            BusinessArea.partnership_id == partnership_id,
            func.lower(BusinessArea.name) == name.strip().lower(),
        )
    )
    if except_id is not None:
        query = query.where(BusinessArea.id != except_id)
    return db.session.scalar(query) > 0


# --- referral activity -------------------------------------------------------------------


def referral_counts(area_id: int, quarter: Quarter) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        select(ReferralCount.dimension, ReferralCount.category, ReferralCount.count).where(
            ReferralCount.area_id == area_id, ReferralCount.quarter_start == quarter.start
        )
    ).all()
    return {(d, c): n for d, c, n in rows}


def referral_totals(area_id: int, quarters: list[Quarter]) -> dict[Quarter, dict[str, int]]:
    """Per quarter, the total recorded under each dimension (summed in SQL)."""
    rows = db.session.execute(
        select(ReferralCount.quarter_start, ReferralCount.dimension, func.sum(ReferralCount.count))
        .where(ReferralCount.area_id == area_id, ReferralCount.quarter_start.in_([q.start for q in quarters]))
        .group_by(ReferralCount.quarter_start, ReferralCount.dimension)
    ).all()
    totals: dict[Quarter, dict[str, int]] = {q: {} for q in quarters}
    for start, dimension, total in rows:
        totals[Quarter.from_date(start)][dimension] = int(total or 0)
    return totals


def referral_problems(counts: dict[tuple[str, str], int]) -> list[str]:
    """Each dimension describes the same referrals, so the dimensions used must add up alike."""
    sums: dict[str, int] = {}
    for (dimension, _), n in counts.items():
        sums[dimension] = sums.get(dimension, 0) + n
    used = {d: s for d, s in sums.items() if s}
    if len(set(used.values())) > 1:
        parts = ", ".join(f"{REFERRAL_DIMENSION_LABELS[d].lower()} {s}" for d, s in used.items())
        return [f"The counts must add up to the same number of referrals under each heading: {parts}"]
    return []


def save_referral_counts(area_id: int, quarter: Quarter, counts: dict[tuple[str, str], int]) -> None:
    """Set the area's counts for the quarter (zero rows are kept, so a change to 0 is audited)."""
    existing = {
        (r.dimension, r.category): r
        for r in db.session.scalars(
            select(ReferralCount).where(ReferralCount.area_id == area_id, ReferralCount.quarter_start == quarter.start)
        )
    }
    for (dimension, category), n in counts.items():
        if category not in dict(REFERRAL_CATEGORIES[dimension]):
            raise ValueError(f"unknown category {dimension}:{category}")
        record = existing.get((dimension, category))
        if record is None:
            if n:
                db.session.add(
                    ReferralCount(
                        area_id=area_id, quarter_start=quarter.start, dimension=dimension, category=category, count=n
                    )
                )
        elif record.count != n:
            record.count = n
    db.session.flush()
