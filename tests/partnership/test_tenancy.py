"""The kernel's scoping (core/tenancy.py) on its own: what a query served as one partnership
reads and writes, with two partnerships holding records of the same names."""

from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import StatementError

from channel_panel.models import ChannelCase
from core import tenancy
from core.audit import AuditEntry
from core.extensions import db
from partnership.models import BusinessArea, Partnership
from plans.models import Plan, PlanRow
from plans.services import add_row, create_plan
from tests.channel_panel.factories import new_case
from tests.factories import BusinessAreaFactory, PartnershipFactory
from training.models import Course
from training.services import create_course


@pytest.fixture
def two(ctx):
    """Fenmarsh (1) and Wellsbridge (2), each with an area "Education" and its plan of one row,
    a course "WRAP" and a Channel case CP-2026-001."""
    ids = {}
    for name in ("Fenmarsh", "Wellsbridge"):
        partnership = PartnershipFactory(name=f"{name} Prevent Partnership")
        db.session.flush()
        with tenancy.scoped(partnership.id):
            area = BusinessAreaFactory(partnership=partnership, name="Education")
            db.session.flush()
            plan = create_plan(area_id=area.id, title=f"{name} education plan", period="2026-2027")
            add_row(plan, values={"duty": f"{name} duty"})
            create_course(name="WRAP", kind="wrap", validity_months=36)
            new_case(reference="CP-2026-001", referral_date=date(2026, 1, 8))
            db.session.flush()
        ids[name] = (partnership.id, area.id, plan.id)
    db.session.commit()
    return ids


def test_the_same_names_and_references_live_in_two_partnerships(two):
    assert db.session.scalar(select(func.count()).select_from(Course).where(Course.name == "WRAP")) == 2
    references = db.session.scalars(select(ChannelCase.partnership_id).where(ChannelCase.reference == "CP-2026-001"))
    assert sorted(references) == [1, 2]


def test_served_as_one_partnership_every_kind_of_query_sees_its_own_only(two):
    fen_id, fen_area, fen_plan = two["Fenmarsh"]
    _, wells_area, wells_plan = two["Wellsbridge"]
    with tenancy.scoped(fen_id):
        assert db.session.scalars(select(Plan.title)).all() == ["Fenmarsh education plan"]
        assert db.session.scalar(select(func.count()).select_from(PlanRow)) == 1
        assert db.session.get(Plan, wells_plan) is None
        assert db.session.get(Plan, fen_plan).title == "Fenmarsh education plan"
        # In a subquery and a join as well.
        inner = select(BusinessArea.id).where(BusinessArea.name == "Education")
        assert db.session.scalars(select(Plan.id).where(Plan.area_id.in_(inner))).all() == [fen_plan]
        joined = select(PlanRow.id).join(Plan, Plan.id == PlanRow.plan_id).where(Plan.area_id == wells_area)
        assert db.session.scalars(joined).all() == []
        # The partnerships table itself: its own row only.
        assert db.session.scalars(select(Partnership.name)).all() == ["Fenmarsh Prevent Partnership"]
        # A bulk update reaches its own rows only.
        changed = db.session.execute(update(Plan).values(title="Renamed")).rowcount
        assert changed == 1
    db.session.rollback()
    assert sorted(db.session.scalars(select(Plan.title))) == ["Fenmarsh education plan", "Wellsbridge education plan"]
    assert fen_area != wells_area


def test_a_new_row_takes_its_plans_partnership_and_a_foreign_write_is_refused(two):
    fen_id, _, fen_plan = two["Fenmarsh"]
    wells_id, _, wells_plan = two["Wellsbridge"]
    # Outside any one partnership's scope (a command serving every partnership in turn).
    row = add_row(db.session.get(Plan, wells_plan), values={"duty": "Added by a command"})
    db.session.flush()
    assert row.partnership_id == wells_id
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "plan_rows", AuditEntry.entity_id == row.id)
    ).one()
    assert entry.partnership_id == wells_id
    db.session.commit()
    with tenancy.scoped(fen_id), pytest.raises(tenancy.TenancyError, match="belongs to another partnership"):
        db.session.add(PlanRow(plan_id=wells_plan, partnership_id=wells_id, position=9, duty="Slipped in"))
        db.session.flush()
    db.session.rollback()


def test_anything_with_no_partnership_to_tell_is_refused_when_there_are_several(two):
    """Served as every partnership (a command that names none), a record that points to no
    other cannot be given one: the writer must say which. (The suite's own help, which gives a
    test's records its first partnership, is switched off here.)"""
    db.session.info["strict_tenancy"] = True
    with pytest.raises(StatementError) as refused:
        create_course(name="Prevent awareness", kind="elearning", validity_months=12)
        db.session.flush()
    assert isinstance(refused.value.orig, tenancy.TenancyError)
    assert "needs its partnership" in str(refused.value.orig)
    db.session.rollback()
    db.session.info.pop("strict_tenancy")


def test_an_anonymous_scope_reads_nothing(two):
    with tenancy.scoped(tenancy.NONE):
        assert db.session.scalars(select(Plan)).all() == []
        assert db.session.scalars(select(Partnership)).all() == []


@pytest.mark.parametrize(
    ("setting", "three", "thirteen", "nothing"),
    [
        ("*", True, True, True),  # every partnership: commands, migrations
        ("", False, False, False),  # none: an anonymous page
        ("3", True, False, None),  # one: a signed-in request (compared as text, "13" is not "3")
        ("13", False, True, None),
        ("3,7", True, False, None),  # several: the regional view
        ("7,13", False, True, None),
    ],
)
def test_the_row_level_check_reads_every_form_of_the_scope(ctx, setting, three, thirteen, nothing):
    """PostgreSQL's policy function (migration 0017) for each form the scope takes; the values are
    the rule as the README states it; a row of no partnership (None) is refused by a NULL, as
    by false. SQLite has no row-level security, so nothing to call there."""
    from sqlalchemy import text

    if db.engine.dialect.name != "postgresql":
        assert db.engine.dialect.name == "sqlite"
        return
    db.session.execute(text("SELECT set_config('app.partnerships', :s, true)"), {"s": setting})
    asked = db.session.execute(
        text("SELECT partnership_in_scope(3), partnership_in_scope(13), partnership_in_scope(NULL)")
    ).one()
    assert tuple(asked) == (three, thirteen, nothing)
