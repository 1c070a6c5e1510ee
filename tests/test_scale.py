"""The pages users hit most issue the same number of SQL statements whatever the data size."""

import sys
from pathlib import Path

from sqlalchemy import event, func, select

from core import clock
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


def _measure(app, urls: dict[str, str]) -> dict[str, int]:
    lead, chair = app.test_client(), app.test_client()
    for client, email in ((lead, run.LEAD_EMAIL), (chair, run.CHAIR_EMAIL)):
        assert sign_in(client, email, DEMO_PASSWORD, secret=DEMO_TOTP_SECRET).status_code == 302
    return {name: _statements(app, chair if url.startswith("/channel") else lead, url) for name, url in urls.items()}


def test_statement_count_per_page_does_not_grow_with_the_data(app):
    today = clock.today()
    generate.generate(app, generate.small_scale(1), seed=1, today=today, log=lambda m: None)
    urls = run.page_urls(app, today)
    with app.app_context():
        small = (db.session.scalar(select(func.count()).select_from(Plan)), _count(ProgressUpdate), _count(Completion))
    at_small = _measure(app, urls)

    # Three times as much again: more partnerships, plans, progress, training, cases and audit.
    generate.generate(app, generate.small_scale(3), seed=2, today=today, log=lambda m: None)
    with app.app_context():
        large = (db.session.scalar(select(func.count()).select_from(Plan)), _count(ProgressUpdate), _count(Completion))
    assert all(b > a for a, b in zip(small, large, strict=True)), (small, large)
    at_large = _measure(app, urls)

    assert set(at_small) == {
        "Prevent Lead home",
        "Prevent Lead overview",
        "plan page",
        "board agenda",
        "training coverage",
        "Channel agenda",
        "audit trail search",
    }
    assert at_large == at_small


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
        data = pack.render(next_meeting(1, today), part="pack", today=today)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages)
    assert other_plans and other_orgs and own_plans
    assert any(title in text for title in own_plans)
    assert not [title for title in other_plans if title in text]
    assert not [name for name in other_orgs if name in text]
