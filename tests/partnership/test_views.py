"""Member organisations: listing for every reader, changes by the Prevent Lead only."""

from sqlalchemy import select

from core.extensions import db
from core.vocab import Role
from partnership.models import Organisation


def organisations(app):
    with app.app_context():
        return {o.name: (o.kind, o.short_name, o.active) for o in db.session.scalars(select(Organisation))}


def test_every_reader_sees_the_list(client, world, login_as):
    login_as(Role.TRAINING_COORDINATOR)
    page = client.get("/partnership/organisations").get_data(as_text=True)
    assert "Test County Council" in page
    assert "Add an organisation" not in page  # no write controls for readers


def test_lead_adds_an_organisation(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    response = client.post(
        "/partnership/organisations/new",
        data={"name": "Fenland District Council", "short_name": "FDC", "kind": "district_council"},
    )
    assert response.status_code == 302
    assert organisations(app)["Fenland District Council"] == ("district_council", "FDC", True)
    page = client.get("/partnership/organisations").get_data(as_text=True)
    assert "Fenland District Council added to the partnership" in page


def test_organisation_form_errors(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    page = client.post("/partnership/organisations/new", data={"name": "", "kind": "spaceship"}).get_data(as_text=True)
    assert "Enter the organisation&#39;s name" in page
    assert "Not a valid choice" in page
    duplicate = client.post(
        "/partnership/organisations/new", data={"name": "test county council", "kind": "local_authority"}
    ).get_data(as_text=True)
    assert "An organisation with this name is already a member" in duplicate
    assert len(organisations(app)) == 1


def test_lead_marks_an_organisation_as_left(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    client.post(
        f"/partnership/organisations/{world.organisation_id}/edit",
        data={"name": "Test County Council", "short_name": "", "kind": "local_authority"},
    )
    assert organisations(app)["Test County Council"][2] is False


def test_missing_organisation_is_404(client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    assert client.get("/partnership/organisations/99999/edit").status_code == 404


# --- partnership settings: the disclosure threshold ------------------------------------------


def _threshold(app):
    from partnership.models import Partnership

    with app.app_context():
        return db.session.scalar(select(Partnership.disclosure_threshold))


def test_threshold_is_five_until_changed(app, client, world, login_as):
    assert _threshold(app) == 5
    login_as(Role.PREVENT_LEAD)
    page = client.get("/partnership/settings").get_data(as_text=True)
    assert 'value="5"' in page


def test_lead_changes_the_threshold_and_the_audit_trail_records_it(app, client, world, login_as):
    from core.audit import AuditEntry

    login_as(Role.PREVENT_LEAD)
    response = client.post("/partnership/settings", data={"disclosure_threshold": "10"})
    assert response.status_code == 302
    assert _threshold(app) == 10
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "partnerships").order_by(AuditEntry.id.desc())
        ).first()
        assert entry.action == "update"
        assert entry.changes["disclosure_threshold"] == [5, 10]
        assert entry.actor_label == world.users[Role.PREVENT_LEAD].email


def test_threshold_out_of_range_is_refused_and_nothing_saved(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    for raw, message in [
        ("", "Enter the smallest count published about people"),
        ("2", "Smallest count published must be a whole number from 3 to 20"),
        ("21", "Smallest count published must be a whole number from 3 to 20"),
        ("five", "Smallest count published must be a whole number from 3 to 20"),
    ]:
        response = client.post("/partnership/settings", data={"disclosure_threshold": raw})
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert _threshold(app) == 5


def test_others_may_not_change_the_threshold(client, world, login_as):
    login_as(Role.BOARD_MEMBER)
    assert client.post("/partnership/settings", data={"disclosure_threshold": "3"}).status_code == 403
