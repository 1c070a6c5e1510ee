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
from wtforms import DateField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput

from core import limits
from core.limits import MaxLength
from core.passwords import password_problem


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
            raise ValueError(bad_date_message(self.label.text, valuelist)) from exc


def typed_date(parts: Iterable[str]) -> str:
    """What was typed in a date's boxes, as the person typed it (shortened if very long), for
    an error message that shows them what was wrong."""
    typed = " ".join(str(p).strip() or "?" for p in parts)
    return typed if len(typed) <= 40 else typed[:39] + "…"


def bad_date_message(label: str, parts: Iterable[str], example: str = "31 3 2026") -> str:
    """The one wording for a date that is not a real date: it repeats what was typed."""
    return f"{label} must be a real date, like {example}; you entered “{typed_date(parts)}”"


class LoginForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), MaxLength(limits.EMAIL)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), MaxLength(limits.PASSWORD)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


def check_new_password(form, field) -> None:
    email = getattr(form, "_email_for_policy", "")
    problem = password_problem(field.data or "", email=email, min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    if problem:
        raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password"), MaxLength(limits.PASSWORD)],
    )
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="At least 12 characters. Avoid common words and passwords used elsewhere.",
        validators=[InputRequired(message="Enter a new password"), MaxLength(limits.PASSWORD), check_new_password],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Confirm your new password"), MaxLength(limits.PASSWORD)],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())

    def __init__(self, *args, user, check_current, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user
        self._check_current = check_current
        self._email_for_policy = user.email

    def validate_current_password(self, field) -> None:
        # Counted and limited (core.accounts.check_current_password): a stolen session must not
        # be able to guess the password it would need to take the account over.
        problem = self._check_current(self._user, field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_confirm_password(self, field) -> None:
        if field.data != self.new_password.data:
            raise ValidationError("Passwords must match")

    def validate_new_password(self, field) -> None:
        if field.data and field.data == self.current_password.data:
            raise ValidationError("New password must be different from your current password")


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "Temporary password",
        widget=GovPasswordInput(),
        description="They must choose a new password when they next sign in.",
        validators=[
            InputRequired(message="Enter a temporary password"),
            MaxLength(limits.PASSWORD),
            check_new_password,
        ],
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
    entity_id = StringField(
        "Record number", widget=GovTextInput(), validators=[Optional(), MaxLength(limits.REFERENCE)]
    )
    actor = StringField("Changed by", widget=GovTextInput(), validators=[Optional(), MaxLength(limits.EMAIL)])
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


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        validators=[InputRequired(message="Enter the code from your authenticator app"), MaxLength(limits.SHORT_CODE)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EnrolForm(FlaskForm):
    code = StringField(
        "Code from the app",
        widget=GovTextInput(),
        description="After adding the account, enter the 6-digit code the app shows.",
        validators=[
            InputRequired(message="Enter the 6-digit code from your authenticator app"),
            MaxLength(limits.REFERENCE),
        ],
    )
    submit = SubmitField("Turn on two-factor authentication", widget=GovSubmitInput())


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), MaxLength(limits.PASSWORD)],
    )
    submit = SubmitField("Turn off two-factor authentication", widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), MaxLength(limits.EMAIL)],
    )
    submit = SubmitField("Send a reset link", widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="At least 12 characters. Avoid common words and passwords used elsewhere.",
        validators=[InputRequired(message="Enter a new password"), MaxLength(limits.PASSWORD), check_new_password],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Confirm your new password"), MaxLength(limits.PASSWORD)],
    )
    submit = SubmitField("Set new password", widget=GovSubmitInput())

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._email_for_policy = email

    def validate_confirm_password(self, field) -> None:
        if field.data != self.new_password.data:
            raise ValidationError("Passwords must match")
