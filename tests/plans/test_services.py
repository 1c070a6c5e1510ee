"""Plan rules: progress history, RAG reasons, flags, suggested RAG, roll-ups, optimistic locking."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.vocab import Rag
from plans import services
from plans.models import PlanRow, ProgressUpdate
from tests.factories import BusinessAreaFactory, UserFactory

TODAY = date(2026, 11, 21)


@pytest.fixture
def plan(ctx):
    area = BusinessAreaFactory(name="Education")
    return services.create_plan(area_id=area.id, title="Education plan", period="2026-2027")


def test_progress_is_history_not_an_overwritten_cell(plan):
    author = UserFactory()
    row = services.add_row(plan, values={"duty": "Train staff", "actions": ["Run WRAP", "  ", "Audit"]})
    assert row.actions == ["Run WRAP", "Audit"]
    services.record_progress(row, items=["First sessions booked"], rag="green", actor=author)
    services.record_progress(row, items=["Trainer off sick"], rag="amber", reason="Sessions postponed", actor=author)
    updates = db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.row_id == row.id)).all()
    assert [u.items for u in updates] == [["First sessions booked"], ["Trainer off sick"]]
    assert [u.rag for u in updates] == ["green", "amber"]
    assert updates[1].reason == "Sessions postponed"
    assert row.rag == "amber"
    assert row.last_progress_at == updates[1].at


@pytest.mark.parametrize("rag", ["red", "amber"])
def test_moving_to_red_or_amber_needs_a_reason(plan, rag):
    row = services.add_row(plan, values={"duty": "Train staff"})
    with pytest.raises(services.ReasonRequired):
        services.record_progress(row, items=["Slipping"], rag=rag, actor=None, actor_label="test")
    assert db.session.scalars(select(ProgressUpdate)).all() == []
    # Staying at the same status needs no new reason.
    services.record_progress(row, items=["Slipping"], rag=rag, reason="Staff shortage", actor=None, actor_label="t")
    services.record_progress(row, items=["Still slipping"], rag=rag, actor=None, actor_label="t")
    assert row.rag == rag


def test_unknown_rag_is_refused(plan):
    row = services.add_row(plan, values={"duty": "Train staff"})
    with pytest.raises(ValueError):
        services.record_progress(row, items=["x"], rag="purple", actor=None, actor_label="t")


def make_row(plan, *, due=None, rag=None, updated=None, evidence=None):
    row = services.add_row(plan, values={"duty": "A duty", "due_date": due, "evidence": evidence or []})
    row.rag = rag
    row.last_progress_at = updated
    db.session.flush()
    return row


def test_suggested_rag(plan):
    fresh = datetime(2026, 11, 1, tzinfo=UTC)
    overdue = make_row(plan, due=TODAY - timedelta(days=3), rag="green", updated=fresh)
    assert services.suggested_rag(overdue, TODAY, has_evidence=True) is Rag.RED
    due_soon = make_row(plan, due=TODAY + timedelta(days=10), rag="green", updated=fresh)
    assert services.suggested_rag(due_soon, TODAY, has_evidence=False) is Rag.AMBER
    assert services.suggested_rag(due_soon, TODAY, has_evidence=True) is None
    stale = make_row(plan, rag="green", updated=datetime(2026, 8, 1, tzinfo=UTC))
    assert services.suggested_rag(stale, TODAY, has_evidence=True) is Rag.AMBER
    done = make_row(plan, due=TODAY - timedelta(days=3), rag="complete")
    assert services.suggested_rag(done, TODAY, has_evidence=False) is None


def test_amber_is_suggested_for_a_row_due_within_30_days_without_evidence(plan):
    updated = datetime(2026, 11, 1, tzinfo=UTC)  # this quarter, so not stale
    in_30_days = make_row(plan, due=date(2026, 12, 21), rag="green", updated=updated)  # TODAY is 21 November
    in_31_days = make_row(plan, due=date(2026, 12, 22), rag="green", updated=updated)
    assert services.suggested_rag(in_30_days, TODAY, has_evidence=False) is Rag.AMBER
    assert services.suggested_rag(in_31_days, TODAY, has_evidence=False) is None


def test_plan_view_groups_rows_and_shows_disagreement(plan):
    services.add_row(
        plan, section_title="Training", values={"duty": "Train staff", "due_date": TODAY - timedelta(days=1)}
    )
    services.add_row(plan, section_title="Referrals", values={"duty": "Refer"})
    services.add_row(plan, section_title="Training", values={"duty": "Audit training"})
    sections = services.plan_view(plan, today=TODAY, since=date(2026, 10, 1))
    assert [s.section.title for s in sections] == ["Training", "Referrals"]
    assert [r.row.duty for r in sections[0].rows] == ["Train staff", "Audit training"]
    first = sections[0].rows[0]
    assert first.overdue and first.suggested is Rag.RED and first.disagrees


def test_visible_columns_hide_empty_ones(plan):
    services.add_row(plan, values={"duty": "Train staff", "actions": ["Run WRAP"]})
    sections = services.plan_view(plan, today=TODAY, since=TODAY)
    shown, hidden = services.visible_columns(plan, sections)
    assert [f for f, _ in shown] == ["duty", "actions", "progress", "rag"]
    assert hidden == ["Impact", "Lead", "Evidence", "Due date"]


def test_plan_summaries_count_in_sql(plan):
    other = services.create_plan(area_id=None, title="County delivery plan", template="county")
    make_row(plan, rag="red", due=TODAY - timedelta(days=1), updated=datetime(2026, 11, 2, tzinfo=UTC))
    make_row(plan, rag="green", updated=datetime(2026, 7, 2, tzinfo=UTC))
    make_row(plan, rag="complete", due=TODAY - timedelta(days=30))
    make_row(other, rag=None).created_at = datetime(2026, 9, 1, tzinfo=UTC)  # added last quarter, never updated
    make_row(other, rag=None)  # added today: not stale on the day it was added
    db.session.flush()
    summaries = {s.plan.title: s for s in services.plan_summaries(today=TODAY)}
    education = summaries["Education plan"]
    assert education.counts == {"red": 1, "green": 1, "complete": 1}
    assert (education.rows, education.overdue, education.stale) == (3, 1, 1)
    assert education.last_update == datetime(2026, 11, 2, tzinfo=UTC)
    county = summaries["County delivery plan"]
    assert (county.counts, county.stale) == ({"unset": 2}, 1)
    totals = services.rag_by_area(list(summaries.values()))
    assert totals == {"County plan": {"unset": 2}, "Education": {"red": 1, "green": 1, "complete": 1}}


def test_update_row_refuses_a_stale_version(plan):
    row = services.add_row(plan, values={"duty": "Train staff"})
    version = row.version
    services.update_row(row, expected_version=version, section_title="", values={"duty": "Train all staff"})
    with pytest.raises(services.EditConflict):
        services.update_row(row, expected_version=version, section_title="", values={"duty": "Mine"})
    assert row.duty == "Train all staff"


def test_row_changes_are_audited_with_before_and_after(plan):
    row = services.add_row(plan, values={"duty": "Train staff", "actions": ["Run WRAP"]})
    db.session.commit()
    services.update_row(row, expected_version=row.version, section_title="", values={"actions": ["Run WRAP", "Audit"]})
    db.session.commit()
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "plan_rows", AuditEntry.action == "update")
    ).one()
    assert entry.changes["actions"] == [["Run WRAP"], ["Run WRAP", "Audit"]]
    assert db.session.get(PlanRow, row.id).version == 2
