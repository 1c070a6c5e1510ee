"""The board's reminder rules: plans to update before a meeting, board actions falling due,
the yearly membership review."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import func, or_, select

from board.models import ActionStatus, BoardAction, BoardMeeting, MeetingStatus
from board.services import membership_review_status
from core.extensions import db
from core.models import User
from core.permissions import Permission, has_permission
from core.reminders import (
    ACTION_LEAD_DAYS,
    BOARD_LEAD_DAYS,
    Reminder,
    ReminderKind,
    active_users_with,
    footer,
    link,
)
from core.vocab import Role
from partnership.models import Partnership
from plans import rules
from plans.models import Plan, PlanRow, PlanStatus
from spoc.models import SpocAssignment


def plan_update_reminders(today: date) -> Iterator[Reminder]:
    """SPOCs (and deputies) whose active plans have stale or overdue rows, when a board meets
    within two weeks: one message per board meeting."""

    meetings = db.session.scalars(
        select(BoardMeeting)
        .where(
            BoardMeeting.status == MeetingStatus.SCHEDULED.value,
            BoardMeeting.held_on >= today,
            BoardMeeting.held_on <= today + timedelta(days=BOARD_LEAD_DAYS),
        )
        .order_by(BoardMeeting.held_on)
    ).all()
    overdue, stale = rules.overdue(today), rules.stale(today)
    stale_since = f"{rules.stale_since(today):%-d %B %Y}"
    for meeting in meetings:
        counts = db.session.execute(
            select(
                Plan.id,
                Plan.title,
                Plan.area_id,
                func.count().filter(overdue),
                func.count().filter(stale),
            )
            .join(PlanRow, PlanRow.plan_id == Plan.id)
            .where(
                Plan.status == PlanStatus.ACTIVE.value,
                # SPOC plans only: the county plan has no area, so no SPOC to remind.
                Plan.area_id.is_not(None),
                rules.in_partnership(meeting.partnership_id),
                rules.live(),
                or_(overdue, stale),
            )
            .group_by(Plan.id, Plan.title, Plan.area_id)
            .order_by(Plan.title)
        ).all()
        by_area = defaultdict(list)
        for plan_id, title, area_id, n_overdue, n_stale in counts:
            by_area[area_id].append((plan_id, title, n_overdue, n_stale))
        if not by_area:
            continue
        assignments = db.session.execute(
            select(SpocAssignment.user_id, SpocAssignment.area_id)
            .join(User, User.id == SpocAssignment.user_id)
            .where(SpocAssignment.area_id.in_(list(by_area)), User.active.is_(True))
        ).all()
        plans_for = defaultdict(list)
        for user_id, area_id in assignments:
            plans_for[user_id].extend(by_area[area_id])
        for user_id, plans in sorted(plans_for.items()):
            user = db.session.get(User, user_id)
            if not has_permission(user, Permission.EDIT_PLANS):
                continue
            lines = [
                f"- {title}: {n_overdue} overdue, {n_stale} not updated since {stale_since}\n"
                f"  {link('plans.show_plan', plan_id=pid)}"
                for pid, title, n_overdue, n_stale in plans
            ]
            body = (
                f"The partnership board meets on {meeting.held_on:%-d %B %Y}. These plans have rows that are "
                f"overdue or have not been updated since {stale_since}:\n\n" + "\n".join(lines) + "\n\n"
                "Please record progress before the board so the pack shows where things stand." + footer()
            )
            yield Reminder(
                user=user,
                kind=ReminderKind.PLAN_UPDATE,
                subject=f"Update your Prevent plan before the board on {meeting.held_on:%-d %B %Y}",
                body=body,
                dedupe_key=f"plan_update:m{meeting.id}:u{user.id}",
            )


def board_action_reminders(today: date) -> Iterator[Reminder]:
    """Owners of open board actions due within a week (or overdue), once per due date. An
    owner is matched to an account by full name or email; actions whose owner has no account
    go to the Prevent Lead to chase."""

    actions = db.session.scalars(
        select(BoardAction)
        .where(
            BoardAction.status == ActionStatus.OPEN.value,
            BoardAction.due_on <= today + timedelta(days=ACTION_LEAD_DAYS),
        )
        .order_by(BoardAction.due_on, BoardAction.number)
    ).all()
    if not actions:
        return
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
    by_name = {}
    for user in users:
        by_name.setdefault(user.full_name.strip().lower(), user)
        by_name.setdefault(user.email.strip().lower(), user)
    leads = active_users_with(Role.PREVENT_LEAD)
    for action in actions:
        owner = by_name.get(action.owner.strip().lower())
        if owner is not None and has_permission(owner, Permission.VIEW_BOARD):
            recipients, chasing = [owner], False
        else:
            recipients, chasing = leads, True
        when = "was due" if action.due_on < today else "is due"
        for user in recipients:
            intro = (
                f"Board action A{action.number} (owner: {action.owner}, who has no account here) {when} on "
                if chasing
                else f"Your board action A{action.number} {when} on "
            )
            body = (
                f"{intro}{action.due_on:%-d %B %Y}:\n\n{action.description}\n\n"
                f"Record an update on it before the next board: {link('board.overview')}" + footer()
            )
            yield Reminder(
                user=user,
                kind=ReminderKind.BOARD_ACTION,
                subject=f"Board action A{action.number} {when} on {action.due_on:%-d %B %Y}",
                body=body,
                dedupe_key=f"board_action:a{action.id}:{action.due_on.isoformat()}:u{user.id}",
            )


def membership_review_reminders(today: date) -> Iterator[Reminder]:
    """The board's yearly membership review, when due or overdue: to the Prevent Lead."""

    for partnership in db.session.scalars(select(Partnership).order_by(Partnership.id)):
        status = membership_review_status(partnership.id, today)
        if status.state not in ("due", "overdue"):
            continue
        when = "was due" if status.state == "overdue" else "is due"
        for user in active_users_with(Role.PREVENT_LEAD):
            body = (
                f"The {partnership.name} board's yearly membership review {when} on {status.due_on:%-d %B %Y} "
                f"(last reviewed {status.last.reviewed_on:%-d %B %Y}).\n\n{link('board.list_members')}" + footer()
            )
            yield Reminder(
                user=user,
                kind=ReminderKind.MEMBERSHIP_REVIEW,
                subject=f"Board membership review {when} on {status.due_on:%-d %B %Y}",
                body=body,
                dedupe_key=f"membership_review:p{partnership.id}:{status.due_on.isoformat()}:u{user.id}",
            )
