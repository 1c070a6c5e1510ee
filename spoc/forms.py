"""Forms for business areas."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional

from core.forms import choices


class AreaForm(FlaskForm):
    name = StringField(
        "Business area name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the business area's name"), Length(max=200)],
    )
    organisation_id = SelectField("Owning organisation", widget=GovSelect(), validators=[Optional()], coerce=str)
    contact_email = StringField(
        "Contact email (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            Length(max=254),
        ],
    )
    contact_phone = StringField("Contact phone (optional)", widget=GovTextInput(), validators=[Length(max=40)])
    submit = SubmitField("Save business area", widget=GovSubmitInput())

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = choices([("", "Not set")] + [(o.id, o.name) for o in organisations])
