"""What day and time it is: the one place the application reads the real clock.

Everything that asks "what is today?" (due dates, overdue, stale, review dates, session ages,
timestamps) calls ``today()`` or ``now()`` here, never ``date.today()`` or ``datetime.now()``.

The test suite fixes the date with two environment variables, so that no result depends on the
day the suite runs and every process it starts (the live server, gunicorn, the CLI) agrees:

- ``APP_TODAY=YYYY-MM-DD``: the clock reads 09:00 UTC on that day when it starts;
- ``APP_CLOCK_STARTED=<seconds since the epoch>``: the real moment it "started", shared by all
  the processes of one run. Time then runs on from there at its real pace (so ordering, ages and
  timeouts behave), and the date changes only after fifteen hours.

The production configuration refuses to start with a fixed clock (core.app.create_app).
"""

import os
import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

FIXED_DAY_ENV = "APP_TODAY"
STARTED_ENV = "APP_CLOCK_STARTED"
#: The time of day a fixed clock starts at.
FIXED_START = timedelta(hours=9)
_PROCESS_STARTED = time.time()


@lru_cache(maxsize=4)
def _fixed_start(day: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) + FIXED_START
    except ValueError as exc:
        raise RuntimeError(f"{FIXED_DAY_ENV} must be a date written YYYY-MM-DD, not {day!r}") from exc


def is_fixed() -> bool:
    return bool(os.environ.get(FIXED_DAY_ENV))


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    day = os.environ.get(FIXED_DAY_ENV)
    if not day:
        return datetime.now(UTC)
    started = float(os.environ.get(STARTED_ENV) or _PROCESS_STARTED)
    return _fixed_start(day) + timedelta(seconds=max(0.0, time.time() - started))


def today() -> date:
    """Today's date: the server's local date (set TZ=Europe/London), or the fixed one."""
    if not os.environ.get(FIXED_DAY_ENV):
        return date.today()
    return now().date()
