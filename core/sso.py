"""Single sign-on through organisations' OpenID Connect providers (Microsoft Entra ID and others).

Settings come from ``OIDC_PROVIDERS`` (a JSON list, see README "Sign-in"). The sign-in page asks
for an email address first; an address at a domain a provider serves goes to that provider
(authorization code with PKCE, through Authlib), any other to the password form. Accounts are
matched on the provider's verified email claim: roles and areas stay in this app, and a person
with no account is asked to request one, never given one.

The state, nonce and PKCE verifier of a sign-in in progress live in the signed session cookie, so
any server may answer the callback. Each process fetches a provider's discovery document once:
that is configuration, the same on every server.
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from joserfc.errors import JoseError
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Regexp

from core import accounts, auth, limits
from core.db import utcnow
from core.forms import LoginForm
from core.limits import MaxLength
from core.models import User
from core.permissions import public

bp = Blueprint("sso", __name__)

EXTENSION = "sso_providers"
#: Scopes asked of every provider: the email and its verification, and the person's name.
SCOPES = "openid email profile"
#: Seconds to wait for a provider's discovery, token and key endpoints.
PROVIDER_TIMEOUT = 10
_REQUIRED = ("name", "label", "issuer", "client_id", "client_secret", "domains")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
#: Session keys: which provider signed this session in, and its ID token (the hint for sign-out).
SESSION_PROVIDER = "sso_provider"
SESSION_LOGOUT_HINT = "sso_id_token"
#: The longest ID token kept for the sign-out hint. The session is a cookie (at most 4 KB in a
#: browser); a longer token is dropped and sign-out names the client instead, which the
#: standard allows (the provider may then ask the person to confirm).
MAX_LOGOUT_HINT = 2500
#: Where to go once signed in, kept while the person is away at their provider.
SESSION_NEXT = "sso_next"


@dataclass(frozen=True)
class Provider:
    """One organisation's identity provider, as configured."""

    #: Short name used in URLs: the callback is /sign-in/sso/<name>/callback.
    name: str
    #: The button's text, e.g. "Sign in with your Cambridgeshire County Council account".
    label: str
    #: The issuer URL; its discovery document is <issuer>/.well-known/openid-configuration.
    issuer: str
    client_id: str
    client_secret: str
    #: Email domains whose people sign in here (exact match, lower case).
    domains: tuple[str, ...]
    #: The claim that says the email address is verified: "email_verified" (the standard), or
    #: for Microsoft Entra ID, which does not send that claim, the optional claim "xms_edov".
    verified_claim: str = "email_verified"

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"


class EmailStepForm(FlaskForm):
    """The first step of the sign-in page: who are you (and so, where do you sign in)."""

    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            MaxLength(limits.EMAIL),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message="Enter an email address in the correct format, like name@example.com",
            ),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ProviderSettingsError(ValueError):
    """OIDC_PROVIDERS could not be read; the message names the entry and the key."""


