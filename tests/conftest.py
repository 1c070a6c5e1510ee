"""Fixtures: the app on the test database, a clean database per test, signed-in clients.

The database is SQLite (a file per run) unless TEST_DATABASE_URL names another, as
`make test` does for its throwaway PostgreSQL cluster. The schema is built by running
the migrations, so every test also exercises them.
"""

import os
import re
import time
import uuid
from datetime import date, timedelta
from types import SimpleNamespace

import pyotp
import pytest
from flask_migrate import upgrade
from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from core import clock, tenancy, twofactor
from core.app import create_app
from core.demo import load_demo
from core.extensions import db
from core.models import User
from core.storage import get_storage
from core.vocab import Role
from partnership.models import Partnership
from plans.models import EvidenceFile
from plans.services import add_row, create_plan
from tests.database_state import Snapshot, build_or_restore, empty_database
from tests.factories import (
    TEST_PASSWORD,
    TEST_TOTP_SECRET,
    BusinessAreaFactory,
    OrganisationFactory,
    PartnershipFactory,
    UserFactory,
)

#: The suite's "today". Every process of a run (this one, the live server, gunicorn, CLI
#: subprocesses) reads it through core.clock, so no result depends on the day the suite runs
#: (core.clock reads the environment on every call).
#: A Monday in the middle of a quarter; tests pin month and quarter ends with explicit dates.
TEST_TODAY = date(2026, 11, 16)
os.environ["APP_TODAY"] = TEST_TODAY.isoformat()
os.environ["APP_CLOCK_STARTED"] = repr(time.time())


@event.listens_for(Session, "before_flush")
def _a_partnership_for_records_made_without_one(session, flush_context, instances) -> None:
    """Tests build records outside any request, where a deployment's commands name their
    partnership: a record that does not hang from another (a course, a Channel case) goes to the
    test's first partnership, made if the test has none (as every deployment has one). Tests of
    several partnerships say which with core.tenancy.scoped; the app itself never guesses."""
    if not tenancy.current().everything or session.info.get("strict_tenancy"):
        return
    orphans = [
        o for o in session.new if isinstance(o, tenancy.Scoped | tenancy.ScopedOptional) and o.partnership_id is None
    ]
    if not orphans:
        return
    connection = session.connection()
    tenancy.every_partnership_connection(connection)
    first = connection.execute(text("SELECT min(id) FROM partnerships")).scalar()
    if first is None:
        now = clock.now()
        values = {"name": "Test Partnership", "created_at": now, "updated_at": now}
        first = connection.execute(Partnership.__table__.insert().values(**values)).inserted_primary_key[0]
    for obj in orphans:
        obj.partnership_id = first


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        "test", SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path_factory.mktemp("uploads"))
    )
    with app.app_context():
        _drop_everything()
        upgrade(revision="heads")
    return app


