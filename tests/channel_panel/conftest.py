"""Fixtures for the Channel Panel tests."""

import pytest

from core import clock
from core.extensions import db
from core.vocab import Role

#: Roles that may open Channel case pages; every other role is refused.
PANEL_ROLES = {Role.PANEL_CHAIR, Role.PANEL_MEMBER}
NON_PANEL_ROLES = [r for r in Role if r not in PANEL_ROLES]


@pytest.fixture
def run_in(app):
    """Run a function inside an app context and commit; returns what it returns."""

    def _run(fn):
        with app.app_context():
            result = fn()
            db.session.commit()
            return result

    return _run


@pytest.fixture
def channel(app, world):
    """The world's panel chair and member on the panel, a meeting next week, a closed case
    (personal details held, 6-month review overdue) and an adopted case."""
    from datetime import timedelta
    from types import SimpleNamespace

    from channel_panel import meetings
    from channel_panel.dates import add_months
    from tests.channel_panel.factories import SECRET_NAMES, PanelMeetingFactory, adopted_case, closed_case

    today = clock.today()
    with app.app_context():
        chair = meetings.save_member(
            None,
            role="youth_offending",
            member_name="Chair Person",
            deputy_name="",
            organisation_id=world.organisation_id,
            user_id=world.users[Role.PANEL_CHAIR].id,
            joined_on=None,
            left_on=None,
        )
        member = meetings.save_member(
            None,
            role="police_coordinator",
            member_name="Member Person",
            deputy_name="Deputy Person",
            organisation_id=world.organisation_id,
            user_id=world.users[Role.PANEL_MEMBER].id,
            joined_on=None,
            left_on=None,
        )
        meeting = PanelMeetingFactory(held_on=today + timedelta(days=7))
        closed = closed_case(closed_on=add_months(today, -7), today=today, name=SECRET_NAMES[0])
        open_case = adopted_case(
            today=today,
            concern_reported_on=today - timedelta(days=60),
            referral_date=today - timedelta(days=58),
            name=SECRET_NAMES[1],
        )
        db.session.commit()
        return SimpleNamespace(
            chair_member_id=chair.id,
            member_id=member.id,
            meeting_id=meeting.id,
            closed_id=closed.id,
            closed_reference=closed.reference,
            review_id=next(r.id for r in closed.reviews if r.months == 6),
            open_id=open_case.id,
            open_reference=open_case.reference,
            referral_date=open_case.referral_date,
        )
