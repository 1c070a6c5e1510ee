"""Two-factor authentication, password reset by email, the current-password limit, the absolute
session lifetime, trusted proxies, logs without typed emails, and ids past a column's range."""

import logging
import re
from datetime import timedelta

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from core import clock
from core.app import create_app
from core.cli import demo_code, reset_two_factor
from core.extensions import db
from core.models import PasswordResetToken, RecoveryCode, User
from core.permissions import public
from core.vocab import Role
from tests.channel_panel.factories import new_case
from tests.conftest import security_events as events
from tests.conftest import sign_in, totp_code, unused_code
from tests.core.test_reminders import smtp  # noqa: F401 - the loopback SMTP server fixture
from tests.factories import TEST_PASSWORD, UserFactory


def user_row(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


# --- Signing in with a second factor -------------------------------------------------------


def test_the_prevent_lead_needs_a_code_after_the_password(app, client, world):
    lead = world.users[Role.PREVENT_LEAD]
    response = client.post("/login", data={"email": lead.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/login/two-factor"
    # Not signed in yet: every page still sends the person to sign in.
    assert client.get("/").headers["Location"].startswith("/login")
    page = client.post("/login/two-factor", data={"code": "000000"}).get_data(as_text=True)
    assert "Enter a correct code from your authenticator app" in page
    response = client.post("/login/two-factor", data={"code": unused_code(app, lead.email)})
    assert response.headers["Location"] == "/"
    assert "Welcome, Prevent Lead Person" in client.get("/").get_data(as_text=True)
    assert [e.detail for e in events(app, "login_ok")] == ["with a second factor"]
    assert len(events(app, "two_factor_failed")) == 1


def test_a_code_works_once(app, world):
    lead = world.users[Role.PREVENT_LEAD]
    code = unused_code(app, lead.email)
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        client.post("/login", data={"email": lead.email, "password": TEST_PASSWORD})
    assert first.post("/login/two-factor", data={"code": code}).status_code == 302
    page = second.post("/login/two-factor", data={"code": code}).get_data(as_text=True)
    assert "Enter a correct code" in page


def test_wrong_codes_are_limited(app, client, world):
    lead = world.users[Role.PREVENT_LEAD]
    client.post("/login", data={"email": lead.email, "password": TEST_PASSWORD})
    for _ in range(5):
        client.post("/login/two-factor", data={"code": "123456"})
    page = client.post("/login/two-factor", data={"code": unused_code(app, lead.email)}).get_data(as_text=True)
    assert "Too many wrong codes. Wait 15 minutes and try again" in page
    assert len(events(app, "two_factor_failed")) == 5
    assert len(events(app, "two_factor_locked")) == 1


def test_the_code_step_expires(app, client, world):
    lead = world.users[Role.PREVENT_LEAD]
    client.post("/login", data={"email": lead.email, "password": TEST_PASSWORD})
    with client.session_transaction() as session:
        session["pending_at"] -= 301
    response = client.post("/login/two-factor", data={"code": unused_code(app, lead.email)})
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize(
    "role", [Role.PREVENT_LEAD, Role.PANEL_CHAIR, Role.PANEL_MEMBER, Role.AUDITOR, Role.REGIONAL_COORDINATOR]
)
def test_roles_that_need_it_must_set_it_up_first(app, client, create, role):
    user = create(UserFactory, email="new@council.example", roles=[role], two_factor=False)
    assert sign_in(client, user.email).status_code == 302
    assert client.get("/").headers["Location"] == "/account/two-factor/set-up"
    assert client.get("/account/two-factor/set-up").status_code == 200


@pytest.mark.parametrize("role", [Role.SPOC, Role.BOARD_MEMBER, Role.TRAINING_COORDINATOR])
def test_other_roles_may_go_without(app, client, login_as, role):
    login_as(role)
    assert client.get("/").status_code == 200


def test_the_partnership_setting_requires_it_of_everyone(app, client, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_FOR_EVERYONE", True)
    login_as(Role.SPOC)
    assert client.get("/").headers["Location"] == "/account/two-factor/set-up"


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account/two-factor/set-up").get_data(as_text=True)
    assert "<svg" in page and 'aria-label="QR code for your authenticator app"' in page
    secret = re.search(r'id="two-factor-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    page = client.post("/account/two-factor/set-up", data={"code": pyotp.TOTP(secret).at(clock.now())})
    codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", page.get_data(as_text=True))
    return secret, codes


def test_enrolment_with_recovery_codes_then_sign_in_with_each(app, client, world):
    spoc = world.users[Role.SPOC]
    assert sign_in(client, spoc.email).status_code == 302
    secret, codes = _enrol(client)
    assert len(secret) == 32 and len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        stored = db.session.get(User, spoc.id).totp_secret
        hashes = list(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == spoc.id)))
    # Neither the secret nor the codes are in the database as they are.
    assert secret not in stored and len(hashes) == 10
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert len(events(app, "two_factor_enrolled")) == 1

    fresh = app.test_client()
    assert fresh.post("/login", data={"email": spoc.email, "password": TEST_PASSWORD}).headers["Location"] == (
        "/login/two-factor"
    )
    assert fresh.post("/login/two-factor", data={"code": codes[0].lower()}).headers["Location"] == "/"
    assert [e.detail for e in events(app, "recovery_code_used")] == ["9 left"]
    # A recovery code works once.
    again = app.test_client()
    again.post("/login", data={"email": spoc.email, "password": TEST_PASSWORD})
    assert "Enter a correct code" in again.post("/login/two-factor", data={"code": codes[0]}).get_data(as_text=True)
    assert sign_in(again, spoc.email, secret=secret).status_code == 302


def test_enrolment_refuses_a_wrong_first_code(client, login_as):
    login_as(Role.SPOC)
    client.get("/account/two-factor/set-up")
    page = client.post("/account/two-factor/set-up", data={"code": "12345"}).get_data(as_text=True)
    assert "Enter the 6-digit code your authenticator app shows now" in page


def test_turning_off_needs_the_password_and_is_refused_to_required_roles(app, client, world, login_as):
    spoc = world.users[Role.SPOC]
    login_as(Role.SPOC)
    _enrol(client)
    page = client.post("/account/two-factor/turn-off", data={"password": "wrong"}).get_data(as_text=True)
    assert "Your current password is incorrect" in page
    assert client.post("/account/two-factor/turn-off", data={"password": TEST_PASSWORD}).status_code == 302
    assert user_row(app, spoc.id).totp_secret is None
    assert [e.user_id for e in events(app, "two_factor_disabled")] == [spoc.id]

    lead_client = app.test_client()
    sign_in(lead_client, world.users[Role.PREVENT_LEAD].email)
    lead_client.post("/account/two-factor/turn-off", data={"password": TEST_PASSWORD})
    assert user_row(app, world.users[Role.PREVENT_LEAD].id).totp_secret is not None


def test_new_recovery_codes_replace_the_old(app, client, world):
    lead = world.users[Role.PREVENT_LEAD]
    sign_in(client, lead.email)
    codes = r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>"
    first = re.findall(codes, client.post("/account/two-factor/recovery-codes").get_data(as_text=True))
    second = re.findall(codes, client.post("/account/two-factor/recovery-codes").get_data(as_text=True))
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    with app.app_context():
        count = db.session.scalar(
            select(db.func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == lead.id)
        )
    assert count == 10
    assert len(events(app, "recovery_codes_issued")) == 2


def test_a_channel_personal_record_asks_for_a_fresh_code(app, client, world):
    chair = world.users[Role.PANEL_CHAIR]
    with app.app_context():
        case_id = new_case(name="Alex Example").id
        db.session.commit()
    sign_in(client, chair.email)
    assert client.get(f"/channel/cases/{case_id}/personal").status_code == 200  # checked at sign-in
    with client.session_transaction() as session:
        session["second_factor_at"] -= 16 * 60
    response = client.get(f"/channel/cases/{case_id}/personal")
    assert response.headers["Location"] == f"/account/two-factor/check?next=/channel/cases/{case_id}/personal"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Confirm it is you" in page
    response = client.post(response.headers["Location"], data={"code": unused_code(app, chair.email)})
    assert response.headers["Location"] == f"/channel/cases/{case_id}/personal"
    assert client.get(f"/channel/cases/{case_id}/personal").status_code == 200


def test_the_secret_needs_the_servers_key(app, world):
    """A copy of the database alone does not give the secrets: another key cannot read them."""
    other = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="another")
    client = other.test_client()
    client.post("/login", data={"email": world.users[Role.PREVENT_LEAD].email, "password": TEST_PASSWORD})
    page = client.post("/login/two-factor", data={"code": totp_code()}).get_data(as_text=True)
    assert "Your two-factor set-up cannot be checked" in page
    assert len(events(app, "two_factor_unreadable")) == 1
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


# --- Commands ------------------------------------------------------------------------------


def test_demo_code_prints_a_demo_accounts_code_only_when_allowed(app, demo, monkeypatch):
    runner = CliRunner()
    monkeypatch.setitem(app.config, "DEMO_TWO_FACTOR_CODES", True)
    with app.app_context():
        result = runner.invoke(demo_code, ["helen.marsh@cambridgeshire.example"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == pyotp.TOTP("DEMOPREVENTPARTNERSHIPTWOFACTORK").at(clock.now())
    monkeypatch.setitem(app.config, "DEMO_TWO_FACTOR_CODES", False)
    with app.app_context():
        result = runner.invoke(demo_code, ["helen.marsh@cambridgeshire.example"])
    assert result.exit_code == 1 and "demo codes are switched off" in result.output


def test_demo_code_refuses_an_account_with_its_own_key(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_TWO_FACTOR_CODES", True)
    with app.app_context():
        result = CliRunner().invoke(demo_code, [world.users[Role.PREVENT_LEAD].email])
    assert result.exit_code == 1 and "not the demo one" in result.output


def test_two_factor_reset_command(app, world):
    lead = world.users[Role.PREVENT_LEAD]
    with app.app_context():
        result = CliRunner().invoke(reset_two_factor, [lead.email])
    assert result.exit_code == 0, result.output
    assert user_row(app, lead.id).totp_secret is None
    assert [e.detail for e in events(app, "two_factor_reset")] == ["by flask two-factor reset"]


# --- Password reset by email ---------------------------------------------------------------


def _link(message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"https://prevent\.example(/password/reset\?token=\S+)", body).group(1)


def test_password_reset_from_the_email(app, world, smtp):  # noqa: F811 - the fixture
    spoc = world.users[Role.SPOC]
    other_session = app.test_client()
    assert sign_in(other_session, spoc.email).status_code == 302
    client = app.test_client()
    page = client.post("/password/forgot", data={"email": spoc.email.upper()}).get_data(as_text=True)
    assert "If an account uses that address, we have sent it a link" in page
    (message,) = smtp.to(spoc.email)
    assert message["Subject"] == "Reset your password"
    link = _link(message)
    with app.app_context():
        (token,) = db.session.scalars(select(PasswordResetToken))
        assert link.split("token=")[1] not in token.token_hash  # only the hash is kept
        assert abs(token.expires_at - token.created_at - timedelta(minutes=30)) < timedelta(seconds=1)
    response = client.get(link)
    assert response.headers["Location"] == "/password/reset"  # the token leaves the address bar
    assert "Choose a new password" in client.get("/password/reset").get_data(as_text=True)
    response = client.post(
        "/password/reset",
        data={"new_password": "Granite-Harbour-Lantern-9", "confirm_password": "Granite-Harbour-Lantern-9"},
    )
    assert response.headers["Location"] == "/login"
    # The other session has ended, the old password fails, the new one works, the link is spent.
    assert other_session.get("/").headers["Location"].startswith("/login")
    assert sign_in(app.test_client(), spoc.email).status_code == 200
    assert sign_in(app.test_client(), spoc.email, "Granite-Harbour-Lantern-9").status_code == 302
    again = app.test_client()
    again.get(link)
    assert "This link does not work" in again.get("/password/reset").get_data(as_text=True)
    assert [e.user_id for e in events(app, "password_reset_requested")] == [spoc.id]
    assert [e.user_id for e in events(app, "password_reset_done")] == [spoc.id]


def test_reset_answers_the_same_for_an_unknown_address(app, client, world, smtp):  # noqa: F811
    known = client.post("/password/forgot", data={"email": world.users[Role.SPOC].email}).get_data(as_text=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@council.example"}).get_data(as_text=True)
    strip = lambda page: re.sub(r'value="[^"]*"', "", page)  # noqa: E731
    assert strip(known) == strip(unknown)
    assert [m["To"] for m in smtp.messages] == [world.users[Role.SPOC].email]


def test_an_expired_reset_link_does_not_work(app, client, world, smtp):  # noqa: F811
    client.post("/password/forgot", data={"email": world.users[Role.SPOC].email})
    link = _link(smtp.messages[0])
    with app.app_context():
        db.session.execute(text("UPDATE password_reset_tokens SET expires_at = created_at"))
        db.session.commit()
    client.get(link)
    assert "This link does not work" in client.get("/password/reset").get_data(as_text=True)


def test_reset_emails_are_limited_per_address(app, client, world, smtp):  # noqa: F811
    for _ in range(5):
        client.post("/password/forgot", data={"email": world.users[Role.SPOC].email})
    assert len(smtp.messages) == 3


# --- Limits, sessions, proxies, logs, ids ---------------------------------------------------


def test_the_current_password_check_is_limited_and_recorded(app, client, login_as):
    login_as(Role.SPOC)
    data = {"new_password": "Granite-Harbour-Lantern-9", "confirm_password": "Granite-Harbour-Lantern-9"}
    for n in range(5):
        page = client.post("/account/password", data={**data, "current_password": f"guess-{n}"}).get_data(as_text=True)
        assert "Your current password is incorrect" in page
    page = client.post("/account/password", data={**data, "current_password": TEST_PASSWORD}).get_data(as_text=True)
    assert "Too many wrong passwords. Wait 15 minutes and try again" in page
    assert [e.detail for e in events(app, "password_check_failed")] == [f"attempt {n}" for n in range(1, 6)]
    assert len(events(app, "password_check_locked")) == 1


def test_a_session_ends_twelve_hours_after_sign_in_however_active(app, client, login_as):
    login_as(Role.SPOC)
    with client.session_transaction() as session:
        session["signed_in_at"] -= 12 * 3600 - 60  # 11 h 59 min ago; clicked a moment ago
    assert client.get("/areas").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] -= 120  # 12 h 1 min ago
    response = client.get("/areas")
    assert response.headers["Location"].startswith("/login?next=/areas")
    assert len(events(app, "session_expired")) == 1


def test_the_client_address_behind_a_trusted_proxy(app, world):
    behind = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXIES=1)
    direct = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    for server in (behind, direct):
        server.test_client().post(
            "/login",
            data={"email": "nobody@council.example", "password": "x"},
            headers={"X-Forwarded-For": "198.51.100.7"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
    assert sorted(e.ip for e in events(app, "login_unknown_email")) == ["10.0.0.2", "198.51.100.7"]
    for server in (behind, direct):
        with server.app_context():
            db.engine.dispose()


def test_an_unknown_email_is_not_written_to_the_log(client, world, caplog):
    with caplog.at_level(logging.INFO):
        sign_in(client, "someone.typed.this@council.example", "x")
    assert "login_unknown_email" in caplog.text
    assert "someone.typed.this" not in caplog.text


@pytest.mark.parametrize(
    "url", ["/plans/99999999999999999999", "/plans/2147483648", "/channel/cases/9223372036854775808"]
)
def test_an_id_past_the_columns_range_is_not_found(client, login_as, url):
    login_as(Role.PREVENT_LEAD)
    assert client.get(url).status_code == 404


def test_a_number_past_the_range_anywhere_else_is_not_found_either(another_app, world):
    """The backstop for numbers that do not come through a route's id (a query string, a form):
    SQLite's OverflowError and PostgreSQL's DataError answer 404, not 500 or 503."""

    @another_app.route("/look-up")
    @public
    def look_up():
        db.session.get(User, 10**20)
        return "found"

    assert another_app.test_client().get("/look-up").status_code == 404


def test_demo_data_prints_how_to_get_the_demo_codes(app, demo):
    from core.cli import demo_data

    with app.app_context():
        result = CliRunner().invoke(demo_data, ["--if-empty"])
    assert result.exit_code == 0, result.output
    assert "helen.marsh@cambridgeshire.example  (two-factor)" in result.output
    assert "priya.natarajan@cambridgeshire.example\n" in result.output  # a SPOC: password only
    assert "flask --app wsgi demo-code EMAIL" in result.output
    assert "DEMO PREV ENTP ARTN ERSH IPTW OFAC TORK" in result.output
