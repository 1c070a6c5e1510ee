"""Each role's home page: what waits for them, from the panels the domains register, with clear
empty states; counted in SQL, in a number of statements that does not grow with the data.

Worked by hand from the world fixture (tests/conftest.py) on 16 November 2026: the quarter began
on 1 October; the world's rows were added today, have no due date and no progress."""

import re
from datetime import UTC, date, datetime

from sqlalchemy import event

from compliance import services as compliance
from core.extensions import db
from core.models import User
from core.vocab import Role
from partnership.models import Organisation, Partnership
from plans import services as plans
from plans.models import Plan, PlanRow
from tests.factories import BusinessAreaFactory, schedule_board_meetings
from tests.training.factories import CompletionFactory, CourseFactory, HeadcountFactory, PersonFactory

STALE_CREATED = datetime(2026, 9, 1, tzinfo=UTC)  # added last quarter, never updated


def _panel(html: str, heading_id: str) -> str:
    assert f'id="{heading_id}"' in html, f"no {heading_id} panel"
    return html.split(f'id="{heading_id}"')[1].split("</section>")[0]


def _row(plan_id: int, duty: str, *, due=None, rag=None, created=None) -> PlanRow:
    row = plans.add_row(db.session.get(Plan, plan_id), values={"duty": duty, "due_date": due})
    row.rag = rag
    if created is not None:
        row.created_at = created
    return row


def _spoc_rows(app, world, extra_overdue: int = 0) -> dict[str, int]:
    with app.app_context():
        made = {
            "overdue": _row(world.plan_id, "Overdue row", due=date(2026, 11, 10)),
            "due_soon": _row(world.plan_id, "Due soon row", due=date(2026, 12, 1)),
            "stale": _row(world.plan_id, "Stale row", created=STALE_CREATED),
            "later": _row(world.plan_id, "Later row", due=date(2027, 6, 1)),
            "done": _row(world.plan_id, "Done row", due=date(2026, 11, 1), rag="complete"),
            "other_area": _row(world.other_plan_id, "Other area overdue", due=date(2026, 11, 1)),
        }
        for n in range(extra_overdue):
            _row(world.plan_id, f"Extra overdue {n}", due=date(2026, 10, 1))
        db.session.commit()
        return {k: v.id for k, v in made.items()}


def _statements(app, client, url: str) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


# --- SPOC ---------------------------------------------------------------------------------------


def test_a_spoc_with_nothing_due_is_told_so(client, world, login_as):
    login_as(Role.SPOC)
    panel = _panel(client.get("/").get_data(as_text=True), "rows-to-update")
    assert "Nothing is waiting: every row of your plans has been updated since 1 October 2026" in panel


def test_a_spoc_sees_overdue_then_due_soon_then_stale_rows_each_one_click_from_its_update(app, client, world, login_as):
    ids = _spoc_rows(app, world)
    login_as(Role.SPOC)
    panel = _panel(client.get("/").get_data(as_text=True), "rows-to-update")
    assert "3 rows in your plans are overdue, not updated since 1 October 2026, or due in the next 30 days." in panel
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', panel, re.S)[1:]
    assert [re.search(r'<td class="govuk-table__cell">([^<]+)<br>', r).group(1) for r in rows] == [
        "Overdue row",
        "Due soon row",
        "Stale row",
    ]
    assert "Overdue" in rows[0] and "Due 10 November 2026" in rows[0]
    assert "Due soon" in rows[1] and "Due 1 December 2026" in rows[1]
    assert "Not updated this quarter" in rows[2]
    for row, key in zip(rows, ("overdue", "due_soon", "stale"), strict=True):
        assert f'href="/plans/{world.plan_id}/rows/{ids[key]}/progress">Update' in row
    # The link lands on the row's update form.
    form = client.get(f"/plans/{world.plan_id}/rows/{ids['overdue']}/progress").get_data(as_text=True)
    assert "Save progress update" in form and "Overdue row" in form


