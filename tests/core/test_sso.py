"""Single sign-on against real OpenID Connect providers (tests/oidc/provider.js) on loopback.

Two providers: "council" serves council.example (the world's users) and "health" serves
health.example. The test client plays the app's side; tests.oidc.sign_in_at_provider plays the
browser at the provider, so every code, token and signature here is the provider's own.
"""

import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from core.app import create_app
from core.extensions import db
from core.models import User
from core.sso import ProviderSettingsError, parse_providers
from core.vocab import Role
from tests.conftest import csrf_token, sign_in
from tests.conftest import security_events as events
from tests.oidc import CLIENT_ID, CLIENT_SECRET, OidcProvider, free_port, providers_setting, sign_in_at_provider

APP_URL = "http://tracker.test"


@pytest.fixture(scope="module")
def idps():
    council = OidcProvider(name="council", app_url=APP_URL)
    try:
        health = OidcProvider(name="health", app_url=APP_URL)
    except Exception:
        council.stop()
        raise
    yield {"council": council, "health": health}
    council.stop()
    health.stop()


def _sso_app(app, *entries, **overrides):
    return create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
        APP_BASE_URL=APP_URL,
        OIDC_PROVIDERS=providers_setting(*entries),
        **overrides,
    )


@pytest.fixture(scope="module")
def sso_app(app, idps):
    other = _sso_app(
        app,
        idps["council"].settings(label="Sign in with your Test County Council account", domains=["council.example"]),
        idps["health"].settings(label="Sign in with your NHS account", domains=["health.example"]),
    )
    yield other
    with other.app_context():
        db.session.remove()


@pytest.fixture
def sso_client(sso_app):
    return sso_app.test_client()


def _continue(client, email: str, **extra):
    return client.post("/login", data={"email": email, **extra})


def _sign_in_via(client, idps, email: str, login: str | None = None):
    """Enter ``email`` on the email step, sign in at the provider as ``login`` (default: the same
    address), and return the app's answer to the provider's callback."""
    start = _continue(client, email)
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    back = sign_in_at_provider(start.headers["Location"], login or email, app_url=APP_URL)
    return client.get(back.removeprefix(APP_URL))


# -- The email step --------------------------------------------------------------------------


def test_sign_in_page_asks_for_email_first_and_offers_each_provider(sso_client, world):
    page = sso_client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page
    assert re.search(r"<button [^>]*>\s*Continue\s*</button>", page)
    assert "Sign in with your Test County Council account" in page
    assert "Sign in with your NHS account" in page
    assert 'href="/sign-in/sso/council"' in page
    assert 'href="/sign-in/sso/health"' in page


def test_email_at_a_providers_domain_goes_to_that_provider_with_pkce(sso_client, idps, world):
    response = _continue(sso_client, "Prevent_Lead@Council.example")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == idps["council"].issuer
    assert location.path == "/auth"
    query = parse_qs(location.query)
    assert query["client_id"] == ["prevent-tracker"]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url SHA-256, unpadded
    assert query["redirect_uri"] == [f"{APP_URL}/sign-in/sso/council/callback"]
    assert query["login_hint"] == ["prevent_lead@council.example"]
    assert query["state"][0] and query["nonce"][0]


def test_each_domain_goes_to_its_own_provider(sso_client, idps, world):
    response = _continue(sso_client, "someone@health.example")
    assert response.headers["Location"].startswith(idps["health"].issuer + "/auth?")


