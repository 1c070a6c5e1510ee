"""Email reminders: the rules that find who is due one, the log of every reminder, opt-outs.

``send_due`` is what `flask reminders send` runs from cron each day. It is idempotent: every
reminder has a dedupe key (what it is about, the due date, the recipient) that is UNIQUE in the
log, and a reminder is claimed by inserting its log row before it is sent. Two runs on the
same day, or two cron hosts at once, cannot both send it. A failed delivery is recorded as
failed and claimed again by the next run; a delivery that crashed midway ("sending" for more
than an hour) is too.

Statutory reminders (post-closure reviews, the board's yearly membership review, the panel's
terms of reference review) cannot be switched off: the partnership must hold those reviews.
The others can, per user and per kind.

Messages name Channel cases by reference only, and go only to people whose role may see
what they are about.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from core.db import utcnow
from core.extensions import db
from core.mail import MailError, send_mail
from core.models import User, UserRole
from core.permissions import Permission, has_permission
from core.reminder_models import (  # noqa: F401 - re-exported for callers
    ACTION_LEAD_DAYS,
    BOARD_LEAD_DAYS,
    REFRESHER_LEAD_DAYS,
    REVIEW_LEAD_DAYS,
    STATUTORY,
    STUCK_AFTER,
    TERMS_LEAD_DAYS,
    DeliveryStatus,
    ReminderKind,
    ReminderLog,
    ReminderOptOut,
)
from core.vocab import Rag, Role


@dataclass(frozen=True)
class Reminder:
    """What a rule found: who to tell, what, and the key that makes it once-only."""

    user: User
    kind: ReminderKind
    subject: str
    body: str
    dedupe_key: str


# --- preferences ---------------------------------------------------------------------------


def kinds_for(user: User) -> list[ReminderKind]:
    """The kinds of reminder this user's roles can receive."""
    return [kind for kind in ReminderKind if kind.roles & user.role_set]


def opted_out_kinds(user_id: int) -> set[str]:
    return set(db.session.scalars(select(ReminderOptOut.kind).where(ReminderOptOut.user_id == user_id)))


def set_preferences(user: User, *, enabled: set[str]) -> None:
    """Switch non-statutory kinds on (in ``enabled``) or off; statutory kinds stay on."""
    current = {o.kind: o for o in db.session.scalars(select(ReminderOptOut).where(ReminderOptOut.user_id == user.id))}
    for kind in kinds_for(user):
        if kind.statutory:
            continue
        if kind.value in enabled and kind.value in current:
            db.session.delete(current[kind.value])
        elif kind.value not in enabled and kind.value not in current:
            db.session.add(ReminderOptOut(user_id=user.id, kind=kind.value))
    db.session.flush()


# --- the rules -----------------------------------------------------------------------------