def parse_providers(raw: str | list | None) -> list[Provider]:
    """Providers from the OIDC_PROVIDERS setting (JSON text, or an already parsed list)."""
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ProviderSettingsError(f"OIDC_PROVIDERS is not valid JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise ProviderSettingsError("OIDC_PROVIDERS must be a JSON list of providers")
    providers: list[Provider] = []
    for number, entry in enumerate(raw, start=1):
        where = f"OIDC_PROVIDERS entry {number}"
        if not isinstance(entry, dict):
            raise ProviderSettingsError(f"{where} must be an object")
        missing = [key for key in _REQUIRED if not entry.get(key)]
        if missing:
            raise ProviderSettingsError(f"{where} is missing {', '.join(missing)}")
        unknown = set(entry) - {f for f in Provider.__dataclass_fields__}
        if unknown:
            raise ProviderSettingsError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
        name = str(entry["name"])
        if not _NAME.match(name):
            raise ProviderSettingsError(f"{where}: name must be lower-case letters, digits and hyphens")
        issuer = str(entry["issuer"])
        parts = urlsplit(issuer)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ProviderSettingsError(f"{where}: issuer must be an https:// URL")
        domains = entry["domains"]
        if isinstance(domains, str) or not isinstance(domains, list):
            raise ProviderSettingsError(f'{where}: domains must be a list, e.g. ["council.gov.uk"]')
        domains = tuple(str(d).strip().lower() for d in domains)
        bad = [d for d in domains if not _DOMAIN.match(d)]
        if bad:
            raise ProviderSettingsError(f"{where}: not an email domain: {', '.join(bad)}")
        providers.append(
            Provider(
                name=name,
                label=str(entry["label"]),
                issuer=issuer,
                client_id=str(entry["client_id"]),
                client_secret=str(entry["client_secret"]),
                domains=domains,
                verified_claim=str(entry.get("verified_claim") or "email_verified"),
            )
        )
    names = [p.name for p in providers]
    if len(set(names)) != len(names):
        raise ProviderSettingsError("OIDC_PROVIDERS: two providers have the same name")
    served = [d for p in providers for d in p.domains]
    shared = sorted({d for d in served if served.count(d) > 1})
    if shared:
        raise ProviderSettingsError(f"OIDC_PROVIDERS: more than one provider serves {', '.join(shared)}")
    return providers


def register(app: Flask) -> None:
    try:
        providers = parse_providers(app.config.get("OIDC_PROVIDERS"))
    except ProviderSettingsError as exc:
        raise RuntimeError(f"{exc} (see README, Sign-in)") from exc
    app.extensions[EXTENSION] = {p.name: p for p in providers}
    oauth = OAuth(app)
    for provider in providers:
        oauth.register(
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.discovery_url,
            client_kwargs={"scope": SCOPES, "code_challenge_method": "S256", "timeout": PROVIDER_TIMEOUT},
        )
    app.register_blueprint(bp)
    if providers:
        origins = " ".join(sorted({p.origin for p in providers}))

        @app.after_request
        def allow_provider_forms(response):
            # The sign-in and sign-out forms answer with a redirect to the provider; browsers
            # hold such redirects to the page's form-action, which otherwise allows only this site.
            csp = response.headers.get("Content-Security-Policy")
            if csp and "form-action 'self'" in csp:
                response.headers["Content-Security-Policy"] = csp.replace(
                    "form-action 'self'", f"form-action 'self' {origins}"
                )
            return response


def providers() -> dict[str, Provider]:
    return current_app.extensions.get(EXTENSION, {})


def provider_for(email: str) -> Provider | None:
    """The provider that serves this address's domain, if any."""
    domain = accounts.normalise_email(email).rpartition("@")[2]
    return next((p for p in providers().values() if domain and domain in p.domains), None)


def _client(provider: Provider):
    return current_app.extensions["authlib.integrations.flask_client"].create_client(provider.name)


def _redirect_uri(provider: Provider) -> str:
    # The address registered with the provider: the service's own, not whatever Host a request sent.
    return current_app.config["APP_BASE_URL"].rstrip("/") + url_for("sso.finish_sign_in", provider=provider.name)


# -- The email step of the sign-in page ------------------------------------------------------


def intercept_login():
    """The sign-in page's email step when single sign-on is set up; None lets the password form answer.

    GET shows the email step. A POST whose address a provider serves goes to that provider, even
    with a password: that organisation's people sign in there, not here. An email step for any
    other address shows the password form with the address filled in.
    """
    if not providers():
        return None
    if request.method == "GET":
        return render_template("auth/sso_email.html", form=EmailStepForm(), providers=providers().values())
    has_password = "password" in request.form
    form = EmailStepForm()
    if not form.validate_on_submit():
        if has_password:
            return None  # the password form reports its own errors
        return render_template("auth/sso_email.html", form=form, providers=providers().values())
    provider = provider_for(form.email.data)
    if provider is not None:
        return _start(provider, login_hint=accounts.normalise_email(form.email.data))
    if has_password:
        return None
    return render_template("auth/login.html", form=LoginForm(formdata=None, email=form.email.data.strip()))


# -- Signing in through a provider -----------------------------------------------------------


@bp.route("/sign-in/sso/<provider>")
@public
def start_sign_in(provider: str):
    """A provider's button on the sign-in page."""
    chosen = providers().get(provider)
    if chosen is None:
        flash("That sign-in service is not set up here. Enter your email address to continue.", "info")
        return redirect(url_for("auth.login"))
    return _start(chosen)


def _start(provider: Provider, *, login_hint: str = ""):
    next_url = auth.safe_next(request.args.get("next"))
    if next_url:
        session[SESSION_NEXT] = next_url
    extra = {"login_hint": login_hint} if login_hint else {}
    if request.args.get("fresh"):  # a fresh check: the provider must ask for the sign-in again
        extra.update(prompt="login", max_age="0")
    client = _client(provider)
    problem = _check_metadata(provider, client)
    if problem is not None:
        return problem
    try:
        return client.authorize_redirect(_redirect_uri(provider), **extra)
    except (requests.RequestException, ValueError, KeyError, RuntimeError) as exc:
        return _unreachable(provider, exc)


def _check_metadata(provider: Provider, client):
    """The provider's discovery document, read (once per process) and checked; a page if it fails."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        return _unreachable(provider, exc)
    # OpenID Connect Discovery: the document must name the issuer it was fetched for.
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer.rstrip("/"):
        accounts.log_event(
            "sso_failed",
            detail=f"via {provider.name}: discovery names issuer {metadata.get('issuer')!r}",
            survives_rollback=True,
        )
        message = (
            "This sign-in service is not set up correctly, so you have not been signed in. Tell your Prevent Lead."
        )
        return _refused_page(provider, message, 502)
    return None


@bp.route("/sign-in/sso/<provider>/callback")
@public
def finish_sign_in(provider: str):
    """Where the provider sends the person back, with a code to exchange or an error."""
    chosen = providers().get(provider)
    if chosen is None:
        flash("That sign-in service is not set up here. Enter your email address to continue.", "info")
        return redirect(url_for("auth.login"))
    client = _client(chosen)
    problem = _check_metadata(chosen, client)
    if problem is not None:
        return problem
    # RFC 9207: a response that names another issuer is a mix-up between providers.
    if "iss" in request.args and request.args["iss"] != client.server_metadata["issuer"]:
        return _refuse(chosen, "sso_failed", "response from another issuer")
    try:
        token = client.authorize_access_token()
    except MismatchingStateError:
        return _refuse(chosen, "sso_failed", "state did not match this browser's sign-in")
    except OAuthError as exc:
        return _refuse(chosen, "sso_failed", f"provider answered {exc.error}")
    except (JoseError, AuthlibBaseError) as exc:
        # A bad signature, audience, issuer, nonce or expiry: the ID token is not for this sign-in.
        reason = getattr(exc, "error", type(exc).__name__)
        claim = getattr(exc, "claim", "")
        return _refuse(chosen, "sso_failed", f"ID token refused: {reason}{f' ({claim})' if claim else ''}")
    except (requests.RequestException, ValueError, KeyError, RuntimeError) as exc:
        return _unreachable(chosen, exc)
    claims = token.get("userinfo")
    if not claims:
        return _refuse(chosen, "sso_failed", "no ID token")
    claims = dict(claims)
    if "email" not in claims and client.load_server_metadata().get("userinfo_endpoint"):
        # Some providers put only the subject in the ID token and the email in userinfo.
        try:
            extra = client.userinfo(token=token)
        except (requests.RequestException, ValueError) as exc:
            return _unreachable(chosen, exc)
        if extra.get("sub") != claims.get("sub"):
            return _refuse(chosen, "sso_failed", "userinfo is for another subject")
        claims.update({k: extra[k] for k in ("email", chosen.verified_claim) if k in extra})
    email = accounts.normalise_email(str(claims.get("email") or ""))
    if not email or claims.get(chosen.verified_claim) is not True:
        return _refuse(chosen, "sso_email_unverified", f"{chosen.verified_claim} not true", email=email)
    if email.rpartition("@")[2] not in chosen.domains:
        return _refuse(chosen, "sso_wrong_domain", f"{chosen.name} serves {', '.join(chosen.domains)}", email=email)
    user = accounts.identify(email)
    if user is None:
        accounts.log_event("sso_unknown_email", email=email, detail=f"via {chosen.name}", survives_rollback=True)
        return render_template("auth/sso_no_account.html", provider=chosen, email=email), 403
    if not user.active:
        accounts.log_event("login_inactive", user=user, detail=f"via {chosen.name}", survives_rollback=True)
        return _refused_page(chosen, "Your account has been deactivated. Contact your Prevent Lead.", 403)
    if user.access_expired():
        accounts.log_event("login_expired", user=user, detail=f"via {chosen.name}", survives_rollback=True)
        ended = f"{user.access_expires_on:%-d %B %Y}"
        return _refused_page(chosen, f"Your access ended on {ended}. Contact your Prevent Lead.", 403)
    next_url = auth.safe_next(session.get(SESSION_NEXT))
    _begin_session(user)
    session[SESSION_PROVIDER] = chosen.name
    id_token = token.get("id_token", "")
    if len(id_token) <= MAX_LOGOUT_HINT:
        session[SESSION_LOGOUT_HINT] = id_token
    user.last_login_at = utcnow()
    accounts.log_event("login_ok", user=user, detail=f"single sign-on via {chosen.name}")
    return redirect(next_url or url_for("main.home"))


def _begin_session(user: User) -> None:
    """A fresh session for a person the provider vouched for, started as a password sign-in
    starts one. The provider's sign-in counts as this session's second-factor check: the
    organisation's provider applies its own multi-factor policy (see README, Sign-in)."""
    auth.start_session(user, second_factor=True)


def fresh_sign_in_url(next_url: str | None) -> str:
    """Where a provider-signed session goes when a page needs a fresh check (a Channel personal
    record): back to its provider, asked to sign the person in again (prompt=login, max_age=0)."""
    return url_for("sso.start_sign_in", provider=session.get(SESSION_PROVIDER, ""), next=next_url, fresh=1)


def _refuse(provider: Provider, kind: str, detail: str, *, email: str = ""):
    """A failed or refused sign-in: a security event and a page that says what to do."""
    accounts.log_event(kind, email=email, detail=f"via {provider.name}: {detail}", survives_rollback=True)
    domains = " or ".join("@" + d for d in provider.domains)
    messages = {
        "sso_email_unverified": (
            "Your organisation's sign-in service did not confirm that your email address is verified, "
            "so you have not been signed in. Ask your organisation's IT service desk to check your account."
        ),
        "sso_wrong_domain": (
            f"Your organisation's sign-in service gave your address as {email}, but here it is trusted only "
            f"for addresses ending {domains}, so you have not been signed in. "
            "Start again and enter your own work email address."
        ),
    }
    message = messages.get(
        kind, "Signing in with your organisation's account did not finish, so you have not been signed in. Try again."
    )
    return _refused_page(provider, message, 400 if kind == "sso_failed" else 403)


def _unreachable(provider: Provider, exc: Exception):
    current_app.logger.warning("single sign-on: %s could not be reached: %s", provider.name, type(exc).__name__)
    accounts.log_event("sso_failed", detail=f"via {provider.name}: provider unreachable", survives_rollback=True)
    message = "Your organisation's sign-in service could not be reached. Try again in a few minutes."
    return _refused_page(provider, message, 503)


def _refused_page(provider: Provider, message: str, status: int):
    return render_template("auth/sso_failed.html", provider=provider, message=message), status


def signed_in_by_provider() -> bool:
    """Whether this session began at an organisation's provider (so this app's password is not used)."""
    return session.get(SESSION_PROVIDER) in providers()


# -- Signing out -----------------------------------------------------------------------------


def end_session_url() -> str | None:
    """Where to send a person signing out: their provider's end-session endpoint, if it has one.

    Read before the session is cleared. None for password sessions and providers without one."""
    provider = providers().get(session.get(SESSION_PROVIDER, ""))
    if provider is None:
        return None
    try:
        endpoint = _client(provider).load_server_metadata().get("end_session_endpoint")
    except (requests.RequestException, ValueError):
        return None  # the local session still ends
    if not endpoint:
        return None
    params = {
        "client_id": provider.client_id,
        "post_logout_redirect_uri": current_app.config["APP_BASE_URL"].rstrip("/") + url_for("auth.login"),
    }
    if session.get(SESSION_LOGOUT_HINT):
        params["id_token_hint"] = session[SESSION_LOGOUT_HINT]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"
