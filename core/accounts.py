"""Account rules: sign-in with lockout, passwords, creating and deactivating users.

Functions add and flush; the request (or command) commits once, at its end.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import clock, transactions
from core.db import utcnow
from core.extensions import db
from core.models import SecurityEvent, User, UserRole
from core.passwords import burn_verification_time, hash_password, verify_password
from core.vocab import Role

GENERIC_LOGIN_ERROR = "Enter a correct email address and password"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def log_event(
    kind: str,
    *,
    user: User | None = None,
    email: str = "",
    detail: str = "",
    path: str = "",
    survives_rollback: bool = False,
) -> None:
    """Record a security event in the current transaction; or, ``survives_rollback``, at the end
    of the request whatever becomes of it (core.transactions.keep): for events that say what
    happened, such as a refusal or a failed sign-in, which a failed request must not erase."""
    ip = (request.remote_addr or "") if has_request_context() else ""
    if has_request_context() and not path:
        path = request.path
    values = {
        "at": utcnow(),
        "kind": kind,
        "user_id": user.id if user is not None else None,
        "email": (email or (user.email if user is not None else ""))[:254],
        "ip": ip[:64],
        "path": path[:500],
        "detail": detail[:500],
    }
    if survives_rollback:
        transactions.keep(insert(SecurityEvent).values(**values))
    else:
        db.session.add(SecurityEvent(**values))
    current_app.logger.info("security %s user=%s email=%s path=%s", kind, getattr(user, "id", None), email, path)


@dataclass
class LoginResult:
    user: User | None
    message: str = ""


def attempt_login(*, email: str, password: str, max_failures: int, lock_minutes: int) -> LoginResult:
    """Check credentials, counting failures and locking the account after too many.

    A refused sign-in is recorded, and counted towards the lockout, even if the request then
    fails: otherwise a request made to fail would be a free guess."""
    email = normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    now = utcnow()
    if user is None:
        burn_verification_time()
        log_event("login_unknown_email", email=email, survives_rollback=True)
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    if user.is_locked(now):
        log_event("login_locked", user=user, survives_rollback=True)
        return LoginResult(None, locked_message(user))
    if not verify_password(user.password_hash, password):
        failures = user.failed_logins + 1
        if failures >= max_failures:
            _count_failure(user, failures=0, lock_until=now + timedelta(minutes=lock_minutes))
            log_event(
                "account_locked", user=user, detail=f"after {max_failures} failed attempts", survives_rollback=True
            )
            return LoginResult(None, locked_message(user))
        _count_failure(user, failures=failures)
        log_event("login_failed", user=user, survives_rollback=True)
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    if not user.active:
        log_event("login_inactive", user=user, survives_rollback=True)
        return LoginResult(None, "This account has been deactivated. Contact your Prevent Lead")
    if user.access_expired():
        log_event("login_expired", user=user, survives_rollback=True)
        return LoginResult(
            None, f"This account's access ended on {user.access_expires_on:%-d %B %Y}. Contact your Prevent Lead"
        )
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    log_event("login_ok", user=user)
    return LoginResult(user)


def _count_failure(user: User, *, failures: int, lock_until: datetime | None = None) -> None:
    """Store the count of failed sign-ins (and the lock) whatever becomes of the request: a kept
    UPDATE, not a change to ``user`` that a rollback would undo. ``user`` shows the new values."""
    values: dict = {"failed_logins": failures}
    if lock_until is not None:
        values["locked_until"] = lock_until
    transactions.keep(update(User).where(User.id == user.id).values(**values))
    for key, value in values.items():
        set_committed_value(user, key, value)


def locked_message(user: User) -> str:
    minutes = max(1, int((user.locked_until - utcnow()).total_seconds() // 60) + 1)
    return (
        "This account is locked because of too many failed sign-in attempts. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}, or ask your Prevent Lead to unlock it"
    )


def email_taken(email: str, *, except_user_id: int | None = None) -> bool:
    query = select(func.count()).select_from(User).where(User.email == normalise_email(email))
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return db.session.scalar(query) > 0


def set_password(user: User, password: str, *, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()


def set_roles(user: User, roles: list[Role]) -> None:
    wanted = {Role(r).value for r in roles}
    for existing in list(user.roles):
        if existing.role not in wanted:
            user.roles.remove(existing)
    have = {r.role for r in user.roles}
    for role in sorted(wanted - have):
        user.roles.append(UserRole(role=role))


def create_user(
    *,
    email: str,
    full_name: str,
    password: str,
    roles: list[Role],
    job_title: str = "",
    organisation_id: int | None = None,
    must_change_password: bool = True,
) -> User:
    """Add a user with a password (temporary unless stated) and roles."""
    user = User(
        email=normalise_email(email),
        full_name=full_name.strip(),
        job_title=job_title.strip(),
        organisation_id=organisation_id,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    set_roles(user, roles)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User,
    *,
    email: str,
    full_name: str,
    job_title: str,
    organisation_id: int | None,
    roles: list[Role],
) -> None:
    user.email = normalise_email(email)
    user.full_name = full_name.strip()
    user.job_title = job_title.strip()
    user.organisation_id = organisation_id
    set_roles(user, roles)
    db.session.flush()


def deactivate_user(user: User) -> None:
    """Users are deactivated, never deleted: records and the audit trail name them (until the
    account's personal fields are redacted under retention, core.account_retention)."""
    if user.active or user.deactivated_on is None:
        user.deactivated_on = clock.today()
    user.active = False
    db.session.flush()


def reactivate_user(user: User) -> None:
    user.active = True
    user.deactivated_on = None
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()


def unlock_user(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    log_event("account_unlocked", user=user)
    db.session.flush()


def active_prevent_lead_count(*, excluding_user_id: int | None = None) -> int:
    query = (
        select(func.count(func.distinct(User.id)))
        .join(UserRole)
        .where(UserRole.role == Role.PREVENT_LEAD.value, User.active.is_(True))
    )
    if excluding_user_id is not None:
        query = query.where(User.id != excluding_user_id)
    return db.session.scalar(query)


def set_access_limits(user: User, *, expires_on: date | None, audit_year: int | None) -> None:
    """Limit an account in time (no sign-in after ``expires_on``) and, for an auditor, to one
    compliance year. None lifts a limit."""
    user.access_expires_on = expires_on
    user.audit_year = audit_year
    db.session.flush()