def test_other_email_gets_the_password_form_and_signs_in(sso_app, sso_client, world):
    page = _continue(sso_client, "outsider@elsewhere.example").get_data(as_text=True)
    assert 'name="password"' in page
    assert 'value="outsider@elsewhere.example"' in page
    # The password step works as it always has (the world's users are at council.example,
    # so sign one in whose address a provider does not serve).
    with sso_app.app_context():
        user = db.session.get(User, world.users[Role.AUDITOR].id)
        user.email = "auditor@audit.example"
        db.session.commit()
    response = sign_in(sso_client, "auditor@audit.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Welcome, Auditor Person" in sso_client.get("/").get_data(as_text=True)


def test_a_password_for_a_providers_domain_is_not_checked_but_sent_to_the_provider(sso_app, sso_client, idps, world):
    response = sign_in(sso_client, world.users[Role.SPOC].email)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(idps["council"].issuer + "/auth?")
    assert events(sso_app, "login_ok") == []
    assert events(sso_app, "login_failed") == []


def test_email_step_names_what_is_wrong(sso_client, world):
    page = _continue(sso_client, "").get_data(as_text=True)
    assert "There is a problem" in page
    assert "Enter your email address" in page
    page = _continue(sso_client, "not-an-address").get_data(as_text=True)
    assert "Enter an email address in the correct format, like name@example.com" in page
    assert "<title>Error: Sign in" in page


def test_email_step_needs_the_forms_token(app, idps, world):
    guarded = _sso_app(
        app,
        idps["council"].settings(label="Sign in with your Test County Council account", domains=["council.example"]),
        WTF_CSRF_ENABLED=True,
    )
    client = guarded.test_client()
    refused = _continue(client, "prevent_lead@council.example")
    assert refused.status_code == 400
    token = csrf_token(client.get("/login").get_data(as_text=True))
    accepted = _continue(client, "prevent_lead@council.example", csrf_token=token)
    assert accepted.status_code == 302
    assert accepted.headers["Location"].startswith(idps["council"].issuer)
    # The provider's origin is allowed as a form target, or the browser would block the redirect.
    assert f"form-action 'self' {idps['council'].issuer}" in accepted.headers["Content-Security-Policy"]


# -- The provider's answer -------------------------------------------------------------------


def test_known_person_is_signed_in_with_the_roles_held_here(sso_app, sso_client, idps, world):
    lead = world.users[Role.PREVENT_LEAD]
    response = _sign_in_via(sso_client, idps, "prevent_lead@council.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Welcome, Prevent Lead Person" in sso_client.get("/").get_data(as_text=True)
    assert sso_client.get("/users").status_code == 200  # the Prevent Lead's own pages
    [event] = events(sso_app, "login_ok")
    assert (event.user_id, event.detail) == (lead.id, "single sign-on via council")
    with sso_app.app_context():
        assert db.session.get(User, lead.id).last_login_at is not None


def test_provider_sign_in_needs_no_second_step_here_but_a_fresh_one_for_personal_records(
    sso_app, sso_client, idps, world
):
    """The provider's sign-in is the session's second-factor check (the organisation's own
    policy); a Channel personal record opened later than TWO_FACTOR_FRESH_MINUTES after it sends
    the person back to the provider, asked to sign in again, and back to the record."""
    from tests.channel_panel.factories import new_case

    with sso_app.app_context():
        case_id = new_case(name="Alex Example").id
        db.session.commit()
    personal = f"/channel/cases/{case_id}/personal"
    response = _sign_in_via(sso_client, idps, "panel_chair@council.example")
    assert response.headers["Location"] == "/"  # no code asked for here
    assert sso_client.get(personal).status_code == 200
    with sso_client.session_transaction() as session:
        session["second_factor_at"] -= 16 * 60
    response = sso_client.get(personal)
    assert response.headers["Location"] == f"/sign-in/sso/council?next={personal}&fresh=1"
    again = sso_client.get(response.headers["Location"])
    query = parse_qs(urlsplit(again.headers["Location"]).query)
    assert (query["prompt"], query["max_age"]) == (["login"], ["0"])
    back = sign_in_at_provider(again.headers["Location"], "panel_chair@council.example", app_url=APP_URL)
    response = sso_client.get(back.removeprefix(APP_URL))
    assert response.headers["Location"] == personal
    assert sso_client.get(personal).status_code == 200


def test_sign_in_returns_to_the_page_asked_for(sso_client, idps, world):
    start = sso_client.post("/login?next=/users", data={"email": "prevent_lead@council.example"})
    back = sign_in_at_provider(start.headers["Location"], "prevent_lead@council.example", app_url=APP_URL)
    response = sso_client.get(back.removeprefix(APP_URL))
    assert response.headers["Location"] == "/users"


def test_provider_button_starts_the_same_sign_in(sso_client, idps, world):
    start = sso_client.get("/sign-in/sso/council")
    assert start.headers["Location"].startswith(idps["council"].issuer + "/auth?")
    back = sign_in_at_provider(start.headers["Location"], "spoc@council.example", app_url=APP_URL)
    assert sso_client.get(back.removeprefix(APP_URL)).headers["Location"] == "/"
    assert "Welcome, SPOC Person" in sso_client.get("/").get_data(as_text=True)


def test_unknown_person_is_asked_to_request_access_and_gets_no_account(sso_app, sso_client, idps, world):
    with sso_app.app_context():
        users_before = db.session.scalar(select(db.func.count()).select_from(User))
    response = _sign_in_via(sso_client, idps, "new.starter@council.example")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Ask your Prevent Lead for access" in page
    assert "new.starter@council.example" in page
    [event] = events(sso_app, "sso_unknown_email")
    assert (event.email, event.detail, event.user_id) == ("new.starter@council.example", "via council", None)
    with sso_app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == users_before
    assert sso_client.get("/").status_code == 302  # not signed in


def test_provider_vouching_for_another_domain_is_refused(sso_app, sso_client, idps, world):
    # The council's provider signs the person in as an address at health.example.
    response = _sign_in_via(sso_client, idps, "prevent_lead@council.example", login="spoc@health.example")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You have not been signed in" in page
    assert (
        "gave your address as spoc@health.example, but here it is trusted only for addresses ending @council.example"
        in page
    )
    [event] = events(sso_app, "sso_wrong_domain")
    assert (event.email, event.detail) == ("spoc@health.example", "via council: council serves council.example")
    assert sso_client.get("/").status_code == 302


def test_wrong_domain_is_refused_even_for_an_existing_account(sso_app, sso_client, idps, world):
    with sso_app.app_context():
        db.session.get(User, world.users[Role.SPOC].id).email = "spoc@health.example"
        db.session.commit()
    response = _sign_in_via(sso_client, idps, "prevent_lead@council.example", login="spoc@health.example")
    assert response.status_code == 403
    assert events(sso_app, "login_ok") == []
    assert len(events(sso_app, "sso_wrong_domain")) == 1


def test_unverified_email_is_refused(sso_app, sso_client, idps, world):
    response = _sign_in_via(sso_client, idps, "unverified.person@council.example")
    assert response.status_code == 403
    assert "did not confirm that your email address is verified" in response.get_data(as_text=True)
    [event] = events(sso_app, "sso_email_unverified")
    assert event.email == "unverified.person@council.example"


def test_deactivated_account_is_refused(sso_app, sso_client, idps, world):
    with sso_app.app_context():
        db.session.get(User, world.users[Role.SPOC].id).active = False
        db.session.commit()
    response = _sign_in_via(sso_client, idps, "spoc@council.example")
    assert response.status_code == 403
    assert "Your account has been deactivated" in response.get_data(as_text=True)
    assert [e.detail for e in events(sso_app, "login_inactive")] == ["via council"]
    assert sso_client.get("/").status_code == 302


def test_error_from_the_provider_shows_a_clear_page(sso_app, sso_client, idps, world):
    response = sso_client.get("/sign-in/sso/council/callback?error=access_denied&state=whatever")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "You have not been signed in" in page
    assert "did not finish" in page
    assert [e.detail for e in events(sso_app, "sso_failed")] == ["via council: provider answered access_denied"]


def test_callback_with_a_state_this_browser_did_not_start_is_refused(sso_app, sso_client, idps, world):
    start = _continue(sso_client, "prevent_lead@council.example")
    back = sign_in_at_provider(start.headers["Location"], "prevent_lead@council.example", app_url=APP_URL)
    # Another browser (no sign-in of its own in progress) presents the code.
    stranger = sso_app.test_client()
    response = stranger.get(back.removeprefix(APP_URL))
    assert response.status_code == 400
    assert "You have not been signed in" in response.get_data(as_text=True)
    assert [e.detail for e in events(sso_app, "sso_failed")] == [
        "via council: state did not match this browser's sign-in"
    ]
    assert stranger.get("/").status_code == 302
    assert events(sso_app, "login_ok") == []


def test_a_code_is_good_once(sso_app, sso_client, idps, world):
    start = _continue(sso_client, "prevent_lead@council.example")
    back = sign_in_at_provider(start.headers["Location"], "prevent_lead@council.example", app_url=APP_URL)
    assert sso_client.get(back.removeprefix(APP_URL)).status_code == 302
    again = sso_client.get(back.removeprefix(APP_URL))
    assert again.status_code == 400  # the state was used up with the first answer


def test_response_naming_another_issuer_is_refused(sso_app, sso_client, idps, world):
    start = _continue(sso_client, "prevent_lead@council.example")
    back = sign_in_at_provider(start.headers["Location"], "prevent_lead@council.example", app_url=APP_URL)
    forged = back.replace(idps["council"].issuer.replace(":", "%3A").replace("/", "%2F"), "https%3A%2F%2Fevil.example")
    assert forged != back
    response = sso_client.get(forged.removeprefix(APP_URL))
    assert response.status_code == 400
    assert [e.detail for e in events(sso_app, "sso_failed")] == ["via council: response from another issuer"]


def test_unknown_provider_in_the_address_goes_back_to_sign_in(sso_client, world):
    for path in ("/sign-in/sso/nobody", "/sign-in/sso/nobody/callback?code=x&state=y"):
        response = sso_client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/login"


def test_unreachable_provider_shows_a_clear_page_not_an_error(app, world):
    down = _sso_app(
        app,
        {
            "name": "down",
            "label": "Sign in with a provider that is not running",
            "issuer": f"http://127.0.0.1:{free_port()}",
            "client_id": "x",
            "client_secret": "y",
            "domains": ["council.example"],
        },
    )
    client = down.test_client()
    response = _continue(client, "prevent_lead@council.example")
    assert response.status_code == 503
    assert "could not be reached" in response.get_data(as_text=True)
    assert [e.detail for e in events(app, "sso_failed")] == ["via down: provider unreachable"]


# -- Signing out -----------------------------------------------------------------------------


def test_sign_out_ends_the_session_and_the_providers(sso_app, sso_client, idps, world):
    _sign_in_via(sso_client, idps, "prevent_lead@council.example")
    response = sso_client.post("/logout")
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == idps["council"].issuer + "/session/end"
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == [f"{APP_URL}/login"]
    assert query["client_id"] == ["prevent-tracker"]
    assert query["id_token_hint"][0].count(".") == 2  # a JWT
    assert sso_client.get("/").status_code == 302
    assert len(events(sso_app, "logout")) == 1


def test_password_sign_out_stays_here(sso_app, sso_client, world):
    with sso_app.app_context():
        db.session.get(User, world.users[Role.AUDITOR].id).email = "auditor@audit.example"
        db.session.commit()
    sign_in(sso_client, "auditor@audit.example")
    assert sso_client.post("/logout").headers["Location"] == "/login"


# -- Settings --------------------------------------------------------------------------------


ENTRA = {
    "name": "cambs",
    "label": "Sign in with your Cambridgeshire County Council account",
    "issuer": "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
    "client_id": "11111111-1111-1111-1111-111111111111",
    "client_secret": "secret",
    "domains": ["Cambridgeshire.gov.uk"],
    "verified_claim": "xms_edov",
}


def test_settings_are_read_from_json():
    [provider] = parse_providers(providers_setting(ENTRA))
    assert provider.domains == ("cambridgeshire.gov.uk",)
    assert provider.verified_claim == "xms_edov"
    assert provider.discovery_url == (
        "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration"
    )
    assert parse_providers("") == []


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("[{", "OIDC_PROVIDERS is not valid JSON"),
        ('{"name": "x"}', "OIDC_PROVIDERS must be a JSON list of providers"),
        (providers_setting({**ENTRA, "client_secret": ""}), "OIDC_PROVIDERS entry 1 is missing client_secret"),
        (providers_setting({**ENTRA, "domain": ["x.gov.uk"]}), "OIDC_PROVIDERS entry 1 has unknown keys: domain"),
        (providers_setting({**ENTRA, "name": "Cambs County"}), "entry 1: name must be lower-case letters"),
        (providers_setting({**ENTRA, "issuer": "http://idp.example"}), "entry 1: issuer must be an https:// URL"),
        (providers_setting({**ENTRA, "domains": "x.gov.uk"}), "entry 1: domains must be a list"),
        (providers_setting({**ENTRA, "domains": ["@x.gov.uk"]}), "entry 1: not an email domain: @x.gov.uk"),
        (providers_setting(ENTRA, ENTRA), "two providers have the same name"),
        (
            providers_setting(ENTRA, {**ENTRA, "name": "other"}),
            "more than one provider serves cambridgeshire.gov.uk",
        ),
    ],
)
def test_bad_settings_name_what_is_wrong(setting, message):
    with pytest.raises(ProviderSettingsError, match=message.replace(".", r"\.")):
        parse_providers(setting)


