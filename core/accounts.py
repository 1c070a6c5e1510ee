"""Account rules: sign-in with lockout, passwords, creating and deactivating users.

Functions add and flush; the request (or command) commits once, at its end.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_request_context, request
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import clock, tenancy, throttle, transactions
from core.db import utcnow
from core.extensions import db
from core.models import SecurityEvent, User, UserRole
from core.passwords import burn_verification_time, hash_password, verify_password
from core.vocab import Role

GENERIC_LOGIN_ERROR = "Enter a correct email address and password"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def identify(email: str) -> User | None:
    """The account with ``email`` in whichever partnership it belongs to (a person signing in,
    or asking for a password reset, has not said which); the request then serves that
    partnership (core.tenancy)."""
    with tenancy.scoped(tenancy.ALL):
        user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
        partnerships = tenancy.partnership_ids() if user is None else []
    if user is not None:
        tenancy.set_scope(tenancy.Scope.of(user.partnership_id))
    elif len(partnerships) == 1:
        # A deployment of one partnership: an unknown person's attempt is its Lead's to see.
        # With several, it belongs to none (the deployment's own log).
        tenancy.set_scope(tenancy.Scope.of(partnerships[0]))
    return user


def adopt(user_id: int) -> User | None:
    """The account with ``user_id`` whichever partnership it belongs to (a reset link, a
    provider's answer); the request then serves that partnership."""
    with tenancy.scoped(tenancy.ALL):
        user = db.session.get(User, user_id)
    if user is not None:
        tenancy.set_scope(tenancy.Scope.of(user.partnership_id))
    return user


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
        "partnership_id": user.partnership_id if user is not None else tenancy.current().single,
        "email": (email or (user.email if user is not None else ""))[:254],
        "ip": ip[:64],
        "path": path[:500],
        "detail": detail[:500],
    }
    if survives_rollback:
        transactions.keep(insert(SecurityEvent).values(**values))
    else:
        db.session.add(SecurityEvent(**values))
    # Never the typed email: at sign-in it may be anything (a mistyped address, a password).
    current_app.logger.info("security %s user=%s path=%s", kind, getattr(user, "id", None), path)


@dataclass
class LoginResult:
    user: User | None
    message: str = ""


def throttled_message(minutes: int) -> str:
    """The one answer to too many attempts, the same whether or not the email has an account."""
    return (
        "Too many attempts to sign in with this email address. "
        f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again, or reset your password"
    )


def _source_address() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def attempt_login(*, email: str, password: str, max_failures: int, lock_minutes: int) -> LoginResult:
    """Check credentials under two limits counted in the database before the password is checked:
    ``max_failures`` attempts per email and source address in ``lock_minutes`` (so an outsider
    cannot lock a person out from everywhere), and a slower limit per email from every address
    (LOGIN_ACCOUNT_MAX_FAILURES in LOGIN_ACCOUNT_LOCK_MINUTES). Attempts past a limit are refused
    unchecked, even with the right password, until the window ends. Unknown emails are counted
    the same way, so the answers never tell whether an account exists.

    A refused sign-in is recorded even if the request then fails: the counts are committed as
    they are claimed, the events are kept writes."""
    config = current_app.config
    email = normalise_email(email)
    now = utcnow()
    pair = throttle.claim(
        throttle.pair_key(email, _source_address()), limit=max_failures, minutes=lock_minutes, now=now
    )
    overall = None
    if pair.allowed:
        overall = throttle.claim(
            throttle.account_key(email),
            limit=config["LOGIN_ACCOUNT_MAX_FAILURES"],
            minutes=config["LOGIN_ACCOUNT_LOCK_MINUTES"],
            now=now,
        )
    user = identify(email)
    refused = pair if not pair.allowed else overall if not overall.allowed else None
    if refused is not None:
        burn_verification_time()  # the same time as a checked attempt
        which = "this address" if refused is pair else "every address"
        log_event("login_throttled", user=user, detail=f"attempt {refused.count} from {which}", survives_rollback=True)
        return LoginResult(None, throttled_message(refused.minutes_left(now)))
    reached = pair.count >= max_failures or overall.count >= config["LOGIN_ACCOUNT_MAX_FAILURES"]
    if user is None:
        burn_verification_time()
        log_event("login_unknown_email", email=email, survives_rollback=True)
        if reached:
            return LoginResult(None, throttled_message(pair.minutes_left(now)))
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    if not verify_password(user.password_hash, password):
        _count_failure(user, lock_until=max(pair.until, overall.until) if reached else None)
        if reached:
            which = "from one address" if pair.count >= max_failures else "from every address"
            log_event(
                "account_locked",
                user=user,
                detail=f"after {pair.count if pair.count >= max_failures else overall.count} failed attempts {which}",
                survives_rollback=True,
            )
            return LoginResult(None, throttled_message(pair.minutes_left(now)))
        log_event("login_failed", user=user, survives_rollback=True)
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    throttle.release(throttle.pair_key(email, _source_address()))
    throttle.give_back(throttle.account_key(email))
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
    return LoginResult(user)


def _count_failure(user: User, *, lock_until: datetime | None = None) -> None:
    """Add one to the account's failed sign-ins (shown to the Prevent Lead), in SQL, whatever
    becomes of the request; and note the lock's end when a limit was reached."""
    values: dict = {"failed_logins": User.failed_logins + 1}
    if lock_until is not None:
        values["locked_until"] = lock_until
    transactions.keep(update(User).where(User.id == user.id).values(**values))
    set_committed_value(user, "failed_logins", (user.failed_logins or 0) + 1)
    if lock_until is not None:
        set_committed_value(user, "locked_until", lock_until)


def check_current_password(user: User, password: str) -> str | None:
    """A signed-in person's current password, checked under a limit (LOGIN_MAX_FAILURES in
    LOGIN_LOCK_MINUTES) with a security event for each failure: a stolen session cannot guess
    it. The error message, or None when it is right."""
    config = current_app.config
    now = utcnow()
    key = throttle.password_check_key(user.id)
    claim = throttle.claim(key, limit=config["LOGIN_MAX_FAILURES"], minutes=config["LOGIN_LOCK_MINUTES"], now=now)
    if not claim.allowed:
        log_event("password_check_locked", user=user, detail=f"attempt {claim.count}", survives_rollback=True)
        minutes = claim.minutes_left(now)
        return f"Too many wrong passwords. Wait {minutes} minute{'s' if minutes != 1 else ''} and try again"
    if not verify_password(user.password_hash, password or ""):
        log_event("password_check_failed", user=user, detail=f"attempt {claim.count}", survives_rollback=True)
        return "Your current password is incorrect"
    throttle.release(key)
    return None


def email_taken(email: str, *, except_user_id: int | None = None) -> bool:
    query = select(func.count()).select_from(User).where(User.email == normalise_email(email))
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    with tenancy.scoped(tenancy.ALL):  # one email, one account, across every partnership
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
    throttle.forget_email(user.email)
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
