"""Load: 50 concurrent users (38 SPOCs and 2 deputies saving progress, 8 Prevent Lead sessions browsing, 2 making
the board pack) for a bounded time against gunicorn on loopback, then every save is counted.

Every progress save the server accepted must be exactly one progress entry and one audit entry,
each row must show its newest entry's RAG, and a save refused with a 409 conflict (two people on one row)
must write nothing; no request may fail (no 5xx, no connection error).
Runs on the suite's database (SQLite in WAL mode, or TEST_DATABASE_URL for PostgreSQL).
LOAD_SECONDS sets the run time (default 15 in make test; LOAD_SECONDS=45 or more for the long run).
"""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.request import urlopen

import pytest
from sqlalchemy import func, select

from board import services as board
from core import clock
from core.audit import AuditEntry
from core.extensions import db
from core.vocab import Role
from partnership.models import BusinessArea
from plans.models import Plan, PlanRow, ProgressUpdate
from plans.services import add_row, create_plan
from tests.factories import (
    TEST_PASSWORD,
    TEST_TOTP_SECRET,
    BusinessAreaFactory,
    OrganisationFactory,
    PartnershipFactory,
    UserFactory,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
SPOCS = 38
ROWS_PER_PLAN = 3
USERS = 50
SECONDS = int(os.environ.get("LOAD_SECONDS", "15"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_data_set() -> dict:
    partnership = PartnershipFactory(name="Load County Prevent Partnership")
    organisation = OrganisationFactory(partnership=partnership, name="Load County Council")
    leads = [
        UserFactory(email=f"lead{n:02d}@load.example", roles=[Role.PREVENT_LEAD], organisation=organisation)
        for n in range(10)
    ]
    spocs, plan_ids = [], []
    for n in range(SPOCS):
        area = BusinessAreaFactory(partnership=partnership, name=f"Area {n:02d}", organisation=organisation)
        user = UserFactory(
            email=f"spoc{n:02d}@load.example", roles=[Role.SPOC], areas=[(area, "spoc")], organisation=organisation
        )
        db.session.flush()
        plan = create_plan(area_id=area.id, title=f"Area {n:02d} Prevent Action Plan", period="2026-2027")
        rows = [add_row(plan, values={"duty": f"Duty {i}", "actions": [f"Action {i}"]}) for i in range(ROWS_PER_PLAN)]
        db.session.flush()
        spocs.append({"email": user.email, "plan_id": plan.id, "row_ids": [r.id for r in rows]})
        plan_ids.append(plan.id)
    # Two deputies share the first two SPOCs' plans, so some saves of one row collide.
    deputies = []
    for n in range(2):
        area = db.session.get(BusinessArea, db.session.get(Plan, spocs[n]["plan_id"]).area_id)
        deputy = UserFactory(
            email=f"deputy{n:02d}@load.example", roles=[Role.SPOC], areas=[(area, "deputy")], organisation=organisation
        )
        db.session.flush()
        deputies.append({**spocs[n], "email": deputy.email})
    today = clock.today()
    (meeting,) = board.schedule_meetings(
        partnership=partnership,
        first_on=today + timedelta(days=30),
        count=1,
        every_months=3,
        starts_at=None,
        ends_at=None,
        place="Council chamber",
        link="",
        marking="OFFICIAL",
        today=today,
    )
    db.session.commit()
    return {
        "password": TEST_PASSWORD,
        "leads": [lead.email for lead in leads],
        "totp_secret": TEST_TOTP_SECRET,
        "spocs": spocs,
        "deputies": deputies,
        "plan_ids": plan_ids,
        "meeting_id": meeting.id,
    }


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL we built
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """gunicorn on a free loopback port serving the suite's database with CSRF on; always stopped."""
    port = free_port()
    env = {
        **os.environ,
        "TEST_DATABASE_URL": database_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "PYTHONPATH": str(ROOT),
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--timeout",
            "60",
            # Longer than any user's pause between requests, so a client never reuses a kept-alive
            # connection at the moment the server closes it (a reset, not an app failure).
            "--keep-alive",
            "20",
            "core.app:create_app('test', WTF_CSRF_ENABLED=True)",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        with app.app_context():
            db.engine.dispose()


def test_fifty_users_lose_no_update(app, gunicorn, tmp_path):
    with app.app_context():
        data = build_data_set()
    (tmp_path / "data.json").write_text(json.dumps(data))
    tally_file, csv_prefix = tmp_path / "tally.json", tmp_path / "stats"
    started = time.monotonic()
    locust = subprocess.run(  # noqa: S603 - fixed argv
        [
            str(BIN / "locust"),
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            "25",
            "--run-time",
            f"{SECONDS}s",
            "--stop-timeout",
            "60",
            "--host",
            gunicorn,
            "--csv",
            str(csv_prefix),
            "--only-summary",
            "--exit-code-on-error",
            "0",
        ],
        env={
            **os.environ,
            "LOAD_DATA": str(tmp_path / "data.json"),
            "LOAD_TALLY": str(tally_file),
            "PYTHONPATH": str(ROOT),  # the scenario reads the suite's clock (core.clock) for TOTP codes
        },
        capture_output=True,
        text=True,
        timeout=SECONDS + 150,
    )
    elapsed = time.monotonic() - started
    assert tally_file.exists(), locust.stderr[-3000:]
    tally = json.loads(tally_file.read_text())
    with open(f"{csv_prefix}_stats.csv") as f:
        stats = {row["Name"]: row for row in csv.DictReader(f)}
    with open(f"{csv_prefix}_failures.csv") as f:
        failures = list(csv.DictReader(f))
    total = stats["Aggregated"]
    requests, failed = int(total["Request Count"]), int(total["Failure Count"])
    saves = sum(len(v) for v in tally["saved"].values())
    packs = tally["packs"]

    with app.app_context():
        row_ids = [row_id for spoc in data["spocs"] for row_id in spoc["row_ids"]]
        written = Counter(
            db.session.scalars(
                select(ProgressUpdate.row_id).where(
                    ProgressUpdate.row_id.in_(row_ids), ProgressUpdate.source == "update"
                )
            )
        )
        texts = {
            tuple(i) for i in db.session.scalars(select(ProgressUpdate.items).where(ProgressUpdate.row_id.in_(row_ids)))
        }
        audited = db.session.scalar(
            select(func.count()).where(AuditEntry.entity == "progress_updates", AuditEntry.action == "insert")
        )
        final_rag = dict(db.session.execute(select(PlanRow.id, PlanRow.rag).where(PlanRow.id.in_(row_ids))).all())
        latest = {}
        for update in db.session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.row_id.in_(row_ids)).order_by(ProgressUpdate.id)
        ):
            latest[update.row_id] = (update.items, update.rag)

    print(
        f"\nLOAD {db_name(app)}: {USERS} users for {SECONDS} s ({elapsed:.0f} s wall): {requests} requests, "
        f"{float(total['Requests/s']):.1f} req/s, p50 {total['50%']} ms, p95 {total['95%']} ms, "
        f"max {float(total['Max Response Time']):.0f} ms, {failed} failed; progress saves {saves} "
        f"(rows touched {len(tally['saved'])}), 409 conflicts {tally['conflicts']}; written {sum(written.values())} "
        f"progress entries, {audited} audit entries; packs {len(packs)} "
        f"(slowest {max(packs, default=0):.1f} s)"
    )
    assert failures == [], failures
    assert failed == 0
    assert requests > USERS * 4, "the load barely ran"
    assert saves > SPOCS, "too few progress saves to mean anything"
    assert tally["failures"] == [], tally["failures"][:5]
    assert len(packs) >= 1, f"no board pack was produced under load: {locust.stderr[-3000:]}"
    # Each accepted save is exactly one progress entry and one audit entry; none lost, none doubled.
    assert written == Counter({int(row_id): len(saved) for row_id, saved in tally["saved"].items()})
    assert audited == saves
    saved_texts = [text for saved in tally["saved"].values() for text, _rag in saved]
    assert all((text,) in texts for text in saved_texts)
    for row_id, saved in tally["saved"].items():
        items, rag = latest[int(row_id)]
        # The row shows the RAG of its newest entry, and that entry is one of the accepted saves.
        assert final_rag[int(row_id)] == rag, f"row {row_id} does not hold its newest entry's RAG"
        assert [items[0], rag] in saved


def db_name(app) -> str:
    with app.app_context():
        return db.engine.dialect.name