def test_app_will_not_start_with_bad_settings(app):
    with pytest.raises(RuntimeError, match="OIDC_PROVIDERS entry 1 is missing client_id"):
        create_app("test", OIDC_PROVIDERS=providers_setting({**ENTRA, "client_id": ""}))


def test_readme_entra_example_is_a_valid_setting():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("<!-- sign-in example: tests/core/test_sso.py parses this block -->", 1)[1]
    block = block.split("```bash", 1)[1].split("```", 1)[0]
    setting = re.search(r"OIDC_PROVIDERS='(.*?)'", block, re.DOTALL).group(1)
    [provider] = parse_providers(setting)
    assert provider.issuer == "https://login.microsoftonline.com/<tenant-id>/v2.0"
    assert provider.domains == ("cambridgeshire.gov.uk",)
    assert provider.verified_claim == "xms_edov"
    assert "export APP_BASE_URL=https://tracker.example.gov.uk" in block
    # The redirect URI the README tells Entra about is the one the app sends.
    assert "https://tracker.example.gov.uk/sign-in/sso/cambs/callback" in readme


def test_readme_local_provider_example_matches_the_test_provider():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("To try single sign-on on your own machine", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    setting = re.search(r"OIDC_PROVIDERS='(.*?)'", block, re.DOTALL).group(1)
    [provider] = parse_providers(setting)
    assert (provider.client_id, provider.client_secret) == (CLIENT_ID, CLIENT_SECRET)
    assert provider.issuer == "http://127.0.0.1:4100"
    assert "PORT=4100 APP_URL=http://127.0.0.1:5000 PROVIDER=cambs node tests/oidc/provider.js" in block


def test_prevent_lead_finds_unknown_people_under_security_events(sso_app, sso_client, idps, world):
    _sign_in_via(sso_client, idps, "new.starter@council.example")
    lead = sso_app.test_client()
    # The Prevent Lead signs in through the provider too.
    _sign_in_via(lead, idps, "prevent_lead@council.example")
    page = lead.get("/audit/security?kind=sso_unknown_email").get_data(as_text=True)
    assert '<option value="sso_unknown_email" selected>Single sign-on: no account here</option>' in page
    assert "new.starter@council.example" in page
    assert "via council" in page


def test_temporary_password_is_not_asked_for_after_single_sign_on(sso_app, sso_client, idps, world):
    with sso_app.app_context():
        db.session.get(User, world.users[Role.SPOC].id).must_change_password = True
        db.session.commit()
    _sign_in_via(sso_client, idps, "spoc@council.example")
    home = sso_client.get("/")
    assert home.status_code == 200
    assert "Welcome, SPOC Person" in home.get_data(as_text=True)


def test_session_cookie_stays_well_under_the_browsers_limit(sso_client, idps, world):
    response = _sign_in_via(sso_client, idps, "prevent_lead@council.example")
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("prevent_session=")]
    # 4096 bytes is what browsers keep; the ID token for the sign-out hint is most of it.
    assert len(cookie) < 3000, len(cookie)
    assert sso_client.get("/").status_code == 200


