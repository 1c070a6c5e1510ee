"""Forms for member organisations."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from core.forms import choices
from partnership.models import OrganisationKind


class OrganisationForm(FlaskForm):
    name = StringField(
        "Organisation name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the organisation's name"), Length(max=200)],
    )
    short_name = StringField(
        "Short name (optional)",
        widget=GovTextInput(),
        description="Used in tables, for example PCC.",
        validators=[Length(max=40)],
    )
    kind = RadioField(
        "Type of organisation",
        widget=GovRadioInput(),
        choices=choices((k.value, k.label) for k in OrganisationKind),
        validators=[InputRequired(message="Select the type of organisation")],
    )
    active = BooleanField("A current member of the partnership", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save organisation", widget=GovSubmitInput())
