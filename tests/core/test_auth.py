"""Signing in and out, lockout, sessions, CSRF and what every response carries."""

from datetime import timedelta

from sqlalchemy import func, select, update

from core import clock
from core.app import create_app
from core.extensions import db
from core.models import LoginThrottle, SecurityEvent, User
from core.permissions import public
from core.vocab import Role
from tests.conftest import csrf_token, sign_in
from tests.conftest import security_events as events
from tests.factories import TEST_PASSWORD


def get_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_sign_in_lands_home_and_is_logged(app, client, world):
    lead = world.users[Role.PREVENT_LEAD]
    response = sign_in(client, lead.email.upper())  # email is case-insensitive
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert "Welcome, Prevent Lead Person" in home.get_data(as_text=True)
    assert get_user(app, lead.id).last_login_at is not None
    assert [e.user_id for e in events(app, "login_ok")] == [lead.id]


def test_wrong_password_gives_a_generic_error_and_counts(app, client, world):
    spoc = world.users[Role.SPOC]
    response = sign_in(client, spoc.email, "Not-The-Password-1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a correct email address and password" in page
    assert "<title>Error: Sign in" in page
    assert get_user(app, spoc.id).failed_logins == 1
    assert len(events(app, "login_failed")) == 1


def test_unknown_email_gets_the_same_message_and_is_logged(app, client, world):
    response = sign_in(client, "nobody@council.example")
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    logged = events(app, "login_unknown_email")
    assert [e.email for e in logged] == ["nobody@council.example"]


def test_empty_form_names_each_missing_field(client, world):
    page = client.post("/login", data={}).get_data(as_text=True)
    assert "Enter your email address" in page
    assert "Enter your password" in page
    assert 'href="#email"' in page


LOCKED = "Too many attempts to sign in with this email address. Wait 15 minutes and try again"


def test_repeated_failures_lock_the_account(app, client, world):
    spoc = world.users[Role.SPOC]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = sign_in(client, spoc.email, "Not-The-Password-1")
    assert LOCKED in response.get_data(as_text=True)
    assert get_user(app, spoc.id).is_locked()  # shown to the Prevent Lead, who may unlock it
    # Even the right password is refused while locked, and is not checked.
    response = sign_in(client, spoc.email)
    assert response.status_code == 200
    assert LOCKED in response.get_data(as_text=True)
    assert len(events(app, "account_locked")) == 1
    assert [e.detail for e in events(app, "login_throttled")] == ["attempt 6 from this address"]
    # When the lock's 15 minutes have passed the right password works again.
    with app.app_context():
        db.session.execute(update(LoginThrottle).values(window_start=clock.now() - timedelta(minutes=15, seconds=1)))
        db.session.commit()
    assert sign_in(client, spoc.email).status_code == 302


def test_an_unknown_email_is_locked_with_the_same_words(app, client, world):
    """Locked and unknown accounts answer alike, so the answers do not tell who has an account."""
    answers = [sign_in(client, "nobody@council.example", "Not-The-Password-1").get_data(as_text=True) for _ in range(6)]
    assert [LOCKED in a for a in answers] == [False, False, False, False, True, True]
    assert all("Enter a correct email address and password" in a for a in answers[:4])


def test_the_fifth_failure_in_a_row_locks_the_account_and_the_fourth_does_not(app, client, world):
    spoc = world.users[Role.SPOC]
    for _ in range(4):
        response = sign_in(client, spoc.email, "Not-The-Password-1")
    assert LOCKED not in response.get_data(as_text=True)
    assert not get_user(app, spoc.id).is_locked()
    assert get_user(app, spoc.id).failed_logins == 4

    response = sign_in(client, spoc.email, "Not-The-Password-1")

    assert LOCKED in response.get_data(as_text=True)
    assert get_user(app, spoc.id).is_locked()
    assert [e.detail for e in events(app, "account_locked")] == ["after 5 failed attempts from one address"]


def test_deactivated_account_cannot_sign_in(app, client, world):
    auditor = world.users[Role.AUDITOR]
    with app.app_context():
        db.session.get(User, auditor.id).active = False
        db.session.commit()
    response = sign_in(client, auditor.email)
    assert "This account has been deactivated" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert len(events(app, "login_inactive")) == 1


def test_deactivation_ends_a_signed_in_session(app, client, login_as):
    auditor = login_as(Role.AUDITOR)
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.get(User, auditor.id).active = False
        db.session.commit()
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your account has been deactivated" in page
    assert response.request.path == "/login"


def test_idle_session_expires_with_a_message(app, client, login_as):
    login_as(Role.BOARD_MEMBER)
    with client.session_transaction() as session:
        idle = app.config["SESSION_IDLE_MINUTES"] + 1
        session["seen"] = int((clock.now() - timedelta(minutes=idle)).timestamp())
    response = client.get("/areas")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/areas")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired" in page
    assert len(events(app, "session_expired")) == 1


def test_anonymous_user_is_sent_to_sign_in_and_back(client, world):
    response = client.get("/areas")
    assert response.headers["Location"] == "/login?next=/areas"
    response = client.post(
        "/login?next=/areas", data={"email": world.users[Role.SPOC].email, "password": TEST_PASSWORD}
    )
    assert response.headers["Location"] == "/areas"


def test_next_never_leaves_the_site(client, world):
    for target in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]:
        fresh = client.application.test_client()
        response = fresh.post(
            "/login",
            query_string={"next": target},
            data={"email": world.users[Role.SPOC].email, "password": TEST_PASSWORD},
        )
        assert response.headers["Location"] == "/", target