def _drop_everything() -> None:
    """Start from an empty database (a reused PostgreSQL database may hold a previous run)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" in request.fixturenames:
        empty_database(request.getfixturevalue("app"))


@pytest.fixture(scope="session")
def _snapshots(app, tmp_path_factory) -> dict[str, Snapshot]:
    folder = tmp_path_factory.mktemp("snapshots")
    return {name: Snapshot(app, folder, name) for name in ("demo", "world")}


def _load_demo(app) -> None:
    with app.app_context():
        load_demo()
        db.session.commit()


@pytest.fixture
def demo(app, _snapshots):
    """The demo partnership: built by the first test that asks, copied then, and restored from
    the copy for every later one (the clean-up empties it after)."""
    build_or_restore(app, _snapshots["demo"], _load_demo)


@pytest.fixture
def another_app(app, database_url):
    """A second app on the suite's database and upload folder, as a second app server would be
    (a test may add routes to it before its first request)."""
    other = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"])
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context for service-level tests (not for tests that use the client)."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def create(app):
    """Run factories in their own app context and commit; returns loaded, detached objects."""

    def _create(factory, **kwargs):
        with app.app_context():
            obj = factory(**kwargs)
            db.session.commit()
            db.session.refresh(obj)
            db.session.expunge(obj)
            return obj

    return _create


@pytest.fixture
def world(app, _snapshots):
    """A small partnership: one organisation, two areas with a plan each, the county plan,
    an evidence file, and a user for every role (the SPOC leads the first area). Built once and
    restored from a copy for each test (see tests/database_state.py)."""
    return build_or_restore(app, _snapshots["world"], _build_world)


def _build_world(app) -> SimpleNamespace:
    with app.app_context():
        partnership = PartnershipFactory(name="Test County Prevent Partnership")
        organisation = OrganisationFactory(partnership=partnership, name="Test County Council")
        area = BusinessAreaFactory(partnership=partnership, name="Education", organisation=organisation)
        other_area = BusinessAreaFactory(partnership=partnership, name="Adult social care")
        users = {}
        for role in Role:
            areas = [(area, "spoc")] if role is Role.SPOC else []
            users[role] = UserFactory(
                email=f"{role.value}@council.example",
                full_name=f"{role.label.split(' (')[0]} Person",
                roles=[role],
                areas=areas,
                organisation=organisation,
            )
        db.session.flush()
        plan = create_plan(area_id=area.id, title="Education Prevent Action Plan", period="2026-2027")
        row = add_row(plan, section_title="Training", values={"duty": "Train staff", "actions": ["Run WRAP"]})
        other_plan = create_plan(area_id=other_area.id, title="Adult social care plan")
        other_row = add_row(other_plan, values={"duty": "Refer vulnerable adults"})
        county_plan = create_plan(area_id=None, title="County delivery plan", template="county")
        key = f"evidence/te/{uuid.uuid4().hex}.pdf"
        get_storage().put(key, b"%PDF-1.4 world evidence")
        evidence = EvidenceFile(
            row_id=row.id,
            filename="register.pdf",
            content_type="application/pdf",
            size=23,
            sha256="0" * 64,
            storage_key=key,
        )
        db.session.add(evidence)
        db.session.flush()
        evidence.document_id = evidence.id
        db.session.commit()
        return SimpleNamespace(
            partnership_id=partnership.id,
            organisation_id=organisation.id,
            area_id=area.id,
            other_area_id=other_area.id,
            plan_id=plan.id,
            row_id=row.id,
            other_plan_id=other_plan.id,
            other_row_id=other_row.id,
            county_plan_id=county_plan.id,
            evidence_id=evidence.id,
            users={role: SimpleNamespace(id=u.id, email=u.email, password=TEST_PASSWORD) for role, u in users.items()},
        )


def sign_in(client, email: str, password: str = TEST_PASSWORD, *, secret: str | None = None, next: str = ""):
    """Sign in, giving a TOTP code when the account asks for one (from ``secret``, or the key the
    account was set up with: the factories' or the demo's); the last response (302 when signed in)."""
    response = client.post("/login" + (f"?next={next}" if next else ""), data={"email": email, "password": password})
    return finish_sign_in(client, response, email, secret)


def finish_sign_in(client, response, email: str, secret: str | None = None):
    """After the password was posted: give the TOTP code if the account was asked for one."""
    if response.status_code == 302 and response.headers["Location"].startswith("/login/two-factor"):
        page = client.get("/login/two-factor").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        data = {"csrf_token": token.group(1)} if token else {}
        code = unused_code(client.application, email, secret)
        response = client.post("/login/two-factor", data={**data, "code": code})
    return response


def totp_code(secret: str = TEST_TOTP_SECRET, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app with ``secret`` shows now (by the suite's clock)."""
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30 * steps_ahead))


def unused_code(app, email: str, secret: str | None = None) -> str:
    """A code the server will accept for ``email`` now. A code works once, and a 30-second step
    and the next are all a sign-in may use; the suite signs one person in many times a minute,
    which no person does, so when both are spent it moves the account's last used step back, as
    if a minute had passed (core.twofactor.verify_code)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        secret = secret or twofactor.decrypt_secret(user.totp_secret)
        step = int(clock.now().timestamp()) // 30
        last = user.totp_last_step
        if last is not None and last >= step + 1:
            db.session.execute(update(User).where(User.id == user.id).values(totp_last_step=step - 2))
            db.session.commit()
        elif last == step:
            step += 1
        db.session.remove()
    return pyotp.TOTP(secret).at(step * 30)


@pytest.fixture
def login_as(client, world):
    """Sign the test client in as the world's user for a role; returns that user."""

    def _login(role: Role):
        user = world.users[role]
        response = sign_in(client, user.email, user.password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def security_events(app, kind: str) -> list:
    """The security events of one kind, in the order they were written (PostgreSQL returns rows
    in no set order without an ORDER BY), detached so a test can read them after the context."""
    from core.models import SecurityEvent

    with app.app_context():
        found = db.session.scalars(
            select(SecurityEvent).where(SecurityEvent.kind == kind).order_by(SecurityEvent.id)
        ).all()
        db.session.expunge_all()
        return list(found)
