"""The regional coordinator's home-page panel: which partnerships they see, one click from the roll-ups."""

from core.permissions import Permission, has_permission
from partnership.services import regional_grants


def region_panel(user) -> dict | None:
    if not has_permission(user, Permission.VIEW_REGION):
        return None
    return {"names": [access.partnership_name for access in regional_grants(user_id=user.id)]}