def test_forbidden_page_is_styled_and_logged(app, client, login_as):
    login_as(Role.BOARD_MEMBER)
    response = client.get("/users")
    assert response.status_code == 403
    assert "You do not have permission to see this page" in response.get_data(as_text=True)
    assert [e.path for e in events(app, "forbidden")] == ["/users"]


def test_sign_out(app, client, login_as):
    login_as(Role.SPOC)
    response = client.post("/logout", follow_redirects=True)
    assert "You have signed out" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert len(events(app, "logout")) == 1


def test_temporary_password_must_be_changed_first(app, client, world):
    spoc = world.users[Role.SPOC]
    with app.app_context():
        db.session.get(User, spoc.id).must_change_password = True
        db.session.commit()
    sign_in(client, spoc.email)
    response = client.get("/areas")
    assert response.headers["Location"] == "/account/password"
    bad = client.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "new_password": "password123456", "confirm_password": "x"},
    ).get_data(as_text=True)
    assert "Password is too common" in bad
    assert "Passwords must match" in bad
    response = client.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "Heron-Lantern-Fenland-8",
            "confirm_password": "Heron-Lantern-Fenland-8",
        },
    )
    assert response.headers["Location"] == "/"
    assert client.get("/areas").status_code == 200
    assert not get_user(app, spoc.id).must_change_password
    fresh = app.test_client()
    assert sign_in(fresh, spoc.email, TEST_PASSWORD).status_code == 200  # old password refused
    assert sign_in(fresh, spoc.email, "Heron-Lantern-Fenland-8").status_code == 302


def test_password_change_ends_other_sessions(app, world):
    spoc = world.users[Role.SPOC]
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, spoc.email)
    sign_in(phone, spoc.email)
    laptop.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "Heron-Lantern-Fenland-8",
            "confirm_password": "Heron-Lantern-Fenland-8",
        },
    )
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302


def test_missing_csrf_token_is_refused_and_logged(app, world):
    strict = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    response = client.post("/login", data={"email": world.users[Role.SPOC].email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "security token was missing or out of date" in response.get_data(as_text=True)
    assert len(events(app, "csrf_failed")) == 1
    # With the token from the page, the same sign-in works.
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": world.users[Role.SPOC].email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_security_headers_and_cookie_flags(client, world):
    response = sign_in(client, world.users[Role.SPOC].email)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_config_uses_secure_cookies_and_hsts(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    import importlib

    import config

    importlib.reload(config)
    try:
        assert config.Config.SESSION_COOKIE_SECURE is True
        assert config.Config.HSTS is True
    finally:
        monkeypatch.delenv("SECRET_KEY")
        importlib.reload(config)


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    import pytest

    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app("production")


def test_production_refuses_to_start_on_a_fixed_clock():
    import pytest

    with pytest.raises(RuntimeError, match="APP_TODAY fixes the date"):
        create_app("production", SECRET_KEY="p" * 40)


def test_unexpected_error_shows_no_stack_trace(app):
    broken = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    broken.add_url_rule("/boom", "boom", public(lambda: 1 / 0))
    response = broken.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    assert "Traceback" not in page
    assert "ZeroDivisionError" not in page


def test_unknown_page_is_a_styled_404(client, world):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_health_check_is_public(client, app):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SecurityEvent)) == 0
