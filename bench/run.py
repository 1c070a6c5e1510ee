"""The benchmark: for each size and database, load the data and run every step in STEPS.

Usage: .venv/bin/python bench/run.py [--sizes county,region] [--databases sqlite,postgresql]
PostgreSQL is the server named by BENCH_DATABASE_URL or TEST_DATABASE_URL (make bench starts a
throwaway one); without a reachable server it is skipped with a line saying so. A page that
errors stops the run. The results go to bench/results/<date>-<sizes>.md with the machine's
description.

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

LEAD_EMAIL = "helen.marsh@cambridgeshire.example"
#: The Channel pages are the panel's: the Prevent Lead may not open them.
CHAIR_EMAIL = "joanna.price@peterborough.example"
#: The page targets: p95 in ms at county size, and on PostgreSQL at national size.
PAGE_TARGET_MS = {"county": 150, "region": 150, "national": 500}


class PageError(RuntimeError):
    pass


@dataclass
class Context:
    size: str
    database: str
    url: str
    app: object
    client: object
    chair_client: object
    requests: int
    today: date
    urls: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Step:
    name: str
    run: Callable[[Context], list[tuple[str, str, str]]]


def progress(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# --- the pages -----------------------------------------------------------------------------------


def page_urls(app, today: date) -> dict[str, str]:
    """The pages users hit most, on real records of the loaded data."""
    from sqlalchemy import func, select

    from board.services import next_meeting
    from channel_panel.models import PanelMeeting
    from core.extensions import db
    from plans.models import PlanRow

    with app.app_context():
        plan_id = db.session.scalar(
            select(PlanRow.plan_id).group_by(PlanRow.plan_id).order_by(func.count().desc(), PlanRow.plan_id).limit(1)
        )
        meeting = next_meeting(1, today)
        panel = db.session.scalar(
            select(PanelMeeting.id).where(PanelMeeting.held_on >= today).order_by(PanelMeeting.held_on).limit(1)
        )
    return {
        "Prevent Lead home": "/",
        "Prevent Lead overview": "/plans",
        "plan page": f"/plans/{plan_id}",
        "board agenda": f"/board/meetings/{meeting.id}",
        "training coverage": "/training",
        "Channel agenda": f"/channel/meetings/{panel}",
        "audit trail search": "/audit?entity=plan_rows&action=update",
    }


def sign_in(client, email: str = LEAD_EMAIL) -> None:
    from core.demo import DEMO_PASSWORD

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    data = {"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1) if token else ""}
    response = client.post("/login", data=data)
    if response.status_code == 302 and response.headers["Location"].startswith("/login/two-factor"):
        # The demo's Prevent Lead and panel chair use two-factor authentication with the demo key.
        for code in demo_codes():
            response = client.post("/login/two-factor", data={"code": code, "csrf_token": data["csrf_token"]})
            if response.status_code == 302:
                break
    if response.status_code != 302:
        raise PageError(f"signing in as {email} failed ({response.status_code})")


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


def fetch(client, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        raise PageError(f"{url} answered {response.status_code}")
    return response.get_data()


def pages_step(ctx: Context) -> list[tuple[str, str, str]]:
    from core.extensions import db

    lines = []
    target = PAGE_TARGET_MS[ctx.size]
    for name, url in ctx.urls.items():
        client = ctx.chair_client if url.startswith("/channel") else ctx.client
        for _ in range(2):
            fetch(client, url)  # warm the caches (templates, statements)
        with ctx.app.app_context():
            engine = db.engine
        with StatementCounter(engine) as counter:
            fetch(client, url)
        times = []
        for _ in range(ctx.requests):
            started = time.perf_counter()
            fetch(client, url)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        lines.append(
            (
                f"{name} (`{url}`): median / p95 ms, SQL statements",
                f"{statistics.median(times):.0f} / {p95:.0f}, {counter.count}",
                f"p95 < {target} ms" + (" ✓" if p95 < target else " ✗"),
            )
        )
        progress(f"  {name}: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, {counter.count} statements")
    return lines


# --- PDFs ----------------------------------------------------------------------------------------


def timed_pdf(ctx: Context, label: str, make_pdf: Callable[[], bytes], *, target_s: float | None = None) -> list:
    """Time one PDF (made inside an app context) and count its pages: one result line."""
    from pypdf import PdfReader

    with ctx.app.app_context():
        started = time.perf_counter()
        data = make_pdf()
        seconds = time.perf_counter() - started
    pages = len(PdfReader(io.BytesIO(data)).pages)
    progress(f"  {label}: {seconds:.2f} s, {pages} pages")
    target = "" if target_s is None else f"< {target_s:g} s" + (" ✓" if seconds < target_s else " ✗")
    return [(f"{label}: seconds (pages)", f"{seconds:.2f} ({pages})", target)]


def board_pack_step(ctx: Context) -> list[tuple[str, str, str]]:
    from board import pack
    from board.services import next_meeting

    def make() -> bytes:
        return pack.render(next_meeting(1, ctx.today), part="pack", today=ctx.today)

    return timed_pdf(ctx, "board pack PDF", make, target_s=5)


def annual_report_step(ctx: Context) -> list[tuple[str, str, str]]:
    """The annual compliance report of the last complete year: every automatic check over the data."""
    from compliance.report import report_pdf

    return timed_pdf(ctx, "annual report PDF", lambda: report_pdf(1, ctx.today.year - 1))


# --- throughput under gunicorn -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app_spec: str, env: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
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


def throughput_step(ctx: Context) -> list[tuple[str, str, str]]:
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": ctx.url,
        "SECRET_KEY": "bench-" + "x" * 32,
        "SESSION_COOKIE_SECURE": "false",
        "UPLOAD_FOLDER": tempfile.mkdtemp(prefix="bench-uploads-"),
        "PYTHONPATH": str(ROOT / "bench"),
    }
    app_process, app_port = _serve("wsgi:app", env)
    try:
        cookie = _login_cookie(app_port)
        _hammer(app_port, "/plans", cookie, clients=2, seconds=2)  # warm both workers
        app_rps = _hammer(app_port, "/plans", cookie, clients=4, seconds=10)
    finally:
        app_process.terminate()
        app_process.wait(timeout=30)
    minimal_process, minimal_port = _serve("minimal_app:app", env)
    try:
        _hammer(minimal_port, "/", "", clients=2, seconds=1)
        minimal_rps = _hammer(minimal_port, "/", "", clients=4, seconds=10)
    finally:
        minimal_process.terminate()
        minimal_process.wait(timeout=30)
    ratio = app_rps / minimal_rps
    progress(f"  throughput: overview {app_rps:.0f} req/s, minimal page {minimal_rps:.0f} req/s, ratio {ratio:.0%}")
    return [
        ("overview under gunicorn (2 workers, 4 clients): requests/s", f"{app_rps:.0f}", ""),
        ("minimal Flask page, served the same way: requests/s", f"{minimal_rps:.0f}", ""),
        ("overview / minimal", f"{ratio:.0%}", "≥ 25%" + (" ✓" if ratio >= 0.25 else " ✗")),
    ]


def _login_cookie(port: int) -> str:
    import http.client
    import urllib.parse

    from core.demo import DEMO_PASSWORD

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    body = urllib.parse.urlencode(
        {"email": LEAD_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token.group(1) if token else ""}
    )
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = conn.getresponse()
    response.read()
    if response.status == 302 and response.headers.get("Location", "").startswith("/login/two-factor"):
        cookie = "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []) or cookie
        for code in demo_codes():
            body = urllib.parse.urlencode({"code": code, "csrf_token": token.group(1) if token else ""})
            conn.request(
                "POST",
                "/login/two-factor",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
            )
            response = conn.getresponse()
            response.read()
            if response.status == 302:
                break
    if response.status != 302:
        raise PageError(f"signing in under gunicorn failed ({response.status})")
    return "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [])


# --- training import -----------------------------------------------------------------------------


def training_import_step(ctx: Context) -> list[tuple[str, str, str]]:
    """Import a 100,000-row register into the loaded data (last: it adds records)."""
    import training_bench
    from sqlalchemy import select

    from core.extensions import db
    from partnership.models import Organisation

    with ctx.app.app_context():
        names = db.session.scalars(
            select(Organisation.name).where(Organisation.partnership_id == 1).order_by(Organisation.id).limit(200)
        ).all()
    path = Path(tempfile.mkdtemp(prefix="bench-register-")) / "register.csv"
    training_bench.generate(path, rows=100_000, organisations=len(names), seed=2019, today=ctx.today, names=names)
    times, _ = training_bench.run_import(ctx.app, path, ctx.today)
    progress(f"  training import of 100,000 rows: {times['total']:.1f} s")
    return [
        (
            "training import, 100,000 rows: seconds (check + save)",
            f"{times['total']:.1f} ({times['check']:.1f} + {times['save']:.1f})",
            "< 30 s" + (" ✓" if times["total"] < 30 else " ✗"),
        )
    ]


#: Every measurement, in order. The training import goes last: it adds 100,000 records.
#: To add one, write a function (Context) -> [(what, value, target)] and list it here.
STEPS: list[Step] = [
    Step("pages", pages_step),
    Step("board pack", board_pack_step),
    Step("annual report", annual_report_step),
    Step("throughput", throughput_step),
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


def run_one(size: str, database: str, url: str, *, seed: int, requests: int) -> dict:
    progress(f"{size} on {database}: loading")
    loaded = generate.load(url, size, seed=seed, reset=True, log=lambda m: progress(m))
    progress(f"{size} on {database}: loaded {loaded['rows']:,} rows in {loaded['seconds']:.1f} s")
    app = generate.build_app(url)
    app.config["SESSION_COOKIE_SECURE"] = False
    today = date.today()
    ctx = Context(size, database, url, app, app.test_client(), app.test_client(), requests, today)
    ctx.urls = page_urls(app, today)
    sign_in(ctx.client)
    sign_in(ctx.chair_client, CHAIR_EMAIL)
    lines = [("load the data: rows, seconds", f"{loaded['rows']:,}, {loaded['seconds']:.1f}", "")]
    for step in STEPS:
        progress(f"{size} on {database}: {step.name}")
        lines += step.run(ctx)
    from core.extensions import db

    with app.app_context():
        db.engine.dispose()
    return {"size": size, "database": database, "lines": lines}


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
    args = parser.parse_args()
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
            results.append(run_one(size, database, url, seed=args.seed, requests=args.requests))
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
        f"Pages: server-side time through the WSGI app, {requests} timed requests each after 2 warm-ups, "
        "signed in as the Prevent Lead (the Channel page as the panel chair); SQL statements counted on one request. "
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
