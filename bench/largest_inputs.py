"""The largest inputs the limits allow (core.limits), each measured in a worker process of its own.

Targets (issue 20): no request over 10 s or 300 MB resident with the largest input the limits
allow; a 1,000-row plan PDF under 3 s. Each measurement runs in a fresh Python process that
builds the app and signs in (as a gunicorn worker would be), then makes the requests; the
process's peak resident memory (getrusage ru_maxrss) is the figure, and its memory before the
requests is printed beside it.

- the largest register upload through the import pages: a 5 MB XLSX of 5,000 rows (upload,
  the column mapping page, the import);
- the largest plan upload: a 5 MB XLSX of 1,000 rows with every cell near its limit (upload,
  mapping page, import);
- a plan of 1,000 rows with every cell at its maximum length, as PDF and as XLSX;
- a plan of 1,000 ordinary rows (cells of about 150 characters) as PDF.

Usage: .venv/bin/python bench/largest_inputs.py [--database-url URL]  (default: a fresh SQLite file with
the demo partnership); bench/run.py runs it as its "largest inputs" step on the loaded data.
Results: bench/results/largest_inputs.md when run alone.
"""

import argparse
import contextlib
import io
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

#: A SPOC: exports plans and imports plans for their own area.
SPOC_EMAIL = "priya.natarajan@cambridgeshire.example"
#: The training coordinator: imports registers.
TRAINING_EMAIL = "nadia.kowalski@cambridgeshire.example"
TARGET_SECONDS = 10.0
TARGET_MB = 300.0
ORDINARY_PDF_SECONDS = 3.0

WORDS = [
    "prevent",
    "partnership",
    "training",
    "referral",
    "channel",
    "panel",
    "support",
    "review",
    "safeguarding",
    "school",
    "college",
    "community",
    "health",
    "police",
    "council",
    "awareness",
    "wrap",
    "session",
    "plan",
    "action",
    "evidence",
    "progress",
    "update",
    "board",
    "meeting",
    "quarter",
    "risk",
    "assessment",
    "delivery",
    "frontline",
    "staff",
    "local",
    "briefing",
    "governance",
]


