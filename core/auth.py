"""Signing in and out, the session, and the access guard that every request passes."""

import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from core import accounts, clock, sso, tenancy, twofactor
from core.audit import set_request_actor
from core.extensions import db, login_manager
from core.forms import ChangePasswordForm, LoginForm
from core.models import SecurityEvent, User
from core.permissions import Permission, has_permission, public, requires

bp = Blueprint("auth", __name__)

#: Endpoints a user who must change their password may still reach.
_PASSWORD_CHANGE_ALLOWED = {"auth.change_password", "auth.logout", "static", "govuk_assets", "vendor"}
#: Endpoints a user who must set up two-factor authentication may still reach.
_ENROL_ALLOWED = {"auth.set_up_two_factor", "auth.logout", "static", "govuk_assets", "vendor"}
#: How often a request records in the session that it was seen (the idle limit's clock).
SEEN_GRANULARITY_SECONDS = 60
#: How long the second step of signing in waits for a code after the password was accepted.
PENDING_SECONDS = 300


def needs_fresh_second_factor(view):
    """Mark a view that asks for a new second-factor code when the last one is older than
    TWO_FACTOR_FRESH_MINUTES (the request guard enforces it)."""
    view.needs_fresh_second_factor = True
    return view


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session ids are "<user id>:<hash tag>", so a password change ends other sessions.

    One SQL statement serves the whole signed-in shell: the account, its organisation, roles and
    SPOC areas (which every permission check reads), and whether this session was signed out.
    """
    user_id, _, tag = session_id.partition(":")
    sid = session.get("sid")
    if not user_id.isdigit() or not sid:
        return None  # no session id: signed out, or a session older than session ids
    found = (
        db.session.execute(_shell_statement(), {"user_id": int(user_id), "ended": f"session {sid}"}).unique().first()
    )
    if found is None or found.signed_out or found.User.session_tag != tag:
        return None
    return found.User


@cache
def _shell_statement():
    """The signed-in shell's statement, built once per process (building it is most of its cost).

    The session cookie lives in the browser, so a copy taken before sign-out would otherwise
    still work until it expired: the sign-out event records the session's id, and it is refused.
    """
    signed_out = (
        select(SecurityEvent.id)
        .where(
            SecurityEvent.kind == "logout",
            SecurityEvent.user_id == User.id,
            SecurityEvent.detail == bindparam("ended"),
        )
        .exists()
    )
    return (
        select(User, signed_out.label("signed_out"))
        .where(User.id == bindparam("user_id"))
        .options(joinedload(User.roles), joinedload(User.spoc_assignments))
    )


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def register(app: Flask) -> None:
    app.before_request(serve_sessions_partnership)
    app.before_request(guard_request)


def serve_sessions_partnership() -> None:
    """A request serves the partnership its signed session names (set at sign-in), or none:
    everything it reads or writes is scoped to it (core.tenancy), the user's own account first."""
    pid = session.get("pid")
    tenancy.set_scope(tenancy.Scope.of(pid) if isinstance(pid, int) else tenancy.NONE)


