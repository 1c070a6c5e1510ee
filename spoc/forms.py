"""Forms for business areas."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Optional

from core import limits
from core.forms import choices
from core.limits import MaxLength


class AreaForm(FlaskForm):
    name = StringField(
        "Business area name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the business area's name"), MaxLength(limits.SHORT_TEXT)],
    )
    organisation_id = SelectField("Owning organisation", widget=GovSelect(), validators=[Optional()], coerce=str)
    contact_email = StringField(
        "Contact email (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            MaxLength(limits.EMAIL),
        ],
    )
    contact_phone = StringField(
        "Contact phone (optional)", widget=GovTextInput(), validators=[MaxLength(limits.SHORT_CODE)]
    )
    submit = SubmitField("Save business area", widget=GovSubmitInput())

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = choices([("", "Not set")] + [(o.id, o.name) for o in organisations])


def referral_form_class():
    """A number box for every national category, grouped by dimension."""
    from core.vocab import REFERRAL_CATEGORIES

    class ReferralForm(FlaskForm):
        submit = SubmitField("Save referral counts", widget=GovSubmitInput())

        def counts(self) -> dict[tuple[str, str], int]:
            return {
                (dimension, category): int(getattr(self, f"{dimension}__{category}").data or 0)
                for dimension, options in REFERRAL_CATEGORIES.items()
                for category, _ in options
            }

    for dimension, options in REFERRAL_CATEGORIES.items():
        for category, label in options:
            setattr(
                ReferralForm,
                f"{dimension}__{category}",
                StringField(label, widget=GovTextInput(), validators=[_whole_number]),
            )
    return ReferralForm


def _whole_number(form, field) -> None:
    from wtforms.validators import ValidationError

    raw = (field.data or "").strip()
    if raw == "":
        field.data = "0"
        return
    if not raw.isdigit() or int(raw) > 100000:
        raise ValidationError(f"{field.label.text}: enter a whole number, like 0 or 3")
    field.data = str(int(raw))