def _state_of(authorize_url: str) -> str:
    return parse_qs(urlsplit(authorize_url).query)["state"][0]


def test_id_token_with_another_nonce_is_refused(sso_app, sso_client, idps, world):
    start = _continue(sso_client, "prevent_lead@council.example")
    state = _state_of(start.headers["Location"])
    back = sign_in_at_provider(start.headers["Location"], "prevent_lead@council.example", app_url=APP_URL)
    # The browser's record of this sign-in now expects another nonce than the provider's token has
    # (a token replayed from another sign-in looks like this).
    with sso_client.session_transaction() as session:
        pending = session[f"_state_council_{state}"]
        pending["data"]["nonce"] = "a-nonce-this-sign-in-never-sent"
        session[f"_state_council_{state}"] = pending
        session.modified = True
    response = sso_client.get(back.removeprefix(APP_URL))
    assert response.status_code == 400
    assert "You have not been signed in" in response.get_data(as_text=True)
    [event] = events(sso_app, "sso_failed")
    assert event.detail == "via council: ID token refused: invalid_claim (nonce)"
    assert sso_client.get("/").status_code == 302


def test_code_the_provider_did_not_issue_is_refused(sso_app, sso_client, idps, world):
    start = _continue(sso_client, "prevent_lead@council.example")
    state = _state_of(start.headers["Location"])
    response = sso_client.get(f"/sign-in/sso/council/callback?code=not-a-real-code&state={state}")
    assert response.status_code == 400
    assert [e.detail for e in events(sso_app, "sso_failed")] == ["via council: provider answered invalid_grant"]


