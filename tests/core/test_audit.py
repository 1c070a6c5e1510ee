"""The audit trail: captured automatically, field by field, append-only, browsable, exportable."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from core.audit import REDACTED, AuditEntry, acting_as, write_insert_entries
from core.bulk import bulk_insert
from core.db import utcnow
from core.extensions import db
from core.models import User
from core.vocab import Role
from partnership.models import Organisation
from tests.factories import OrganisationFactory


def entries(app, **filters):
    with app.app_context():
        query = select(AuditEntry).filter_by(**filters).order_by(AuditEntry.id)
        found = db.session.scalars(query).all()
        for e in found:
            db.session.expunge(e)
        return found


def test_insert_update_delete_are_captured_with_before_and_after(app, ctx):
    with acting_as("test-runner"):
        organisation = OrganisationFactory(name="Fenland District Council", short_name="Fenland")
        db.session.commit()
        organisation.short_name = "FDC"
        db.session.commit()
        db.session.delete(organisation)
        db.session.commit()
    found = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "organisations").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in found] == ["insert", "update", "delete"]
    assert found[0].changes["name"] == [None, "Fenland District Council"]
    assert found[1].changes == {"short_name": ["Fenland", "FDC"]}
    assert found[2].changes["name"] == ["Fenland District Council", None]
    assert {e.entity_id for e in found} == {found[0].entity_id}
    assert {e.actor_label for e in found} == {"test-runner"}
    assert "updated_at" not in found[1].changes  # bookkeeping is not recorded


def test_a_rolled_back_change_leaves_no_entry(app, ctx):
    OrganisationFactory(name="Kept")
    db.session.commit()
    before = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    organisation = db.session.scalar(select(Organisation))
    organisation.name = "Never saved"
    db.session.flush()
    db.session.rollback()
    after = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    assert after == before


def test_entries_cannot_be_changed_or_deleted(app, ctx):
    OrganisationFactory()
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry)).first()
    entry.label = "tampered"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    entry = db.session.scalars(select(AuditEntry)).first()
    db.session.delete(entry)
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_password_hashes_are_redacted(app, world):
    users = entries(app, entity="users", action="insert")
    assert users
    assert all(e.changes["password_hash"] == [None, REDACTED] for e in users)
    assert all("$argon2" not in str(e.changes) for e in users)


def test_change_through_the_ui_is_recorded_with_actor_and_before_after(app, client, world, login_as):
    lead = login_as(Role.PREVENT_LEAD)
    response = client.post(
        f"/partnership/organisations/{world.organisation_id}/edit",
        data={"name": "Test County Council", "short_name": "TCC", "kind": "police", "active": "y"},
    )
    assert response.status_code == 302
    (entry,) = entries(app, entity="organisations", action="update")
    assert entry.changes["kind"] == ["local_authority", "police"]
    assert entry.changes["short_name"][1] == "TCC"
    assert entry.actor_id == lead.id
    assert entry.actor_label == lead.email
    assert entry.ip == "127.0.0.1"
    page = client.get(f"/audit?entity=organisations&entity_id={world.organisation_id}").get_data(as_text=True)
    assert "local_authority" in page
    assert "police" in page
    assert lead.email in page


def test_auditor_filters_and_exports_csv(app, client, world, login_as):
    login_as(Role.AUDITOR)
    page = client.get("/audit?entity=business_areas").get_data(as_text=True)
    assert "2 entries matching the filters" in page
    response = client.get("/audit/export.csv?entity=business_areas")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["Record type"] for r in rows} == {"business_areas"}
    assert {"Education", "Adult social care"} <= {r["After"] for r in rows if r["Field"] == "name"}


def test_audit_filters_reject_bad_input_with_messages(client, world, login_as):
    login_as(Role.AUDITOR)
    response = client.get("/audit?entity_id=abc&date_from=31&date_from=02&date_from=2026&date_to=1&date_to=1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Record number must be a whole number" in page
    assert "From must be a real date" in page
    assert "Enter to as a day, month and year" in page or "To must be a real date" in page
    assert client.get("/audit/export.csv?entity_id=abc").status_code == 400


def test_audit_date_range(app, client, world, login_as):
    login_as(Role.AUDITOR)
    page = client.get("/audit?date_from=1&date_from=1&date_from=2000&date_to=31&date_to=12&date_to=2000").get_data(
        as_text=True
    )
    assert "No changes match these filters" in page
    backwards = client.get("/audit?date_from=2&date_from=1&date_from=2026&date_to=1&date_to=1&date_to=2026")
    assert "The &#39;to&#39; date must be the same as or after the &#39;from&#39; date" in backwards.get_data(
        as_text=True
    )


def test_security_events_page_lists_failed_sign_ins(client, world, login_as):
    from tests.conftest import sign_in

    sign_in(client.application.test_client(), world.users[Role.SPOC].email, "Wrong-Password-9999")
    login_as(Role.PREVENT_LEAD)
    page = client.get("/audit/security?kind=login_failed").get_data(as_text=True)
    assert world.users[Role.SPOC].email in page
    assert "login failed" in page


def test_bulk_inserts_are_audited_as_a_flush_would_audit_them(ctx):
    with acting_as("bulk test"):
        by_flush = User(
            email="flushed@council.example",
            full_name="Flushed",
            password_hash="secret-1",
            access_expires_on=date(2027, 3, 31),
        )
        db.session.add(by_flush)
        db.session.flush()
        now = utcnow()
        row = {
            "email": "bulk@council.example",
            "full_name": "Bulk",
            "job_title": "",
            "password_hash": "secret-2",
            "active": True,
            "must_change_password": False,
            "failed_logins": 0,
            "access_expires_on": date(2027, 3, 31),
            "created_at": now,
            "updated_at": now,
        }
        bulk_insert(User.__table__, [row])
        bulk_id = db.session.scalar(select(User.id).where(User.email == "bulk@council.example"))
        write_insert_entries(User, [row], [bulk_id], label_key="email")

    flushed, bulk = (
        db.session.scalars(select(AuditEntry).where(AuditEntry.entity_id == i, AuditEntry.entity == "users")).one()
        for i in (by_flush.id, bulk_id)
    )
    assert (bulk.action, bulk.actor_label, bulk.label) == ("insert", "bulk test", "bulk@council.example")
    assert bulk.changes["password_hash"] == [None, REDACTED]
    assert bulk.changes["access_expires_on"] == [None, "2027-03-31"]
    assert "failed_logins" not in bulk.changes and "created_at" not in bulk.changes  # not audited
    assert bulk.changes.keys() == flushed.changes.keys()
