"""A year (2025) of partnership records with known gaps, on top of the shared ``world``.

The deliberate gaps, and nothing else:
- the board did not meet in quarter 3 (so no plan was checked then either);
- the Health area has a SPOC but no active plan;
- the Education plan's row had no update in quarter 3 and was overdue at year end;
- Test Police is at 84% WRAP coverage (42 of 50); the council is at 95% (95 of 100);
- a closed Channel case missed its 12-month review (due 10 September 2025);
- the Channel terms of reference were last reviewed in November 2024.
Met: membership reviewed in March 2025; retention ran in February 2025, nothing held too long.
"""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import or_, select, update

from board import services as board
from board.models import BoardAttendance, BoardMeeting, BoardMember
from channel_panel import services as channel_services
from channel_panel.meetings import get_panel
from core.extensions import db
from core.retention import record_run
from partnership.models import BusinessArea, Organisation, Partnership
from plans.models import Plan, PlanRow, ProgressUpdate
from spoc.models import SpocAssignment
from tests.channel_panel.factories import closed_case
from tests.factories import BusinessAreaFactory, OrganisationFactory
from tests.training.factories import CompletionFactory, CourseFactory, HeadcountFactory, PersonFactory
from training.models import CourseKind

YEAR = 2025
CHANNEL_NAME = "Quentin Farrowdale"


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


#: The partnership's organisations, areas, SPOCs and plans were set up in the product then,
#: before the year assessed (the checks read the year as it stood at its end).
SET_UP = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)


def set_up_before_the_year(partnership_id: int) -> None:
    """Date the partnership's structure to SET_UP, as if entered then (the rows keep their own
    dates: the world's row has 2025 progress)."""
    areas = select(BusinessArea.id).where(BusinessArea.partnership_id == partnership_id)
    db.session.execute(
        update(Organisation).where(Organisation.partnership_id == partnership_id).values(created_at=SET_UP)
    )
    db.session.execute(
        update(BusinessArea).where(BusinessArea.partnership_id == partnership_id).values(created_at=SET_UP)
    )
    db.session.execute(update(SpocAssignment).where(SpocAssignment.area_id.in_(areas)).values(created_at=SET_UP))
    db.session.execute(
        update(Plan)
        .where(or_(Plan.area_id.in_(areas), Plan.area_id.is_(None)))
        .values(created_at=SET_UP, status_since=SET_UP)
    )


@pytest.fixture
def gappy_year(app, world):
    from core.models import User
    from core.vocab import Role

    with app.app_context():
        partnership = db.session.get(Partnership, world.partnership_id)
        council_id = world.organisation_id
        police = OrganisationFactory(partnership=partnership, name="Test Police", kind="police")
        council_member = BoardMember(
            partnership_id=partnership.id,
            organisation_id=council_id,
            representative="Council Rep",
            joined_on=date(2020, 1, 1),
        )
        police_member = BoardMember(
            partnership_id=partnership.id,
            organisation_id=police.id,
            representative="Police Rep",
            joined_on=date(2020, 1, 1),
        )
        db.session.add_all([council_member, police_member])
        meetings = []
        for held in (date(2025, 1, 15), date(2025, 4, 15), date(2025, 10, 15)):
            meeting = BoardMeeting(partnership_id=partnership.id, title=f"Board {held}", held_on=held, status="held")
            db.session.add(meeting)
            db.session.flush()
            meetings.append(meeting)
            db.session.add(BoardAttendance(meeting_id=meeting.id, member_id=council_member.id, status="present"))
            police_status = "present" if held.month == 1 else "apologies"
            db.session.add(BoardAttendance(meeting_id=meeting.id, member_id=police_member.id, status=police_status))
            board.set_plan_checks(meeting, [world.plan_id])
        board.record_membership_review(partnership_id=partnership.id, reviewed_on=date(2025, 3, 1), outcome="Confirmed")

        health = BusinessAreaFactory(partnership=partnership, name="Health")
        db.session.add(SpocAssignment(area_id=health.id, user_id=world.users[Role.SPOC].id, capacity="spoc"))

        row = db.session.get(PlanRow, world.row_id)
        row.due_date = date(2025, 6, 30)
        row.rag = "amber"
        author = db.session.get(User, world.users[Role.SPOC].id)
        for day in (date(2025, 2, 1), date(2025, 5, 1), date(2025, 11, 1)):
            db.session.add(
                ProgressUpdate(
                    row_id=row.id,
                    at=_at(day),
                    author_id=author.id,
                    author_label=author.email,
                    items=[f"Progress {day}"],
                    rag="amber",
                    reason="Behind",
                )
            )

        wrap = CourseFactory(name="WRAP", kind=CourseKind.WRAP.value, validity_months=36, counts_for_coverage=True)
        council = db.session.get(Organisation, council_id)
        for org, headcount, trained in ((council, 100, 95), (police, 50, 42)):
            HeadcountFactory(organisation=org, relevant_headcount=headcount, as_of=date(2025, 1, 1))
            for person in PersonFactory.create_batch(trained, organisation=org):
                CompletionFactory(person=person, course=wrap, completed_on=date(2025, 3, 1))

        case = closed_case(closed_on=date(2024, 9, 10), today=date(2025, 3, 10), name=CHANNEL_NAME)
        six = next(r for r in case.reviews if r.months == 6)
        channel_services.record_review(
            six, held_on=date(2025, 3, 10), outcome="no_further_concerns", today=date(2025, 3, 10)
        )
        panel = get_panel()
        panel.terms_reviewed_on = date(2024, 11, 1)
        db.session.add(panel)
        for name in ("import_files", "deactivated_accounts", "training_leavers", "channel_cases"):
            record_run(schedule=name, ran_on=date(2025, 2, 1), removed=0, kept=0, run_by="flask retention run")
        db.session.flush()
        set_up_before_the_year(partnership.id)
        db.session.commit()
        return SimpleNamespace(
            world=world,
            police_id=police.id,
            health_id=health.id,
            case_reference=case.reference,
            meeting_ids=[m.id for m in meetings],
        )
