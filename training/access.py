"""Who may see the people behind the figures: a pure policy function, tested on its own.

Coverage figures are for every reader of training (board members and SPOCs included). The
names of staff and their training records are personal data: only those who keep them (the
training coordinator and the Prevent Lead, who manage training) and those who check them
(auditors, who read the audit trail) see them.
"""

from core.permissions import Actor, Permission, has_permission


def can_see_people(user: Actor | None) -> bool:
    """Names, emails and training records of the staff counted in coverage."""
    return has_permission(user, Permission.MANAGE_TRAINING) or has_permission(user, Permission.VIEW_AUDIT)
