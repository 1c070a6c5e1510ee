"""Synthetic data at county, region or national size, reproducible from a seed, loaded in bulk.

Usage: .venv/bin/python bench/generate.py --size county|region|national [--seed N]
       [--database-url URL] [--reset]

Builds the schema with the migrations, loads the demo partnership (its sign-ins, Channel Panel
and courses), then adds the synthetic partnerships with SQLAlchemy Core: executemany in batches
on SQLite; on PostgreSQL COPY when the loading role may bypass row-level security (a superuser,
given with --load-url), else batched INSERTs that the policies check. Ids are allocated here, so
no row is read back while loading. Every row of a partnership-owned table is given the
partnership of the plan, area, organisation, case or meeting it is generated under, and each
generated partnership gets its own sign-ins (one per role, see BENCH_ROLES), training courses
and Channel Panel. Without --database-url it writes a fresh SQLite file under bench/data/.
"""

import argparse
import json
import random
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Scale:
    """How much of everything: per partnership unless the name says otherwise."""

    partnerships: int
    plans: int  # per partnership
    rows: int  # per plan
    updates: int  # per row
    organisations: int  # per partnership
    completions: int  # in all
    cases: int  # in all (one Channel Panel per deployment)
    years: int = 5
    audit_per_row: int = 10


SIZES = {
    "county": Scale(partnerships=1, plans=60, rows=40, updates=20, organisations=100, completions=20_000, cases=300),
    "region": Scale(
        partnerships=10, plans=60, rows=40, updates=20, organisations=100, completions=200_000, cases=3_000
    ),
    "national": Scale(
        partnerships=150, plans=60, rows=40, updates=20, organisations=100, completions=1_000_000, cases=40_000
    ),
}

#: Bytes on disk per row, indexes included, with room to spare: a region load takes about 220 on
#: SQLite, and PostgreSQL (row headers, WAL during the load) several times that.
BYTES_PER_ROW = 900
BATCH = 5_000

#: The sign-ins of every generated partnership: (email key, role); the SPOC leads the
#: partnership's second area. Emails are BENCH_EMAIL.format(key=..., pid=...); every account has
#: the demo's password and two-factor key (core.demo), so the bench signs in as any of them.
BENCH_ROLES = [
    ("lead", "prevent_lead"),
    ("spoc", "spoc"),
    ("board", "board_member"),
    ("chair", "panel_chair"),
    ("panel", "panel_member"),
    ("training", "training_coordinator"),
    ("auditor", "auditor"),
]
#: With the regional view (region/) a regional coordinator too, granted partnerships by the bench.
REGION_ROLE = ("region", "regional_coordinator")
BENCH_EMAIL = "{key}.p{pid:03d}@bench.example"
#: What each generated partnership is called (its id in it): the bench looks for it on its pages.
PARTNERSHIP_NAME = "Synthetic Prevent Partnership {pid:03d}"


def bench_email(key: str, pid: int) -> str:
    return BENCH_EMAIL.format(key=key, pid=pid)


def estimated_rows(scale: Scale) -> int:
    rows = scale.partnerships * scale.plans * scale.rows
    return (
        rows * (1 + scale.updates + scale.audit_per_row)
        + scale.completions * 2
        + scale.cases * 3
        + scale.partnerships * (scale.organisations + scale.years * 4 * 30)
    )


def check_disk(scale: Scale, where: Path, *, size_name: str) -> None:
    """Refuse, before writing anything, a size the disk cannot hold (twice the estimate)."""
    need = estimated_rows(scale) * BYTES_PER_ROW * 2
    where = where if where.exists() else where.parent
    free = shutil.disk_usage(where).free
    if free < need:
        raise SystemExit(
            f"Not enough disk for the {size_name} size: it needs about {need / 1e9:.1f} GB free at {where}, "
            f"and {free / 1e9:.1f} GB is free. Choose a smaller size or free some space."
        )


