"""Benchmark: import a 100,000-row training register and compute coverage for 200 organisations.

    .venv/bin/python bench/training_bench.py                      # a fresh SQLite database
    .venv/bin/python bench/training_bench.py --database-url postgresql://app@127.0.0.1:55432/bench

The register is generated from a seed, so every run reads the same file: 200 organisations,
people named by work email or staff number (some by both), WRAP, refresher and e-learning
completions over four years, and a few rows repeated. It is imported through the same code
as `flask training import` (check, then bulk save with audit entries, one transaction), then
imported again (which must add nothing), then coverage is computed for every organisation,
as the coverage page and the board pack do. Figures are printed as a markdown table and
written to bench/results/training.md (or --output).

A PostgreSQL database must be empty, or named with --reset to have its public schema dropped.
A DATABASE_URL in the environment is used like --database-url.
"""

import argparse
import csv
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADINGS = ["Name", "Email", "Staff number", "Organisation", "Job title", "Course", "Date", "Delivery"]
FIRST = ["Alex", "Amina", "Ben", "Chloe", "Daniel", "Erin", "Farah", "Finn", "Grace", "Harry", "Isla", "Jack", "Kai"]
LAST = ["Ahmed", "Barker", "Carter", "Davies", "Evans", "Gill", "Hussain", "Jones", "Khan", "Lewis", "Patel", "Wright"]
ROLES = ["Social worker", "Support worker", "Nurse", "Housing officer", "Teacher", "Police officer"]


def generate(
    path: Path, *, rows: int, organisations: int, seed: int, today: date, names: list[str] | None = None
) -> dict:
    """Write the register; return what it holds. ``names`` overrides the organisation names."""
    rng = random.Random(seed)
    written = people = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADINGS)
        last_row = None
        while written < rows:
            people += 1
            org = rng.randrange(organisations)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            kind = rng.random()
            email = f"person{people}@org{org}.example" if kind < 0.85 else ""
            staff = f"S{people:07d}" if kind > 0.7 else ""
            role = rng.choice(ROLES)
            first_wrap = today - timedelta(days=rng.randint(1, 4 * 365))
            courses = [("WRAP", first_wrap, "facilitated")]
            if rng.random() < 0.5:
                courses.append(("Prevent e-learning", first_wrap - timedelta(days=rng.randint(1, 90)), "e-learning"))
            if first_wrap < today - timedelta(days=2 * 365) and rng.random() < 0.4:
                refreshed = first_wrap + timedelta(days=rng.randint(700, 1000))
                if refreshed <= today:
                    courses.append(("WRAP refresher", refreshed, "facilitated"))
            for course, day, delivery in courses:
                if written >= rows:
                    break
                organisation = names[org % len(names)] if names else f"Organisation {org:03d}"
                row = [name, email, staff, organisation, role, course, day.strftime("%d/%m/%Y"), delivery]
                if last_row is not None and rng.random() < 0.01:
                    row = last_row  # the same attendance recorded twice in the register
                writer.writerow(row)
                last_row = row
                written += 1
    return {"rows": written, "size_mb": path.stat().st_size / 1_048_576}


def prepare(app, *, organisations: int, rows: int, seed: int, today: date, reset: bool) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import inspect, text

    from core import accounts
    from core.extensions import db
    from core.vocab import Role
    from partnership.models import Organisation, OrganisationKind, Partnership
    from training import services

    with app.app_context():
        existing = inspect(db.engine).get_table_names()
        if existing and db.engine.dialect.name == "postgresql":
            if not reset:
                sys.exit("The database already has tables: give an empty database, or --reset to drop its schema.")
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        rng = random.Random(seed)
        partnership = Partnership(name="Benchmark Partnership")
        db.session.add(partnership)
        db.session.flush()
        for n in range(organisations):
            org = Organisation(
                partnership_id=partnership.id,
                name=f"Organisation {n:03d}",
                short_name=f"O{n:03d}",
                kind=OrganisationKind.OTHER.value,
            )
            db.session.add(org)
            db.session.flush()
            if n % 50 == 49:
                continue  # a few with no headcount
            # About as many relevant staff as the register names, so coverage lands near the target.
            trained_per_organisation = rows * 0.44 / organisations
            headcount = 0 if n % 50 == 48 else round(trained_per_organisation * rng.uniform(0.95, 1.35))
            services.record_headcount(
                organisation_id=org.id, as_of=today - timedelta(days=400), relevant_headcount=headcount, source="HR"
            )
        for name, kind, months in [
            ("WRAP", "wrap", 36),
            ("WRAP refresher", "refresher", 36),
            ("Prevent e-learning", "elearning", 24),
        ]:
            services.create_course(name=name, kind=kind, validity_months=months)
        accounts.create_user(
            email="bench.coordinator@bench.example",
            full_name="Bench Coordinator",
            password="Bench-Coordinator-2026",  # noqa: S106 - a throwaway benchmark database
            roles=[Role.TRAINING_COORDINATOR],
            must_change_password=False,
        )
        db.session.commit()


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def run_import(app, path: Path, today: date, *, partnership_id: int | None = None) -> tuple[dict, object]:
    """Check and save the register, in one partnership's scope (the only one by default)."""
    from core import tenancy
    from core.audit import acting_as
    from core.extensions import db
    from training import imports

    scope = tenancy.Scope.of(partnership_id) if partnership_id is not None else tenancy.ALL
    with app.app_context(), tenancy.scoped(scope), acting_as(f"bench {path.name}"):
        data, read_s = timed(path.read_bytes)
        header = next(csv.reader([data.split(b"\n", 1)[0].decode()]))
        check, check_s = timed(
            imports.check_register, path.name, data, mapping=imports.guess_mapping(header), today=today
        )
        if check.problems:
            sys.exit("the generated register does not import: " + "; ".join(check.problems[:5]))

        def save():
            record = imports.save_register(check, sha=imports.sha256(data))
            db.session.commit()
            return record

        _, save_s = timed(save)
        return {"read": read_s, "check": check_s, "save": save_s, "total": read_s + check_s + save_s}, check