def progress(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def text(rng: random.Random, length: int) -> str:
    """Words to exactly ``length`` characters (no space at either end: imports strip cells)."""
    out, size = [], 0
    while size <= length:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    cut = " ".join(out)[:length]
    return cut[:-1] + "x" if cut.endswith(" ") else cut


def _status(field_name: str) -> float:
    """A figure of /proc/self/status in MB (VmRSS: resident now; VmHWM: the peak since the reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Start the peak resident memory again from now (Linux: clear_refs 5), so signing in
    (argon2 takes 64 MB for a moment) is not counted against the requests measured."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def resident_mb() -> float:
    return _status("VmRSS")


def peak_mb() -> float:
    return _status("VmHWM")


# --- the data ------------------------------------------------------------------------------------


def build_plans(app, pid: int) -> dict[str, int]:
    """Two plans of limits.PLAN_ROWS rows of partnership ``pid``: every cell at its maximum
    length, and ordinary cells."""
    from sqlalchemy import func, select

    from core import limits, tenancy
    from core.extensions import db
    from plans import services
    from plans.models import EXTRA_PREFIX, PlanRow
    from plans.templates import FIELDS

    rng = random.Random(20)
    extras = [f"Own column {n}" for n in range(1, limits.PLAN_COLUMNS - len(FIELDS) + 1)]
    columns = [[name, heading] for name, (heading, _) in FIELDS.items()] + [
        [f"{EXTRA_PREFIX}{heading}", heading] for heading in extras
    ]
    ids = {}
    with app.app_context(), tenancy.scoped(pid):
        for kind in ("largest", "ordinary"):
            plan = services.create_plan(
                area_id=None, title=f"Bench {kind} plan {time.time():.0f}", template="custom", columns=columns
            )
            for number in range(limits.PLAN_ROWS):
                if kind == "largest":
                    per_item = limits.PLAN_CELL // 2  # two items of 1,500: the whole cell
                    items = [text(rng, per_item), text(rng, per_item)]
                    values = {
                        "reference": f"{number + 1}".ljust(limits.REFERENCE, "x"),
                        "duty": text(rng, limits.PLAN_CELL),
                        "timescale": text(rng, limits.SHORT_TEXT),
                        **{
                            name: list(items)
                            for name, (_, kind_) in FIELDS.items()
                            if kind_ == "list" and name != "progress"
                        },
                        **{f"{EXTRA_PREFIX}{h}": text(rng, limits.PLAN_CELL) for h in extras},
                    }
                    progress_items = [text(rng, limits.LONG_TEXT // 4 - 1) for _ in range(4)]
                else:
                    values = {
                        "reference": str(number + 1),
                        "duty": text(rng, 150),
                        "actions": [text(rng, 80), text(rng, 70)],
                        "impact": [text(rng, 120)],
                        "leads": ["Prevent Lead"],
                    }
                    progress_items = [text(rng, 150)]
                row = services.add_row(plan, section_title=f"Section {number // 50 + 1}", values=values)
                services.record_progress(
                    row, items=progress_items, rag="green", reason="", actor=None, actor_label="bench"
                )
            ids[kind] = plan.id
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(PlanRow).where(PlanRow.plan_id == ids["largest"]))
        assert count == limits.PLAN_ROWS, count
    return ids


def _unpacked(path: Path) -> int:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return sum(part.file_size for part in archive.infolist())


def _fit(write, *, start: int, most: int) -> tuple[int, int, int]:
    """The longest cell (at most ``most``) for which the file ``write(cell)`` makes stays under both
    limits.IMPORT_BYTES and limits.IMPORT_UNPACKED: (cell, bytes, unpacked bytes)."""
    from core import limits

    cell = start
    for _ in range(4):
        size, unpacked = write(cell), _unpacked(write.path)
        scale = min(limits.IMPORT_BYTES * 0.97 / size, limits.IMPORT_UNPACKED * 0.97 / unpacked)
        fitted = min(most, int(cell * scale))
        if fitted == cell:
            break
        cell = fitted
    size, unpacked = write(cell), _unpacked(write.path)
    assert size <= limits.IMPORT_BYTES and unpacked <= limits.IMPORT_UNPACKED, (size, unpacked)
    return cell, size, unpacked


def register_xlsx(path: Path, organisations: list[str], course: str) -> dict:
    """A register at the web import's limits: limits.IMPORT_ROWS rows, and as close under
    limits.IMPORT_BYTES and limits.IMPORT_UNPACKED as three Notes columns (left out of the import)
    make it, each cell at most limits.IMPORT_CELL."""
    from openpyxl import Workbook

    from core import limits

    def write(notes: int) -> int:
        rng = random.Random(7)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Register")
        sheet.append(["Name", "Email", "Organisation", "Course", "Date completed", "Notes", "More notes", "Remarks"])
        for n in range(limits.IMPORT_ROWS):
            sheet.append(
                [
                    f"Person {n:05d}",
                    f"person{n:05d}@bench.example",
                    organisations[n % len(organisations)],
                    course,
                    "01/06/2026",
                    *(text(rng, notes) for _ in range(3)),
                ]
            )
        workbook.save(path)
        return path.stat().st_size

    write.path = path
    notes, size, unpacked = _fit(write, start=800, most=limits.IMPORT_CELL)
    return {"bytes": size, "unpacked": unpacked, "rows": limits.IMPORT_ROWS, "cell": notes}


def long_register_xlsx(path: Path, organisations: list[str], course: str) -> dict:
    """A register of 100,000 short rows (about 0.7 MB), like the file the issue timed at 18 s."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Register")
    sheet.append(["Name", "Email", "Organisation", "Course", "Date completed"])
    for n in range(100_000):
        sheet.append(
            [f"Person {n}", f"p{n}@bench.example", organisations[n % len(organisations)], course, "01/06/2026"]
        )
    workbook.save(path)
    return {"bytes": path.stat().st_size, "rows": 100_000}