class Loader:
    """Writes rows to tables in batches on one connection; allocates ids without reading rows back."""

    def __init__(self, conn, tables: dict):
        from sqlalchemy import func, select, text

        from core import tenancy

        self.conn = conn
        self.tables = tables
        self.postgres = conn.dialect.name == "postgresql"
        #: COPY is refused on tables under row-level security unless the role bypasses it.
        self.copy = False
        if self.postgres:
            tenancy.every_partnership_connection(conn)  # app.partnerships = '*' in this transaction
            self.copy = bool(
                conn.scalar(text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"))
            )
        self.next_id = {}
        for name, table in tables.items():
            if "id" in table.c:
                self.next_id[name] = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
        self.counts: dict[str, int] = {}

    def ids(self, table: str, n: int) -> range:
        start = self.next_id[table]
        self.next_id[table] = start + n
        return range(start, start + n)

    def write(self, table_name: str, rows: Iterable[dict]) -> None:
        from core.bulk import column_defaults

        table = self.tables[table_name]
        defaults = column_defaults(table)
        scoped = "partnership_id" in table.c
        defaults.pop("partnership_id", None)
        batch: list[dict] = []
        for row in rows:
            if scoped and row.get("partnership_id") is None:
                raise ValueError(f"{table_name}: a generated row has no partnership_id ({row})")
            for key, make in defaults.items():
                if key not in row:
                    row[key] = make()
            batch.append(row)
            if len(batch) >= BATCH:
                self._flush(table, batch)
                batch = []
        if batch:
            self._flush(table, batch)

    def _flush(self, table, batch: list[dict]) -> None:
        self.counts[table.name] = self.counts.get(table.name, 0) + len(batch)
        if not self.copy:
            self.conn.execute(table.insert(), batch)
            return
        columns = list(batch[0])
        json_cols = {c for c in columns if table.c[c].type.__class__.__name__ == "JSON"}
        cursor = self.conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row([json.dumps(row[c]) if c in json_cols else row[c] for c in columns])

    def reset_sequences(self) -> None:
        from sqlalchemy import text

        if not self.postgres:
            return
        for name, table in self.tables.items():
            if "id" in table.c and self.counts.get(name):
                self.conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                )


def generate(
    app,
    scale: Scale,
    *,
    seed: int,
    today: date | None = None,
    demo: bool = True,
    log=print,
    load_url: str | None = None,
) -> dict:
    """Add the synthetic data to the app's database (schema already built). Returns row counts.

    ``load_url``: the same database reached as a role that bypasses row-level security (on
    PostgreSQL, so the load may use COPY); the app's own connection otherwise."""
    from sqlalchemy import create_engine, select

    from core import twofactor
    from core.audit import acting_as
    from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo
    from core.extensions import db
    from core.models import User
    from core.passwords import hash_password

    today = today or date.today()
    with app.app_context():
        if demo and db.session.scalar(select(User.id).limit(1)) is None:
            started = time.perf_counter()
            with acting_as("bench"):
                load_demo()
                db.session.commit()
            log(f"  demo partnership loaded in {time.perf_counter() - started:.1f} s")
        # One hash and one encrypted key for every generated account (hashing each would take minutes).
        secrets = {
            "password_hash": hash_password(DEMO_PASSWORD),
            "totp_secret": twofactor.encrypt_secret(DEMO_TOTP_SECRET),
        }
        db.session.remove()
        tables = db.metadata.tables
        engine = create_engine(load_url) if load_url else db.engine
        try:
            with engine.begin() as conn:
                loader = Loader(conn, tables)
                log(f"  loading with {'COPY' if loader.copy else 'batched INSERTs'}")
                _Generator(loader, scale, random.Random(seed), today, log, secrets).run()
                loader.reset_sequences()
            from sqlalchemy import text

            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("ANALYZE"))
            else:
                with engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
        finally:
            if load_url:
                engine.dispose()
        return loader.counts


def _at(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59), tzinfo=UTC)


AREA_NAMES = [
    "County Lead",
    "Education",
    "Children's social care",
    "Adult social care",
    "MET Hub",
    "Health and CCG",
    "CPFT",
    "Youth Offending",
    "Cohesion",
    "Community safety",
]
SECTIONS = [
    "Partnership",
    "Training and awareness",
    "Leadership, governance and accountability",
    "Channel Panel",
    "Intelligence and communications",
    "Community engagement",
]
ORG_KINDS = ["local_authority", "police", "health", "prison_probation", "school", "childcare", "other"]
#: A realistic RAG spread: mostly green, a fifth amber, a few red, some complete or not started.
RAGS = ["green"] * 9 + ["amber"] * 4 + ["red"] * 2 + ["complete"] * 3 + ["not_started", None]
COLUMNS = [
    ["duty", "Duty"],
    ["actions", "Actions"],
    ["impact", "Impact"],
    ["leads", "Lead"],
    ["progress", "Progress"],
    ["evidence", "Evidence"],
    ["rag", "RAG"],
]
STANDING_ITEMS = [
    ("apologies", "Welcome, introductions and apologies"),
    ("minutes", "Minutes of the last meeting"),
    ("action_log", "Action log"),
    ("plan_exceptions", "Delivery plans: red and amber rows"),
    ("training", "WRAP training coverage"),
    ("channel", "Channel Panel figures"),
    ("ctlp", "Counter Terrorism Local Profile"),
    ("aob", "Any other business"),
]
SECTORS = ["education", "police", "local_authority", "health", "community", "family_friends", "prison_probation"]
CONCERNS = ["islamist", "extreme_right_wing", "mixed_unclear_unstable", "conflicted", "school_massacre", "other"]
AGES = ["under_15", "15_20", "21_30", "31_40", "41_50", "51_60", "61_plus"]