def measure_coverage(app, today: date, repeats: int = 5) -> dict:
    from core.extensions import db
    from training import coverage

    with app.app_context():
        summaries = [timed(coverage.coverage_summary, as_of=today) for _ in range(repeats)]
        trends = [timed(coverage.coverage_trend, as_of=today) for _ in range(repeats)]
        summary = summaries[-1][0]
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"email": "bench.coordinator@bench.example", "password": "Bench-Coordinator-2026"})
    pages = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get("/training")
        pages.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return {
        "summary": statistics.median(t for _, t in summaries),
        "trend": statistics.median(t for _, t in trends),
        "page": statistics.median(pages),
        "organisations": len(summary.rows),
        "trained": summary.trained,
        "headcount": summary.headcount,
        "percent": summary.percent,
    }


def counts(app) -> dict:
    from sqlalchemy import func, select

    from core.audit import AuditEntry
    from core.extensions import db
    from training.models import Completion, Person

    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (("people", Person), ("completions", Completion), ("audit", AuditEntry))
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--reset", action="store_true", help="Drop the PostgreSQL database's schema first.")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "training.md")
    args = parser.parse_args()

    import logging

    logging.disable(logging.INFO)
    from core.app import create_app

    today = date.today()
    load = os.getloadavg()[0]  # other work on the machine skews the figures: say how busy it was
    workdir = Path(tempfile.mkdtemp(prefix="training-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app = create_app(
        "development", SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(workdir / "uploads"), WTF_CSRF_ENABLED=False
    )
    with app.app_context():
        from core.extensions import db

        with db.engine.connect():
            dialect = db.engine.dialect.name
            server = db.engine.dialect.server_version_info
    prepare(app, organisations=args.organisations, rows=args.rows, seed=args.seed, today=today, reset=args.reset)
    register = workdir / "register.csv"
    generated = generate(register, rows=args.rows, organisations=args.organisations, seed=args.seed, today=today)

    first, check = run_import(app, register, today)
    stored = counts(app)
    again, recheck = run_import(app, register, today)
    after = counts(app)
    assert (after["people"], after["completions"]) == (stored["people"], stored["completions"]), "re-import added rows"
    assert recheck.new_completions == 0
    figures = measure_coverage(app, today)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    database = f"{dialect} {'.'.join(map(str, server or ()))}".strip()
    lines = [
        f"# Training benchmark ({datetime.now():%Y-%m-%d %H:%M}, {database})",
        "",
        f"{generated['rows']:,} register rows ({generated['size_mb']:.1f} MB CSV, seed {args.seed}) across "
        f"{args.organisations} organisations: {stored['people']:,} people, {stored['completions']:,} completions "
        f"({check.repeated_in_file:,} rows repeated in the file), {stored['audit']:,} audit entries. "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs (load average {load:.1f} at the start), "
        f"peak memory {peak_mb:.0f} MB.",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| import: read the file | {first['read']:.2f} |",
        f"| import: check every row and match people (3 queries) | {first['check']:.2f} |",
        f"| import: save in bulk with audit entries, commit | {first['save']:.2f} |",
        f"| **import {generated['rows']:,} rows, total** | **{first['total']:.2f}** |",
        f"| re-import the same file (adds nothing: {recheck.already_recorded:,} already recorded) | "
        f"{again['total']:.2f} |",
        f"| coverage for {figures['organisations']} organisations (`coverage_summary`, median of 5) | "
        f"{figures['summary']:.3f} |",
        f"| trend at 9 dates (`coverage_trend`, median of 5) | {figures['trend']:.3f} |",
        f"| the coverage page, whole request (median of 5) | {figures['page']:.3f} |",
        "",
        f"Overall coverage on {today:%-d %B %Y}: {figures['percent']}% ({figures['trained']:,} of "
        f"{figures['headcount']:,}).",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.output.exists() and dialect not in args.output.read_text():
        report = args.output.read_text().rstrip() + "\n\n" + report  # keep the other database's figures
    elif args.output.exists():
        kept = [part for part in args.output.read_text().split("# Training benchmark") if part and dialect not in part]
        report = "".join("# Training benchmark" + part for part in kept).rstrip() + ("\n\n" if kept else "") + report
    args.output.write_text(report)
    print(f"Written to {args.output}")


if __name__ == "__main__":
    main()
