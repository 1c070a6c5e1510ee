"""Partnership rules: the partnership and its member organisations."""

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import func, select

from core import tenancy
from core.disclosure import DEFAULT_THRESHOLD, THRESHOLD_RANGE
from core.extensions import db
from partnership.models import Organisation, Partnership, RegionalGrant


def current_partnership() -> Partnership | None:
    """The partnership the request or command serves (core.tenancy); outside one partnership's
    scope, the deployment's only partnership, or None when it has several."""
    pid = tenancy.current().single
    if pid is not None:
        return db.session.get(Partnership, pid)
    first_two = list(db.session.scalars(select(Partnership).order_by(Partnership.id).limit(2)))
    return first_two[0] if len(first_two) == 1 else None


def partnership_or_404() -> Partnership:
    """The partnership the request serves; 404 when there is none yet."""
    partnership = current_partnership()
    if partnership is None:
        abort(404)
    return partnership


def list_organisations(*, include_inactive: bool = True) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    if not include_inactive:
        query = query.where(Organisation.active.is_(True))
    return list(db.session.scalars(query))


def organisation_name_taken(partnership_id: int, name: str, *, except_id: int | None = None) -> bool:
    query = (
        select(func.count())
        .select_from(Organisation)
        .where(
            Organisation.partnership_id == partnership_id,
            func.lower(Organisation.name) == name.strip().lower(),
        )
    )
    if except_id is not None:
        query = query.where(Organisation.id != except_id)
    return db.session.scalar(query) > 0


def create_organisation(*, partnership_id: int, name: str, kind: str, short_name: str) -> Organisation:
    organisation = Organisation(
        partnership_id=partnership_id, name=name.strip(), kind=kind, short_name=short_name.strip()
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation


def update_organisation(organisation: Organisation, *, name: str, kind: str, short_name: str, active: bool) -> None:
    organisation.name = name.strip()
    organisation.kind = kind
    organisation.short_name = short_name.strip()
    organisation.active = active
    db.session.flush()


def disclosure_threshold(partnership_id: int | None = None) -> int:
    """A partnership's threshold for publishing counts about people (core.disclosure): this
    deployment's partnership unless one is named, and the default before there is one."""
    query = select(Partnership.disclosure_threshold).order_by(Partnership.id).limit(1)
    if partnership_id is not None:
        query = query.where(Partnership.id == partnership_id)
    value = db.session.scalar(query)
    return DEFAULT_THRESHOLD if value is None else value


def update_disclosure_threshold(partnership: Partnership, *, threshold: int) -> None:
    """Change the threshold; the audit trail records the change with the partnership."""
    low, high = THRESHOLD_RANGE
    if not low <= threshold <= high:
        raise ValueError(f"The threshold must be from {low} to {high}")
    partnership.disclosure_threshold = threshold
    db.session.flush()


# --- regional access -------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionalAccess:
    """One grant of a partnership's roll-ups to a regional coordinator, as lists show it."""

    grant_id: int
    user_id: int
    full_name: str
    email: str
    active: bool
    partnership_id: int
    partnership_name: str
    granted_at: datetime


def regional_grants(*, partnership_id: int | None = None, user_id: int | None = None) -> list[RegionalAccess]:
    """Grants of regional access, by partnership then coordinator: of one partnership, of one
    user, or every grant. The one place grants are read: a grant joins an account of one
    partnership to another, so it is read with every partnership in scope (core.tenancy); what
    is returned is only names, emails and partnership names, never a partnership's records."""
    from core.models import User

    query = (
        select(
            RegionalGrant.id,
            User.id,
            User.full_name,
            User.email,
            User.active,
            Partnership.id,
            Partnership.name,
            RegionalGrant.granted_at,
        )
        .join(User, User.id == RegionalGrant.user_id)
        .join(Partnership, Partnership.id == RegionalGrant.partnership_id)
        .order_by(Partnership.name, User.full_name, RegionalGrant.id)
    )
    if partnership_id is not None:
        query = query.where(RegionalGrant.partnership_id == partnership_id)
    if user_id is not None:
        query = query.where(RegionalGrant.user_id == user_id)
    with tenancy.scoped(tenancy.ALL):
        return [RegionalAccess(*row) for row in db.session.execute(query)]