def _link(endpoint: str, **values) -> str:
    """An absolute link for an email. The daily run has no request, so url_for gets a request
    context that carries only the configured base URL."""
    base = current_app.config.get("APP_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def _footer() -> str:
    return (
        "\n\nYou can see your reminders and switch off the ones that are not required at "
        f"{_link('reminders.my_reminders')}\n"
    )


def _active_users_with(role: Role) -> list[User]:
    return list(
        db.session.scalars(
            select(User).join(UserRole).where(UserRole.role == role.value, User.active.is_(True)).order_by(User.id)
        )
    )


def plan_update_reminders(today: date) -> Iterator[Reminder]:
    """SPOCs (and deputies) whose active plans have stale or overdue rows, when a board meets
    within two weeks: one message per board meeting."""
    from partnership.models import BoardMeeting, MeetingStatus
    from plans.models import Plan, PlanRow, PlanStatus
    from plans.services import quarter_start
    from spoc.models import BusinessArea, SpocAssignment

    meetings = db.session.scalars(
        select(BoardMeeting)
        .where(
            BoardMeeting.status == MeetingStatus.SCHEDULED.value,
            BoardMeeting.held_on >= today,
            BoardMeeting.held_on <= today + timedelta(days=BOARD_LEAD_DAYS),
        )
        .order_by(BoardMeeting.held_on)
    ).all()
    # The same flags as the plan pages (plans.services.is_overdue / is_stale), in SQL.
    stale_before = datetime.combine(quarter_start(today), datetime.min.time(), UTC)
    not_complete = func.coalesce(PlanRow.rag, "") != Rag.COMPLETE.value
    overdue = and_(PlanRow.due_date < today, not_complete)
    stale = and_(not_complete, or_(PlanRow.last_progress_at.is_(None), PlanRow.last_progress_at < stale_before))
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
            .join(BusinessArea, BusinessArea.id == Plan.area_id)
            .where(
                Plan.status == PlanStatus.ACTIVE.value,
                BusinessArea.partnership_id == meeting.partnership_id,
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
                f"- {title}: {n_overdue} overdue, {n_stale} not updated this quarter\n"
                f"  {_link('plans.show_plan', plan_id=pid)}"
                for pid, title, n_overdue, n_stale in plans
            ]
            body = (
                f"The partnership board meets on {meeting.held_on:%-d %B %Y}. These plans have rows that are "
                "overdue or have not been updated this quarter:\n\n" + "\n".join(lines) + "\n\n"
                "Please record progress before the board so the pack shows where things stand." + _footer()
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
    from partnership.models import ActionStatus, BoardAction

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
    leads = _active_users_with(Role.PREVENT_LEAD)
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
                f"Record an update on it before the next board: {_link('board.overview')}" + _footer()
            )
            yield Reminder(
                user=user,
                kind=ReminderKind.BOARD_ACTION,
                subject=f"Board action A{action.number} {when} on {action.due_on:%-d %B %Y}",
                body=body,
                dedupe_key=f"board_action:a{action.id}:{action.due_on.isoformat()}:u{user.id}",
            )


def _panel_chairs() -> list[User]:
    """The panel's chair (their account), or every active user with the chair role when the
    chair seat has no account linked."""
    from channel_panel.models import Panel, PanelMember

    panel = db.session.scalar(select(Panel).limit(1))
    if panel is not None and panel.chair_id is not None:
        chair = db.session.get(PanelMember, panel.chair_id)
        if chair is not None and chair.user_id is not None:
            user = db.session.get(User, chair.user_id)
            if user is not None and user.active and has_permission(user, Permission.VIEW_CHANNEL_CASES):
                return [user]
    return _active_users_with(Role.PANEL_CHAIR)


def post_closure_review_reminders(today: date) -> Iterator[Reminder]:
    """Post-closure reviews not yet held that fall due before the next panel meeting (or in the
    next 30 days when none is scheduled): to the panel chair, by case reference only."""
    from channel_panel.models import ChannelCase, PanelMeeting, PostClosureReview

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
                f"{_link('channel_panel.show_case', case_id=case_id)}" + _footer()
            )
            yield Reminder(
                user=user,
                kind=ReminderKind.POST_CLOSURE_REVIEW,
                subject=f"Post-closure review due: case {reference} ({months} months)",
                body=body,
                dedupe_key=f"post_closure_review:r{review_id}:{due_on.isoformat()}:u{user.id}",
            )