class _Generator:
    def __init__(self, loader: Loader, scale: Scale, rng: random.Random, today: date, log, secrets: dict):
        self.load = loader
        self.scale = scale
        self.rng = rng
        self.today = today
        self.log = log
        self.secrets = secrets
        self.start = today - timedelta(days=365 * scale.years)

    def step(self, label: str, fn) -> None:
        started = time.perf_counter()
        before = sum(self.load.counts.values())
        fn()
        rows = sum(self.load.counts.values()) - before
        self.log(f"  {label}: {rows:,} rows in {time.perf_counter() - started:.1f} s")

    def run(self) -> None:
        #: One dict per partnership: id, orgs, areas, users [(id, email)], courses [(id, months)],
        #: panel members [id], new (generated here, not found in the database).
        self.partnerships: list[dict] = []
        self.step("partnerships, organisations and areas", self.partnerships_)
        self.step("sign-ins, courses and Channel Panels", self.people_)
        self.step("plans, sections and rows", self.plans_)
        self.step("progress updates", self.updates_)
        self.step("board meetings, agendas, attendance and actions", self.board_)
        self.step("training people, completions and headcounts", self.training_)
        self.step("Channel meetings, cases and post-closure reviews", self.channel_)
        self.step("audit entries", self.audit_)

    # --- partnerships -------------------------------------------------------------------------
    def partnerships_(self) -> None:
        from sqlalchemy import select

        conn, t = self.load.conn, self.load.tables
        existing = conn.execute(select(t["partnerships"].c.id).order_by(t["partnerships"].c.id)).scalars().all()
        partnerships, organisations, areas = [], [], []
        for n in range(self.scale.partnerships):
            if n == 0 and existing:
                pid, new = existing[0], False
            else:
                pid, new = self.load.ids("partnerships", 1)[0], True
                partnerships.append({"id": pid, "name": PARTNERSHIP_NAME.format(pid=pid)})
            org_ids = list(self.load.ids("organisations", self.scale.organisations))
            for i, oid in enumerate(org_ids):
                organisations.append(
                    {
                        "id": oid,
                        "partnership_id": pid,
                        "name": f"Organisation {oid:05d}",
                        "short_name": f"O{oid}",
                        "kind": ORG_KINDS[i % len(ORG_KINDS)],
                    }
                )
            area_table = t["business_areas"]
            area_ids = (
                []
                if new
                else conn.scalars(
                    select(area_table.c.id).where(area_table.c.partnership_id == pid).order_by(area_table.c.id)
                ).all()
            )
            if not area_ids:
                area_ids = list(self.load.ids("business_areas", len(AREA_NAMES)))
                for i, aid in enumerate(area_ids):
                    areas.append(
                        {"id": aid, "partnership_id": pid, "name": AREA_NAMES[i], "organisation_id": org_ids[i % 3]}
                    )
            self.partnerships.append({"id": pid, "orgs": org_ids, "areas": list(area_ids), "new": new})
        self.load.write("partnerships", partnerships)
        self.load.write("organisations", organisations)
        self.load.write("business_areas", areas)

    # --- each partnership's people, courses and panel -------------------------------------------
    def people_(self) -> None:
        """A partnership found in the database (the demo) keeps its own; a generated one gets a
        sign-in per role (BENCH_ROLES), the demo partnership's courses and a Channel Panel."""
        from sqlalchemy import select

        conn, t = self.load.conn, self.load.tables
        courses_t, members_t = t["training_courses"], t["channel_panel_members"]
        template = [dict(r._mapping) for r in conn.execute(select(courses_t).order_by(courses_t.c.id))]
        if template:
            first = template[0]["partnership_id"]
            template = [c for c in template if c["partnership_id"] == first]
        else:
            template = [
                {"name": "Prevent awareness (WRAP)", "kind": "wrap", "validity_months": 36, "counts_for_coverage": True}
            ]
        users, roles, assignments, courses, members, panels = [], [], [], [], [], []
        bench_roles = BENCH_ROLES + ([REGION_ROLE] if "regional_grants" in t else [])
        for p in self.partnerships:
            pid = p["id"]
            if not p["new"]:
                users_t = t["users"]
                query = select(users_t.c.id, users_t.c.email).where(users_t.c.partnership_id == pid)
                p["users"] = [tuple(r) for r in conn.execute(query.order_by(users_t.c.id))]
                query = select(courses_t.c.id, courses_t.c.validity_months, courses_t.c.counts_for_coverage)
                found = [tuple(r) for r in conn.execute(query.where(courses_t.c.partnership_id == pid))]
                p["courses"] = [(c, m) for c, m, counts in found if counts] or [(c, m) for c, m, _ in found]
                query = select(members_t.c.id).where(members_t.c.partnership_id == pid).order_by(members_t.c.id)
                p["members"] = list(conn.scalars(query))
                if p["users"] and p["courses"] and p["members"]:
                    continue
                raise SystemExit(f"Partnership {pid} has no sign-ins, courses or Channel Panel to generate under.")
            user_ids = list(self.load.ids("users", len(bench_roles)))
            p["users"] = []
            for (key, role), uid in zip(bench_roles, user_ids, strict=True):
                email = bench_email(key, pid)
                p["users"].append((uid, email))
                users.append(
                    {
                        "id": uid,
                        "partnership_id": pid,
                        "email": email,
                        "full_name": f"{role.replace('_', ' ').capitalize()} {pid:03d}",
                        "job_title": role.replace("_", " ").capitalize(),
                        "organisation_id": p["orgs"][0],
                        "password_hash": self.secrets["password_hash"],
                        "totp_secret": self.secrets["totp_secret"],
                        "totp_enrolled_at": _at(self.start, self.rng),
                    }
                )
                role_id = self.load.ids("user_roles", 1)[0]
                roles.append({"id": role_id, "partnership_id": pid, "user_id": uid, "role": role})
            by_key = dict(zip((k for k, _ in bench_roles), user_ids, strict=True))
            assignments.append(
                {
                    "id": self.load.ids("spoc_assignments", 1)[0],
                    "partnership_id": pid,
                    "area_id": p["areas"][1],
                    "user_id": by_key["spoc"],
                    "capacity": "spoc",
                }
            )
            p["courses"] = []
            for course in template:
                cid = self.load.ids("training_courses", 1)[0]
                row = {k: v for k, v in course.items() if k not in ("id", "created_at", "updated_at")}
                courses.append({**row, "id": cid, "partnership_id": pid})
                if row["counts_for_coverage"]:
                    p["courses"].append((cid, row["validity_months"]))
            p["courses"] = p["courses"] or [(c["id"], c["validity_months"]) for c in courses[-len(template) :]]
            seats = [
                ("channel_lead", by_key["chair"]),
                ("police_coordinator", None),
                ("education", None),
                ("childrens_social_care", None),
                ("mental_health", by_key["panel"]),
                ("other", None),
            ]
            p["members"] = list(self.load.ids("channel_panel_members", len(seats)))
            for i, ((role, user_id), mid) in enumerate(zip(seats, p["members"], strict=True)):
                members.append(
                    {
                        "id": mid,
                        "partnership_id": pid,
                        "role": role,
                        "member_name": f"Panel member {pid:03d}-{i}",
                        "deputy_name": f"Panel deputy {pid:03d}-{i}",
                        "organisation_id": p["orgs"][i % len(p["orgs"])],
                        "user_id": user_id,
                        "joined_on": self.start,
                        "left_on": None,
                    }
                )
            panels.append(
                {
                    "id": self.load.ids("channel_panels", 1)[0],
                    "partnership_id": pid,
                    "name": f"Channel Panel {pid:03d}",
                    "chair_id": p["members"][0],
                    "deputy_chair_id": p["members"][1],
                    "terms_reviewed_on": self.today - timedelta(days=300),
                    "terms_review_due_on": self.today + timedelta(days=60),
                }
            )
        self.load.write("users", users)
        self.load.write("user_roles", roles)
        self.load.write("spoc_assignments", assignments)
        self.load.write("training_courses", courses)
        self.load.write("channel_panel_members", members)
        self.load.write("channel_panels", panels)

    # --- plans --------------------------------------------------------------------------------
    def plans_(self) -> None:
        rng, s = self.rng, self.scale
        plans, sections, rows = [], [], []
        #: (row id, RAG, partnership id) for the audit entries.
        self.row_ids: list[tuple[int, str | None, int]] = []
        for p in self.partnerships:
            pid = p["id"]
            for n in range(s.plans):
                plan_id = self.load.ids("plans", 1)[0]
                area = p["areas"][n % len(p["areas"])]
                plans.append(
                    {
                        "id": plan_id,
                        "partnership_id": pid,
                        "area_id": area,
                        "title": f"{AREA_NAMES[n % len(AREA_NAMES)]} Prevent Action Plan {plan_id:05d}",
                        "period": f"{self.today.year}-{self.today.year + 1}",
                        "status": "active" if n % 12 else "draft",
                        "template": "spoc",
                        "columns": COLUMNS,
                    }
                )
                section_ids = list(self.load.ids("plan_sections", len(SECTIONS)))
                for i, sid in enumerate(section_ids):
                    sections.append(
                        {
                            "id": sid,
                            "partnership_id": pid,
                            "plan_id": plan_id,
                            "number": str(i + 1),
                            "title": SECTIONS[i],
                            "position": i + 1,
                        }
                    )
                for r, row_id in enumerate(self.load.ids("plan_rows", s.rows)):
                    rag = rng.choice(RAGS)
                    self.row_ids.append((row_id, rag, pid))
                    rows.append(
                        {
                            "id": row_id,
                            "partnership_id": pid,
                            "plan_id": plan_id,
                            "section_id": section_ids[r % len(section_ids)],
                            "position": r + 1,
                            "reference": f"{r % len(section_ids) + 1}.{r // len(section_ids) + 1}",
                            "duty": f"Duty {r + 1}: have due regard to the need to prevent people being drawn in",
                            "actions": ["Deliver WRAP sessions to frontline staff", "Review the referral pathway"],
                            "impact": ["Staff recognise and refer concerns"],
                            "leads": [f"Lead {r % 7}"],
                            "responsible_agency": [],
                            "timescale": "Quarterly",
                            "due_date": self.today + timedelta(days=rng.randint(-120, 400)),
                            "evidence": ["Attendance register"] if rng.random() < 0.5 else [],
                            "next_steps": [],
                            "rag": rag,
                            "version": 1,
                        }
                    )
        self.load.write("plans", plans)
        self.load.write("plan_sections", sections)
        # last_progress_at is set from the updates below, so write the rows after them.
        self.pending_rows = rows

    def updates_(self) -> None:
        rng, s = self.rng, self.scale
        span = (self.today - self.start).days
        authors = {p["id"]: p["users"] for p in self.partnerships}
        next_id = self.load.next_id["progress_updates"]
        # In chunks of rows, so a national load never holds millions of updates in memory:
        # each chunk's rows first (progress refers to them), with their latest update time.
        chunk = 4_000
        for start in range(0, len(self.pending_rows), chunk):
            rows = self.pending_rows[start : start + chunk]
            updates = []
            for row in rows:
                days = sorted(rng.sample(range(span), s.updates)) if s.updates <= span else []
                row["last_progress_at"] = None
                own = authors[row["partnership_id"]]
                for i, d in enumerate(days):
                    at = _at(self.start + timedelta(days=d), rng)
                    final = i == len(days) - 1
                    this_rag = row["rag"] if final else rng.choice(RAGS)
                    author = own[(row["id"] + i) % len(own)]
                    if final:
                        row["last_progress_at"] = at
                    updates.append(
                        {
                            "id": next_id,
                            "partnership_id": row["partnership_id"],
                            "row_id": row["id"],
                            "at": at,
                            "author_id": author[0],
                            "author_label": author[1],
                            "items": [f"Update {i + 1}: sessions delivered and the register checked"],
                            "rag": this_rag,
                            "reason": "Behind the planned date" if this_rag in ("red", "amber") else "",
                            "source": "update",
                        }
                    )
                    next_id += 1
            self.load.write("plan_rows", rows)
            self.load.write("progress_updates", updates)
        self.load.next_id["progress_updates"] = next_id
        self.pending_rows = []

    # --- board --------------------------------------------------------------------------------
    def board_(self) -> None:
        from sqlalchemy import select

        from core.dates import Quarter

        conn, t, rng = self.load.conn, self.load.tables, self.rng
        members, meetings, items, attendance, actions, decisions = [], [], [], [], [], []
        taken = {
            (r.partnership_id, r.held_on)
            for r in conn.execute(select(t["board_meetings"].c.partnership_id, t["board_meetings"].c.held_on))
        }
        numbers: dict[int, int] = {}
        max_number = conn.scalar(select(t["board_actions"].c.number).order_by(t["board_actions"].c.number.desc()))
        for p in self.partnerships:
            member_ids = list(self.load.ids("board_members", 12))
            for i, mid in enumerate(member_ids):
                members.append(
                    {
                        "id": mid,
                        "partnership_id": p["id"],
                        "organisation_id": p["orgs"][i % len(p["orgs"])],
                        "representative": f"Representative {p['id']}-{i}",
                        "deputy": f"Deputy {p['id']}-{i}",
                        "role": "chair" if i == 0 else "member",
                        "joined_on": self.start,
                    }
                )
            numbers[p["id"]] = max_number or 0
            quarter = Quarter.from_date(self.start)
            while quarter.start <= self.today + timedelta(days=200):
                held_on = quarter.start + timedelta(days=20)
                quarter = quarter.next()
                if (p["id"], held_on) in taken:
                    continue
                meeting_id = self.load.ids("board_meetings", 1)[0]
                past = held_on < self.today
                meetings.append(
                    {
                        "id": meeting_id,
                        "partnership_id": p["id"],
                        "title": f"Prevent partnership board, {held_on:%B %Y}",
                        "held_on": held_on,
                        "place": "Council chamber",
                        "status": "held" if past else "scheduled",
                        "marking": "OFFICIAL-SENSITIVE",
                    }
                )
                item_ids = list(self.load.ids("agenda_items", len(STANDING_ITEMS)))
                for pos, (iid, (kind, title)) in enumerate(zip(item_ids, STANDING_ITEMS, strict=True)):
                    items.append(
                        {
                            "id": iid,
                            "partnership_id": p["id"],
                            "meeting_id": meeting_id,
                            "position": pos + 1,
                            "kind": kind,
                            "title": title,
                            "minutes": "Noted by the board." if past else "",
                        }
                    )
                if past:
                    for mid in member_ids:
                        attendance.append(
                            {
                                "partnership_id": p["id"],
                                "meeting_id": meeting_id,
                                "member_id": mid,
                                "status": rng.choice(["present"] * 6 + ["apologies", "deputy"]),
                            }
                        )
                    decisions.append(
                        {
                            "partnership_id": p["id"],
                            "meeting_id": meeting_id,
                            "agenda_item_id": item_ids[3],
                            "text": "Plans noted.",
                        }
                    )
                    for _ in range(3):
                        numbers[p["id"]] += 1
                        due = held_on + timedelta(days=rng.randint(30, 120))
                        done = due < self.today - timedelta(days=90)
                        actions.append(
                            {
                                "partnership_id": p["id"],
                                "meeting_id": meeting_id,
                                "agenda_item_id": item_ids[2],
                                "number": numbers[p["id"]],
                                "description": "Report back on training coverage in schools",
                                "owner": f"Representative {p['id']}-{rng.randint(0, 11)}",
                                "due_on": due,
                                "status": "done" if done else "open",
                                "closed_on": due if done else None,
                            }
                        )
        self.load.write("board_members", members)
        self.load.write("board_meetings", meetings)
        self.load.write("agenda_items", items)
        self.load.write("board_attendance", attendance)
        self.load.write("board_decisions", decisions)
        self.load.write("board_actions", actions)

    # --- training -----------------------------------------------------------------------------
    def training_(self) -> None:
        rng, s = self.rng, self.scale
        org_pid = {o: p["id"] for p in self.partnerships for o in p["orgs"]}
        courses = {p["id"]: p["courses"] for p in self.partnerships}
        orgs = list(org_pid)
        n_people = max(1, int(s.completions * 0.6))
        person_ids = list(self.load.ids("training_people", n_people))
        person_pid = {}

        def people() -> Iterator[dict]:
            for i, person in enumerate(person_ids):
                org = orgs[i % len(orgs)]
                person_pid[person] = org_pid[org]
                yield {
                    "id": person,
                    "partnership_id": org_pid[org],
                    "name": f"Person {person:07d}",
                    "email": f"person{person}@bench.example",
                    "staff_number": None,
                    "organisation_id": org,
                    "role": "Frontline",
                }

        self.load.write("training_people", people())
        span = (self.today - self.start).days
        seen: set[tuple[int, int, date]] = set()

        def completions() -> Iterator[dict]:
            made = 0
            while made < s.completions:
                person = person_ids[made % n_people] if made < n_people else rng.choice(person_ids)
                pid = person_pid[person]
                course, months = rng.choice(courses[pid])
                done = self.start + timedelta(days=rng.randint(0, span))
                if (person, course, done) in seen:
                    continue
                seen.add((person, course, done))
                made += 1
                yield {
                    "partnership_id": pid,
                    "person_id": person,
                    "course_id": course,
                    "completed_on": done,
                    "expires_on": done + timedelta(days=months * 30 + 5),
                    "delivery": "facilitated" if made % 3 else "elearning",
                }

        self.load.write("training_completions", completions())
        per_org = s.completions * 0.6 / len(orgs)
        self.load.write(
            "training_headcounts",
            (
                {
                    "partnership_id": org_pid[o],
                    "organisation_id": o,
                    "team": "",
                    "as_of": self.start,
                    "relevant_headcount": max(1, round(per_org * rng.uniform(0.9, 1.4))),
                    "source": "HR establishment report",
                }
                for o in orgs
            ),
        )

    # --- Channel ------------------------------------------------------------------------------
    def channel_(self) -> None:
        """Each partnership's own panel meets monthly; the cases are spread over the partnerships."""
        from sqlalchemy import select

        conn, t, rng, s = self.load.conn, self.load.tables, self.rng, self.scale
        meetings_t = t["channel_panel_meetings"]
        taken = {tuple(r) for r in conn.execute(select(meetings_t.c.partnership_id, meetings_t.c.held_on))}
        meetings, attendance = [], []
        for p in self.partnerships:
            month = date(self.start.year, self.start.month, 1)
            while month <= self.today + timedelta(days=60):
                held_on = month + timedelta(days=9)
                month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
                if (p["id"], held_on) in taken:
                    continue
                mid = self.load.ids("channel_panel_meetings", 1)[0]
                meetings.append({"id": mid, "partnership_id": p["id"], "held_on": held_on, "place": "Room 2"})
                past = held_on < self.today
                for member in p["members"]:
                    attendance.append(
                        {
                            "partnership_id": p["id"],
                            "meeting_id": mid,
                            "member_id": member,
                            "status": rng.choice(["present"] * 5 + ["deputy", "apologies"]) if past else None,
                            "checked_case_logs": past,
                        }
                    )
        self.load.write("channel_panel_meetings", meetings)
        self.load.write("channel_panel_attendance", attendance)

        span = (self.today - self.start).days - 10
        cases, reviews = [], []
        for n, cid in enumerate(self.load.ids("channel_cases", s.cases)):
            p = self.partnerships[n % len(self.partnerships)]
            reported = self.start + timedelta(days=rng.randint(0, span))
            referred = reported + timedelta(days=rng.randint(0, 10))
            case = {
                "id": cid,
                "partnership_id": p["id"],
                "reference": f"CB-{referred.year}-{cid:06d}",
                "concern_reported_on": reported,
                "referral_date": referred,
                "referring_sector": rng.choice(SECTORS),
                "concern_type": rng.choice(CONCERNS),
                "age_band": rng.choice(AGES),
                "gender": rng.choice(["male", "male", "female", "other"]),
                "business_area_id": rng.choice(p["areas"]),
                "life_stage": "child" if n % 3 else "adult",
                "organisation_id": rng.choice(p["orgs"]),
                "consent": "given",
                "consent_on": referred,
                "stage": "referral",
                "closure_note": "",
            }
            age = (self.today - referred).days
            steps = [("screening", "screened_on", 7), ("discussed", "discussed_on", 21)]
            for stage, column, after in steps:
                if age > after:
                    case["stage"], case[column] = stage, referred + timedelta(days=after)
            if age > 30:
                if n % 4 == 0:
                    case.update(
                        stage="not_adopted",
                        not_adopted_on=referred + timedelta(days=30),
                        not_adopted_outcome="childrens_social_care",
                    )
                else:
                    case.update(stage="adopted", adopted_on=referred + timedelta(days=30))
                    if age > 45:
                        case.update(stage="support_plan", support_plan_on=referred + timedelta(days=45))
                    if age > 200:
                        closed = referred + timedelta(days=200)
                        case.update(stage="closed", closed_on=closed, closure_reason="support_completed")
                        for months in (6, 12):
                            due = closed + timedelta(days=months * 30)
                            held = due if due < self.today - timedelta(days=14) else None
                            reviews.append(
                                {
                                    "partnership_id": p["id"],
                                    "case_id": cid,
                                    "months": months,
                                    "due_on": due,
                                    "held_on": held,
                                    "outcome": "no_further_concerns" if held else None,
                                }
                            )
            cases.append(case)
        for column in ("screened_on", "discussed_on", "adopted_on", "not_adopted_on", "support_plan_on", "closed_on"):
            for case in cases:
                case.setdefault(column, None)
        for case in cases:
            case.setdefault("not_adopted_outcome", None)
            case.setdefault("closure_reason", None)
        self.load.write("channel_cases", cases)
        self.load.write("channel_post_closure_reviews", reviews)
        held = {(r["case_id"], r["months"]): r for r in reviews}
        copied = [
            "partnership_id", "concern_reported_on", "referral_date", "life_stage", "organisation_id",
            "referring_sector", "concern_type", "age_band", "gender", "stage", "screened_on", "discussed_on",
            "adopted_on", "not_adopted_on", "support_plan_on", "closed_on", "not_adopted_outcome", "closure_reason",
        ]  # fmt: skip
        log = []
        for case in cases:
            entry = {name: case[name] for name in copied}
            entry.update(case_id=case["id"], individual_type="not_applicable", material_deleted_on=None)
            for months in (6, 12):
                review = held.get((case["id"], months))
                entry[f"review_{months}_held_on"] = review["held_on"] if review else None
                entry[f"review_{months}_outcome"] = review["outcome"] if review else None
            log.append(entry)
        self.load.write("channel_anonymised_log", log)

    # --- audit --------------------------------------------------------------------------------
    def audit_(self) -> None:
        rng, s = self.rng, self.scale
        span = (self.today - self.start).days
        entities = ["plan_rows", "progress_updates", "plans", "training_completions", "board_actions"]
        users = {p["id"]: p["users"] for p in self.partnerships}

        def entries() -> Iterator[dict]:
            for row_id, rag, pid in self.row_ids:
                own = users[pid]
                for i in range(s.audit_per_row):
                    user_id, email = own[(row_id + i) % len(own)]
                    entity = entities[i % len(entities)]
                    yield {
                        "partnership_id": pid,
                        "at": _at(self.start + timedelta(days=rng.randint(0, span)), rng),
                        "actor_id": user_id,
                        "actor_label": email,
                        "action": "update" if i else "insert",
                        "entity": entity,
                        "entity_id": row_id,
                        "label": f"Row {row_id}",
                        "changes": {"rag": ["green", rag]} if i else {"duty": [None, "Duty"]},
                        "ip": "127.0.0.1",
                    }

        self.load.write("audit_entries", entries())


