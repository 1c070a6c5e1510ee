"""One commit per request, at its end: a failed request writes nothing, except the records of
what happened (refusals, failed sign-ins), which are kept in a transaction of their own."""

from contextlib import contextmanager

import pytest
from flask_login import login_user
from sqlalchemy import event, func, select
from werkzeug.exceptions import Forbidden

from core import accounts, tenancy
from core.audit import AuditEntry
from core.auth import forbid_unless
from core.cli import command_transaction
from core.extensions import db
from core.models import SecurityEvent, User
from core.permissions import Permission, public, requires
from core.vocab import Role
from partnership.models import Organisation
from tests.conftest import sign_in
from tests.factories import TEST_PASSWORD

NEW_EMAIL = "never-saved@council.example"


@contextmanager
def counting_commits(app):
    """Count the COMMITs the database receives inside the block."""
    with app.app_context():
        engine = db.engine
    commits = []

    def on_commit(connection):
        commits.append(1)

    event.listen(engine, "commit", on_commit)
    try:
        yield commits
    finally:
        event.remove(engine, "commit", on_commit)


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _add_user() -> None:
    """A service call that adds and flushes (and writes its audit entries)."""
    accounts.create_user(email=NEW_EMAIL, full_name="Never Saved", password="x" * 16, roles=[Role.SPOC])


def test_a_request_that_raises_after_a_service_flushed_writes_nothing(app, another_app, world):
    @public
    def flush_then_fail():
        _add_user()
        raise RuntimeError("after the flush")

    another_app.add_url_rule("/test/flush-then-fail", "flush_then_fail", flush_then_fail)
    audit_before = _count(app, AuditEntry)

    response = another_app.test_client().get("/test/flush-then-fail")

    assert response.status_code == 500
    assert _count(app, User, User.email == NEW_EMAIL) == 0
    assert _count(app, AuditEntry) == audit_before  # the flushed audit entries went with it


def test_a_403_records_its_security_event_and_nothing_else(app, another_app, world):
    @requires(Permission.SIGNED_IN)
    def flush_then_refuse():
        _add_user()
        forbid_unless(False)

    another_app.add_url_rule("/test/flush-then-refuse", "flush_then_refuse", flush_then_refuse)
    client = another_app.test_client()
    spoc = world.users[Role.SPOC]
    assert sign_in(client, spoc.email).status_code == 302
    audit_before = _count(app, AuditEntry)

    response = client.get("/test/flush-then-refuse")

    assert response.status_code == 403
    assert _count(app, User, User.email == NEW_EMAIL) == 0
    assert _count(app, AuditEntry) == audit_before
    with app.app_context():
        (refused,) = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "forbidden"))
        assert (refused.user_id, refused.path) == (spoc.id, "/test/flush-then-refuse")


def test_forbid_unless_does_not_commit_pending_work(app, world):
    with app.test_request_context("/somewhere"), counting_commits(app) as commits:
        login_user(db.session.get(User, world.users[Role.SPOC].id))
        pending = Organisation(partnership_id=world.partnership_id, name="Pending Council", kind="district_council")
        db.session.add(pending)

        with pytest.raises(Forbidden):
            forbid_unless(False)

        assert commits == []
        assert pending in db.session.new  # still the request's, to be rolled back with its 403
        db.session.rollback()
    assert _count(app, Organisation, Organisation.name == "Pending Council") == 0
    assert _count(app, SecurityEvent) == 0  # the event waits for the end of a real request


def test_a_successful_post_is_committed_once(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    with counting_commits(app) as commits:
        response = client.post(
            "/partnership/organisations/new",
            data={"name": "Fenland District Council", "short_name": "FDC", "kind": "district_council"},
        )
    assert response.status_code == 302
    assert commits == [1]
    assert _count(app, Organisation, Organisation.name == "Fenland District Council") == 1


def test_a_refused_page_is_committed_once_with_only_its_event(app, client, world, login_as):
    login_as(Role.SPOC)
    with counting_commits(app) as commits:
        assert client.get("/users").status_code == 403
    assert commits == [1]  # the rollback, then the event alone
    assert _count(app, SecurityEvent, SecurityEvent.kind == "forbidden") == 1


def test_a_failed_sign_in_is_counted_even_when_the_request_fails(app, client, world, monkeypatch):
    def broken_page(*args, **kwargs):
        raise RuntimeError("the page could not be drawn")

    monkeypatch.setattr("core.auth.render_template", broken_page)
    spoc = world.users[Role.SPOC]

    response = client.post("/login", data={"email": spoc.email, "password": "not " + TEST_PASSWORD})

    assert response.status_code == 500
    with app.app_context():
        assert db.session.get(User, spoc.id).failed_logins == 1
    assert _count(app, SecurityEvent, SecurityEvent.kind == "login_failed") == 1


def test_a_commit_that_fails_gives_the_error_page_with_its_headers(app, another_app, world):
    @public
    def duplicate_email():
        # Not flushed: the unique email is only refused by the commit at the end of the request.
        tenancy.set_scope(tenancy.Scope.of(world.partnership_id))  # as a signed-in request serves
        db.session.add(User(email=world.users[Role.SPOC].email, full_name="Twin", password_hash="x"))
        return "the view's own answer"

    another_app.add_url_rule("/test/duplicate", "duplicate_email", duplicate_email)

    response = another_app.test_client().get("/test/duplicate")

    assert response.status_code == 503  # as a view's own failed write is answered
    assert "Sorry, the service is unavailable" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"  # the security headers still added
    assert _count(app, User, User.full_name == "Twin") == 0


def test_a_command_commits_once_at_its_end_and_nothing_when_it_fails(app, world):
    with app.app_context():
        with pytest.raises(RuntimeError), command_transaction("test command"):
            _add_user()
            raise RuntimeError("the command failed")
        assert _count(app, User, User.email == NEW_EMAIL) == 0

        with counting_commits(app) as commits, command_transaction("test command"):
            _add_user()
        assert commits == [1]
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity == "users").order_by(AuditEntry.id.desc()))
        assert entry.actor_label == "test command"
