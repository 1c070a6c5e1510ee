"""Single sign-on in the browser, against a real OpenID provider on loopback (tests/oidc/provider.js).

The app is served with one provider, "cambs", serving cambridgeshire.example (the demo's county
council); the demo data holds Helen Marsh (the Prevent Lead) at that domain and Daniel Okafor at
peterborough.example. The provider's own sign-in page takes any email address and any password.
"""

import re
import threading

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from core.app import create_app
from core.extensions import db
from core.models import SecurityEvent, User
from tests.browser.conftest import AXE_JS, assert_no_axe_violations, new_context, path_of
from tests.oidc import PROVIDER_PASSWORD, OidcProvider, free_port, providers_setting

LABEL = "Sign in with your Cambridgeshire County Council account"


@pytest.fixture(scope="module")
def sso_server(app):
    """The app served with the provider configured, and the provider itself."""
    idp_port = free_port()
    entry = {
        "name": "cambs",
        "label": LABEL,
        "issuer": f"http://127.0.0.1:{idp_port}",
        "client_id": "prevent-tracker",
        "client_secret": "test-client-secret-not-for-production",
        "domains": ["cambridgeshire.example"],
    }
    live_app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
        WTF_CSRF_ENABLED=True,
        OIDC_PROVIDERS=providers_setting(entry),
    )
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["APP_BASE_URL"] = base_url
    idp = OidcProvider(name="cambs", app_url=base_url, port=idp_port)
    thread = threading.Thread(target=server.serve_forever, name="sso-live-server", daemon=True)
    thread.start()
    yield base_url, idp
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    idp.stop()
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture
def sso_page(browser, sso_server, demo):
    # The app's CSP stays on: the browser must let the sign-in and sign-out forms redirect to the
    # provider (form-action). axe comes in as an init script, which the CSP does not govern.
    context = new_context(browser, sso_server[0], bypass_csp=False)
    context.add_init_script(path=str(AXE_JS))
    page = context.new_page()
    yield page
    context.close()


def _events(app, kind: str) -> list[SecurityEvent]:
    with app.app_context():
        return list(db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)))


def _sign_in_at_provider(page: Page, idp: OidcProvider, email: str, login: str | None = None) -> None:
    """Enter the email on the tracker, then sign in on the provider's own page."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(re.escape(idp.issuer) + "/interaction/"))
    # The address typed on the tracker arrives as the login hint.
    expect(page.locator("input[name=login]")).to_have_value(email)
    page.locator("input[name=login]").fill(login or email)
    page.locator("input[name=password]").fill(PROVIDER_PASSWORD)
    page.locator("button[type=submit]").click()


def test_known_person_signs_in_through_their_provider_and_out_again(app, sso_page, sso_server):
    page = sso_page
    _, idp = sso_server
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Password")).to_have_count(0)
    expect(page.get_by_role("button", name=LABEL)).to_be_visible()
    assert_no_axe_violations(page)

    _sign_in_at_provider(page, idp, "helen.marsh@cambridgeshire.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Helen Marsh")
    assert path_of(page) == "/"
    # Roles come from this app: the Prevent Lead's user list is open to her.
    page.goto("/users")
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    with app.app_context():
        helen = db.session.scalar(select(User).where(User.email == "helen.marsh@cambridgeshire.example"))
    assert [(e.user_id, e.detail) for e in _events(app, "login_ok")] == [(helen.id, "single sign-on via cambs")]

    page.get_by_role("button", name="Sign out").click()
    # The provider asks whether to end its session too; then it sends the browser back here.
    expect(page).to_have_url(re.compile(re.escape(idp.issuer) + "/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert path_of(page) == "/login"
    page.goto("/users")
    assert path_of(page) == "/login?next=/users"
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    # The provider's session ended too: signing in again asks for the password there once more.
    page.get_by_label("Email address").fill("helen.marsh@cambridgeshire.example")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("input[name=password]")).to_be_visible()


def test_unknown_person_is_asked_to_request_access(app, sso_page, sso_server):
    page = sso_page
    _sign_in_at_provider(page, sso_server[1], "new.starter@cambridgeshire.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask your Prevent Lead for access")
    expect(page.get_by_text("new.starter@cambridgeshire.example")).to_be_visible()
    assert_no_axe_violations(page)
    [event] = _events(app, "sso_unknown_email")
    assert (event.email, event.user_id) == ("new.starter@cambridgeshire.example", None)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "new.starter@cambridgeshire.example")) is None
    page.goto("/")
    assert path_of(page) == "/login?next=/"


def test_address_at_a_domain_the_provider_does_not_serve_is_refused(app, sso_page, sso_server):
    page = sso_page
    # The county's provider vouches for a Peterborough address (one the demo has an account for).
    _sign_in_at_provider(
        page, sso_server[1], "helen.marsh@cambridgeshire.example", login="daniel.okafor@peterborough.example"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("You have not been signed in")
    expect(page.get_by_text("trusted only for addresses ending @cambridgeshire.example")).to_be_visible()
    assert_no_axe_violations(page)
    assert [e.email for e in _events(app, "sso_wrong_domain")] == ["daniel.okafor@peterborough.example"]
    assert _events(app, "login_ok") == []
    page.goto("/")
    assert path_of(page) == "/login?next=/"


def test_other_addresses_sign_in_with_a_password_on_the_second_step(sso_page):
    page = sso_page
    page.goto("/login")
    page.get_by_label("Email address").fill("owen.pritchard@audit.example")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Email address")).to_have_value("owen.pritchard@audit.example")
    assert_no_axe_violations(page)
    page.get_by_label("Password", exact=True).fill("wrong-password-here")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Enter a correct email address and password")).to_have_count(2)  # summary and field


def test_email_step_error_is_accessible(sso_page):
    page = sso_page
    page.goto("/login")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title("Error: Sign in – Prevent partnership tracker")
    expect(page.get_by_role("link", name="Enter your email address")).to_be_visible()
    assert_no_axe_violations(page)
