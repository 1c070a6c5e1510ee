"""The pages users hit most issue the same number of SQL statements whatever the data size."""

import html
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from core import clock, tenancy
from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from core.extensions import db
from core.vocab import Role
from plans.models import Plan, ProgressUpdate
from tests.conftest import sign_in
from training.models import Completion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import generate  # noqa: E402
import run  # noqa: E402


def _statements(app, client, url: str) -> int:
    count = 0

    def on_execute(*args, **kwargs):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    client.get(url)  # the first request may warm per-process caches
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return count


def _measure(app, pid: int) -> dict[str, int]:
    """Statements per page of partnership ``pid``, each page opened by its role's account."""
    pages = run.page_urls(app, clock.today(), pid, _name(app, pid))
    clients = {}
    for key, email in run.sign_ins(app, pid).items():
        clients[key] = app.test_client()
        assert sign_in(clients[key], email, DEMO_PASSWORD, secret=DEMO_TOTP_SECRET).status_code == 302
    return {label: _statements(app, clients[key], url) for label, (url, key, _) in pages.items()}


def _name(app, pid: int) -> str:
    from partnership.models import Partnership

    with app.app_context(), tenancy.scoped(pid):
        return db.session.get(Partnership, pid).name


def test_statement_count_per_page_does_not_grow_with_the_data(app):
    today = clock.today()
    generate.generate(app, generate.small_scale(1), seed=1, today=today, log=lambda m: None)
    with app.app_context():
        small = (db.session.scalar(select(func.count()).select_from(Plan)), _count(ProgressUpdate), _count(Completion))
    at_small = _measure(app, 1)

    # Three times as much again: more partnerships, plans, progress, training, cases and audit.
    generate.generate(app, generate.small_scale(3), seed=2, today=today, log=lambda m: None)
    with app.app_context():
        large = (db.session.scalar(select(func.count()).select_from(Plan)), _count(ProgressUpdate), _count(Completion))
    assert all(b > a for a, b in zip(small, large, strict=True)), (small, large)
    at_large = _measure(app, 1)

    assert set(at_small) == {
        "Prevent Lead overview",
        "plan page",
        "board agenda",
        "training coverage",
        "Channel agenda",
        "audit trail search",
        "organisations",
        "Prevent Lead home",
        "SPOC home",
        "board member home",
        "Channel Panel chair home",
        "Channel Panel member home",
        "training coordinator home",
        "auditor home",
    }
    assert at_large == at_small
    # A generated partnership's pages cost the same statements as the demo's busy ones.
    at_generated = _measure(app, 3)
    assert at_generated["Prevent Lead overview"] == at_small["Prevent Lead overview"]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_audit_trail_counts_matches_only_up_to_its_limit(app, client, world, login_as, monkeypatch):
    from core import audit_views
    from core.audit import AuditEntry

    with app.app_context():
        entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert entries > 3  # the world's records were audited
    login_as(Role.AUDITOR)

    monkeypatch.setattr(audit_views, "AUDIT_COUNT_LIMIT", 3)
    html = client.get("/audit?page=1").get_data(as_text=True)
    assert "More than 3 entries" in html
    assert "Showing 1 to 3 of more than 3" in html

    monkeypatch.setattr(audit_views, "AUDIT_COUNT_LIMIT", entries)
    html = client.get("/audit").get_data(as_text=True)
    assert f"{entries} entries" in html and "More than" not in html


def test_a_board_pack_covers_its_own_partnership_only(app):
    from io import BytesIO

    from pypdf import PdfReader

    from board import pack
    from board.services import next_meeting
    from partnership.models import BusinessArea, Organisation

    today = clock.today()
    generate.generate(app, generate.small_scale(2), seed=3, today=today, log=lambda m: None)
    with app.app_context():
        others = select(BusinessArea.id).where(BusinessArea.partnership_id == 2)
        other_plans = db.session.scalars(select(Plan.title).where(Plan.area_id.in_(others))).all()
        other_orgs = db.session.scalars(select(Organisation.name).where(Organisation.partnership_id == 2)).all()
        own_plans = db.session.scalars(
            select(Plan.title).where(Plan.area_id.in_(select(BusinessArea.id).where(BusinessArea.partnership_id == 1)))
        ).all()
    with app.app_context(), tenancy.scoped(1):
        data = pack.render(next_meeting(1, today), part="pack", today=today)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages)
    assert other_plans and other_orgs and own_plans
    assert any(title in text for title in own_plans)
    assert not [title for title in other_plans if title in text]
    assert not [name for name in other_orgs if name in text]


