"""The regional view: a coordinator granted partnerships A and B sees their roll-ups, worked out by
hand below, and nothing of partnership C (where their own account is), nor any row, person or case.

Today is 16 November 2026: overdue is due before today and not complete; stale is not complete
and not updated since 1 October 2026; the Channel figures are those of July to September 2026.

Partnership A (threshold 5, target 90%, band 10):
  Education plan: red due 1 Oct (overdue, stale); amber updated 1 Nov; green added in January
  (stale); complete due 1 Jan (neither). County plan: a row with no RAG due 15 Nov, added in
  January (overdue, stale).  -> Red 1, Amber 1, Green 1, Complete 1, Not rated 1; overdue 2, stale 3.
  Coverage: headcount 4, 3 trained -> 75.0%, below 80% -> Red.
  Channel: 2 referrals in the quarter -> [c] (fewer than 5); nothing discussed (0 is shown).
Partnership B (threshold 3, target 80%, band 10):
  Health plan: green updated 2 Oct; green added in January (stale); amber due 10 Nov added in
  January (overdue, stale). -> Green 2, Amber 1; overdue 1, stale 2.
  Coverage: headcount 5, 4 trained -> 80.0%, at the target -> Green.
  Channel: 4 referrals in the quarter, all alike -> 4 shown (threshold 3), open at the end 4.
Partnership C (not granted; the coordinator's own): 7 red overdue rows, 6 referrals.
"""

import io
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from flask import url_for
from lxml import html as lxml_html
from pypdf import PdfReader
from sqlalchemy import event

from core import clock, tenancy
from core.demo import DEMO_PASSWORD
from core.extensions import db
from core.vocab import Rag, Role
from plans.services import add_row, create_plan
from region import services as region
from region.rollups import regional_rollup
from tests.channel_panel.factories import new_case
from tests.conftest import sign_in
from tests.factories import BusinessAreaFactory, OrganisationFactory, PartnershipFactory, UserFactory
from tests.pdf_layout import layout_faults
from tests.security.test_isolation_sweep import b_strings
from tests.training.factories import CompletionFactory, CourseFactory, HeadcountFactory, PersonFactory

LONG_AGO = datetime(2026, 1, 5, 9, tzinfo=UTC)
#: Text that may never reach a regional reader: plan row text, people's names, case references.
ROW_TEXT = ["Secret duty alpha", "Secret duty bravo", "Secret duty charlie"]
PEOPLE = ["Trainee Quillfeather", "Casey Hiddenname", "Westshire Lead Person"]


def _row(plan, text, *, rag=None, due=None, updated=None, added=LONG_AGO):
    row = add_row(plan, values={"duty": text, "actions": [f"{text} action"]})
    row.rag = rag.value if rag else None
    row.due_date = due
    row.last_progress_at = updated
    row.created_at = added
    return row


def _trained(organisation, course, count, name):
    HeadcountFactory(organisation=organisation, as_of=date(2026, 1, 1), relevant_headcount=count[1])
    for n in range(count[0]):
        person = PersonFactory(
            organisation=organisation,
            name=f"{name} {n}",
            email=f"{name.split()[0].lower()}{organisation.id}-{n}@x.example",
        )
        CompletionFactory(person=person, course=course, completed_on=date(2026, 6, 1))


def _referrals(count, first, name):
    for n in range(count):
        new_case(
            today=date(2026, 11, 16),
            reference=f"CP-2026-{first + n:03d}",
            name=f"{name} {n}",
            concern_reported_on=date(2026, 8, 1),
            referral_date=date(2026, 8, 5),
        )


