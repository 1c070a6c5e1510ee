"""Password reset by email: a single-use, time-limited link (only its hash is stored), the same
answer whether or not the address has an account, and every other session ended by the reset."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select, update

from core import accounts, throttle
from core.auth import bp
from core.db import utcnow
from core.extensions import db
from core.forms import ForgotPasswordForm, ResetPasswordForm
from core.mail import MailError, send_mail
from core.models import PasswordResetToken, User
from core.passwords import burn_verification_time
from core.permissions import public

#: Reset emails one address may be sent in an hour (more requests get the same answer, no email).
EMAILS_PER_HOUR = 3


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str) -> None:
    """Send a reset link to ``email`` if an active account uses it. Says nothing either way."""
    email = accounts.normalise_email(email)
    user = accounts.identify(email)
    claim = throttle.claim(f"r:{throttle.account_key(email)[2:]}", limit=EMAILS_PER_HOUR, minutes=60)
    if user is None or not user.active or user.access_expired():
        accounts.log_event("password_reset_refused", user=user, detail="no active account", survives_rollback=True)
        return
    if not claim.allowed:
        accounts.log_event("password_reset_refused", user=user, detail="too many requests", survives_rollback=True)
        return
    token = secrets.token_urlsafe(32)
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    db.session.add(
        PasswordResetToken(user_id=user.id, token_hash=_hash(token), expires_at=utcnow() + timedelta(minutes=minutes))
    )
    db.session.flush()
    link = f"{current_app.config['APP_BASE_URL'].rstrip('/')}{url_for('auth.reset_password')}?token={token}"
    body = (
        f"Hello {user.full_name},\n\n"
        f"Someone asked to reset the password of your account on {current_app.config['SERVICE_NAME']}.\n"
        f"To choose a new password, open this link within {minutes} minutes. It works once.\n\n{link}\n\n"
        "If you did not ask for this, ignore this email: your password has not changed. "
        "Tell your Prevent Lead if it happens again.\n"
    )
    try:
        send_mail(to=user.email, subject="Reset your password", body=body)
    except MailError as error:
        current_app.logger.error("password reset email for user %s not sent: %s", user.id, error)
        accounts.log_event(
            "password_reset_refused", user=user, detail=f"email not sent: {error}"[:500], survives_rollback=True
        )
        return
    accounts.log_event("password_reset_requested", user=user)


def open_token(token: str) -> PasswordResetToken | None:
    """The reset a token belongs to, if it is unused and in date."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(PasswordResetToken).where(
            PasswordResetToken.token_hash == _hash(token),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > utcnow(),
        )
    )


def complete_reset(token: str, new_password: str) -> User | None:
    """Spend the token (in one statement that finds it unused and in date) and set the password;
    every session of the account ends. None when the token is no longer good."""
    now = utcnow()
    found = open_token(token)
    if found is None:
        return None
    spent = db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.id == found.id, PasswordResetToken.used_at.is_(None), PasswordResetToken.expires_at > now
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        return None
    user = accounts.adopt(found.user_id)
    # Any other link sent to this account stops working too.
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    accounts.set_password(user, new_password, must_change=False)
    user.session_epoch = (user.session_epoch or 0) + 1
    throttle.forget_email(user.email)
    db.session.flush()
    accounts.log_event("password_reset_done", user=user)
    return user


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_reset(form.email.data)
        return render_template("auth/reset_sent.html", minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset", methods=["GET", "POST"])
@public
def reset_password():
    """The link's token moves into the signed session and out of the address bar at once."""
    if "token" in request.args:
        session["reset_token"] = request.args["token"][:100]
        return redirect(url_for("auth.reset_password"))
    token = session.get("reset_token", "")
    found = open_token(token)
    if found is None:
        session.pop("reset_token", None)
        burn_verification_time()
        return render_template("auth/reset_expired.html")
    user = accounts.adopt(found.user_id)
    form = ResetPasswordForm(email=user.email)
    if form.validate_on_submit():
        if complete_reset(token, form.new_password.data) is None:
            return render_template("auth/reset_expired.html")
        session.clear()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, signed_in=current_user.is_authenticated)