def test_callback_may_land_on_another_app_server(app, sso_app, sso_client, idps, world):
    """Nothing of a sign-in in progress is kept in a process: a second server, which has not yet
    read the provider's discovery document, finishes a sign-in the first one started."""
    start = _continue(sso_client, "prevent_lead@council.example")
    back = sign_in_at_provider(start.headers["Location"], "prevent_lead@council.example", app_url=APP_URL)
    second = _sso_app(
        app,
        idps["council"].settings(label="Sign in with your Test County Council account", domains=["council.example"]),
    )
    other = second.test_client()
    other.set_cookie("prevent_session", sso_client.get_cookie("prevent_session").value)
    response = other.get(back.removeprefix(APP_URL))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Welcome, Prevent Lead Person" in other.get("/").get_data(as_text=True)


def test_provider_whose_discovery_names_another_issuer_is_not_used(app, idps, world):
    # Configured as "localhost", the provider's document says it is "127.0.0.1": not the same issuer.
    entry = idps["council"].settings(label="Sign in with your Test County Council account", domains=["council.example"])
    entry["issuer"] = entry["issuer"].replace("127.0.0.1", "localhost")
    misconfigured = _sso_app(app, entry)
    response = _continue(misconfigured.test_client(), "prevent_lead@council.example")
    assert response.status_code == 502
    assert "This sign-in service is not set up correctly" in response.get_data(as_text=True)
    [event] = events(app, "sso_failed")
    assert event.detail == f"via council: discovery names issuer '{idps['council'].issuer}'"