def _build(app) -> SimpleNamespace:
    with app.app_context():
        a = PartnershipFactory(name="Northshire Prevent Partnership", training_target_percent=90)
        b = PartnershipFactory(
            name="Southshire Prevent Partnership", training_target_percent=80, disclosure_threshold=3
        )
        c = PartnershipFactory(name="Westshire Prevent Partnership")
        db.session.flush()
        with tenancy.scoped(a.id):
            org = OrganisationFactory(partnership=a, name="Northshire Council")
            area = BusinessAreaFactory(partnership=a, name="Education")
            plan = create_plan(area_id=area.id, title="Northshire Education Plan")
            _row(plan, "Secret duty alpha", rag=Rag.RED, due=date(2026, 10, 1))
            _row(
                plan,
                "Secret duty alpha 2",
                rag=Rag.AMBER,
                due=date(2027, 1, 31),
                updated=datetime(2026, 11, 1, tzinfo=UTC),
            )
            _row(plan, "Secret duty alpha 3", rag=Rag.GREEN)
            _row(plan, "Secret duty alpha 4", rag=Rag.COMPLETE, due=date(2026, 1, 1))
            county = create_plan(area_id=None, title="Northshire county plan", template="county")
            _row(county, "Secret duty alpha 5", due=date(2026, 11, 15))
            _trained(org, CourseFactory(name="WRAP"), (3, 4), "Trainee Quillfeather")
            _referrals(2, 101, "Casey Hiddenname")
        with tenancy.scoped(b.id):
            org = OrganisationFactory(partnership=b, name="Southshire Council")
            area = BusinessAreaFactory(partnership=b, name="Health")
            plan = create_plan(area_id=area.id, title="Southshire Health Plan")
            _row(plan, "Secret duty bravo", rag=Rag.GREEN, updated=datetime(2026, 10, 2, tzinfo=UTC))
            _row(plan, "Secret duty bravo 2", rag=Rag.GREEN)
            _row(plan, "Secret duty bravo 3", rag=Rag.AMBER, due=date(2026, 11, 10))
            _trained(org, CourseFactory(name="WRAP"), (4, 5), "Trainee Quillfeather")
            _referrals(4, 201, "Casey Hiddenname")
        with tenancy.scoped(c.id):
            org = OrganisationFactory(partnership=c, name="Westshire Council")
            area = BusinessAreaFactory(partnership=c, name="Cohesion")
            plan = create_plan(area_id=area.id, title="Westshire Cohesion Plan")
            for n in range(7):
                _row(plan, f"Secret duty charlie {n}", rag=Rag.RED, due=date(2026, 2, 1))
            _trained(org, CourseFactory(name="WRAP"), (2, 2), "Trainee Quillfeather")
            _referrals(6, 301, "Casey Hiddenname")
            coordinator = UserFactory(
                email="coordinator@region.example",
                full_name="Rowan Regional",
                roles=[Role.REGIONAL_COORDINATOR],
            )
            ungranted = UserFactory(
                email="newcomer@region.example", full_name="Newcomer Coordinator", roles=[Role.REGIONAL_COORDINATOR]
            )
            lead = UserFactory(
                email="lead@westshire.example", full_name="Westshire Lead Person", roles=[Role.PREVENT_LEAD]
            )
        db.session.flush()
        region.grant(coordinator, a.id)
        region.grant(coordinator, b.id)
        db.session.commit()
        return SimpleNamespace(
            a=a.id, b=b.id, c=c.id, coordinator=coordinator.email, ungranted=ungranted.email, lead=lead.email
        )


@pytest.fixture
def three(app):
    return _build(app)


