"""Load scenario: SPOCs updating their own rows, the Prevent Lead browsing, a board pack being produced.

Run by tests/load/test_load.py (locust headless against gunicorn). LOAD_DATA names a JSON file
with the accounts and ids; at the end every user's successful saves are written to LOAD_TALLY so
the test can count them against the database.
"""

import itertools
import json
import os
import random
import re
import threading

import pyotp
from locust import HttpUser, between, events, task

from core import clock

DATA = json.loads(open(os.environ["LOAD_DATA"]).read())  # noqa: SIM115 - read once at start
PASSWORD = DATA["password"]
_spoc_accounts = itertools.cycle(DATA["spocs"])
#: Each Prevent Lead session has its own account: a TOTP code is accepted once, and ten sessions
#: signing one person in within seconds is not what a person does.
_lead_accounts = iter(DATA["leads"])
_deputy_accounts = itertools.cycle(DATA["deputies"])
_lock = threading.Lock()
#: Successful progress saves: row id -> list of (text, rag) in the order the server accepted them.
SAVED: dict[str, list[list[str]]] = {}
CONFLICTS = {"count": 0}
#: Board packs produced (a PDF answered), with their seconds. Counted here rather than read from
#: locust's CSV, which is written when the run time ends, before started users have finished.
PACKS: list[float] = []
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


def sign_in(user: HttpUser, email: str) -> None:
    page = user.client.get("/login", name="/login").text
    token = TOKEN.search(page).group(1)
    with user.client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        name="/login [POST]",
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            response.failure(f"sign-in as {email} answered {response.status_code}")
            return
        second_step = response.headers["Location"].startswith("/login/two-factor")
    if second_step:  # the Prevent Lead uses two-factor authentication (tests/factories.py's key)
        # Signing in started a new session: the page's form carries that session's token.
        token = TOKEN.search(user.client.get("/login/two-factor", name="/login/two-factor").text).group(1)
        code = pyotp.TOTP(DATA["totp_secret"]).at(clock.now())
        with user.client.post(
            "/login/two-factor",
            data={"code": code, "csrf_token": token},
            allow_redirects=False,
            name="/login/two-factor [POST]",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"second factor for {email} answered {response.status_code}")


class Spoc(HttpUser):
    """A SPOC keeping their own area's plan current: reads the plan, records progress on a row."""

    fixed_count = 38
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        with _lock:
            self.account = next(_spoc_accounts)
        self.sequence = 0
        sign_in(self, self.account["email"])

    def pick_row(self) -> int:
        return random.choice(self.account["row_ids"])  # noqa: S311 - load pattern, not security

    @task(1)
    def read_plan(self) -> None:
        self.client.get(f"/plans/{self.account['plan_id']}", name="/plans/[id]")

    @task(3)
    def record_progress(self) -> None:
        plan_id = self.account["plan_id"]
        row_id = self.pick_row()
        url = f"/plans/{plan_id}/rows/{row_id}/progress"
        form = self.client.get(url, name="/plans/[id]/rows/[id]/progress").text
        self.sequence += 1
        text = f"{self.account['email']} update {self.sequence}"
        rag = random.choice(["green", "complete", "not_started"])  # noqa: S311 - no reason needed for these
        with self.client.post(
            url,
            data={
                "csrf_token": TOKEN.search(form).group(1),
                "version": VERSION.search(form).group(1),
                "items": text,
                "rag": rag,
                "reason": "",
            },
            allow_redirects=False,
            name="/plans/[id]/rows/[id]/progress [POST]",
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                with _lock:
                    SAVED.setdefault(str(row_id), []).append([text, rag])
            elif response.status_code == 409:
                # Another save of the same row won: a correct answer, counted on its own.
                with _lock:
                    CONFLICTS["count"] += 1
                response.success()
            else:
                response.failure(f"progress save answered {response.status_code}")


class Deputy(Spoc):
    """A deputy SPOC working on the same plan as its SPOC, always on the first row: two people
    saving one row at once, so some saves meet a 409 conflict and must write nothing."""

    fixed_count = 2

    def on_start(self) -> None:
        with _lock:
            self.account = next(_deputy_accounts)
        self.sequence = 0
        sign_in(self, self.account["email"])

    def pick_row(self) -> int:
        return self.account["row_ids"][0]


class PreventLead(HttpUser):
    """The Prevent Lead browsing the overview, plans and the board."""

    fixed_count = 8
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        with _lock:
            email = next(_lead_accounts)
        sign_in(self, email)

    @task(2)
    def overview(self) -> None:
        self.client.get("/plans", name="/plans")

    @task(2)
    def a_plan(self) -> None:
        self.client.get(f"/plans/{random.choice(DATA['plan_ids'])}", name="/plans/[id]")  # noqa: S311

    @task(1)
    def board(self) -> None:
        self.client.get("/board", name="/board")
        self.client.get(f"/board/meetings/{DATA['meeting_id']}", name="/board/meetings/[id]")


class PackReader(HttpUser):
    """A board member producing the board pack PDF.

    The first pack is produced as part of starting: locust lets a started user finish starting when
    the run ends (within --stop-timeout) but never begins a task after that, so on a slow machine,
    where signing in fifty people at once takes most of the run, a pack left to the first task
    would never be asked for."""

    fixed_count = 2
    wait_time = between(3, 6)

    def on_start(self) -> None:
        with _lock:
            email = next(_lead_accounts)
        sign_in(self, email)
        self.pack()

    @task
    def pack(self) -> None:
        with self.client.get(
            f"/board/meetings/{DATA['meeting_id']}/pack.pdf", name="/board/meetings/[id]/pack.pdf", catch_response=True
        ) as response:
            if response.status_code != 200 or not response.content.startswith(b"%PDF-"):
                response.failure(f"pack answered {response.status_code} {response.headers.get('Content-Type')}")
            else:
                with _lock:
                    PACKS.append(response.elapsed.total_seconds())


#: Every failed request, to the very end of the run (the CSV misses those after the run time).
FAILURES: list[str] = []


@events.request.add_listener
def count_failure(name, exception=None, **_kwargs) -> None:
    if exception is not None:
        with _lock:
            FAILURES.append(f"{name}: {exception}")


@events.quitting.add_listener
def write_tally(environment, **_kwargs) -> None:
    with open(os.environ["LOAD_TALLY"], "w") as out:
        json.dump({"saved": SAVED, "conflicts": CONFLICTS["count"], "packs": PACKS, "failures": FAILURES}, out)
