"""The authorisation policy: which role may do what, deny by default.

Every view declares the permission it needs with ``@requires``; the request guard in
``core.auth`` refuses any endpoint that declares none. Object checks are pure functions
so they can be tested without a request.
"""

from collections.abc import Callable, Iterable
from datetime import date
from enum import StrEnum
from typing import Protocol, TypeVar

from core.vocab import Role


class Permission(StrEnum):
    SIGNED_IN = "signed_in"  # any active account: home page, own account
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    VIEW_PARTNERSHIP = "view_partnership"
    MANAGE_PARTNERSHIP = "manage_partnership"
    VIEW_PLANS = "view_plans"
    EDIT_PLANS = "edit_plans"  # further limited per business area by can_edit_area
    MANAGE_PLANS = "manage_plans"
    VIEW_BOARD = "view_board"
    MANAGE_BOARD = "manage_board"
    VIEW_CHANNEL_FIGURES = "view_channel_figures"  # the quarter's figures, small counts suppressed
    #: Open cases and reviews counted, and the anonymised log's size and upkeep (not its rows).
    VIEW_CHANNEL_COUNTS = "view_channel_counts"
    #: The anonymised log's rows (a date, a school and a year group identify a child in a county):
    #: the Prevent Lead's record, and the panel's.
    VIEW_CHANNEL_LOG = "view_channel_log"
    VIEW_CHANNEL_CASES = "view_channel_cases"  # case details, by reference
    VIEW_CHANNEL_PERSONAL = "view_channel_personal"  # names, dates of birth, addresses
    MANAGE_CHANNEL = "manage_channel"
    VIEW_TRAINING = "view_training"
    MANAGE_TRAINING = "manage_training"
    WRITE_FINDINGS = "write_findings"  # auditors: findings, closing them with evidence, sign-off
    VIEW_COMPLIANCE = "view_compliance"  # the annual self-assessment, checks, report and bundle
    MANAGE_COMPLIANCE = "manage_compliance"  # ratings, narratives, evidence, actions, responses
    VIEW_REMINDER_LOG = "view_reminder_log"  # every reminder sent, failed or switched off, for every user
    #: Roll-ups (counts, coverage, published Channel figures) of the partnerships granted to the
    #: user (partnership.models.RegionalGrant): never a row, a person or a case.
    VIEW_REGION = "view_region"


_READ_PARTNERSHIP = {
    Permission.SIGNED_IN,
    Permission.VIEW_PARTNERSHIP,
    Permission.VIEW_PLANS,
    Permission.VIEW_BOARD,
    Permission.VIEW_TRAINING,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PREVENT_LEAD: frozenset(
        _READ_PARTNERSHIP
        | {
            Permission.MANAGE_USERS,
            Permission.VIEW_REMINDER_LOG,
            Permission.VIEW_AUDIT,
            Permission.MANAGE_PARTNERSHIP,
            Permission.EDIT_PLANS,
            Permission.MANAGE_PLANS,
            Permission.MANAGE_BOARD,
            Permission.VIEW_CHANNEL_FIGURES,
            Permission.VIEW_CHANNEL_COUNTS,
            Permission.VIEW_CHANNEL_LOG,
            Permission.MANAGE_TRAINING,
            Permission.VIEW_COMPLIANCE,
            Permission.MANAGE_COMPLIANCE,
        }
    ),
    Role.SPOC: frozenset(_READ_PARTNERSHIP | {Permission.EDIT_PLANS}),
    # The board reads Channel figures only as published, with small counts suppressed.
    Role.BOARD_MEMBER: frozenset(_READ_PARTNERSHIP | {Permission.VIEW_CHANNEL_FIGURES, Permission.VIEW_COMPLIANCE}),
    Role.PANEL_CHAIR: frozenset(
        {
            Permission.SIGNED_IN,
            Permission.VIEW_PARTNERSHIP,
            Permission.VIEW_CHANNEL_FIGURES,
            Permission.VIEW_CHANNEL_COUNTS,
            Permission.VIEW_CHANNEL_LOG,
            Permission.VIEW_CHANNEL_CASES,
            Permission.VIEW_CHANNEL_PERSONAL,
            Permission.MANAGE_CHANNEL,
        }
    ),
    Role.PANEL_MEMBER: frozenset(
        {
            Permission.SIGNED_IN,
            Permission.VIEW_PARTNERSHIP,
            Permission.VIEW_CHANNEL_FIGURES,
            Permission.VIEW_CHANNEL_COUNTS,
            Permission.VIEW_CHANNEL_LOG,
            Permission.VIEW_CHANNEL_CASES,
            Permission.VIEW_CHANNEL_PERSONAL,
        }
    ),
    Role.TRAINING_COORDINATOR: frozenset(
        {
            Permission.SIGNED_IN,
            Permission.VIEW_PARTNERSHIP,
            Permission.VIEW_TRAINING,
            Permission.MANAGE_TRAINING,
        }
    ),
    # Auditors read everything but Channel case material (they see counts, and that the anonymised
    # log is kept, not its rows), and write only their findings.
    Role.AUDITOR: frozenset(
        _READ_PARTNERSHIP
        | {
            Permission.VIEW_AUDIT,
            Permission.VIEW_CHANNEL_FIGURES,
            Permission.VIEW_CHANNEL_COUNTS,
            Permission.WRITE_FINDINGS,
            Permission.VIEW_COMPLIANCE,
        }
    ),
    # A regional coordinator reads roll-ups of the partnerships granted to them, and nothing of
    # any partnership itself: not its organisations, plans, board, training or Channel pages, not
    # even those of the partnership their account belongs to.
    Role.REGIONAL_COORDINATOR: frozenset({Permission.SIGNED_IN, Permission.VIEW_REGION}),
}