def tables(page: str) -> dict[str, list[list[str]]]:
    """caption -> rows (each the text of its cells) of every table on the page."""
    tree = lxml_html.fromstring(page)
    found = {}
    for table in tree.iter("table"):
        caption = " ".join(table.findtext("caption", "").split()) or " ".join(
            (table.find("caption").text_content() if table.find("caption") is not None else "").split()
        )
        found[caption] = [
            [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
            for row in table.xpath("./tbody/tr")
        ]
    return found


def _assert_nothing_of_rows_people_or_cases(text: str) -> None:
    for secret in [*ROW_TEXT, *PEOPLE, "Westshire", "CP-2026-", "Northshire Council", "Education Plan"]:
        assert secret not in text, secret


def test_the_coordinator_sees_the_roll_ups_of_the_partnerships_granted_and_nothing_else(app, three):
    client = app.test_client()
    assert sign_in(client, three.coordinator).status_code == 302
    response = client.get("/region")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    found = tables(page)

    assert found["Plan rows by RAG status"] == [
        # Partnership, Red, Amber, Green, Complete, Not started, Not rated, All rows
        ["Northshire Prevent Partnership", "1", "1", "1", "1", "0", "1", "5"],
        ["Southshire Prevent Partnership", "0", "1", "2", "0", "0", "0", "3"],
    ]
    assert found["Overdue plan rows"] == [
        ["Northshire Prevent Partnership", "2", "5"],
        ["Southshire Prevent Partnership", "1", "3"],
    ]
    assert found["Stale plan rows"] == [
        ["Northshire Prevent Partnership", "3", "5"],
        ["Southshire Prevent Partnership", "2", "3"],
    ]
    assert found["WRAP training coverage: trained and headcount"] == [
        ["Northshire Prevent Partnership", "3", "4", "75.0%", "90%", "Red"],
        ["Southshire Prevent Partnership", "4", "5", "80.0%", "80%", "Green"],
    ]
    # Referrals, discussed at panel, adopted, closed, open at the end: A's 2 are fewer than its 5.
    assert found["Channel figures, July to September 2026"] == [
        ["Northshire Prevent Partnership", "[c]", "0", "0", "0", "[c]"],
        ["Southshire Prevent Partnership", "4", "0", "0", "0", "4"],
    ]
    # By business area, each partnership's own areas only.
    assert found["Northshire Prevent Partnership: plan rows by business area and RAG status"] == [
        ["County plan", "0", "0", "0", "0", "0", "1"],
        ["Education", "1", "1", "1", "1", "0", "0"],
    ]
    assert "Northshire Prevent Partnership: [c]: fewer than 5" in page
    assert "fewer than 3" not in page  # B hides nothing
    _assert_nothing_of_rows_people_or_cases(page)
    for figure in re.findall(r'data-figure="([^"]*)"', page):
        _assert_nothing_of_rows_people_or_cases(figure)
        assert "Northshire Prevent Partnership" in figure or "Northshire Prevent<br>" in figure


def test_the_pack_has_the_same_figures_marked_on_every_page_and_nothing_of_rows_people_or_cases(app, three):
    client = app.test_client()
    sign_in(client, three.coordinator)
    response = client.get("/region/pack.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for page in reader.pages:
        assert page.extract_text().count("OFFICIAL") >= 2  # top and bottom
    assert "Northshire Prevent Partnership" in text and "Southshire Prevent Partnership" in text
    _assert_nothing_of_rows_people_or_cases(text)
    assert "[c]" in text
    assert "75.0%" in text and "80.0%" in text
    assert layout_faults(response.data) == []  # nothing overlapping, cut off or off the page


def test_a_coordinator_with_no_grants_sees_the_empty_state(app, three):
    client = app.test_client()
    sign_in(client, three.ungranted)
    page = client.get("/region").get_data(as_text=True)
    assert "No partnership has been opened to you yet" in page
    assert "Northshire" not in page and "Southshire" not in page and "data-figure" not in page
    assert client.get("/").get_data(as_text=True).count("No partnership has been opened to you yet") == 1


def test_the_coordinator_reads_nothing_of_their_own_partnership(app, three):
    client = app.test_client()
    sign_in(client, three.coordinator)
    endpoints = [
        "partnership.list_organisations",
        "plans.overview",
        "training.show_coverage",
        "channel_panel.show_figures",
        "board.overview",
        "spoc.list_areas",
        "compliance.index",
    ]
    with app.test_request_context():
        paths = [url_for(endpoint) for endpoint in endpoints]
    for path in paths:
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.REGIONAL_COORDINATOR], ids=lambda r: r.value)
def test_other_roles_are_refused_the_regional_page_and_pack(app, world, role):
    client = app.test_client()
    sign_in(client, world.users[role].email)
    assert client.get("/region").status_code == 403
    assert client.get("/region/pack.pdf").status_code == 403