def test_account_past_its_access_end_date_is_refused(sso_app, sso_client, idps, world):
    with sso_app.app_context():
        db.session.get(User, world.users[Role.AUDITOR].id).access_expires_on = date(2026, 11, 15)
        db.session.commit()
    response = _sign_in_via(sso_client, idps, "auditor@council.example")
    assert response.status_code == 403
    assert "Your access ended on 15 November 2026" in response.get_data(as_text=True)
    assert [e.detail for e in events(sso_app, "login_expired")] == ["via council"]
    assert sso_client.get("/").status_code == 302


@pytest.mark.parametrize(
    "query",
    [
        "",
        "code=",
        "state=",
        "code=x&state=" + "s" * 5000,
        "error=" + "e" * 5000 + "&error_description=%00%ff",
        "error=access_denied",
        "code=%00&state=%00",
        "iss=&code=x&state=y",
        "code=x&code=y&state=a&state=b",
    ],
)
def test_hostile_callbacks_get_a_page_not_an_error(sso_client, idps, world, query):
    response = sso_client.get(f"/sign-in/sso/council/callback?{query}")
    assert response.status_code == 400
    assert "You have not been signed in" in response.get_data(as_text=True)


FORMAT = "Enter an email address in the correct format, like name@example.com"


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("@council.example", FORMAT),
        ("a@", FORMAT),
        ("a@b@council.example", FORMAT),
        ("x" * 300 + "@council.example", "Email address must be 254 characters or fewer"),
    ],
)
def test_hostile_email_step_gets_a_message(sso_client, world, email, message):
    response = _continue(sso_client, email)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_nul_in_the_email_is_dropped_before_routing(sso_client, idps, world):
    response = _continue(sso_client, "prevent_lead@council.example\u0000")
    assert response.status_code == 302
    assert "login_hint=prevent_lead%40council.example&" in response.headers["Location"] + "&"
