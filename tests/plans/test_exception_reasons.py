"""The reason a Red or Amber row was given its status travels with the row to the board: the
reason given when it last moved to the status it has now, however many updates followed."""

from datetime import UTC, date, datetime

import pytest

from core.extensions import db
from plans import services
from tests.factories import BusinessAreaFactory

TODAY = date(2026, 11, 16)


@pytest.fixture
def plan(ctx):
    area = BusinessAreaFactory(name="Education")
    return services.create_plan(area_id=area.id, title="Education plan", period="2026-2027")


def at(day: int) -> datetime:
    return datetime(2026, 10, day, 10, tzinfo=UTC)


def update(row, day: int, rag: str, reason: str = "") -> None:
    services.record_progress(
        row, items=[f"Update of {day} October"], rag=rag, reason=reason, actor=None, actor_label="SPOC", at=at(day)
    )


def test_red_and_amber_rows_carry_the_reason_for_their_status(plan):
    kept = services.add_row(plan, values={"duty": "Amber kept"})
    update(kept, 1, "amber", "Trainer unavailable")
    update(kept, 8, "amber")  # still Amber: no new reason needed

    moved_back = services.add_row(plan, values={"duty": "Red, green, then amber"})
    update(moved_back, 1, "red", "No budget")
    update(moved_back, 5, "green")
    update(moved_back, 9, "amber", "Budget found, venue late")

    red = services.add_row(plan, values={"duty": "Red"})
    update(red, 2, "amber", "Slipping")
    update(red, 6, "red", "Provider withdrew")

    imported = services.add_row(plan, values={"duty": "Amber as imported"})
    imported.rag = "amber"  # as an import sets it, with no reason recorded

    green = services.add_row(plan, values={"duty": "Green after amber"})
    update(green, 3, "amber", "Late")
    update(green, 4, "green")
    db.session.flush()

    rows = {e.row.duty: e for e in services.exception_rows(today=TODAY, since=date(2026, 9, 20))}

    assert rows["Amber kept"].reason == "Trainer unavailable"
    assert rows["Amber kept"].latest.items == ["Update of 8 October"]
    assert rows["Red, green, then amber"].reason == "Budget found, venue late"
    assert rows["Red"].reason == "Provider withdrew"
    assert rows["Amber as imported"].reason == ""
    assert rows["Green after amber"].reason == ""  # listed as changed since 20 September; not red or amber