def _statements(app, ids: list[int]) -> int:
    counted = []

    def count(conn, cursor, statement, parameters, context, executemany):
        counted.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            rollup = regional_rollup(ids, today=clock.today())
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(rollup.partnerships) == len(ids)
        db.session.rollback()
    return len(counted)


def test_the_statements_do_not_grow_with_the_number_of_partnerships(app, three):
    assert _statements(app, [three.a]) == _statements(app, [three.a, three.b, three.c])


def test_the_lead_sees_who_has_regional_access_on_the_settings_page(app, three):
    with app.app_context(), tenancy.scoped(three.a):
        lead = UserFactory(email="lead@northshire.example", roles=[Role.PREVENT_LEAD])
        lead_email = lead.email
        db.session.commit()
    client = app.test_client()
    sign_in(client, lead_email)
    page = client.get("/partnership/settings").get_data(as_text=True)
    assert tables(page)["Who has regional access to Northshire Prevent Partnership"] == [
        ["Rowan Regional", "coordinator@region.example", "16 November 2026"]
    ]
    other = app.test_client()
    sign_in(other, three.lead)  # Westshire's lead: nobody has access to Westshire
    page = other.get("/partnership/settings").get_data(as_text=True)
    assert "No regional coordinator has access to this partnership's roll-ups." in page


@pytest.fixture
def two_demos(app, tmp_path_factory):
    """The isolation sweep's two demo partnerships (tests/security/test_isolation_sweep.py)."""
    from tests.security import test_isolation_sweep

    test_isolation_sweep.two_demos.__wrapped__(app, tmp_path_factory)


def test_granted_another_demo_partnership_the_coordinator_sees_its_roll_ups_and_none_of_its_records(app, two_demos):
    """The isolation sweep's two demo partnerships: the first's coordinator, granted the second,
    sees its roll-ups beside the first's; of the second's names only the partnership's own and its
    business areas' (what RAG counts by area are counted under), never a person, organisation or
    plan (the sweep's strings, read with plain SQL)."""
    forbidden = {
        needle: where
        for needle, where in b_strings(app).items()
        if where not in ("partnerships.name", "business_areas.name")
    }
    assert {"users.full_name", "organisations.name", "plans.title"} <= set(forbidden.values())
    result = app.test_cli_runner().invoke(
        args=[
            "region",
            "grant",
            "priya.raman@region.example",
            "--partnership",
            "Fenmarsh and Wellsbridge Prevent Partnership",
        ]
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert sign_in(client, "priya.raman@region.example", DEMO_PASSWORD).status_code == 302
    page = client.get("/region").get_data(as_text=True)
    pack = client.get("/region/pack.pdf")
    pack_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pack.data)).pages)
    # The second partnership is there, and its figures are the first's (the same records renamed).
    assert tables(page)["Overdue plan rows"] == [
        ["Cambridgeshire and Peterborough Prevent Partnership", "5", "46"],
        ["Fenmarsh and Wellsbridge Prevent Partnership", "5", "46"],
    ]
    assert "Fenmarsh and Wellsbridge Prevent Partnership" in pack_text
    leaks = [f"{where}: {needle}" for needle, where in forbidden.items() if needle in page or needle in pack_text]
    assert leaks == []


def test_the_regional_role_holds_the_regional_permission_and_no_other_but_signing_in():
    from core.permissions import Permission, permissions_for

    assert permissions_for([Role.REGIONAL_COORDINATOR]) == {Permission.SIGNED_IN, Permission.VIEW_REGION}
    assert [role for role in Role if Permission.VIEW_REGION in permissions_for([role])] == [Role.REGIONAL_COORDINATOR]
