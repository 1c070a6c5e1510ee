"""The benchmark: for each size and database, load the data and run every step in STEPS.

Usage: .venv/bin/python bench/run.py [--sizes county,region] [--databases sqlite,postgresql]
PostgreSQL is the server named by BENCH_DATABASE_URL or TEST_DATABASE_URL (make bench starts a
throwaway one); without a reachable server it is skipped with a line saying so. The app is served
(gunicorn) through that URL's role, which on PostgreSQL must not bypass row-level security; the
data is loaded through BENCH_LOAD_DATABASE_URL when given (a superuser of the same database, so
the load may use COPY; `make bench` gives the throwaway cluster's), else through the app's role.
Pages are measured signed in as users of one generated partnership (BENCH_PARTNERSHIP, 75 at
national size, else the last), each role through its own sign-in. A page that errors, or that
does not show its partnership's records, stops the run. The results go to
bench/results/bench-<sizes>.md with the machine's description and the commit measured.

Each measurement is one Step(name, function) in STEPS; a function takes the Context and returns
result lines (what, value, target or "").
"""

import argparse
import io
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402  (bench/ is a folder of scripts, not a package)
import largest_inputs  # noqa: E402

#: The partnership the pages are measured in: one of the generated ones, not the demo's.
BENCH_PARTNERSHIP = int(os.environ.get("BENCH_PARTNERSHIP", "75"))
#: Home pages measured, one per role: (role, email key in generate.BENCH_ROLES).
HOME_ROLES = [
    ("Prevent Lead", "lead"),
    ("SPOC", "spoc"),
    ("board member", "board"),
    ("Channel Panel chair", "chair"),
    ("Channel Panel member", "panel"),
    ("training coordinator", "training"),
    ("auditor", "auditor"),
]
#: The page targets: p95 in ms at county size, and on PostgreSQL at national size.
PAGE_TARGET_MS = {"county": 150, "region": 150, "national": 150}


class PageError(RuntimeError):
    pass


@dataclass
class Context:
    size: str
    database: str
    url: str
    app: object
    requests: int
    today: date
    #: The partnership measured: its id and name.
    pid: int
    name: str
    #: The gunicorn server serving ``url`` (its port) and each role's signed-in cookie there.
    port: int = 0
    cookies: dict[str, str] = field(default_factory=dict)
    #: Page label -> (url, role key of the user who opens it, text each page of it must show).
    pages: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)
    #: Names of another partnership that must not appear on any page.
    foreign: list[str] = field(default_factory=list)
    #: The gunicorn master serving the app (its workers' memory is read after the run).
    server: subprocess.Popen | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Step:
    name: str
    run: Callable[[Context], list[tuple[str, str, str]]]


