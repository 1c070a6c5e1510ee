"""The sign-in limit holds under concurrency: gunicorn with several worker processes, 30 wrong
passwords sent at once, and no more than LOGIN_MAX_FAILURES (5) of them are ever checked.

Runs on the suite's database: SQLite (WAL), or PostgreSQL when TEST_DATABASE_URL is set.
"""

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPRedirectHandler, Request, build_opener

from sqlalchemy import select

from core import clock
from core.extensions import db
from core.models import SecurityEvent, User
from core.vocab import Role
from tests.factories import TEST_PASSWORD
from tests.load.test_load import BIN, ROOT, free_port, wait_until_up

WORKERS = 4
ATTEMPTS = 30
#: LOGIN_MAX_FAILURES in the configuration the server runs with (the default).
LIMIT = 5


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = build_opener(_NoRedirect)


@contextmanager
def gunicorn(database_url, tmp_path, *, clock_at: datetime | None = None):
    """gunicorn (WORKERS sync worker processes) on the suite's database; ``clock_at`` sets its
    clock to that time as it starts (core.clock: APP_CLOCK_STARTED moved back), running on from there."""
    port = free_port()
    ahead = (clock_at - clock.now()).total_seconds() if clock_at else 0
    started = float(os.environ["APP_CLOCK_STARTED"]) - ahead
    env = {
        **os.environ,
        "TEST_DATABASE_URL": database_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "PYTHONPATH": str(ROOT),
        "APP_CLOCK_STARTED": repr(started),
        "TRUSTED_PROXIES": "1",
    }
    log = open(tmp_path / f"gunicorn-{int(ahead)}.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            # The app is built once and the workers forked from it: four imports of the whole
            # app at once took most of this test's time on a busy machine.
            "--preload",
            "core.app:create_app('test')",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # Generous: four workers each import the whole app, on a machine that may be busy.
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server, timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def post_login(base: str, email: str, password: str, *, address: str = "198.51.100.7") -> tuple[int, str]:
    """POST the sign-in form as a client at ``address`` (behind one trusted proxy)."""
    request = Request(  # noqa: S310 - loopback URL we built
        f"{base}/login",
        data=urlencode({"email": email, "password": password}).encode(),
        headers={"X-Forwarded-For": address},
    )
    try:
        with _opener.open(request, timeout=60) as response:
            return response.status, response.read().decode()
    except HTTPError as error:  # the 302 of a sign-in, not followed
        return error.code, error.read().decode()


def kinds(app) -> dict[str, list[SecurityEvent]]:
    with app.app_context():
        found: dict[str, list[SecurityEvent]] = {}
        for event in db.session.scalars(select(SecurityEvent)):
            found.setdefault(event.kind, []).append(event)
        return found


def test_thirty_wrong_passwords_at_once_check_at_most_five(app, database_url, world, tmp_path):
    spoc = world.users[Role.SPOC]
    with gunicorn(database_url, tmp_path) as base:
        with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
            answers = list(pool.map(lambda n: post_login(base, spoc.email, f"Wrong-Password-{n:02d}"), range(ATTEMPTS)))
        assert {status for status, _ in answers} == {200}
        events = kinds(app)
        # Each checked wrong password leaves login_failed, or account_locked for the one that reached
        # the limit; each refused without a check leaves login_throttled.
        checked = len(events.get("login_failed", [])) + len(events.get("account_locked", []))
        assert checked == LIMIT
        assert len(events["account_locked"]) == 1
        assert len(events["login_throttled"]) == ATTEMPTS - LIMIT
        assert {e.ip for e in events["login_throttled"]} == {"198.51.100.7"}  # the client, not the proxy
        with app.app_context():
            assert db.session.get(User, spoc.id).failed_logins == LIMIT  # counted in SQL, none lost
        locked = [page for _, page in answers if "Too many attempts to sign in with this email address" in page]
        assert len(locked) == ATTEMPTS - LIMIT + 1  # the refused ones and the one that reached the limit

        # The right password is refused now, unchecked...
        status, page = post_login(base, spoc.email, TEST_PASSWORD)
        assert status == 200 and "Too many attempts to sign in with this email address" in page
        # ...but only from that address: an outsider cannot lock the person out from everywhere.
        status, _ = post_login(base, spoc.email, TEST_PASSWORD, address="203.0.113.20")
        assert status == 302
    # The lock lasts 15 minutes from the fifth failure. Ten minutes on (a server whose clock starts
    # then, leaving it up to five minutes to boot on a busy machine) it still holds...
    fifth = events["account_locked"][0].at
    with gunicorn(database_url, tmp_path, clock_at=fifth + timedelta(minutes=10)) as base:
        status, page = post_login(base, spoc.email, TEST_PASSWORD)
        assert status == 200 and "Too many attempts to sign in with this email address" in page
    # ...and once it has ended the right password signs in.
    with gunicorn(database_url, tmp_path, clock_at=fifth + timedelta(minutes=15, seconds=5)) as base:
        status, _ = post_login(base, spoc.email, TEST_PASSWORD)
        assert status == 302


def test_an_unknown_email_meets_the_same_limit_under_concurrency(app, database_url, world, tmp_path):
    """Thirty attempts at an address nobody has: answered exactly as for a real account."""
    with gunicorn(database_url, tmp_path) as base:
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
            answers = list(pool.map(lambda n: post_login(base, "nobody@council.example", "Wrong-1"), range(ATTEMPTS)))
        assert time.monotonic() - start < 60
    generic = [p for _, p in answers if "Enter a correct email address and password" in p]
    locked = [p for _, p in answers if "Too many attempts to sign in with this email address" in p]
    assert (len(generic), len(locked)) == (LIMIT - 1, ATTEMPTS - LIMIT + 1)
    assert len(kinds(app)["login_unknown_email"]) == LIMIT
