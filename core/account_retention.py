"""Retention of deactivated accounts: name, email and job title are redacted a set period after
deactivation; the account's id and roles stay, so the audit trail still says which account (and
in which role) did what.

Accounts are never deleted (records point at them). On its due date a deactivated account's
``full_name`` becomes "Former user #ID", its email "former-user-ID@redacted.invalid" (unique,
and unusable for signing in) and its job title is cleared. The same name and email are redacted
wherever the trail and the logs copied them: the audit trail's "changed by" (then "Former user
#ID (Role)"), record labels and before/after values, the security event log's email and the
reminder log's recipient and text. This is the one deliberate rewrite of the append-only trail:
done with SQL statements, and itself recorded by one audit entry that holds no personal data.
"""

import json
from datetime import date

from sqlalchemy import String, cast, or_, select, update

from core.audit import REDACTED, AuditEntry, redact_history
from core.dates import add_months
from core.extensions import db
from core.models import SecurityEvent, User
from core.reminder_models import ReminderLog
from core.retention import RetentionItem, RetentionSchedule
from core.vocab import Role

#: Two years after deactivation. The annual audit of a year (done during the next year) reads the
#: trail with the names of the people who acted in it; two years after an account stopped acting,
#: that audit is done and the name no longer serves a purpose the partnership can state.
MONTHS = 24


def redacted_name(user_id: int) -> str:
    return f"Former user #{user_id}"


def redacted_email(user_id: int) -> str:
    return f"former-user-{user_id}@redacted.invalid"


def find(day: date) -> list[RetentionItem]:
    """Deactivated accounts not yet redacted whose period ended on or before ``day``."""
    # The period is in calendar months; anything deactivated on or before this day may be due.
    latest = add_months(day, -MONTHS)
    users = db.session.scalars(
        select(User)
        .where(
            User.active.is_(False),
            User.personal_data_removed_on.is_(None),
            User.deactivated_on.is_not(None),
            User.deactivated_on <= latest,
        )
        .order_by(User.deactivated_on, User.id)
    ).all()
    items = []
    for user in users:
        due_on = add_months(user.deactivated_on, MONTHS)
        if due_on <= day:
            items.append(
                RetentionItem(
                    key=f"account #{user.id}",
                    due_on=due_on,
                    summary=f"name, email and job title of a {_roles(user)} account deactivated on "
                    f"{user.deactivated_on.isoformat()}",
                )
            )
    return items


def _roles(user: User) -> str:
    return ", ".join(Role(r).label for r in sorted(user.role_set)) or "no-role"


def _scrub(value, secrets: list[str]):
    """``value`` (JSON: text, lists, dicts) with every secret replaced by [redacted]."""
    if isinstance(value, str):
        for secret in secrets:
            if secret and secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    return value


def _mentions(column, secrets: list[str]):
    """SQL: the text of ``column`` contains one of the secrets (also as JSON escapes them)."""
    patterns = set()
    for secret in secrets:
        patterns.add(secret)
        patterns.add(json.dumps(secret)[1:-1])  # "Zoë" is stored as "Zo\\u00eb" in JSON text
    return or_(*(cast(column, String).contains(p, autoescape=True) for p in patterns))


def redact_account(user: User, *, day: date, due_on: date) -> None:
    """Redact one account and every copy of its name and email; one audit entry. Flushes only."""
    name, email, user_id = user.full_name, user.email, user.id
    secrets = sorted({s for s in (name, email) if s and len(s) >= 3}, key=len, reverse=True)
    who = f"{redacted_name(user_id)} ({_roles(user)})"

    # The account itself: SQL rather than the ORM, so the automatic entry (which would copy the
    # name and email as "before") is not written.
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            full_name=redacted_name(user_id),
            email=redacted_email(user_id),
            job_title="",
            personal_data_removed_on=day,
        )
    )
    # The trail: who acted, the account's own entries, and any entry whose label or values copy
    # the name or email (a board member's name, a plan lead, ...).
    db.session.execute(
        update(AuditEntry)
        .where(or_(AuditEntry.actor_id == user_id, AuditEntry.actor_label == email))
        .values(actor_label=who)
    )
    own = redact_history(User.__tablename__, user_id, ["full_name", "email", "job_title"], label=redacted_name(user_id))
    entries = db.session.execute(
        select(AuditEntry.id, AuditEntry.label, AuditEntry.changes).where(
            or_(_mentions(AuditEntry.label, secrets), _mentions(AuditEntry.changes, secrets))
        )
    ).all()
    for entry_id, label, changes in entries:
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == entry_id)
            .values(label=_scrub(label, secrets)[:300], changes=_scrub(changes, secrets))
        )
    db.session.execute(
        update(SecurityEvent)
        .where(or_(SecurityEvent.user_id == user_id, SecurityEvent.email == email))
        .values(email=REDACTED)
    )
    logs = db.session.execute(
        select(ReminderLog.id, ReminderLog.subject, ReminderLog.body).where(ReminderLog.user_id == user_id)
    ).all()
    for log_id, subject, body in logs:
        db.session.execute(
            update(ReminderLog)
            .where(ReminderLog.id == log_id)
            .values(recipient=REDACTED, subject=_scrub(subject, secrets)[:300], body=_scrub(body, secrets))
        )
    db.session.add(
        AuditEntry(
            actor_id=None,
            actor_label="flask retention run",
            action="update",
            entity=User.__tablename__,
            entity_id=user_id,
            label=f"{redacted_name(user_id)}: personal details removed under retention",
            changes={
                "full_name": [REDACTED, redacted_name(user_id)],
                "email": [REDACTED, redacted_email(user_id)],
                "job_title": [REDACTED, ""],
                "retention": [
                    None,
                    f"name, email and job title redacted {MONTHS} months after deactivation "
                    f"(deactivated {user.deactivated_on.isoformat()}, due {due_on.isoformat()}); "
                    f"{own + len(entries)} audit entries and the logs redacted to match",
                ],
            },
        )
    )


def remove(day: date, items: list[RetentionItem]) -> None:
    for item in items:
        user = db.session.get(User, int(item.key.removeprefix("account #")))
        redact_account(user, day=day, due_on=item.due_on)
    db.session.flush()
    db.session.expire_all()


SCHEDULE = RetentionSchedule(
    name="deactivated_accounts",
    title="Deactivated accounts",
    what="A deactivated account's name, email and job title, and every copy of them in the audit trail, "
    "the security event log and the reminder log (the account's id and roles stay)",
    period=lambda: f"{MONTHS} months after deactivation",
    default=f"{MONTHS} months",
    reason="the annual audit of a year, done during the next, reads the trail with the names of those who acted; "
    "two years after an account stopped, that audit is done",
    find=find,
    remove=remove,
    verb="redacted",
)
