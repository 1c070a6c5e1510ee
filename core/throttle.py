"""Attempts counted in the database before they are checked: sign-in and current-password limits.

Each attempt claims a place in its key's window with one SQL statement (an upsert that adds one
and returns the new count), committed at once on a connection of its own: concurrent attempts on
any number of app servers each see a different count, and only the first ``limit`` are checked.
The count that reaches the limit restarts the window, so the lock lasts ``minutes`` from then.
Keys are hashes, so no typed email is stored. Claims must come before the request writes anything
(on SQLite a second connection would wait for the request's own write lock).
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from core.db import UTCDateTime, utcnow
from core.extensions import db
from core.models import LoginThrottle


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def pair_key(email: str, ip: str) -> str:
    """Sign-in attempts at one email from one source address."""
    return f"p:{_digest(email)}:{_digest(ip)}"


def account_key(email: str) -> str:
    """Sign-in attempts at one email from every address (the slower, global limit)."""
    return f"a:{_digest(email)}"


def password_check_key(user_id: int) -> str:
    """A signed-in person's current-password checks (changing the password)."""
    return f"c:{user_id}"


def second_factor_key(user_id: int) -> str:
    """Codes tried at the second step of signing in, or at a fresh check."""
    return f"t:{user_id}"


@dataclass(frozen=True)
class Claim:
    allowed: bool
    #: This attempt's number in the window (1 for the first).
    count: int
    #: When the window (and so any lock) ends.
    until: datetime

    def minutes_left(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds() / 60))


def claim(key: str, *, limit: int, minutes: int, now: datetime | None = None) -> Claim:
    """Count one attempt against ``key``; allowed while the window holds ``limit`` or fewer."""
    now = now or utcnow()
    window = timedelta(minutes=minutes)
    at = bindparam("now", now, type_=UTCDateTime())
    cutoff = bindparam("cutoff", now - window, type_=UTCDateTime())
    table = LoginThrottle.__table__
    expired = table.c.window_start <= cutoff
    dialect = db.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(key=key, failures=1, window_start=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((expired, 1), else_=table.c.failures + 1),
            # The attempt that reaches the limit starts the lock's full length.
            "window_start": case((expired, at), (table.c.failures + 1 == limit, at), else_=table.c.window_start),
        },
    ).returning(table.c.failures, table.c.window_start)
    with db.engine.begin() as connection:
        count, start = connection.execute(statement).one()
    start = UTCDateTime().process_result_value(start, db.engine.dialect) if isinstance(start, datetime) else start
    if isinstance(start, str):  # SQLite hands back RETURNING values of an upsert as stored text
        start = datetime.fromisoformat(start)
        start = UTCDateTime().process_result_value(start, db.engine.dialect)
    return Claim(allowed=count <= limit, count=count, until=start + window)


def release(key: str) -> None:
    """Forget a key's attempts (a success), in the request's transaction: a success that is
    rolled back leaves the count standing."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def give_back(key: str) -> None:
    """Take one attempt off a key's count (a success that must not count towards a slow limit)."""
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )


def forget_email(email: str) -> None:
    """Lift every sign-in limit on an email (the Prevent Lead unlocking an account)."""
    digest = _digest(email)
    db.session.execute(
        delete(LoginThrottle).where((LoginThrottle.key == f"a:{digest}") | LoginThrottle.key.startswith(f"p:{digest}:"))
    )
