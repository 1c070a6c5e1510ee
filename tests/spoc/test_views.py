"""Business areas and their SPOCs."""

from sqlalchemy import select

from core.extensions import db
from core.vocab import Role
from partnership.models import BusinessArea


def test_areas_list_shows_spocs_and_gaps(client, world, login_as):
    login_as(Role.BOARD_MEMBER)
    page = client.get("/areas").get_data(as_text=True)
    assert "Education" in page
    assert "SPOC Person" in page
    assert "No SPOC" in page  # Adult social care has none yet


def test_spoc_home_lists_their_areas(client, world, login_as):
    login_as(Role.SPOC)
    page = client.get("/").get_data(as_text=True)
    assert "Your business areas" in page
    assert f'href="/areas/{world.area_id}"' in page
    assert f'href="/areas/{world.other_area_id}"' not in page


def test_lead_adds_and_edits_an_area(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    response = client.post(
        "/areas/new",
        data={
            "name": "Cohesion",
            "organisation_id": str(world.organisation_id),
            "contact_email": "Cohesion@Council.example",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        area = db.session.scalar(select(BusinessArea).where(BusinessArea.name == "Cohesion"))
        assert area.contact_email == "cohesion@council.example"
        area_id = area.id
    client.post(f"/areas/{area_id}/edit", data={"name": "Community cohesion", "organisation_id": ""})
    with app.app_context():
        area = db.session.get(BusinessArea, area_id)
        assert (area.name, area.organisation_id) == ("Community cohesion", None)


def test_area_form_errors(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    page = client.post("/areas/new", data={"name": "education", "contact_email": "nope"}).get_data(as_text=True)
    assert "A business area with this name already exists" in page or "Enter an email address" in page
    assert "Enter an email address in the correct format" in page
    page = client.post("/areas/new", data={"name": "education"}).get_data(as_text=True)
    assert "A business area with this name already exists" in page
    with app.app_context():
        assert len(db.session.scalars(select(BusinessArea)).all()) == 2