def small_scale(factor: int = 1) -> Scale:
    """A tiny scale for tests: ``factor`` multiplies every count."""
    return Scale(
        partnerships=factor,
        plans=3,
        rows=5,
        updates=2,
        organisations=4,
        completions=40 * factor,
        cases=6 * factor,
        years=1,
        audit_per_row=2,
    )


#: The bench's own key: the app servers it starts must read the two-factor keys the load encrypted.
BENCH_SECRET_KEY = "bench-" + "x" * 32  # noqa: S105  # nosec B105


def build_app(url: str):
    import tempfile

    from core.app import create_app

    return create_app(
        "production",
        SECRET_KEY=BENCH_SECRET_KEY,
        SQLALCHEMY_DATABASE_URI=url,
        UPLOAD_FOLDER=tempfile.mkdtemp(prefix="bench-uploads-"),
    )


def prepare_database(url: str, *, reset: bool) -> None:
    """Start from an empty database: remove the SQLite file, or drop PostgreSQL's public schema."""
    from sqlalchemy import create_engine, inspect, text

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if inspect(conn).get_table_names():
                if not reset:
                    raise SystemExit("The database already has tables: give an empty database, or --reset.")
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def disk_path(url: str) -> Path:
    """Where the data will land, as far as this machine can tell (a local PostgreSQL's data directory)."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).parent
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return Path(conn.scalar(text("SHOW data_directory")))
    except Exception:  # noqa: BLE001 - not a superuser, or a remote server: check here instead
        return Path.cwd()
    finally:
        engine.dispose()


def load(
    url: str,
    size: str,
    *,
    seed: int,
    reset: bool = True,
    log=print,
    scale: Scale | None = None,
    load_url: str | None = None,
) -> dict:
    """Build the schema (as the app's role, which owns it) and load one size (through
    ``load_url`` when given: a role that bypasses row-level security); returns counts and seconds."""
    from flask_migrate import upgrade

    scale = scale or SIZES[size]
    check_disk(scale, disk_path(load_url or url), size_name=size)
    prepare_database(url, reset=reset)
    started = time.perf_counter()
    app = build_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
    counts = generate(app, scale, seed=seed, log=log, load_url=load_url)
    seconds = time.perf_counter() - started
    from core.extensions import db

    with app.app_context():
        db.engine.dispose()
    return {"counts": counts, "seconds": seconds, "rows": sum(counts.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="county")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--load-url",
        default="",
        help="the same PostgreSQL database as a role that bypasses row-level security (a superuser), to load with COPY",
    )
    parser.add_argument("--reset", action="store_true", help="drop the tables of a PostgreSQL database first")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{ROOT / 'bench' / 'data' / f'{args.size}.db'}"
    print(f"Loading the {args.size} size (seed {args.seed}) into {url.split('@')[-1]}")
    result = load(url, args.size, seed=args.seed, reset=args.reset, load_url=args.load_url or None)
    print(f"Loaded {result['rows']:,} rows in {result['seconds']:.1f} s")


if __name__ == "__main__":
    main()


__all__ = ["SIZES", "Scale", "generate", "load", "replace", "small_scale"]
