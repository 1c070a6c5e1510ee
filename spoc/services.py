"""Business area rules: who leads and deputises for which area."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.models import User
from spoc.models import BusinessArea, Capacity, SpocAssignment


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
