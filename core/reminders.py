"""Email reminders: the rules that find who is due one, the log of every reminder, opt-outs.

``send_due`` is what `flask reminders send` runs from cron each day. It is idempotent: every
reminder has a dedupe key (what it is about, the due date, the recipient) that is UNIQUE in the
log, and a reminder is claimed by inserting its log row before it is sent. Two runs on the
same day, or two cron hosts at once, cannot both send it. A failed delivery is recorded as
failed and claimed again by the next run; a delivery that crashed midway ("sending" for more
than an hour) is too.

So this is the one job that commits as it goes, where every request and every other command
commits once at its end: each claim is committed before its email is sent, so that another
run sees it and does not send the same email, and each result as soon as it is known, because
a sent email cannot be rolled back and a crash later in the run must not forget it. Those
commits are ``_checkpoint()``, and nothing else here commits.

Statutory reminders (post-closure reviews, the board's yearly membership review, the panel's
terms of reference review) cannot be switched off: the partnership must hold those reviews.
The others can, per user and per kind.

Messages name Channel cases by reference only, and go only to people whose role may see
what they are about.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app, url_for
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import registry
from core.db import utcnow
from core.extensions import db
from core.mail import MailError, send_mail
from core.models import User, UserRole
from core.permissions import can_see_case_references
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
from core.vocab import Role


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


def link(endpoint: str, **values) -> str:
    """An absolute link for an email. The daily run has no request, so url_for gets a request
    context that carries only the configured base URL."""
    base = current_app.config.get("APP_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def footer() -> str:
    return (
        "\n\nYou can see your reminders and switch off the ones that are not required at "
        f"{link('reminders.my_reminders')}\n"
    )


def active_users_with(role: Role) -> list[User]:
    return list(
        db.session.scalars(
            select(User).join(UserRole).where(UserRole.role == role.value, User.active.is_(True)).order_by(User.id)
        )
    )


def due_reminders(today: date) -> list[Reminder]:
    """Every reminder the rules find today, whether or not it has been sent already."""
    found = []
    for rule in registry.parts().reminder_rules:
        for reminder in rule(today):
            # Belt and braces: a message goes only to someone whose role may receive its kind,
            # and one naming a Channel case only to someone who may see case references.
            if not (reminder.user.active and reminder.kind.roles & reminder.user.role_set):
                continue
            if reminder.kind.names_a_case and not can_see_case_references(reminder.user):
                continue
            found.append(reminder)
    return found


# --- sending -------------------------------------------------------------------------------


@dataclass
class RunResult:
    sent: int = 0
    failed: int = 0
    opted_out: int = 0
    already_done: int = 0


def _checkpoint() -> None:
    """Commit what the run has done so far (see the module docstring for why it cannot wait)."""
    db.session.commit()


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
        _checkpoint()
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
    _checkpoint()
    if claimed != 1:
        return None
    return db.session.scalar(select(ReminderLog).where(ReminderLog.dedupe_key == reminder.dedupe_key))


def send_due(today: date) -> RunResult:
    """Send every due reminder not sent before; record each result. Commits as it goes
    (``_checkpoint``).

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
        _checkpoint()
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


def subjects_for(entries: list[ReminderLog], reader) -> dict[int, str]:
    """Each entry's subject as ``reader`` may read it: a reminder that names a Channel case is
    shown to anyone who may not see case references by a label that holds only in this list
    ("Post-closure review due: review 1 of 3"), never the reference or the review's due date."""
    if can_see_case_references(reader):
        return {e.id: e.subject for e in entries}
    named = [e for e in entries if e.kind_enum.names_a_case]
    numbers = {e.id: n for n, e in enumerate(named, start=1)}
    return {
        e.id: f"Post-closure review due: review {numbers[e.id]} of {len(named)}" if e.id in numbers else e.subject
        for e in entries
    }


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


def load_demo_reminders(*, today: date) -> None:
    """Demo: the first training coordinator's opt-out from refresher digests, and a log of what
    the rules find on the demo data, as if the daily run had sent the first few and then lost
    the mail server (the caller commits)."""
    kind = ReminderKind.TRAINING_REFRESHER
    user = db.session.scalar(
        select(User)
        .join(UserRole)
        .where(UserRole.role.in_([r.value for r in kind.roles]), User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )
    if user is not None:
        db.session.add(ReminderOptOut(user_id=user.id, kind=kind.value))
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