def plan_xlsx(path: Path) -> dict:
    """A plan file at the plan import's limits: limits.PLAN_ROWS rows of 14 columns (a plan may have
    limits.PLAN_COLUMNS), every cell of the same length, at most limits.PLAN_CELL, as close under
    limits.IMPORT_BYTES and limits.IMPORT_UNPACKED as that makes it."""
    from openpyxl import Workbook

    from core import limits

    lists = ["Actions", "Impact", "Lead", "Evidence", "Next steps", "Responsible agency"]
    own = ["Guidance", "Notes", "Target", "Partners", "Risks", "Comments"]

    def write(cell: int) -> int:
        rng = random.Random(11)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Plan")
        sheet.append(["Ref", "Duty", *lists, *own])
        half = cell // 2
        for n in range(limits.PLAN_ROWS):
            sheet.append(
                [f"{n + 1}", text(rng, cell)]
                # Two items with their markers and a line break: exactly ``cell`` characters.
                + ["- " + text(rng, half - 2) + "\n- " + text(rng, cell - half - 3) for _ in lists]
                + [text(rng, cell) for _ in own]
            )
        workbook.save(path)
        return path.stat().st_size

    write.path = path
    cell, size, unpacked = _fit(write, start=1000, most=limits.PLAN_CELL)
    return {"bytes": size, "unpacked": unpacked, "rows": limits.PLAN_ROWS, "cell": cell}


# --- the worker ----------------------------------------------------------------------------------


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else ""


def _timed(label: str, timings: list, call):
    """Make one request: its wall and CPU time, and the worker's peak resident memory during it."""
    reset_peak()
    started, cpu = time.perf_counter(), time.process_time()
    response = call()
    timings.append([label, time.perf_counter() - started, time.process_time() - cpu, peak_mb()])
    if response.status_code >= 400:
        raise SystemExit(f"{label} answered {response.status_code}: {response.get_data(as_text=True)[:500]}")
    return response


