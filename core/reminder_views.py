"""Reminder pages: each user's own reminders and switches, and the Prevent Lead's log."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField

from core import reminders
from core.extensions import db
from core.forms import CheckboxesField, choices
from core.pagination import page_number, paginate
from core.permissions import Permission, requires
from core.reminders import DeliveryStatus, ReminderKind

bp = Blueprint("reminders", __name__, url_prefix="/reminders")


class PreferencesForm(FlaskForm):
    kinds = CheckboxesField("Send me these reminders")
    submit = SubmitField("Save reminder settings")


@bp.route("", methods=["GET", "POST"])
@requires(Permission.SIGNED_IN)
def my_reminders():
    kinds = reminders.kinds_for(current_user)
    optional = [k for k in kinds if not k.statutory]
    form = PreferencesForm()
    form.kinds.choices = choices((k.value, k.label) for k in optional)
    if form.validate_on_submit():
        reminders.set_preferences(current_user, enabled=set(form.kinds.data or []))
        flash("Your reminder settings are saved.", "success")
        return redirect(url_for("reminders.my_reminders"))
    if request.method == "GET":
        off = reminders.opted_out_kinds(current_user.id)
        form.kinds.data = [k.value for k in optional if k.value not in off]
    recent = db.session.scalars(reminders.log_query(user_id=current_user.id).limit(20)).all()
    return render_template(
        "reminders/mine.html",
        form=form,
        optional=optional,
        statutory=[k for k in kinds if k.statutory],
        recent=recent,
        subjects=reminders.subjects_for(recent, current_user),
    )


@bp.route("/log")
@requires(Permission.VIEW_REMINDER_LOG)
def list_log():
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    recipient = request.args.get("recipient", "")[:254]
    if status not in {s.value for s in DeliveryStatus}:
        status = ""
    if kind not in {k.value for k in ReminderKind}:
        kind = ""
    query = reminders.log_query(status=status, kind=kind, recipient=recipient)
    page = paginate(query, page=page_number(), per_page=50)
    return render_template(
        "reminders/log.html",
        page=page,
        # Reminders about a Channel case: a label in this list, not the case reference.
        subjects=reminders.subjects_for(page.items, current_user),
        status=status,
        kind=kind,
        recipient=recipient,
        statuses=list(DeliveryStatus),
        kinds=list(ReminderKind),
    )