def test_the_spoc_home_page_statements_do_not_grow_with_the_rows(app, client, world, login_as):
    _spoc_rows(app, world)
    login_as(Role.SPOC)
    few = _statements(app, client, "/")
    with app.app_context():
        for n in range(25):
            _row(world.plan_id, f"More overdue {n}", due=date(2026, 9, 1))
        db.session.commit()
    many = _statements(app, client, "/")
    assert many == few
    panel = _panel(client.get("/").get_data(as_text=True), "rows-to-update")
    assert "28 rows in your plans" in panel and "the first 15 are listed" in panel


# --- Prevent Lead -------------------------------------------------------------------------------


def test_the_lead_sees_areas_without_a_plan_here_and_on_the_overview(app, client, world, login_as):
    with app.app_context():
        partnership = db.session.get(Partnership, world.partnership_id)
        youth = BusinessAreaFactory(partnership=partnership, name="Youth offending")
        db.session.commit()
        youth_id = youth.id
    login_as(Role.PREVENT_LEAD)
    panel = _panel(client.get("/").get_data(as_text=True), "lead-plans")
    assert "Youth offending" in panel and f'href="/plans/new?area={youth_id}"' in panel
    assert "Education" not in panel.split("without a plan")[1]
    overview = client.get("/plans").get_data(as_text=True)
    section = overview.split('id="areas-without-a-plan"')[1].split("</ul>")[0]
    assert "Youth offending" in section and "Education" not in section


def test_the_lead_sees_the_plans_exceptions(app, client, world, login_as):
    _spoc_rows(app, world)
    login_as(Role.PREVENT_LEAD)
    panel = _panel(client.get("/").get_data(as_text=True), "lead-plans")
    # Overdue: Overdue row and Other area overdue (Done row is complete); stale: Stale row.
    text = " ".join(re.sub(r"<[^>]+>", "", panel).split())
    assert "In active plans: 0 Red, 0 Amber, 2 overdue and 1 not updated since 1 October 2026." in text