class Actor(Protocol):
    """What the policy needs to know about a user."""

    is_active: bool

    @property
    def role_set(self) -> frozenset[Role]: ...

    @property
    def lead_area_ids(self) -> frozenset[int]: ...


def permissions_for(roles: Iterable[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(Role(role), frozenset())
    return frozenset(granted)


def has_permission(user: Actor | None, permission: Permission) -> bool:
    if user is None or not getattr(user, "is_active", False):
        return False
    return permission in permissions_for(user.role_set)


def can_edit_area(user: Actor | None, area_id: int) -> bool:
    """A SPOC writes only the plans of areas they lead or deputise for; the Prevent Lead all."""
    if not has_permission(user, Permission.EDIT_PLANS):
        return False
    if Role.PREVENT_LEAD in user.role_set:
        return True
    return area_id in user.lead_area_ids


def can_edit_plan(user: Actor | None, area_id: int | None) -> bool:
    """A plan belongs to an area (its SPOCs edit it) or is the county plan (the Prevent Lead's)."""
    if area_id is None:
        return has_permission(user, Permission.MANAGE_PLANS)
    return can_edit_area(user, area_id)


def can_see_case_references(user: Actor | None) -> bool:
    """Channel case references: the panel's own roles only; everyone else gets counts or labels."""
    return has_permission(user, Permission.VIEW_CHANNEL_CASES)


def can_update_plan_from_file(user: Actor | None, area_id: int | None) -> bool:
    """Re-importing a spreadsheet into a plan writes its rows: only those who edit the plan (a
    SPOC their own area's plans, the Prevent Lead any)."""
    return can_edit_plan(user, area_id)


def can_delete_plan(user: Actor | None, *, recorded_since_import: bool) -> bool:
    """A plan made by mistake may be deleted by the Prevent Lead while nothing has been recorded
    in it beyond its import (progress typed on the page, evidence files); after that it can
    only be archived, so its history stays."""
    return has_permission(user, Permission.MANAGE_PLANS) and not recorded_since_import


def can_see_channel_personal(user: Actor | None) -> bool:
    """Names and personal details of Channel cases: the panel's own roles only."""
    return has_permission(user, Permission.VIEW_CHANNEL_PERSONAL)


def year_limit(user) -> tuple[date, date] | None:
    """The first and last day of the one year an auditor is limited to, or None when the account
    has no such limit. It bounds the assessment, report and bundle they read, the audit trail and
    security events, and every list of people they reach (people trained in that year, board
    members serving in it)."""
    year = getattr(user, "audit_year", None) if user is not None else None
    return (date(year, 1, 1), date(year, 12, 31)) if year else None


F = TypeVar("F", bound=Callable)


def requires(permission: Permission) -> Callable[[F], F]:
    """Declare the permission a view needs; enforced for every request by ``core.auth``."""

    def decorate(view: F) -> F:
        view.required_permission = permission
        return view

    return decorate


def public(view: F) -> F:
    """Mark a view that anyone may reach without signing in (login, health)."""
    view.is_public = True
    return view