def guard_request():
    """Deny by default: every endpoint is public, or declares a permission the user holds."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no such route: the 404 handler answers
    view = current_app.view_functions.get(endpoint)
    if getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        if session.get("seen"):
            accounts.log_event("session_expired", path=request.path, survives_rollback=True)
            session.clear()
            flash("Your session has expired. Sign in again to continue.", "info")
        return redirect(url_for("auth.login", next=_next_for(request)))
    if not current_user.is_active:
        accounts.log_event("login_inactive", user=current_user, path=request.path, survives_rollback=True)
        logout_user()
        session.clear()
        flash("Your account has been deactivated. Contact your Prevent Lead.", "info")
        return redirect(url_for("auth.login"))
    if current_user.access_expired():
        ended = current_user.access_expires_on
        accounts.log_event("login_expired", user=current_user, path=request.path, survives_rollback=True)
        logout_user()
        session.clear()
        flash(f"Your access ended on {ended:%-d %B %Y}. Contact your Prevent Lead.", "info")
        return redirect(url_for("auth.login"))
    now = clock.now()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    longest = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    seen = session.get("seen")
    signed_in_at = session.get("signed_in_at")
    if (
        (seen and now - datetime.fromtimestamp(seen, UTC) > idle)
        or not signed_in_at
        or now - datetime.fromtimestamp(signed_in_at, UTC) > longest
    ):
        accounts.log_event("session_expired", user=current_user, path=request.path, survives_rollback=True)
        logout_user()
        session.clear()
        flash("Your session has expired. Sign in again to continue.", "info")
        return redirect(url_for("auth.login", next=_next_for(request)))
    # Written at most once a minute: a session rewritten on every request is a new cookie to
    # sign and send each time, and the idle limit is counted in minutes.
    if not seen or now.timestamp() - seen >= SEEN_GRANULARITY_SECONDS:
        session["seen"] = int(now.timestamp())
    set_request_actor(current_user.id, current_user.email)
    # Someone signed in by their organisation's provider has no use for this app's password.
    if (
        current_user.must_change_password
        and endpoint not in _PASSWORD_CHANGE_ALLOWED
        and not sso.signed_in_by_provider()
    ):
        return redirect(url_for("auth.change_password"))
    # A provider-signed session's second factor is the organisation's own (its provider's policy).
    by_provider = sso.signed_in_by_provider()
    if (
        not by_provider
        and not current_user.has_two_factor
        and endpoint not in _ENROL_ALLOWED
        and twofactor.required_for(current_user)
    ):
        return redirect(url_for("auth.set_up_two_factor"))
    if getattr(view, "needs_fresh_second_factor", False) and not fresh_second_factor():
        if by_provider:
            return redirect(sso.fresh_sign_in_url(_next_for(request)))
        if current_user.has_two_factor:
            return redirect(url_for("auth.check_second_factor", next=_next_for(request)))
    permission = getattr(view, "required_permission", None)
    if permission is None or not has_permission(current_user, permission):
        accounts.log_event("forbidden", user=current_user, path=request.path, survives_rollback=True)
        abort(403)
    return None


def _next_for(req) -> str | None:
    return req.full_path.rstrip("?") if req.method == "GET" else None


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and current_user.is_active:
        return redirect(url_for("main.home"))
    sso_step = sso.intercept_login()  # the email step, when single sign-on is set up
    if sso_step is not None:
        return sso_step
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.attempt_login(
            email=form.email.data,
            password=form.password.data,
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
        )
        user = result.user
        if user is not None and user.has_two_factor:
            # The password is right; the session is not signed in until the second step.
            session.clear()
            session["pid"] = user.partnership_id
            session["pending_user"] = user.get_id()
            session["pending_at"] = int(clock.now().timestamp())
            session["pending_next"] = safe_next(request.args.get("next"))
            return redirect(url_for("auth.second_factor"))
        if user is not None:
            start_session(user, second_factor=False)
            accounts.log_event("login_ok", user=user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        form.email.errors.append(result.message)
    return render_template("auth/login.html", form=form)


def start_session(user: User, *, second_factor: bool) -> None:
    """A fresh signed session for ``user``: its own id (for sign-out), the sign-in time (for the
    absolute lifetime) and, when a second factor was checked, when."""
    now = int(clock.now().timestamp())
    session.clear()
    session["sid"] = secrets.token_urlsafe(18)
    session["pid"] = user.partnership_id
    tenancy.set_scope(tenancy.Scope.of(user.partnership_id))
    login_user(user)
    session.permanent = True
    session["seen"] = now
    session["signed_in_at"] = now
    if second_factor:
        session["second_factor_at"] = now


def fresh_second_factor() -> bool:
    """Whether this session's last second-factor check is recent enough for a Channel record."""
    checked = session.get("second_factor_at")
    limit = timedelta(minutes=current_app.config["TWO_FACTOR_FRESH_MINUTES"])
    return bool(checked) and clock.now() - datetime.fromtimestamp(checked, UTC) <= limit


def pending_user() -> User | None:
    """The person whose password was accepted and who has yet to give a second factor."""
    pending = session.get("pending_user")
    started = session.get("pending_at")
    if not pending or not started:
        return None
    if clock.now() - datetime.fromtimestamp(started, UTC) > timedelta(seconds=PENDING_SECONDS):
        return None
    user_id, _, tag = str(pending).partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or user.get_id() != pending or not user.active or not user.has_two_factor:
        return None
    return user


@bp.route("/logout", methods=["POST"])
@requires(Permission.SIGNED_IN)
def logout():
    provider_sign_out = sso.end_session_url()  # read before the session is cleared
    accounts.log_event("logout", user=current_user, detail=f"session {session.get('sid', '')}")
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(provider_sign_out or url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Permission.SIGNED_IN)
def change_password():
    form = ChangePasswordForm(user=current_user, check_current=accounts.check_current_password)
    if form.validate_on_submit():
        accounts.set_password(current_user, form.new_password.data, must_change=False)
        # The session id carries a tag of the hash: sign in again under the new one.
        login_user(current_user)
        flash("Your password has been changed.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)


def forbid_unless(allowed: bool) -> None:
    """Object-level check in a view: 403 (and a log entry) when the policy says no.

    The 403 rolls back whatever the request had written; the log entry is kept all the same."""
    if not allowed:
        accounts.log_event("forbidden", user=current_user, path=request.path, survives_rollback=True)
        abort(403)
