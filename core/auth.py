"""Signing in and out, the session, and the access guard that every request passes."""

import secrets
from datetime import UTC, datetime, timedelta
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
from sqlalchemy import select

from core import accounts, clock, sso
from core.audit import set_request_actor
from core.extensions import db, login_manager
from core.forms import ChangePasswordForm, LoginForm
from core.models import SecurityEvent, User
from core.permissions import Permission, has_permission, public, requires

bp = Blueprint("auth", __name__)

#: Endpoints a user who must change their password may still reach.
_PASSWORD_CHANGE_ALLOWED = {"auth.change_password", "auth.logout", "static", "govuk_assets", "vendor"}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session ids are "<user id>:<hash tag>", so a password change ends other sessions."""
    user_id, _, tag = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_tag != tag or _signed_out(user, session.get("sid")):
        return None
    return user


def _signed_out(user: User, sid: str | None) -> bool:
    """Whether this session was ended by signing out (or predates session ids).

    The session cookie lives in the browser, so a copy taken before sign-out would otherwise
    still work until it expired: the sign-out event records the session's id, and it is refused.
    """
    if not sid:
        return True
    ended = select(SecurityEvent.id).where(
        SecurityEvent.kind == "logout", SecurityEvent.user_id == user.id, SecurityEvent.detail == f"session {sid}"
    )
    return db.session.scalar(ended.limit(1)) is not None


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
    app.before_request(guard_request)


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
    seen = session.get("seen")
    if seen and now - datetime.fromtimestamp(seen, UTC) > idle:
        accounts.log_event("session_expired", user=current_user, path=request.path, survives_rollback=True)
        logout_user()
        session.clear()
        flash("Your session has expired. Sign in again to continue.", "info")
        return redirect(url_for("auth.login", next=_next_for(request)))
    session["seen"] = int(now.timestamp())
    set_request_actor(current_user.id, current_user.email)
    # Someone signed in by their organisation's provider has no use for this app's password.
    if (
        current_user.must_change_password
        and endpoint not in _PASSWORD_CHANGE_ALLOWED
        and not sso.signed_in_by_provider()
    ):
        return redirect(url_for("auth.change_password"))
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
        if result.user is not None:
            session.clear()  # a fresh session at sign-in
            session["sid"] = secrets.token_urlsafe(18)
            login_user(result.user)
            session.permanent = True
            session["seen"] = int(clock.now().timestamp())
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        form.email.errors.append(result.message)
    return render_template("auth/login.html", form=form)


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
    form = ChangePasswordForm(user=current_user)
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