def test_every_generated_row_belongs_to_the_partnership_of_the_rows_it_points_to(app):
    from sqlalchemy import text

    from core.db import Base

    generate.generate(app, generate.small_scale(3), seed=4, today=clock.today(), log=lambda m: None)
    scoped = {
        mapper.class_.__tablename__
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, tenancy.Scoped | tenancy.ScopedOptional)
    }
    with app.app_context(), db.engine.begin() as conn:
        tenancy.every_partnership_connection(conn)
        for table in ["users", "user_roles", "spoc_assignments", "training_courses", "channel_panels", "plans"]:
            owners = set(conn.scalars(text(f"SELECT DISTINCT partnership_id FROM {table}")))
            assert owners == {1, 2, 3}, (table, owners)
        for table in ["plan_rows", "progress_updates", "training_completions", "channel_cases", "audit_entries"]:
            owners = set(conn.scalars(text(f"SELECT DISTINCT partnership_id FROM {table}")))
            assert owners == {1, 2, 3}, (table, owners)
        checked, foreign = {}, {}
        for table in db.metadata.sorted_tables:
            if table.name not in scoped:
                continue
            for fk in table.foreign_keys:
                parent = fk.column.table
                if parent.name not in scoped or fk.parent.name == "partnership_id":
                    continue
                join = (
                    f"FROM {table.name} c JOIN {parent.name} p ON c.{fk.parent.name} = p.{fk.column.name} "
                    "WHERE c.partnership_id IS NOT NULL"
                )
                key = f"{table.name}.{fk.parent.name}"
                checked[key] = conn.scalar(text(f"SELECT count(*) {join}"))
                foreign[key] = conn.scalar(text(f"SELECT count(*) {join} AND c.partnership_id <> p.partnership_id"))
    assert {key: n for key, n in foreign.items() if n} == {}
    # The links the generator writes were all there to check (rows in partnerships 2 and 3 too).
    for key in [
        "plan_rows.plan_id",
        "progress_updates.author_id",
        "training_completions.course_id",
        "training_completions.person_id",
        "channel_cases.business_area_id",
        "channel_panel_attendance.member_id",
        "channel_panels.chair_id",
        "spoc_assignments.area_id",
        "board_actions.meeting_id",
        "audit_entries.actor_id",
    ]:
        assert checked.get(key, 0) > 0, key


def test_a_generated_partnership_signs_in_and_sees_its_own_records_only(app):
    from partnership.models import Partnership

    generate.generate(app, generate.small_scale(3), seed=5, today=clock.today(), log=lambda m: None)
    with app.app_context():
        own = db.session.scalars(select(Plan.title).where(Plan.partnership_id == 2)).all()
        others = db.session.scalars(select(Plan.title).where(Plan.partnership_id != 2)).all()
        name = db.session.get(Partnership, 2).name
    assert len(own) == 3 and others  # small_scale: three plans in each partnership
    assert name == "Synthetic Prevent Partnership 002"

    client = app.test_client()
    assert sign_in(client, "lead.p002@bench.example", DEMO_PASSWORD, secret=DEMO_TOTP_SECRET).status_code == 302
    overview = html.unescape(client.get("/plans").get_data(as_text=True))
    assert [title for title in own if title in overview] == own
    assert not [title for title in others if title in overview]
    assert name in client.get("/partnership/organisations").get_data(as_text=True)

    spoc = app.test_client()
    assert sign_in(spoc, "spoc.p002@bench.example", DEMO_PASSWORD, secret=DEMO_TOTP_SECRET).status_code == 302
    assert spoc.get("/").status_code == 200


def test_the_loader_refuses_a_row_of_a_partnership_owned_table_without_its_partnership(app):
    with app.app_context(), db.engine.begin() as conn:
        loader = generate.Loader(conn, db.metadata.tables)
        with pytest.raises(ValueError, match="organisations: a generated row has no partnership_id"):
            loader.write("organisations", [{"name": "Nowhere council", "short_name": "NC", "kind": "other"}])
        assert loader.counts == {}
