"""The Prevent Lead's user administration forms: an account's roles, organisation and SPOC areas."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, NumberRange, Optional, ValidationError

from core import limits
from core.forms import CheckboxesField, SafeDateField, check_new_password, choices
from core.limits import MaxLength
from core.vocab import Role


class UserForm(FlaskForm):
    full_name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the user's full name"), MaxLength(limits.SHORT_TEXT)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        description="They sign in with this address.",
        validators=[
            InputRequired(message="Enter the user's email address"),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            MaxLength(limits.EMAIL),
        ],
    )
    job_title = StringField("Job title (optional)", widget=GovTextInput(), validators=[MaxLength(limits.SHORT_TEXT)])
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
        validators=[
            InputRequired(message="Enter a temporary password"),
            MaxLength(limits.PASSWORD),
            check_new_password,
        ],
    )

    def validate_email(self, field) -> None:
        self._email_for_policy = field.data or ""
