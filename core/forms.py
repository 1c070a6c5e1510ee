"""Forms for accounts and the audit trail, plus field helpers the domains share."""

from collections.abc import Iterable

from flask import current_app
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import DateField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput

from core.passwords import password_problem, verify_password
from core.vocab import Role


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs, without the deprecated tuple form."""
    return [SelectChoice(value=str(v), label=label) for v, label in pairs]


class CheckboxesField(SelectMultipleField):
    """A group of GOV.UK checkboxes; an empty group is valid unless required."""

    widget = GovCheckboxesInput()
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        values = {c.value for c in self.choices}
        for item in self.data or []:
            if item not in values:
                raise ValidationError("Select from the options shown")


class SafeDateField(DateField):
    """A GOV.UK day/month/year date that answers bad input with a message, never a 500.

    Blank is allowed unless the field has InputRequired. Do not add Optional(): it
    clears the "must be a real date" message when the day box is empty.
    """

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, format="%d %m %Y", **kwargs):
        super().__init__(label, validators, format=format, **kwargs)

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data, extra_filters)
        # The widget unpacks raw_data into day, month and year: give it three or none.
        if self.raw_data is not None and len(self.raw_data) != 3:
            self.raw_data = ["", "", ""] if self.raw_data else None

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        if len(valuelist) != 3:
            # Hostile or truncated input: not the three boxes the page sends.
            self.raw_data = ["", "", ""]
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date")
        if not any(v.strip() for v in valuelist):
            self.data = None
            return
        try:
            super().process_formdata([" ".join(v.strip() for v in valuelist)])
        except ValueError as exc:
            raise ValueError(f"{self.label.text} must be a real date") from exc


class LoginForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=256)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


def _check_new_password(form, field) -> None:
    email = getattr(form, "_email_for_policy", "")
    problem = password_problem(field.data or "", email=email, min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    if problem:
        raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password")],
    )
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="At least 12 characters. Avoid common words and passwords used elsewhere.",
        validators=[InputRequired(message="Enter a new password"), _check_new_password],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Confirm your new password")],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user
        self._email_for_policy = user.email

    def validate_current_password(self, field) -> None:
        if not verify_password(self._user.password_hash, field.data or ""):
            raise ValidationError("Your current password is incorrect")

    def validate_confirm_password(self, field) -> None:
        if field.data != self.new_password.data:
            raise ValidationError("Passwords must match")

    def validate_new_password(self, field) -> None:
        if field.data and field.data == self.current_password.data:
            raise ValidationError("New password must be different from your current password")


class UserForm(FlaskForm):
    full_name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the user's full name"), Length(max=200)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        description="They sign in with this address.",
        validators=[
            InputRequired(message="Enter the user's email address"),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            Length(max=254),
        ],
    )
    job_title = StringField("Job title (optional)", widget=GovTextInput(), validators=[Length(max=200)])
    organisation_id = SelectField("Organisation", widget=GovSelect(), validators=[Optional()], coerce=str)
    roles = CheckboxesField("Roles", description="Select all that apply.")
    lead_area_ids = CheckboxesField(
        "Business areas they lead as SPOC", description="Only for users with the SPOC role."
    )
    deputy_area_ids = CheckboxesField(
        "Business areas they deputise for", description="Only for users with the SPOC role."
    )
    access_expires_on = SafeDateField(
        "Access ends after (optional)",
        description="For a time-limited account, such as an auditor's: the last day it may sign in.",
    )
    audit_year = IntegerField(
        "Compliance year the account may see (optional)",
        widget=GovTextInput(),
        description="For an auditor limited to one year's assessment, report and evidence bundle, e.g. 2025.",
        validators=[Optional(), NumberRange(2000, 2100, message="Enter a year like 2025, or leave it blank")],
    )
    submit = SubmitField("Save user", widget=GovSubmitInput())

    def __init__(self, *args, organisations, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = choices([("", "Not set")] + [(o.id, o.name) for o in organisations])
        self.roles.choices = choices((r.value, r.label) for r in Role)
        area_choices = choices((a.id, a.name) for a in areas)
        self.lead_area_ids.choices = area_choices
        self.deputy_area_ids.choices = area_choices

    def validate_roles(self, field) -> None:
        if not field.data:
            raise ValidationError("Select at least one role")

    def validate_lead_area_ids(self, field) -> None:
        has_areas = bool(field.data or self.deputy_area_ids.data)
        is_spoc = Role.SPOC.value in (self.roles.data or [])
        if has_areas and not is_spoc:
            raise ValidationError("Select the SPOC role for a user who leads or deputises for a business area")
        if is_spoc and not has_areas:
            raise ValidationError("Select the business areas this SPOC leads or deputises for")

    def validate_deputy_area_ids(self, field) -> None:
        both = set(field.data or []) & set(self.lead_area_ids.data or [])
        if both:
            raise ValidationError("A user cannot both lead and deputise for the same business area")


class NewUserForm(UserForm):
    password = PasswordField(
        "Temporary password",
        widget=GovPasswordInput(),
        description="Tell the user separately. They must choose a new password when they first sign in.",
        validators=[InputRequired(message="Enter a temporary password"), _check_new_password],
    )

    def validate_email(self, field) -> None:
        self._email_for_policy = field.data or ""


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "Temporary password",
        widget=GovPasswordInput(),
        description="They must choose a new password when they next sign in.",
        validators=[InputRequired(message="Enter a temporary password"), _check_new_password],
    )
    submit = SubmitField("Set temporary password", widget=GovSubmitInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._email_for_policy = user.email


class ConfirmForm(FlaskForm):
    """A button behind a confirmation page, for actions that change a record's standing."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


class AuditFilterForm(FlaskForm):
    """Filters read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    entity = SelectField("Record type", widget=GovSelect(), validators=[Optional()])
    entity_id = StringField("Record number", widget=GovTextInput(), validators=[Optional(), Length(max=12)])
    actor = StringField("Changed by", widget=GovTextInput(), validators=[Optional(), Length(max=254)])
    action = SelectField(
        "Change",
        widget=GovSelect(),
        validators=[Optional()],
        choices=choices([("", "Any"), ("insert", "Created"), ("update", "Changed"), ("delete", "Deleted")]),
    )
    date_from = SafeDateField("From")  # blank is allowed: no Optional(), which would hide errors
    date_to = SafeDateField("To")
    submit = SubmitField("Filter", widget=GovSubmitInput())

    def validate_entity_id(self, field) -> None:
        if field.data and not field.data.strip().isdigit():
            raise ValidationError("Record number must be a whole number, like 12")

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The 'to' date must be the same as or after the 'from' date")
