"""The Prevent Lead's user administration."""

from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.models import User
from core.vocab import Role
from tests.conftest import sign_in


def user_by_email(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            return None
        roles = sorted(user.role_set)
        areas = sorted((a.area_id, a.capacity) for a in user.spoc_assignments)
        db.session.expunge(user)
        return user, roles, areas


NEW_USER = {
    "full_name": "Alex Rivers",
    "email": "Alex.Rivers@council.example",
    "job_title": "Safeguarding Manager",
    "organisation_id": "",
    "password": "Kestrel-Orchard-Lamp-31",
    "roles": ["spoc"],
}


def test_lead_creates_a_spoc_with_areas(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    data = dict(NEW_USER, organisation_id=str(world.organisation_id), lead_area_ids=[str(world.area_id)])
    data["deputy_area_ids"] = [str(world.other_area_id)]
    response = client.post("/users/new", data=data)
    assert response.status_code == 302
    user, roles, areas = user_by_email(app, "alex.rivers@council.example")
    assert roles == [Role.SPOC]
    assert areas == sorted([(world.area_id, "spoc"), (world.other_area_id, "deputy")])
    assert user.must_change_password
    # The new user must choose a password at first sign-in.
    fresh = app.test_client()
    sign_in(fresh, "alex.rivers@council.example", "Kestrel-Orchard-Lamp-31")
    assert fresh.get("/").headers["Location"] == "/account/password"
    with app.app_context():
        entries = [
            e
            for e in db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "spoc_assignments"))
            if e.changes["user_id"][1] == user.id
        ]
        assert {e.changes["capacity"][1] for e in entries} == {"spoc", "deputy"}
        assert all(e.actor_label == world.users[Role.PREVENT_LEAD].email for e in entries)


def test_new_user_form_reports_every_problem_and_saves_nothing(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    data = {
        "full_name": "",
        "email": "not-an-email",
        "password": "short",
        "lead_area_ids": [str(world.area_id)],
        "deputy_area_ids": [str(world.area_id)],
    }
    page = client.post("/users/new", data=data).get_data(as_text=True)
    for message in [
        "Enter the user&#39;s full name",
        "Enter an email address in the correct format",
        "Password must be 12 characters or more",
        "Select at least one role",
        "Select the SPOC role for a user who leads or deputises for a business area",
        "A user cannot both lead and deputise for the same business area",
    ]:
        assert message in page, message
    assert "<title>Error:" in page
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == len(Role)


def test_spoc_role_needs_an_area(client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    page = client.post("/users/new", data=dict(NEW_USER)).get_data(as_text=True)
    assert "Select the business areas this SPOC leads or deputises for" in page


def test_duplicate_email_is_refused(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    data = dict(NEW_USER, email=world.users[Role.AUDITOR].email.upper(), roles=["auditor"])
    page = client.post("/users/new", data=data).get_data(as_text=True)
    assert "A user with this email address already exists" in page


def test_unknown_choices_are_refused(client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    data = dict(NEW_USER, roles=["superuser"], organisation_id="99999")
    page = client.post("/users/new", data=data).get_data(as_text=True)
    assert "Select from the options shown" in page
    assert "Not a valid choice" in page


def test_lead_edits_roles_and_areas_with_audit(app, client, world, login_as):
    lead = login_as(Role.PREVENT_LEAD)
    spoc = world.users[Role.SPOC]
    response = client.post(
        f"/users/{spoc.id}/edit",
        data={
            "full_name": "Renamed Person",
            "email": spoc.email,
            "job_title": "",
            "organisation_id": "",
            "roles": ["spoc", "panel_member"],
            "lead_area_ids": [str(world.other_area_id)],
        },
    )
    assert response.status_code == 302
    user, roles, areas = user_by_email(app, spoc.email)
    assert user.full_name == "Renamed Person"
    assert roles == sorted([Role.SPOC, Role.PANEL_MEMBER])
    assert areas == [(world.other_area_id, "spoc")]
    with app.app_context():
        change = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "users", AuditEntry.action == "update")
        ).one()
        assert change.changes["full_name"] == ["SPOC Person", "Renamed Person"]
        assert change.actor_id == lead.id
        removed = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "spoc_assignments", AuditEntry.action == "delete")
        ).one()
        assert removed.changes["area_id"] == [world.area_id, None]


