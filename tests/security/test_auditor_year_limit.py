"""An auditor limited to one year (2025 here) reaches only that year's people: staff trained in
it and their 2025 records, the attendees of its sessions, the registers imported in it, and the
board members who served in it. The same auditor without the limit sees everyone.

(The audit trail, its export and the security events are held to the year in
tests/compliance/test_bundle_access.py.)"""

from datetime import UTC, date, datetime

import pytest

from board.models import BoardMeeting, BoardMember
from core.extensions import db
from core.models import User
from core.vocab import Role
from tests.conftest import sign_in
from tests.training.factories import CompletionFactory, CourseFactory, PersonFactory, SessionFactory
from training.models import RegisterImport


@pytest.fixture
def people(app, world):
    """Ada trained in 2024 only; Bo in 2024 and 2025; a 2024 and a 2025 session (Bo attended the
    2025 one); registers imported in 2024 and 2025; board members who left in 2024, joined in 2026,
    and served through 2025."""
    with app.app_context():
        course = CourseFactory(name="WRAP")
        ada = PersonFactory(name="Ada Earlier", email="ada.earlier@partner.example")
        bo = PersonFactory(name="Bo Inyear", email="bo.inyear@partner.example")
        old_session = SessionFactory(course=course, held_on=date(2024, 3, 5), place="Old Hall")
        new_session = SessionFactory(course=course, held_on=date(2025, 4, 8), place="New Hall")
        CompletionFactory(person=ada, course=course, completed_on=date(2024, 3, 5), session=old_session)
        CompletionFactory(person=bo, course=course, completed_on=date(2024, 2, 1))
        CompletionFactory(person=bo, course=course, completed_on=date(2025, 4, 8), session=new_session)
        db.session.add_all(
            [
                RegisterImport(filename="register-2024.csv", sha256="a" * 64, imported_by="x",
                               created_at=datetime(2024, 5, 1, tzinfo=UTC)),
                RegisterImport(filename="register-2025.csv", sha256="b" * 64, imported_by="x",
                               created_at=datetime(2025, 5, 1, tzinfo=UTC)),
            ]
            + [
                BoardMember(partnership_id=world.partnership_id, organisation_id=world.organisation_id,
                            representative=name, joined_on=joined, left_on=left)
                for name, joined, left in [
                    ("Left Before", date(2020, 1, 1), date(2024, 12, 31)),
                    ("Joined After", date(2026, 1, 1), None),
                    ("Served Throughout", date(2020, 1, 1), None),
                    ("Left Midyear", date(2020, 1, 1), date(2025, 6, 30)),
                ]
            ]
        )  # fmt: skip
        meetings = [
            BoardMeeting(partnership_id=world.partnership_id, title=f"Board {year}", held_on=date(year, 3, 10))
            for year in (2024, 2025)
        ]
        db.session.add_all(meetings)
        db.session.commit()
        return {
            "ada": ada.id,
            "bo": bo.id,
            "old_session": old_session.id,
            "new_session": new_session.id,
            "old_meeting": meetings[0].id,
            "new_meeting": meetings[1].id,
        }


def _auditor(app, world, year):
    with app.app_context():
        db.session.get(User, world.users[Role.AUDITOR].id).audit_year = year
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, world.users[Role.AUDITOR].email).status_code == 302
    return client


def _text(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_year_limited_auditor_sees_only_that_years_people(app, world, people):
    client = _auditor(app, world, 2025)
    listed = _text(client, "/training/people")
    assert "Bo Inyear" in listed and "Ada Earlier" not in listed
    assert "Your access is limited to 2025: you see people trained in it." in listed
    assert "Ada Earlier" not in _text(client, "/training/people?q=ada")
    assert client.get(f"/training/people/{people['ada']}").status_code == 403
    bo = _text(client, f"/training/people/{people['bo']}")
    assert "8 April 2025" in bo and "1 February 2024" not in bo
    records = _text(client, "/training/records")
    assert "Bo Inyear" in records and "Ada Earlier" not in records and "1 February 2024" not in records
    assert client.get(f"/training/sessions/{people['old_session']}").status_code == 403
    assert "Bo Inyear" in _text(client, f"/training/sessions/{people['new_session']}")
    imports = _text(client, "/training/imports")
    assert "register-2025.csv" in imports and "register-2024.csv" not in imports
    members = _text(client, "/board/members")
    assert "Served Throughout" in members and "Left Midyear" in members
    assert "Left Before" not in members and "Joined After" not in members
    # A meeting's attendance names people: the 2024 meeting, its papers and calendar entry are refused.
    assert client.get(f"/board/meetings/{people['old_meeting']}").status_code == 403
    assert client.get(f"/board/meetings/{people['old_meeting']}/agenda.pdf").status_code == 403
    assert client.get(f"/board/meetings/{people['old_meeting']}.ics").status_code == 403
    assert client.get(f"/board/meetings/{people['new_meeting']}").status_code == 200


def test_without_a_limit_the_auditor_sees_everyone(app, world, people):
    client = _auditor(app, world, None)
    listed = _text(client, "/training/people")
    assert "Bo Inyear" in listed and "Ada Earlier" in listed
    assert "1 February 2024" in _text(client, f"/training/people/{people['bo']}")
    assert "Old Hall" in _text(client, f"/training/sessions/{people['old_session']}")
    assert "register-2024.csv" in _text(client, "/training/imports")
    members = _text(client, "/board/members")
    assert all(name in members for name in ("Left Before", "Joined After", "Served Throughout", "Left Midyear"))
    assert client.get(f"/board/meetings/{people['old_meeting']}").status_code == 200
