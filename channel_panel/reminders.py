"""The Channel Panel's reminder rules: post-closure reviews and the terms of reference review
(by case reference only, to the panel chair)."""

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select

from channel_panel.models import ChannelCase, Panel, PanelMeeting, PanelMember, PostClosureReview
from core.extensions import db
from core.models import User
from core.permissions import Permission, has_permission
from core.reminders import (
    REVIEW_LEAD_DAYS,
    TERMS_LEAD_DAYS,
    Reminder,
    ReminderKind,
    active_users_with,
    footer,
    link,
)
from core.vocab import Role


def _panel_chairs() -> list[User]:
    """The panel's chair (their account), or every active user with the chair role when the
    chair seat has no account linked."""

    panel = db.session.scalar(select(Panel).limit(1))
    if panel is not None and panel.chair_id is not None:
        chair = db.session.get(PanelMember, panel.chair_id)
        if chair is not None and chair.user_id is not None:
            user = db.session.get(User, chair.user_id)
            if user is not None and user.active and has_permission(user, Permission.VIEW_CHANNEL_CASES):
                return [user]
    return active_users_with(Role.PANEL_CHAIR)


def post_closure_review_reminders(today: date) -> Iterator[Reminder]:
    """Post-closure reviews not yet held that fall due before the next panel meeting (or in the
    next 30 days when none is scheduled): to the panel chair, by case reference only."""

    next_panel = db.session.scalar(
        select(PanelMeeting.held_on).where(PanelMeeting.held_on >= today).order_by(PanelMeeting.held_on).limit(1)
    )
    horizon = next_panel or today + timedelta(days=REVIEW_LEAD_DAYS)
    reviews = db.session.execute(
        select(
            PostClosureReview.id,
            PostClosureReview.months,
            PostClosureReview.due_on,
            ChannelCase.id,
            ChannelCase.reference,
        )
        .join(ChannelCase, ChannelCase.id == PostClosureReview.case_id)
        .where(PostClosureReview.held_on.is_(None), PostClosureReview.due_on <= horizon)
        .order_by(PostClosureReview.due_on, ChannelCase.reference)
    ).all()
    if not reviews:
        return
    chairs = _panel_chairs()
    panel_text = f"the next panel on {next_panel:%-d %B %Y}" if next_panel else "no panel is scheduled yet"
    for review_id, months, due_on, case_id, reference in reviews:
        for user in chairs:
            body = (
                f"The {months}-month post-closure review of case {reference} is due on {due_on:%-d %B %Y} "
                f"({panel_text}). Post-closure reviews are a standing item of the panel agenda.\n\n"
                f"{link('channel_panel.show_case', case_id=case_id)}" + footer()
            )
            yield Reminder(
                user=user,
                kind=ReminderKind.POST_CLOSURE_REVIEW,
                subject=f"Post-closure review due: case {reference} ({months} months)",
                body=body,
                dedupe_key=f"post_closure_review:r{review_id}:{due_on.isoformat()}:u{user.id}",
            )


def terms_review_reminders(today: date) -> Iterator[Reminder]:
    """The Channel Panel's terms of reference review, 30 days ahead or overdue: to the chair."""

    panel = db.session.scalar(select(Panel).limit(1))
    due_on = panel.terms_review_due_on if panel is not None else None
    if due_on is None or due_on > today + timedelta(days=TERMS_LEAD_DAYS):
        return
    when = "was due" if due_on < today else "is due"
    for user in _panel_chairs():
        body = (
            f"The review of the {panel.name} terms of reference (and information sharing arrangements) "
            f"{when} on {due_on:%-d %B %Y}.\n\n{link('channel_panel.home')}" + footer()
        )
        yield Reminder(
            user=user,
            kind=ReminderKind.TERMS_REVIEW,
            subject=f"Channel Panel terms of reference review {when} on {due_on:%-d %B %Y}",
            body=body,
            dedupe_key=f"terms_review:{due_on.isoformat()}:u{user.id}",
        )