def test_lead_cannot_remove_own_lead_role(app, client, world, login_as):
    lead = login_as(Role.PREVENT_LEAD)
    page = client.post(
        f"/users/{lead.id}/edit",
        data={"full_name": "Lead", "email": lead.email, "roles": ["auditor"]},
    ).get_data(as_text=True)
    assert "You cannot remove your own Prevent Lead role" in page
    assert user_by_email(app, lead.email)[1] == [Role.PREVENT_LEAD]


def test_deactivate_needs_confirmation_and_keeps_the_user(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    auditor = world.users[Role.AUDITOR]
    page = client.get(f"/users/{auditor.id}/deactivate").get_data(as_text=True)
    assert "Deactivate Auditor Person?" in page
    assert user_by_email(app, auditor.email)[0].active
    response = client.post(f"/users/{auditor.id}/deactivate")
    assert response.status_code == 302
    assert not user_by_email(app, auditor.email)[0].active
    assert sign_in(app.test_client(), auditor.email).status_code == 200
    client.post(f"/users/{auditor.id}/reactivate")
    assert user_by_email(app, auditor.email)[0].active


def test_lead_cannot_deactivate_themselves(app, client, world, login_as):
    lead = login_as(Role.PREVENT_LEAD)
    page = client.post(f"/users/{lead.id}/deactivate").get_data(as_text=True)
    assert "You cannot deactivate your own account" in page
    assert user_by_email(app, lead.email)[0].active


def test_users_are_never_deleted_once_they_authored_records(app, world):
    """The audit trail's foreign key refuses to delete a user who changed anything."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from core.audit import acting_as

    lead = world.users[Role.PREVENT_LEAD]
    with app.app_context():
        with acting_as(lead.email, user_id=lead.id):
            db.session.get(User, world.users[Role.SPOC].id).job_title = "Changed"
            db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.delete(db.session.get(User, lead.id))
            db.session.flush()
        db.session.rollback()


def test_lead_unlocks_a_locked_account(app, client, world, login_as):
    spoc = world.users[Role.SPOC]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(app.test_client(), spoc.email, "Wrong-Password-Here-1")
    assert user_by_email(app, spoc.email)[0].is_locked()
    login_as(Role.PREVENT_LEAD)
    assert "Unlock account" in client.get(f"/users/{spoc.id}").get_data(as_text=True)
    client.post(f"/users/{spoc.id}/unlock")
    assert not user_by_email(app, spoc.email)[0].is_locked()
    assert sign_in(app.test_client(), spoc.email).status_code == 302


def test_lead_sets_a_temporary_password(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    spoc = world.users[Role.SPOC]
    page = client.post(f"/users/{spoc.id}/password", data={"password": "qwertyuiop123"}).get_data(as_text=True)
    assert "Password is too common" in page
    client.post(f"/users/{spoc.id}/password", data={"password": "Tidal-Meadow-Brass-64"})
    fresh = app.test_client()
    assert sign_in(fresh, spoc.email, "Tidal-Meadow-Brass-64").status_code == 302
    assert fresh.get("/").headers["Location"] == "/account/password"
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "users", AuditEntry.action == "update")
        ).one()
        assert entry.changes["password_hash"] == ["[redacted]", "[redacted]"]


def test_user_list_searches_filters_and_pages(app, client, world, login_as, create):
    from tests.factories import UserFactory

    for n in range(55):
        create(UserFactory, full_name=f"Zed Example {n:02d}", email=f"zed{n}@council.example")
    login_as(Role.PREVENT_LEAD)
    page = client.get("/users?q=zed").get_data(as_text=True)
    assert "Showing 1 to 50 of 55" in page
    assert "Zed Example 00" in page
    assert "Zed Example 54" not in page
    second = client.get("/users?q=zed&page=2").get_data(as_text=True)
    assert "Zed Example 54" in second
    auditors = client.get("/users?role=auditor").get_data(as_text=True)
    assert "Auditor Person" in auditors
    assert "Zed Example" not in auditors
    assert "No users match these filters" in client.get("/users?q=nobody-at-all").get_data(as_text=True)


def test_user_list_uses_a_fixed_number_of_queries(app, client, world, login_as, create):
    """No N+1: listing 10 or 40 users costs the same number of statements."""
    from sqlalchemy import event

    from tests.factories import UserFactory

    login_as(Role.PREVENT_LEAD)

    def count_statements() -> int:
        statements = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/users?status=all").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    small = count_statements()
    for _ in range(30):
        create(UserFactory, roles=[Role.BOARD_MEMBER])
    assert count_statements() == small
