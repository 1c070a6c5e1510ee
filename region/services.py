"""Granting and revoking a regional coordinator's access to a partnership's roll-ups.

A grant is written in the scope of the partnership it opens (core.tenancy), so its entry in the
audit trail is that partnership's: its Prevent Lead sees who was given access, and when."""

from sqlalchemy import func, select

from core import tenancy
from core.extensions import db
from core.models import User
from core.vocab import Role
from partnership.models import Partnership, RegionalGrant
from partnership.services import regional_grants


class GrantError(ValueError):
    """A grant or revocation that cannot be made; the message says why."""


def account_by_email(email: str) -> User:
    """The account with ``email``, in whichever partnership it belongs to."""
    email = (email or "").strip().lower()
    with tenancy.scoped(tenancy.ALL):
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        raise GrantError(f"No account has the email address {email}")
    return user


def coordinator_by_email(email: str) -> User:
    """The account with ``email`` in whichever partnership it belongs to, if it may hold grants:
    an active regional coordinator."""
    user = account_by_email(email)
    email = user.email
    with tenancy.scoped(tenancy.ALL):
        if Role.REGIONAL_COORDINATOR not in user.role_set:
            raise GrantError(
                f"{email} is not a {Role.REGIONAL_COORDINATOR.label}: give the account that role first "
                "(Users, in its own partnership)"
            )
        if not user.active:
            raise GrantError(f"{email} is deactivated: reactivate the account first")
    return user


def partnership_ids_granted(user_id: int) -> list[int]:
    """The partnerships whose roll-ups the user may see, by name."""
    return [access.partnership_id for access in regional_grants(user_id=user_id)]


def _partnership_name(partnership_id: int) -> str:
    with tenancy.scoped(tenancy.ALL):
        return db.session.get(Partnership, partnership_id).name


def grant(user: User, partnership_id: int) -> RegionalGrant:
    """Let ``user`` (a regional coordinator) see the roll-ups of the partnership; audited."""
    if partnership_id in partnership_ids_granted(user.id):
        raise GrantError(f"{user.email} already has regional access to {_partnership_name(partnership_id)}")
    with tenancy.scoped(partnership_id):
        granted = RegionalGrant(user_id=user.id, partnership_id=partnership_id)
        db.session.add(granted)
        db.session.flush()
    return granted


def revoke(user: User, partnership_id: int) -> None:
    """Withdraw ``user``'s access to the partnership's roll-ups; audited."""
    access = next((a for a in regional_grants(user_id=user.id) if a.partnership_id == partnership_id), None)
    if access is None:
        raise GrantError(f"{user.email} has no regional access to {_partnership_name(partnership_id)}")
    with tenancy.scoped(partnership_id):
        db.session.delete(db.session.get(RegionalGrant, access.grant_id))
        db.session.flush()