def test_the_lead_without_a_board_meeting_is_asked_to_schedule_one(client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    panel = _panel(client.get("/").get_data(as_text=True), "next-board")
    assert "No board meeting is scheduled." in panel and 'href="/board/meetings/schedule"' in panel


def test_the_lead_sees_what_the_next_packs_lacks(app, client, world, login_as):
    _spoc_rows(app, world)
    with app.app_context():
        partnership = db.session.get(Partnership, world.partnership_id)
        (meeting,) = schedule_board_meetings(partnership, date(2026, 12, 1), count=1, today=date(2026, 11, 16))
        db.session.commit()
        meeting_id = meeting.id
    login_as(Role.PREVENT_LEAD)
    panel = _panel(client.get("/").get_data(as_text=True), "next-board")
    text = " ".join(re.sub(r"<[^>]+>", " ", panel).split())
    assert f'href="/board/meetings/{meeting_id}">Prevent Partnership Board, 1 December 2026</a>' in panel
    assert 'A paper for "Counter Terrorism Local Profile and risk update": attach a paper' in text
    assert "SPOC updates: 1 row of Education Prevent Action Plan not updated since 1 October 2026" in text
    assert "The membership review (never held): record the review" in text
    assert "minutes of the previous meeting" not in text  # there is no previous meeting
    assert f'href="/board/meetings/{meeting_id}/papers"' in panel


# --- board member ------------------------------------------------------------------------------


def test_a_board_member_sees_the_next_meeting_and_its_papers(app, client, world, login_as):
    login_as(Role.BOARD_MEMBER)
    assert "No board meeting is scheduled yet." in _panel(client.get("/").get_data(as_text=True), "board-papers")
    with app.app_context():
        partnership = db.session.get(Partnership, world.partnership_id)
        (meeting,) = schedule_board_meetings(partnership, date(2026, 12, 1), count=1, today=date(2026, 11, 16))
        db.session.commit()
        meeting_id = meeting.id
    panel = _panel(client.get("/").get_data(as_text=True), "board-papers")
    assert f'href="/board/meetings/{meeting_id}/pack.pdf">Board pack (PDF)' in panel
    assert f'href="/board/meetings/{meeting_id}/agenda.pdf">Agenda (PDF)' in panel
    assert "No other papers have been attached yet." in panel


# --- training coordinator ----------------------------------------------------------------------


def test_the_training_coordinator_sees_organisations_below_target_and_refreshers_due(app, client, world, login_as):
    with app.app_context():
        council = db.session.get(Organisation, world.organisation_id)
        HeadcountFactory(organisation=council, relevant_headcount=10, as_of=date(2026, 1, 1))
        wrap = CourseFactory(name="WRAP", validity_months=36)
        for person in PersonFactory.create_batch(4, organisation=council):
            CompletionFactory(person=person, course=wrap, completed_on=date(2026, 6, 1))
        # Trained on 10 December 2023: current until 9 December 2026, so a refresher is due.
        CompletionFactory(person=PersonFactory(organisation=council), course=wrap, completed_on=date(2023, 12, 10))
        db.session.commit()
    login_as(Role.TRAINING_COORDINATOR)
    panel = _panel(client.get("/").get_data(as_text=True), "training-coverage")
    row = re.search(r"Test County Council</a></td>(.*?)</tr>", panel, re.S).group(1)
    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["5 of 10", "50.0% Red", "1"]
    assert "1 person&#39;s training expires by 14 February 2027." in panel
    assert 'href="/training#refreshers"' in panel


def test_the_training_coordinator_with_no_figures_is_told_what_is_missing(client, world, login_as):
    login_as(Role.TRAINING_COORDINATOR)
    panel = _panel(client.get("/").get_data(as_text=True), "training-coverage")
    assert "Every organisation with a headcount is at or above the target." in panel
    assert "1 organisation has no headcount" in panel
    assert f'href="/training/organisations/{world.organisation_id}/headcounts/new"' in panel
    assert "Nobody's training expires in the next 90 days." in panel
    assert "No overall figure yet: no organisation has a headcount." in panel


# --- auditor -----------------------------------------------------------------------------------


def test_the_auditor_sees_findings_to_close_and_open_years(app, client, world, login_as):
    login_as(Role.AUDITOR)
    panel = _panel(client.get("/").get_data(as_text=True), "audit-work")
    assert "Every finding is closed." in panel and "No year is open" in panel
    with app.app_context():
        auditor = db.session.get(User, world.users[Role.AUDITOR].id)
        lead = db.session.get(User, world.users[Role.PREVENT_LEAD].id)
        assessment = compliance.open_assessment(
            partnership_id=world.partnership_id, year=2025, today=date(2026, 11, 16)
        )
        waiting = compliance.record_finding(
            assessment,
            section="partnership_group",
            title="Board missed a quarter",
            severity="medium",
            recommendation="Meet every quarter",
            owner_id=lead.id,
            due_on=date(2026, 12, 31),
            raised_by=auditor,
        )
        answered = compliance.record_finding(
            assessment,
            section="partnership_group",
            title="Membership not reviewed",
            severity="low",
            recommendation="Review the membership",
            owner_id=lead.id,
            due_on=date(2027, 1, 31),
            raised_by=auditor,
        )
        compliance.respond_to_finding(answered, response="Reviewed in November", actor=lead)
        db.session.commit()
        ids = (assessment.id, waiting.id, answered.id)
    panel = _panel(client.get("/").get_data(as_text=True), "audit-work")
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', panel, re.S)[1:]
    assert "Membership not reviewed" in rows[0] and f'href="/compliance/findings/{ids[2]}/close">Close' in rows[0]
    assert "Board missed a quarter" in rows[1] and "Awaiting answer" in rows[1]
    assert f'href="/compliance/{ids[0]}">2025 self-assessment</a>' in panel
