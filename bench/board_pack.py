"""How long the board pack takes: for the demo partnership, and with 60 plans of 40 rows.

Usage: .venv/bin/python bench/board_pack.py [--database-url URL] [--plans 60] [--rows 40]
Builds a fresh database (a temporary SQLite file unless --database-url names an empty
PostgreSQL database), loads the demo partnership, times the pack, adds the extra plans with
a progress history and RAG mix, and times it again. Prints a markdown table and writes it
to bench/results/board_pack.md.
"""

import argparse
import io
import platform
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--plans", type=int, default=60)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select

    from board import pack
    from board.services import next_meeting
    from core.app import create_app
    from core.audit import acting_as
    from core.demo import load_demo
    from core.extensions import db
    from partnership.models import BusinessArea
    from plans.models import Plan, PlanRow, ProgressUpdate

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.db"
    app = create_app(
        "production", SECRET_KEY=secrets.token_hex(16), SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=tempfile.mkdtemp()
    )
    results = []
    with app.app_context():
        upgrade(revision="heads")
        with acting_as("bench"):
            load_demo()
            db.session.commit()
        meeting = next_meeting(1, date.today())
        plans_before = db.session.scalar(select(func.count()).select_from(Plan))
        results.append(
            ("demo partnership", plans_before, _time(lambda: pack.render(meeting, part="pack", today=date.today())))
        )

        rng = random.Random(args.seed)
        areas = db.session.scalars(select(BusinessArea.id)).all()
        rags = ["green", "green", "green", "amber", "red", "complete", None]
        now = datetime.now(UTC)
        columns = [["duty", "Duty"], ["actions", "Actions"], ["progress", "Progress"], ["rag", "RAG"]]
        for n in range(args.plans):
            plan = Plan(
                area_id=rng.choice(areas),
                title=f"Bench plan {n:02d}",
                period="2026-2027",
                status="active",
                template="spoc",
                columns=columns,
            )
            db.session.add(plan)
            db.session.flush()
            rows = [
                {
                    "plan_id": plan.id,
                    "position": r + 1,
                    "duty": f"Duty {n}.{r} for bench plan",
                    "actions": ["Act"],
                    "impact": [],
                    "leads": [],
                    "responsible_agency": [],
                    "timescale": "",
                    "evidence": [],
                    "next_steps": [],
                    "reference": "",
                    "rag": rng.choice(rags),
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "due_date": date.today() + timedelta(days=rng.randint(-60, 200)),
                    "last_progress_at": now - timedelta(days=rng.randint(0, 200)),
                }
                for r in range(args.rows)
            ]
            db.session.execute(insert(PlanRow), rows)
            ids = db.session.scalars(select(PlanRow.id).where(PlanRow.plan_id == plan.id)).all()
            updates = [
                {
                    "row_id": i,
                    "at": now - timedelta(days=rng.randint(0, 200)),
                    "author_label": "bench",
                    "items": ["Update"],
                    "rag": "green",
                    "reason": "",
                    "source": "update",
                }
                for i in ids
                for _ in range(3)
            ]
            db.session.execute(insert(ProgressUpdate), updates)
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(Plan))
        label = f"with {args.plans} more plans of {args.rows} rows"
        results.append((label, total, _time(lambda: pack.render(meeting, part="pack", today=date.today()))))

    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    lines = [
        f"Board pack generation ({platform.node()}, {platform.machine()}, {database}, {date.today()})",
        "",
        "| data | plans | pack median of 3 (s) | pages |",
        "|---|---:|---:|---:|",
    ]
    for label, plans, (seconds, pages) in results:
        lines.append(f"| {label} | {plans} | {seconds:.2f} | {pages} |")
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "board_pack.md").write_text(report + "\n")


def _time(render) -> tuple[float, int]:
    from pypdf import PdfReader

    times, data = [], b""
    for _ in range(3):
        start = time.perf_counter()
        data = render()
        times.append(time.perf_counter() - start)
    return sorted(times)[1], len(PdfReader(io.BytesIO(data)).pages)


if __name__ == "__main__":
    main()
