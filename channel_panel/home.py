"""The home page's Channel Panel panel: the next panel meeting and the post-closure reviews due
before it (by case reference; for the panel's own roles only)."""

from datetime import timedelta

from sqlalchemy import select

from channel_panel import meetings
from channel_panel.models import ChannelCase, PostClosureReview
from core import clock
from core.extensions import db
from core.permissions import Permission, has_permission
from core.reminders import REVIEW_LEAD_DAYS


def reviews_before(horizon) -> list:
    """(review id, months, due on, case id, case reference) of reviews not yet held that fall due
    on or before ``horizon``, soonest first: one query. The reminder rule asks the same."""
    return db.session.execute(
        select(
            PostClosureReview.id,
            PostClosureReview.months,
            PostClosureReview.due_on,
            ChannelCase.id,
            ChannelCase.reference,
        )
        .join(ChannelCase, ChannelCase.id == PostClosureReview.case_id)
        .where(PostClosureReview.held_on.is_(None), PostClosureReview.due_on <= horizon)
        .order_by(PostClosureReview.due_on, ChannelCase.reference, PostClosureReview.months)
    ).all()


def panel_meeting_panel(user) -> dict | None:
    """The next panel meeting and the reviews due before it (or in the next 30 days when no
    meeting is scheduled), for the chair and members."""
    if not has_permission(user, Permission.VIEW_CHANNEL_CASES):
        return None
    today = clock.today()
    meeting = meetings.next_meeting(today)
    horizon = meeting.held_on if meeting else today + timedelta(days=REVIEW_LEAD_DAYS)
    return {
        "meeting": meeting,
        "horizon": horizon,
        "reviews": reviews_before(horizon),
        "today": today,
        "can_record": has_permission(user, Permission.MANAGE_CHANNEL),
    }