def training_refresher_reminders(today: date) -> Iterator[Reminder]:
    """A monthly digest to training coordinators: completions expiring within 60 days that no
    later completion of the same course replaces, counted by organisation. Trainees themselves
    are not emailed: most have no account, and a coordinator arranges the sessions."""
    from partnership.models import Organisation
    from training.models import Completion, Course, Person

    later = aliased(Completion)
    rows = db.session.execute(
        select(Organisation.name, Course.name, func.count(), func.min(Completion.expires_on))
        .select_from(Completion)
        .join(Person, Person.id == Completion.person_id)
        .join(Course, Course.id == Completion.course_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(
            Completion.expires_on >= today,
            Completion.expires_on <= today + timedelta(days=REFRESHER_LEAD_DAYS),
            Person.left_on.is_(None),
            Course.active.is_(True),
            ~exists().where(
                later.person_id == Completion.person_id,
                later.course_id == Completion.course_id,
                later.completed_on > Completion.completed_on,
            ),
        )
        .group_by(Organisation.name, Course.name)
        .order_by(Organisation.name, Course.name)
    ).all()
    if not rows:
        return
    total = sum(r[2] for r in rows)
    lines = [f"- {org}, {course}: {count} (first on {first:%-d %B %Y})" for org, course, count, first in rows]
    for user in _active_users_with(Role.TRAINING_COORDINATOR):
        body = (
            f"{total} training completion{'s' if total != 1 else ''} expire in the next {REFRESHER_LEAD_DAYS} days "
            "and have not been renewed:\n\n" + "\n".join(lines) + "\n\n"
            f"Coverage and the people concerned: {_link('training.show_coverage')}" + _footer()
        )
        yield Reminder(
            user=user,
            kind=ReminderKind.TRAINING_REFRESHER,
            subject=f"Training refreshers due: {total} completion{'s' if total != 1 else ''} expiring",
            body=body,
            dedupe_key=f"training_refresher:{today:%Y-%m}:u{user.id}",
        )


def membership_review_reminders(today: date) -> Iterator[Reminder]:
    """The board's yearly membership review, when due or overdue: to the Prevent Lead."""
    from partnership.board import membership_review_status
    from partnership.models import Partnership

    for partnership in db.session.scalars(select(Partnership).order_by(Partnership.id)):
        status = membership_review_status(partnership.id, today)
        if status.state not in ("due", "overdue"):
            continue
        when = "was due" if status.state == "overdue" else "is due"
        for user in _active_users_with(Role.PREVENT_LEAD):
            body = (
                f"The {partnership.name} board's yearly membership review {when} on {status.due_on:%-d %B %Y} "
                f"(last reviewed {status.last.reviewed_on:%-d %B %Y}).\n\n{_link('board.list_members')}" + _footer()
            )
            yield Reminder(
                user=user,
                kind=ReminderKind.MEMBERSHIP_REVIEW,
                subject=f"Board membership review {when} on {status.due_on:%-d %B %Y}",
                body=body,
                dedupe_key=f"membership_review:p{partnership.id}:{status.due_on.isoformat()}:u{user.id}",
            )


def terms_review_reminders(today: date) -> Iterator[Reminder]:
    """The Channel Panel's terms of reference review, 30 days ahead or overdue: to the chair."""
    from channel_panel.models import Panel

    panel = db.session.scalar(select(Panel).limit(1))
    due_on = panel.terms_review_due_on if panel is not None else None
    if due_on is None or due_on > today + timedelta(days=TERMS_LEAD_DAYS):
        return
    when = "was due" if due_on < today else "is due"
    for user in _panel_chairs():
        body = (
            f"The review of the {panel.name} terms of reference (and information sharing arrangements) "
            f"{when} on {due_on:%-d %B %Y}.\n\n{_link('channel_panel.home')}" + _footer()
        )
        yield Reminder(
            user=user,
            kind=ReminderKind.TERMS_REVIEW,
            subject=f"Channel Panel terms of reference review {when} on {due_on:%-d %B %Y}",
            body=body,
            dedupe_key=f"terms_review:{due_on.isoformat()}:u{user.id}",
        )


RULES = (
    plan_update_reminders,
    board_action_reminders,
    post_closure_review_reminders,
    training_refresher_reminders,
    membership_review_reminders,
    terms_review_reminders,
)


def due_reminders(today: date) -> list[Reminder]:
    """Every reminder the rules find today, whether or not it has been sent already."""
    found = []
    for rule in RULES:
        for reminder in rule(today):
            # Belt and braces: a message goes only to someone whose role may receive its kind.
            if reminder.user.active and reminder.kind.roles & reminder.user.role_set:
                found.append(reminder)
    return found


# --- sending -------------------------------------------------------------------------------


@dataclass
class RunResult:
    sent: int = 0
    failed: int = 0
    opted_out: int = 0
    already_done: int = 0


def _claim(reminder: Reminder, *, status: DeliveryStatus) -> ReminderLog | None:
    """Take the reminder for this run: insert its log row, or take back a failed (or stuck)
    one. None when another run has it or it is done. Commits, so the claim is visible."""
    now = utcnow()
    entry = ReminderLog(
        dedupe_key=reminder.dedupe_key,
        kind=reminder.kind.value,
        user_id=reminder.user.id,
        recipient=reminder.user.email,
        subject=reminder.subject,
        body=reminder.body,
        status=status.value,
        created_at=now,
    )
    db.session.add(entry)
    try:
        db.session.commit()
        return entry
    except IntegrityError:
        db.session.rollback()
    if status is DeliveryStatus.OPTED_OUT:
        return None
    claimed = db.session.execute(
        update(ReminderLog)
        .where(
            ReminderLog.dedupe_key == reminder.dedupe_key,
            or_(
                ReminderLog.status == DeliveryStatus.FAILED.value,
                and_(
                    ReminderLog.status == DeliveryStatus.SENDING.value, ReminderLog.last_attempt_at < now - STUCK_AFTER
                ),
            ),
        )
        .values(status=DeliveryStatus.SENDING.value, last_attempt_at=now, recipient=reminder.user.email)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return None
    return db.session.scalar(select(ReminderLog).where(ReminderLog.dedupe_key == reminder.dedupe_key))


def send_due(today: date) -> RunResult:
    """Send every due reminder not sent before; record each result. Commits as it goes.

    A reminder the recipient has switched off is logged as such and stays so, even if they
    switch the kind back on later: the next occurrence (a new due date or meeting) is sent."""
    result = RunResult()
    reminders = due_reminders(today)
    opted = defaultdict(set)
    for user_id, kind in db.session.execute(select(ReminderOptOut.user_id, ReminderOptOut.kind)):
        opted[user_id].add(kind)
    for reminder in reminders:
        if not reminder.kind.statutory and reminder.kind.value in opted[reminder.user.id]:
            if _claim(reminder, status=DeliveryStatus.OPTED_OUT):
                result.opted_out += 1
            else:
                result.already_done += 1
            continue
        entry = _claim(reminder, status=DeliveryStatus.SENDING)
        if entry is None:
            result.already_done += 1
            continue
        entry.attempts += 1
        entry.last_attempt_at = utcnow()
        try:
            send_mail(to=entry.recipient, subject=entry.subject, body=entry.body)
        except MailError as exc:
            entry.status, entry.error = DeliveryStatus.FAILED.value, str(exc)
            result.failed += 1
            current_app.logger.warning("reminder %s to %s failed: %s", entry.dedupe_key, entry.recipient, exc)
        else:
            entry.status, entry.error, entry.sent_at = DeliveryStatus.SENT.value, "", utcnow()
            result.sent += 1
        db.session.commit()
    return result


def log_query(*, status: str = "", kind: str = "", recipient: str = "", user_id: int | None = None):
    """The reminder log, newest first, filtered."""
    query = select(ReminderLog).order_by(ReminderLog.created_at.desc(), ReminderLog.id.desc())
    if status:
        query = query.where(ReminderLog.status == status)
    if kind:
        query = query.where(ReminderLog.kind == kind)
    if recipient:
        query = query.where(ReminderLog.recipient.contains(recipient.strip().lower(), autoescape=True))
    if user_id is not None:
        query = query.where(ReminderLog.user_id == user_id)
    return query


def done_keys(keys: list[str]) -> set[str]:
    """Which of these dedupe keys are sent, switched off or being sent (not failed)."""
    if not keys:
        return set()
    return set(
        db.session.scalars(
            select(ReminderLog.dedupe_key).where(
                ReminderLog.dedupe_key.in_(keys), ReminderLog.status != DeliveryStatus.FAILED.value
            )
        )
    )


def load_demo_reminders(*, opt_out_email: str, today: date) -> None:
    """Demo: one user's opt-out, and a log of what the rules find on the demo data, as if the
    daily run had sent the first few and then lost the mail server (the caller commits)."""
    user = db.session.scalar(select(User).where(User.email == opt_out_email))
    if user is not None:
        db.session.add(ReminderOptOut(user_id=user.id, kind=ReminderKind.TRAINING_REFRESHER.value))
        db.session.flush()
    opted = opted_out_kinds(user.id) if user is not None else set()
    morning = datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(hour=7)
    for n, reminder in enumerate(due_reminders(today)):
        entry = ReminderLog(
            dedupe_key=reminder.dedupe_key,
            kind=reminder.kind.value,
            user_id=reminder.user.id,
            recipient=reminder.user.email,
            subject=reminder.subject,
            body=reminder.body,
            created_at=morning,
            last_attempt_at=morning,
            attempts=1,
        )
        if reminder.user is user and reminder.kind.value in opted:
            entry.status, entry.attempts = DeliveryStatus.OPTED_OUT.value, 0
        elif n % 3 == 2:
            entry.status = DeliveryStatus.FAILED.value
            entry.error = "SMTPServerDisconnected: Connection unexpectedly closed"
        else:
            entry.status, entry.sent_at = DeliveryStatus.SENT.value, morning
        db.session.add(entry)
    db.session.flush()
