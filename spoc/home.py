"""The home page's panels for SPOCs (their areas) and for those who see the partnership."""

from sqlalchemy import func, select

from core.extensions import db
from core.permissions import Permission, has_permission
from core.vocab import Role
from partnership.models import BusinessArea, Organisation
from spoc.models import SpocAssignment


def my_areas_panel(user) -> dict | None:
    if not user.has_role(Role.SPOC):
        return None
    areas = db.session.execute(
        select(BusinessArea.id, BusinessArea.name, SpocAssignment.capacity)
        .join(SpocAssignment)
        .where(SpocAssignment.user_id == user.id)
        .order_by(BusinessArea.name)
    ).all()
    return {"areas": areas}


def partnership_panel(user) -> dict | None:
    if not has_permission(user, Permission.VIEW_PARTNERSHIP):
        return None
    return {
        "organisations": db.session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.active.is_(True))
        ),
        "areas": db.session.scalar(select(func.count()).select_from(BusinessArea)),
    }