def sign_in(client, email: str) -> None:
    """Sign in as a demo account that needs no second factor (a SPOC, the training coordinator):
    a code is accepted once, so workers started within one 30-second step could not all use it."""
    from core.demo import DEMO_PASSWORD

    token = _csrf(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    if response.status_code != 302 or "two-factor" in response.headers.get("Location", ""):
        raise SystemExit(f"signing in as {email} failed ({response.status_code})")


def worker(job: str, url: str, arg: str) -> dict:
    """Build the app, sign in, then make the job's requests; timings and memory as JSON."""
    import generate

    app = generate.build_app(url)
    app.config["SESSION_COOKIE_SECURE"] = False
    client = app.test_client()
    sign_in(client, TRAINING_EMAIL if job.startswith("register") else SPOC_EMAIL)
    client.get("/")  # the shell's first render, as a warm worker has done
    before = resident_mb()
    timings: list = []
    if job in ("plan-pdf", "plan-xlsx"):
        fmt = job.split("-")[1]
        response = _timed(f"GET {fmt.upper()}", timings, lambda: client.get(f"/plans/export?format={fmt}&plan={arg}"))
        size = len(response.get_data())
        detail = {"bytes": size}
        if fmt == "pdf":
            from pypdf import PdfReader

            detail["pages"] = len(PdfReader(io.BytesIO(response.get_data())).pages)
    elif job == "register-refused":
        # A file over the row limit: refused as it is read, at the first row past the limit.
        path = Path(arg)
        html = client.get("/training/import").get_data(as_text=True)
        with path.open("rb") as handle:
            form = {"csrf_token": _csrf(html), "file": (handle, path.name)}
            response = _timed("POST upload", timings, lambda: client.post("/training/import", data=form))
        if "has more than" not in response.get_data(as_text=True):
            raise SystemExit("the file over the row limit was not refused")
        detail = {"bytes": path.stat().st_size}
    elif job in ("register-upload", "plan-upload"):
        path = Path(arg)
        page = "/training/import" if job == "register-upload" else "/plans/import"
        html = client.get(page).get_data(as_text=True)
        form = {"csrf_token": _csrf(html)}
        if job == "plan-upload":
            area = re.search(r'<select[^>]*name="area_id"[^>]*>.*?<option value="(\d+)"', html, re.S).group(1)
            form |= {"area_id": area, "template": "custom", "title": f"Bench upload {time.time():.0f}"}
        with path.open("rb") as handle:
            form["file"] = (handle, path.name)
            response = _timed("POST upload", timings, lambda: client.post(page, data=form))
        location = response.headers["Location"]
        html = _timed("GET mapping page", timings, lambda: client.get(location)).get_data(as_text=True)
        chosen = {"csrf_token": _csrf(html), "submit": "1"}
        for select in re.finditer(r'<select[^>]*name="(col_\d+)"[^>]*>(.*?)</select>', html, re.S):
            picked = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', select.group(2))
            chosen[select.group(1)] = picked.group(1) if picked else ""
        response = _timed("POST import", timings, lambda: client.post(location, data=chosen))
        if response.status_code != 302:
            summary = re.search(r'govuk-error-summary".*?</ul>', response.get_data(as_text=True), re.S)
            problems = re.findall(r"<a [^>]*>\s*([^<]*?)\s*</a>", summary.group(0) if summary else "")
            raise SystemExit(f"the import was refused: {problems[:5]}")
        detail = {"bytes": path.stat().st_size}
    else:
        raise SystemExit(f"unknown job {job}")
    return {
        "job": job,
        "before_mb": before,
        "peak_mb": max(t[3] for t in timings),
        "timings": timings,
        "detail": detail,
    }


def run_worker(job: str, url: str, arg: str) -> dict:
    done = subprocess.run(  # noqa: S603 - our own script, with our own arguments
        [sys.executable, __file__, "--worker", job, "--database-url", url, "--arg", str(arg)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{job} failed: {done.stderr[-2000:]}{done.stdout[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the measurement -----------------------------------------------------------------------------


def verdict(seconds: float, mb: float, *, target_s: float = TARGET_SECONDS) -> str:
    """ "met" or "missed by ..." against the time and memory targets."""
    missed = []
    if seconds >= target_s:
        missed.append(f"{seconds - target_s:.1f} s over {target_s:g} s")
    if mb >= TARGET_MB:
        missed.append(f"{mb - TARGET_MB:.0f} MB over {TARGET_MB:g} MB")
    return ("missed by " + " and ".join(missed) + " ✗") if missed else "met ✓"


def measure(app, url: str) -> list[tuple[str, str, str]]:
    """Every largest-input measurement on the database at ``url``: (what, value, target) lines."""
    from sqlalchemy import select

    from core import limits, tenancy
    from core.extensions import db
    from core.models import User
    from partnership.models import Organisation
    from training.models import Course

    with app.app_context():
        # The jobs sign in as the demo's SPOC and training coordinator: their partnership's
        # organisations, course and plans (with several partnerships loaded, the others' are not theirs).
        pid = db.session.scalar(select(User.partnership_id).where(User.email == SPOC_EMAIL))
    with app.app_context(), tenancy.scoped(pid):
        organisations = db.session.scalars(select(Organisation.name).order_by(Organisation.id).limit(20)).all()
        course = db.session.scalar(select(Course.name).where(Course.name == "WRAP")) or db.session.scalar(
            select(Course.name).order_by(Course.id)
        )
    progress("  largest inputs: building two plans of 1,000 rows")
    plans = build_plans(app, pid)
    folder = Path(tempfile.mkdtemp(prefix="bench-limits-"))
    register = register_xlsx(folder / "register.xlsx", organisations, course)
    plan_file = plan_xlsx(folder / "plan.xlsx")
    long_register = long_register_xlsx(folder / "long-register.xlsx", organisations, course)
    lines = []
    jobs = [
        (
            "register-refused",
            str(folder / "long-register.xlsx"),
            f"register upload refused, XLSX of {long_register['bytes'] / 1048576:.2f} MB and "
            f"{long_register['rows']:,} rows (the issue's 18 s file)",
            TARGET_SECONDS,
        ),
        (
            "register-upload",
            str(folder / "register.xlsx"),
            f"register upload, XLSX of {register['bytes'] / 1048576:.2f} MB ({register['unpacked'] / 1048576:.0f} MB "
            f"unpacked), {register['rows']:,} rows, notes of {register['cell']:,} characters (limits "
            f"{limits.IMPORT_BYTES / 1048576:g} MB, {limits.IMPORT_UNPACKED / 1048576:g} MB unpacked, "
            f"{limits.IMPORT_ROWS:,} rows)",
            TARGET_SECONDS,
        ),
        (
            "plan-upload",
            str(folder / "plan.xlsx"),
            f"plan upload, XLSX of {plan_file['bytes'] / 1048576:.2f} MB ({plan_file['unpacked'] / 1048576:.0f} MB "
            f"unpacked), {plan_file['rows']:,} rows of 14 cells of {plan_file['cell']:,} characters",
            TARGET_SECONDS,
        ),
        ("plan-pdf", plans["largest"], "plan PDF, 1,000 rows, every cell at its maximum", TARGET_SECONDS),
        ("plan-xlsx", plans["largest"], "plan XLSX, 1,000 rows, every cell at its maximum", TARGET_SECONDS),
        ("plan-pdf", plans["ordinary"], "plan PDF, 1,000 ordinary rows", ORDINARY_PDF_SECONDS),
    ]
    for job, arg, label, target_s in jobs:
        result = run_worker(job, url, arg)
        slowest = max(result["timings"], key=lambda t: t[1])
        steps = ", ".join(
            f"{name} {seconds:.2f} s (CPU {cpu:.2f} s, {mb:.0f} MB)" for name, seconds, cpu, mb in result["timings"]
        )
        extra = f"; {result['detail']['pages']} pages" if "pages" in result["detail"] else ""
        extra += f"; {result['detail']['bytes'] / 1048576:.1f} MB file"
        lines.append(
            (
                f"{label}: slowest request, peak resident memory (before the requests)",
                f"{slowest[1]:.2f} s (CPU {slowest[2]:.2f} s), {result['peak_mb']:.0f} MB "
                f"({result['before_mb']:.0f} MB): {steps}{extra}",
                f"< {target_s:g} s, < {TARGET_MB:g} MB: {verdict(slowest[1], result['peak_mb'], target_s=target_s)}",
            )
        )
        progress(f"  {label}: {slowest[1]:.2f} s (CPU {slowest[2]:.2f} s), {result['peak_mb']:.0f} MB peak")
    return lines


def largest_inputs_step(ctx) -> list[tuple[str, str, str]]:
    """bench/run.py's step: the measurements on the loaded data."""
    return measure(ctx.app, ctx.url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--worker", default="")
    parser.add_argument("--arg", default="")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.database_url, args.arg)))
        return
    import generate
    from flask_migrate import upgrade

    from core.demo import load_demo
    from core.extensions import db

    url = args.database_url
    if not url:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-limits-db-')) / 'limits.db'}"
        app = generate.build_app(url)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            load_demo()
            db.session.commit()
        progress("demo partnership loaded")
    app = generate.build_app(url)
    started = time.perf_counter()
    lines = measure(app, url)
    report = [
        f"# Largest inputs ({date.today():%d %B %Y})",
        "",
        "Each measurement in a fresh worker process (the app built, signed in as a SPOC; for the register, the "
        "training coordinator): the slowest request of the job (wall time, and the worker's CPU time, which "
        "other load on the machine does not inflate), and the worker's peak resident memory while the requests "
        "ran. Targets: no request over 10 s or 300 MB resident; a 1,000-row plan PDF under 3 s. "
        f"Load average at the start: {os.getloadavg()[0]:.1f}. Whole run: {time.perf_counter() - started:.0f} s.",
        "",
        "| measurement | value | target |",
        "|---|---|---|",
        *(f"| {what} | {value} | {target} |" for what, value, target in lines),
        "",
    ]
    out = ROOT / "bench" / "results" / "largest_inputs.md"
    out.write_text("\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()