def progress(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def commit() -> str:
    """The commit measured (with a note when the work tree differs from it)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)  # noqa: S603, S607
        return done.stdout.strip()

    head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
    return (head or "unknown") + (" + uncommitted changes" if dirty else "")


# --- the pages -----------------------------------------------------------------------------------


def bench_partnership(app) -> tuple[int, str]:
    """The generated partnership to measure: BENCH_PARTNERSHIP if there is one, else the last."""
    from sqlalchemy import select

    from core import tenancy
    from core.extensions import db
    from partnership.models import Partnership

    with app.app_context(), tenancy.scoped(tenancy.ALL):
        rows = db.session.execute(select(Partnership.id, Partnership.name).order_by(Partnership.id)).all()
    chosen = next((row for row in rows if row[0] == BENCH_PARTNERSHIP), rows[-1])
    if chosen[0] == rows[0][0] and len(rows) > 1:
        chosen = rows[-1]
    return chosen[0], chosen[1]


def page_urls(app, today: date, pid: int, name: str) -> dict[str, tuple[str, str, list[str]]]:
    """The pages users hit most, on real records of partnership ``pid``: label -> (url, who opens
    it, texts it must show: a record of that partnership, so an empty or foreign page is caught)."""
    from sqlalchemy import func, select

    from board.services import next_meeting
    from channel_panel.models import ChannelCase, PanelMeeting
    from core import tenancy
    from core.audit import AuditEntry
    from core.extensions import db
    from partnership.models import Organisation
    from plans.models import Plan, PlanRow
    from training.models import Headcount

    with app.app_context(), tenancy.scoped(pid):
        plan_id = db.session.scalar(
            select(PlanRow.plan_id).group_by(PlanRow.plan_id).order_by(func.count().desc(), PlanRow.plan_id).limit(1)
        )
        plan_title = db.session.get(Plan, plan_id).title
        meeting = next_meeting(pid, today)
        panel = db.session.scalar(
            select(PanelMeeting.id).where(PanelMeeting.held_on >= today).order_by(PanelMeeting.held_on).limit(1)
        )
        # The first organisation with a headcount by name: the coverage table's first page lists it.
        org = db.session.scalar(
            select(Organisation.name)
            .join(Headcount, Headcount.organisation_id == Organisation.id)
            .order_by(Organisation.name)
            .limit(1)
        )
        case = db.session.scalar(select(ChannelCase.reference).order_by(ChannelCase.id).limit(1))
        # The latest entry the search finds (newest first, by id): the first line of its first page.
        audited = db.session.scalar(
            select(AuditEntry.label)
            .where(AuditEntry.entity == "plan_rows", AuditEntry.action == "update")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        db.session.remove()
    pages = {
        "Prevent Lead overview": ("/plans", "lead", [plan_title]),
        "plan page": (f"/plans/{plan_id}", "lead", [plan_title, "Duty 1"]),
        "board agenda": (f"/board/meetings/{meeting.id}", "lead", [meeting.title]),
        "training coverage": ("/training", "lead", [org]),
        "Channel agenda": (f"/channel/meetings/{panel}", "chair", []),
        "audit trail search": ("/audit?entity=plan_rows&action=update", "auditor", [audited] if audited else []),
        # The page that names the partnership: the signed-in user's, not the demo's.
        "organisations": ("/partnership/organisations", "lead", [name]),
    }
    del case
    for role, key in HOME_ROLES:
        pages[f"{role} home"] = ("/", key, [])
    return pages


def demo_codes() -> list[str]:
    """The demo key's code for this 30-second step and the next (each is accepted once)."""
    from datetime import timedelta

    import pyotp

    from core import clock
    from core.demo import DEMO_TOTP_SECRET

    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    return [totp.at(clock.now()), totp.at(clock.now() + timedelta(seconds=30))]


class StatementCounter:
    """Counts SQL statements sent to the database while it is active."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _on(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._on)


def _get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def check_body(ctx: Context, label: str, body: bytes, must_show: list[str]) -> None:
    """The page is the measured partnership's: its name (on the pages that name it) or its
    records, and nothing of the other partnership sampled."""
    import html

    text = html.unescape(body.decode("utf-8", "replace"))
    missing = [t for t in must_show if t not in text]
    if missing:
        raise PageError(f"{label} does not show {missing[0]!r} of partnership {ctx.pid}")
    foreign = [t for t in ctx.foreign if t in text]
    if foreign:
        raise PageError(f"{label} shows {foreign[0]!r}, which is another partnership's")
    if len(text) < 2_000:
        raise PageError(f"{label} is nearly empty ({len(text)} characters)")


def count_statements(ctx: Context, url: str, key: str) -> int:
    """SQL statements of one request, through the app in this process with the same sign-in."""
    from core.extensions import db

    client = ctx.app.test_client()
    for part in ctx.cookies[key].split("; "):
        name, _, value = part.partition("=")
        client.set_cookie(name, value)
    with ctx.app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        response = client.get(url)
    if response.status_code != 200:
        raise PageError(f"{url} answered {response.status_code} in process")
    return counter.count


#: Untimed requests after the first, so each of gunicorn's two workers has served the page once.
WARM_UPS = 3


def pages_step(ctx: Context) -> list[tuple[str, str, str]]:
    """Each page through gunicorn, signed in as its user: the first request (cold: nothing of
    it in the server yet), then ``requests`` timed ones; no result is cached between requests
    (the app keeps none), so each is a full render from the database."""
    lines = []
    target = PAGE_TARGET_MS[ctx.size]
    for label, (url, key, must_show) in ctx.pages.items():
        cookie = ctx.cookies[key]
        started = time.perf_counter()
        status, body = _get(ctx.port, url, cookie)
        first = (time.perf_counter() - started) * 1000
        if status != 200:
            raise PageError(f"{label} ({url}) answered {status}")
        check_body(ctx, label, body, must_show)
        for _ in range(WARM_UPS):
            _get(ctx.port, url, cookie)  # each worker has compiled the page's templates and statements
        times = []
        for _ in range(ctx.requests):
            started = time.perf_counter()
            status, body = _get(ctx.port, url, cookie)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise PageError(f"{label} ({url}) answered {status}")
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        statements = count_statements(ctx, url, key)
        lines.append(
            (
                f"{label} (`{url}`): first / median / p95 ms, SQL statements",
                f"{first:.0f} / {statistics.median(times):.0f} / {p95:.0f}, {statements}",
                f"p95 < {target} ms" + (" ✓" if p95 < target else " ✗"),
            )
        )
        progress(
            f"  {label}: first {first:.0f} ms, median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
            f"{statements} statements"
        )
    return lines


# --- PDFs ----------------------------------------------------------------------------------------


def timed_pdf(ctx: Context, label: str, make_pdf: Callable[[], bytes], *, target_s: float | None = None) -> list:
    """Time one PDF (made inside an app context, in the measured partnership's scope) three times:
    the first in this process (templates compiled, fonts loaded, as a worker's first PDF), then
    two more, the slower of which is held to the target; and count its pages: one result line."""
    from pypdf import PdfReader

    from core import tenancy

    times = []
    with ctx.app.app_context(), tenancy.scoped(ctx.pid):
        for _ in range(3):
            started = time.perf_counter()
            data = make_pdf()
            times.append(time.perf_counter() - started)
    pages = len(PdfReader(io.BytesIO(data)).pages)
    first, warm = times[0], max(times[1:])
    progress(f"  {label}: first {first:.2f} s, then {warm:.2f} s, {pages} pages")
    target = (
        ""
        if target_s is None
        else f"< {target_s:g} s" + (" ✓" if warm < target_s else f" ✗ (by {warm - target_s:.2f} s)")
    )
    return [(f"{label}: seconds, first / then (pages)", f"{first:.2f} / {warm:.2f} ({pages})", target)]


def board_pack_step(ctx: Context) -> list[tuple[str, str, str]]:
    from board import pack
    from board.services import next_meeting

    def make() -> bytes:
        return pack.render(next_meeting(ctx.pid, ctx.today), part="pack", today=ctx.today)

    return timed_pdf(ctx, "board pack PDF", make, target_s=5)


def annual_report_step(ctx: Context) -> list[tuple[str, str, str]]:
    """The annual compliance report of the last complete year: every automatic check over the data."""
    from compliance.report import report_pdf

    return timed_pdf(ctx, "annual report PDF", lambda: report_pdf(ctx.pid, ctx.today.year - 1), target_s=10)


# --- gunicorn ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(url: str) -> dict:
    return {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": generate.BENCH_SECRET_KEY,
        "SESSION_COOKIE_SECURE": "false",
        "UPLOAD_FOLDER": tempfile.mkdtemp(prefix="bench-uploads-"),
        "PYTHONPATH": str(ROOT / "bench"),
    }


def _serve(app_spec: str, env: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "300",
            "--log-level",
            "warning",
            app_spec,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise PageError(f"gunicorn did not start for {app_spec}: {process.stderr.read().decode()[-500:]}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _hammer(port: int, path: str, cookie: str, *, clients: int, seconds: float) -> float:
    """Requests per second from ``clients`` threads for ``seconds`` (bounded), every answer a 200."""
    import http.client

    done = [0] * clients
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def worker(n: int) -> None:
        while time.monotonic() < stop and not errors:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 200:
                errors.append(f"{path} answered {response.status}")
                return
            done[n] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise PageError(errors[0])
    return sum(done) / (time.monotonic() - started)


#: Throughput targets: each page's requests per second as a share of the minimal Flask page's,
#: served the same way in the same run. The shell is the change-password form: little more than
#: the signed-in page (session, account, permissions, layout and navigation).
THROUGHPUT_PAGES = [
    ("signed-in shell (change-password form)", "/account/password", "lead", 0.25),
    ("Prevent Lead overview", None, "lead", 0.15),
    ("plan page", None, "lead", 0.15),
    ("Prevent Lead home", None, "lead", 0.15),
    ("training coverage", None, "lead", 0.10),
    ("audit trail search", None, "auditor", 0.10),
]
#: Seconds each page is hammered for (after a warm-up): long enough for a few hundred requests.
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_THROUGHPUT_SECONDS", "8"))


def worker_memory_mb(process: subprocess.Popen) -> list[float]:
    """Resident memory of each of a gunicorn master's workers, in MB (Linux /proc)."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    sizes = []
    for pid in children.read_text().split() if children.exists() else []:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def throughput_step(ctx: Context) -> list[tuple[str, str, str]]:
    """Requests per second for the busiest pages and the minimal Flask page, each served by
    gunicorn with two sync workers and driven by 4 client threads (one connection a request),
    measured one after another in this run so the machine is the same for all of them."""
    minimal_process, minimal_port = _serve("minimal_app:app", server_env(ctx.url))
    try:
        _hammer(minimal_port, "/", "", clients=2, seconds=1)
        minimal_rps = _hammer(minimal_port, "/", "", clients=4, seconds=THROUGHPUT_SECONDS)
    finally:
        _stop(minimal_process)
    progress(f"  throughput: minimal page {minimal_rps:.0f} req/s")
    lines = [("minimal Flask page (gunicorn, 2 sync workers, 4 clients): requests/s", f"{minimal_rps:.0f}", "")]
    for label, url, key, share in THROUGHPUT_PAGES:
        url = url or ctx.pages[label][0]
        cookie = ctx.cookies[key]
        _hammer(ctx.port, url, cookie, clients=2, seconds=1)  # both workers have served it
        rps = _hammer(ctx.port, url, cookie, clients=4, seconds=THROUGHPUT_SECONDS)
        ratio = rps / minimal_rps
        progress(f"  throughput: {label} {rps:.0f} req/s, {ratio:.1%} of the minimal page")
        lines.append(
            (
                f"{label} (`{url}`): requests/s, share of the minimal page",
                f"{rps:.0f}, {ratio:.1%}",
                f"≥ {share:.0%}" + (" ✓" if ratio >= share else f" ✗ (missed by {share - ratio:.1%} points)"),
            )
        )
    return lines


def _cookies(response, before: str = "") -> str:
    jar = dict(part.split("=", 1) for part in before.split("; ") if "=" in part)
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";")[0].partition("=")
        jar[name] = value
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def login_cookie(port: int, email: str) -> str:
    """Sign ``email`` in through the server (password, then the demo key's code when asked for
    one); the session cookie."""
    import http.client
    import urllib.parse

    from core.demo import DEMO_PASSWORD

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = _cookies(response)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    csrf = token.group(1) if token else ""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urllib.parse.urlencode({"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf})
    conn.request("POST", "/login", body=body, headers={**form, "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    cookie = _cookies(response, cookie)
    if response.status == 302 and response.headers.get("Location", "").startswith("/login/two-factor"):
        conn.request("GET", "/login/two-factor", headers={"Cookie": cookie})
        response = conn.getresponse()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.read().decode())
        cookie = _cookies(response, cookie)
        csrf = token.group(1) if token else csrf
        for code in demo_codes():
            body = urllib.parse.urlencode({"code": code, "csrf_token": csrf})
            conn.request("POST", "/login/two-factor", body=body, headers={**form, "Cookie": cookie})
            response = conn.getresponse()
            response.read()
            cookie = _cookies(response, cookie)
            if response.status == 302:
                break
    conn.close()
    if response.status != 302 or response.headers.get("Location", "").startswith("/login"):
        where = response.headers.get("Location", "")
        raise PageError(f"signing in as {email} failed ({response.status} {where})")
    return cookie


# --- the regional view ---------------------------------------------------------------------------

#: How many partnerships the bench's regional coordinator is granted (the measured one and the next).
REGION_PARTNERSHIPS = 10


def has_region() -> bool:
    import importlib.util

    return importlib.util.find_spec("region") is not None


def grant_region(app, pid: int) -> tuple[str, list[int], list[str]]:
    """Grant the measured partnership's regional coordinator REGION_PARTNERSHIPS partnerships
    (its own and the next ones), as `flask region grant` does; its email, the ids and names."""
    from sqlalchemy import select

    from core import tenancy
    from core.audit import acting_as
    from core.extensions import db
    from core.models import User, UserRole
    from partnership.models import Partnership
    from region import services

    with app.app_context(), tenancy.scoped(pid):
        query = select(User.email).join(UserRole).where(UserRole.role == generate.REGION_ROLE[1])
        email = db.session.scalar(query.order_by(User.email != generate.bench_email("region", pid), User.id).limit(1))
        if email is None:
            raise PageError(f"partnership {pid} has no regional coordinator to sign in as")
    with app.app_context(), tenancy.scoped(tenancy.ALL):
        rows = db.session.execute(select(Partnership.id, Partnership.name).order_by(Partnership.id)).all()
        start = next(i for i, row in enumerate(rows) if row[0] == pid)
        chosen = [rows[(start + n) % len(rows)] for n in range(min(REGION_PARTNERSHIPS, len(rows)))]
        user = services.coordinator_by_email(email)
        granted = set(services.partnership_ids_granted(user.id))
        with acting_as("bench"):
            for partnership_id, _ in chosen:
                if partnership_id not in granted:
                    services.grant(user, partnership_id)
        db.session.commit()
        db.session.remove()
    return email, [row[0] for row in chosen], [row[1] for row in chosen]


def region_step(ctx: Context) -> list[tuple[str, str, str]]:
    """The regional page for REGION_PARTNERSHIPS partnerships (p95, like the other pages), the
    coordinator's home page, and the regional pack PDF once."""
    if not has_region():
        progress("  regional view: not in this build (no region package)")
        return [("regional page", "not in this build", "")]
    from sqlalchemy import select

    from core import tenancy
    from core.extensions import db
    from partnership.models import Partnership

    email, ids, names = grant_region(ctx.app, ctx.pid)
    with ctx.app.app_context(), tenancy.scoped(tenancy.ALL):
        others = db.session.scalars(
            select(Partnership.name).where(Partnership.id.not_in(ids)).order_by(Partnership.id).limit(20)
        ).all()
        db.session.remove()
    ctx.cookies["region"] = login_cookie(ctx.port, email)
    saved = ctx.pages, ctx.foreign
    # The roll-up names every granted partnership, and no other; never a plan, organisation or case.
    ctx.foreign = [name for name in saved[1] if name not in names] + list(others)
    ctx.pages = {
        f"regional page, {len(ids)} partnerships": ("/region", "region", names),
        "regional coordinator home": ("/", "region", []),
    }
    try:
        lines = pages_step(ctx)
    finally:
        ctx.pages, ctx.foreign = saved
    started = time.perf_counter()
    status, body = _get(ctx.port, "/region/pack.pdf", ctx.cookies["region"])
    seconds = time.perf_counter() - started
    if status != 200 or not body.startswith(b"%PDF"):
        raise PageError(f"/region/pack.pdf answered {status}")
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    text = " ".join(page.extract_text() for page in reader.pages)
    missing = [name for name in names if name not in " ".join(text.split())]
    if missing:
        raise PageError(f"the regional pack does not name {missing[0]!r}")
    progress(f"  regional pack PDF: {seconds:.2f} s, {len(reader.pages)} pages")
    label = f"regional pack PDF, {len(ids)} partnerships (`/region/pack.pdf`): seconds (pages)"
    verdict = "< 5 s" + (" ✓" if seconds < 5 else " ✗")
    lines.append((label, f"{seconds:.2f} ({len(reader.pages)})", verdict))
    return lines


# --- training import -----------------------------------------------------------------------------


def training_import_step(ctx: Context) -> list[tuple[str, str, str]]:
    """Import a 100,000-row register into the loaded data (last: it adds records)."""
    import training_bench
    from sqlalchemy import select

    from core.extensions import db
    from partnership.models import Organisation

    with ctx.app.app_context():
        names = db.session.scalars(
            select(Organisation.name).where(Organisation.partnership_id == ctx.pid).order_by(Organisation.id).limit(200)
        ).all()
    path = Path(tempfile.mkdtemp(prefix="bench-register-")) / "register.csv"
    training_bench.generate(path, rows=100_000, organisations=len(names), seed=2019, today=ctx.today, names=names)
    from core import clock

    with ctx.app.app_context():
        started_at = clock.now()
    times, _ = training_bench.run_import(ctx.app, path, ctx.today, partnership_id=ctx.pid)
    progress(f"  training import of 100,000 rows: {times['total']:.1f} s")
    remove_imported(ctx, since=started_at)
    return [
        (
            "training import, 100,000 rows: seconds (check + save)",
            f"{times['total']:.1f} ({times['check']:.1f} + {times['save']:.1f})",
            "< 30 s" + (" ✓" if times["total"] < 30 else " ✗"),
        )
    ]


def remove_imported(ctx: Context, *, since) -> None:
    """Take out what the timed import added (its completions, the people it created, the import
    itself), so the data stays the generated size for a later run with --reuse. Plain deletes:
    the measurement is over, and its records are not the partnership's."""
    from sqlalchemy import delete, exists, select

    from core import tenancy
    from core.extensions import db
    from training.models import Completion, Person, RegisterImport

    with ctx.app.app_context(), tenancy.scoped(ctx.pid):
        imported = select(RegisterImport.id).where(RegisterImport.created_at >= since)
        db.session.execute(delete(Completion).where(Completion.import_id.in_(imported)))
        db.session.execute(
            delete(Person).where(Person.created_at >= since, ~exists().where(Completion.person_id == Person.id))
        )
        db.session.execute(delete(RegisterImport).where(RegisterImport.created_at >= since))
        db.session.commit()


#: Every measurement, in order. The training import goes last: it adds 100,000 records (and
#: removes them when timed).
#: To add one, write a function (Context) -> [(what, value, target)] and list it here.
STEPS: list[Step] = [
    Step("pages", pages_step),
    Step("board pack", board_pack_step),
    Step("annual report", annual_report_step),
    Step("throughput", throughput_step),
    Step("regional view", region_step),
    # The largest inputs the limits allow (core.limits), each in a worker process of its own.
    Step("largest inputs", largest_inputs.largest_inputs_step),
    Step("training import", training_import_step),
]


# --- the run -------------------------------------------------------------------------------------


def postgres_url() -> str | None:
    """The PostgreSQL server to use, or None (with a line saying why) when none answers."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        progress("PostgreSQL skipped: no server given (set BENCH_DATABASE_URL, or run `make bench`)")
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not reachable"
        progress(f"PostgreSQL skipped: no server reachable at {url.split('@')[-1]} ({type(exc).__name__})")
        return None
    finally:
        engine.dispose()
    return url


def load_url_for(url: str) -> str | None:
    """Where to load the data from: BENCH_LOAD_DATABASE_URL, or for the throwaway cluster of
    scripts/with-postgres.sh its superuser (admin) on the same database; None: the app's role."""
    given = os.environ.get("BENCH_LOAD_DATABASE_URL")
    if given:
        return given
    if url.startswith("postgresql") and os.environ.get("PG_TEST_PORT") and "://app@" in url:
        return url.replace("://app@", "://admin@", 1)
    return None


def loaded_partnerships(url: str) -> int:
    """How many partnerships the database already holds (0 when it has no schema yet)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if database_kind(url) == "postgresql":
                conn.execute(text("SELECT set_config('app.partnerships', '*', false)"))
            return conn.execute(text("SELECT count(*) FROM partnerships")).scalar_one()
    except Exception:  # noqa: BLE001 - no schema, no table: nothing loaded
        return 0
    finally:
        engine.dispose()


def database_kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def run_one(size: str, database: str, url: str, *, seed: int, requests: int, reuse: bool = False) -> dict:
    load_url = load_url_for(url) if database == "postgresql" else None
    if reuse and loaded_partnerships(url) >= generate.SIZES[size].partnerships:
        # A re-measurement of data loaded earlier today (bench/run.py --reuse): the load is not timed.
        loaded = {"rows": 0, "seconds": 0.0}
        progress(f"{size} on {database}: reusing the data already loaded")
    else:
        progress(f"{size} on {database}: loading")
        loaded = generate.load(url, size, seed=seed, reset=True, log=lambda m: progress(m), load_url=load_url)
        progress(f"{size} on {database}: loaded {loaded['rows']:,} rows in {loaded['seconds']:.1f} s")
    app = generate.build_app(url)
    app.config["SESSION_COOKIE_SECURE"] = False
    today = date.today()
    pid, name = bench_partnership(app)
    ctx = Context(size, database, url, app, requests, today, pid, name)
    ctx.pages = page_urls(app, today, pid, name)
    ctx.foreign = foreign_names(app, pid)
    lines = [
        (
            "load the data: rows, seconds",
            f"{loaded['rows']:,}, {loaded['seconds']:.1f}" if loaded["rows"] else "reused from an earlier load",
            "",
        ),
        ("partnership measured", f"{pid}: {name}", ""),
    ]
    if database == "postgresql":
        lines.append(("the app's database role", serving_role(app), "not a superuser, no BYPASSRLS"))
    process, ctx.port = _serve("wsgi:app", server_env(url))
    ctx.server = process
    try:
        for key, email in sign_ins(app, pid).items():
            ctx.cookies[key] = login_cookie(ctx.port, email)
        for step in STEPS:
            progress(f"{size} on {database}: {step.name}")
            lines += step.run(ctx)
        memory = worker_memory_mb(process)
        progress(f"  app workers' memory after every step: {', '.join(f'{m:.0f} MB' for m in memory)}")
        lines.append(("app workers' resident memory after every step, MB", ", ".join(f"{m:.0f}" for m in memory), ""))
    finally:
        _stop(process)
    from core.extensions import db

    with app.app_context():
        db.engine.dispose()
    return {"size": size, "database": database, "lines": lines}


def sign_ins(app, pid: int) -> dict[str, str]:
    """An account of partnership ``pid`` for each role (generate.BENCH_ROLES): the generated
    partnerships' own; in the demo partnership (county size), its first account with the role
    (a SPOC with an area)."""
    from sqlalchemy import exists, select

    from core import tenancy
    from core.extensions import db
    from core.models import User, UserRole
    from spoc.models import SpocAssignment

    found = {}
    with app.app_context(), tenancy.scoped(pid):
        for key, role in generate.BENCH_ROLES:
            query = select(User.email).join(UserRole).where(UserRole.role == role, User.active.is_(True))
            if role == "spoc":
                query = query.where(exists().where(SpocAssignment.user_id == User.id))
            email = db.session.scalar(query.order_by(User.email != generate.bench_email(key, pid), User.id).limit(1))
            if email is None:
                raise PageError(f"partnership {pid} has no {role} to sign in as")
            found[key] = email
        db.session.remove()
    return found


def foreign_names(app, pid: int) -> list[str]:
    """A few names of other partnerships (their plans, organisations, Channel cases), which no
    page of ``pid`` may show."""
    from sqlalchemy import select

    from channel_panel.models import ChannelCase
    from core import tenancy
    from core.extensions import db
    from partnership.models import Organisation, Partnership
    from plans.models import Plan

    with app.app_context(), tenancy.scoped(tenancy.ALL):
        names = []
        for model, column in (
            (Plan, Plan.title),
            (Organisation, Organisation.name),
            (ChannelCase, ChannelCase.reference),
        ):
            names += db.session.scalars(
                select(column).where(model.partnership_id != pid).order_by(model.id.desc()).limit(3)
            ).all()
        names += db.session.scalars(select(Partnership.name).where(Partnership.id != pid)).all()[:5]
        db.session.remove()
    return names


def serving_role(app) -> str:
    """The PostgreSQL role the app connects as; the run stops if it would pass row-level security."""
    from sqlalchemy import text

    from core.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        name, superuser, bypass = conn.execute(
            text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
    if superuser or bypass:
        raise PageError(f"the app connects as {name}, which passes row-level security: give a role that does not")
    return f"{name} (row-level security applies)"


def machine() -> str:
    import sqlite3

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except OSError:
        memory = 0
    postgres = "not measured"
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if pg_bin:
        version = subprocess.run([str(pg_bin[-1]), "--version"], capture_output=True, text=True)  # noqa: S603
        postgres = version.stdout.strip()
    load = os.getloadavg()[0]
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory} GiB RAM; {platform.platform()}; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}; {postgres}; load average {load:.1f} at the start"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="county,region")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--output", default="")
    parser.add_argument(
        "--reuse", action="store_true", help="keep data a previous run loaded into the same database (PostgreSQL)"
    )
    parser.add_argument("--steps", default="", help="only these steps, by name, comma-separated (default: all)")
    args = parser.parse_args()
    if args.steps:
        wanted = [name.strip() for name in args.steps.split(",") if name.strip()]
        unknown = [name for name in wanted if name not in {step.name for step in STEPS}]
        if unknown:
            raise SystemExit(f"Unknown step {unknown[0]!r}: choose from {', '.join(step.name for step in STEPS)}")
        STEPS[:] = [step for step in STEPS if step.name in wanted]
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size not in generate.SIZES:
            raise SystemExit(f"Unknown size {size!r}: choose from {', '.join(generate.SIZES)}")
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    started = time.perf_counter()
    description = machine()
    progress(f"Benchmark: sizes {', '.join(sizes)}; databases {', '.join(databases)}")
    urls = {}
    for database in databases:
        if database == "sqlite":
            urls[database] = None
        elif database == "postgresql":
            url = postgres_url()
            if url:
                urls[database] = url
        else:
            raise SystemExit(f"Unknown database {database!r}: choose sqlite or postgresql")
    results = []
    data_dir = Path(tempfile.mkdtemp(prefix="bench-data-"))
    for size in sizes:
        for database, url in urls.items():
            url = url or f"sqlite:///{data_dir / f'{size}.db'}"
            results.append(run_one(size, database, url, seed=args.seed, requests=args.requests, reuse=args.reuse))
            if database == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{data_dir / f'{size}.db'}{suffix}").unlink(missing_ok=True)
    wall = time.perf_counter() - started
    report = render(results, description=description, wall=wall, requests=args.requests)
    out = Path(args.output) if args.output else ROOT / "bench" / "results" / f"bench-{'-'.join(sizes)}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(report)
    progress(f"Done in {wall / 60:.1f} min; results in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def render(results: list[dict], *, description: str, wall: float, requests: int) -> str:
    lines = [
        f"# Benchmark ({date.today():%d %B %Y})",
        "",
        f"Machine: {description}.",
        "",
        f"Commit measured: {commit()}.",
        "",
        "Pages: time of each request to the app served by gunicorn (2 workers) on loopback, signed in as a "
        "user of the partnership measured (one of the generated ones; each page as the role that opens it), "
        f"its scope and, on PostgreSQL, row-level security on: the first request (a cold worker), then "
        f"{WARM_UPS} untimed and {requests} timed requests one after another; the app keeps no result cache "
        "between requests. Each page is checked to show that partnership's records and none of another's. "
        "SQL statements counted on one request. "
        f"Whole run: {wall / 60:.1f} min.",
        "",
    ]
    for result in results:
        lines += [
            f"## {result['size']} on {result['database']}",
            "",
            "| measurement | value | target |",
            "|---|---:|---|",
        ]
        lines += [f"| {what} | {value} | {target} |" for what, value, target in result["lines"]]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
