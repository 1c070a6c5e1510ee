"""Pages for two-factor authentication: the second step of signing in, setting it up, new
recovery codes, turning it off, and the fresh check before a Channel personal record."""

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from core import accounts, clock, throttle, twofactor
from core.auth import bp, needs_fresh_second_factor, pending_user, safe_next, start_session
from core.forms import ConfirmForm, EnrolForm, PasswordConfirmForm, SecondFactorForm
from core.models import User
from core.permissions import Permission, public, requires

WRONG_CODE = "Enter a correct code from your authenticator app, or an unused recovery code"


def _check_code(user: User, form: SecondFactorForm) -> bool:
    """Check the code the form holds, under the sign-in limits; errors go on the form."""
    config = current_app.config
    now = clock.now()
    key = throttle.second_factor_key(user.id)
    claim = throttle.claim(key, limit=config["LOGIN_MAX_FAILURES"], minutes=config["LOGIN_LOCK_MINUTES"], now=now)
    if not claim.allowed:
        accounts.log_event("two_factor_locked", user=user, detail=f"attempt {claim.count}", survives_rollback=True)
        minutes = claim.minutes_left(now)
        form.code.errors.append(
            f"Too many wrong codes. Wait {minutes} minute{'s' if minutes != 1 else ''} and try again"
        )
        return False
    code = form.code.data or ""
    if twofactor.looks_like_recovery_code(code):
        if twofactor.use_recovery_code(user, code):
            throttle.release(key)
            left = twofactor.recovery_codes_left(user)
            accounts.log_event("recovery_code_used", user=user, detail=f"{left} left")
            # Flashed once the session is (re)started: signing in clears the session.
            g.recovery_note = (
                f"You used a recovery code. You have {left} left: "
                "make new ones from your account's two-factor page if you are running out."
            )
            return True
    else:
        try:
            accepted = twofactor.verify_code(user, code)
        except twofactor.SecretUnreadable:
            # The key changed (TWO_FACTOR_KEY or SECRET_KEY): nobody's code can be checked.
            accounts.log_event("two_factor_unreadable", user=user, survives_rollback=True)
            form.code.errors.append(
                "Your two-factor set-up cannot be checked. Use a recovery code, or ask your Prevent Lead to reset it"
            )
            return False
        if accepted:
            throttle.release(key)
            return True
    accounts.log_event("two_factor_failed", user=user, detail=f"attempt {claim.count}", survives_rollback=True)
    form.code.errors.append(WRONG_CODE)
    return False


@bp.route("/login/two-factor", methods=["GET", "POST"])
@public
def second_factor():
    user = pending_user()
    if user is None:
        session.pop("pending_user", None)
        flash("Sign in again to continue.", "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit() and _check_code(user, form):
        next_url = session.get("pending_next")
        start_session(user, second_factor=True)
        accounts.log_event("login_ok", user=user, detail="with a second factor")
        if g.get("recovery_note"):
            flash(g.recovery_note, "info")
        return redirect(safe_next(next_url) or url_for("main.home"))
    return render_template("auth/second_factor.html", form=form, fresh_check=False)


@bp.route("/account/two-factor/check", methods=["GET", "POST"])
@requires(Permission.SIGNED_IN)
def check_second_factor():
    """Ask again for a code before a page that needs a recent one (a Channel personal record)."""
    next_url = safe_next(request.args.get("next")) or url_for("main.home")
    if not current_user.has_two_factor:
        return redirect(next_url)
    form = SecondFactorForm()
    if form.validate_on_submit() and _check_code(current_user, form):
        session["second_factor_at"] = int(clock.now().timestamp())
        accounts.log_event("two_factor_ok", user=current_user, detail="fresh check")
        if g.get("recovery_note"):
            flash(g.recovery_note, "info")
        return redirect(next_url)
    return render_template("auth/second_factor.html", form=form, fresh_check=True)


@bp.route("/account/two-factor")
@requires(Permission.SIGNED_IN)
def show_two_factor():
    return render_template(
        "auth/two_factor.html",
        required=twofactor.required_for(current_user),
        codes_left=twofactor.recovery_codes_left(current_user) if current_user.has_two_factor else 0,
        confirm_form=ConfirmForm(),
        turn_off_form=PasswordConfirmForm(),
    )


@bp.route("/account/two-factor/set-up", methods=["GET", "POST"])
@requires(Permission.SIGNED_IN)
@needs_fresh_second_factor
def set_up_two_factor():
    """Show a new secret (QR code and text); turn it on once the app's first code is entered.
    The secret waits in the signed session, encrypted, until then."""
    stored = session.get("enrol_secret")
    try:
        secret = twofactor.decrypt_secret(stored) if stored else None
    except twofactor.SecretUnreadable:
        secret = None
    if secret is None or request.method == "GET":
        secret = twofactor.new_secret()
        session["enrol_secret"] = twofactor.encrypt_secret(secret)
    form = EnrolForm()
    if form.validate_on_submit():
        if twofactor.code_matches(secret, form.code.data) is None:
            form.code.errors.append("Enter the 6-digit code your authenticator app shows now")
        else:
            user = current_user._get_current_object()
            replacing = user.has_two_factor
            codes = twofactor.enrol(user, secret=secret)
            session.pop("enrol_secret", None)
            # The epoch rose (other sessions end): carry on in this one under the new id.
            login_user(user)
            session["second_factor_at"] = int(clock.now().timestamp())
            accounts.log_event("two_factor_enrolled", user=user, detail="replaced" if replacing else "")
            return render_template("auth/recovery_codes.html", codes=codes, just_enrolled=True)
    return render_template(
        "auth/set_up_two_factor.html",
        form=form,
        qr=twofactor.qr_svg(twofactor.provisioning_uri(current_user, secret)),
        secret=twofactor.group_secret(secret),
        required=twofactor.required_for(current_user),
    )


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@requires(Permission.SIGNED_IN)
@needs_fresh_second_factor
def new_recovery_codes():
    form = ConfirmForm()
    if not current_user.has_two_factor or not form.validate_on_submit():
        return redirect(url_for("auth.show_two_factor"))
    codes = twofactor.issue_recovery_codes(current_user)
    accounts.log_event("recovery_codes_issued", user=current_user)
    return render_template("auth/recovery_codes.html", codes=codes, just_enrolled=False)


@bp.route("/account/two-factor/turn-off", methods=["POST"])
@requires(Permission.SIGNED_IN)
def turn_off_two_factor():
    if twofactor.required_for(current_user) or not current_user.has_two_factor:
        flash("Two-factor authentication is required for your role and cannot be turned off.", "info")
        return redirect(url_for("auth.show_two_factor"))
    form = PasswordConfirmForm()
    if form.validate_on_submit():
        problem = accounts.check_current_password(current_user, form.password.data)
        if problem is None:
            user = current_user._get_current_object()
            twofactor.disable(user)
            login_user(user)
            accounts.log_event("two_factor_disabled", user=user, detail="by the account holder")
            flash("Two-factor authentication is off.", "success")
            return redirect(url_for("auth.show_two_factor"))
        form.password.errors.append(problem)
    return render_template(
        "auth/two_factor.html",
        required=False,
        codes_left=twofactor.recovery_codes_left(current_user),
        confirm_form=ConfirmForm(),
        turn_off_form=form,
    )
