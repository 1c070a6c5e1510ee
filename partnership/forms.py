"""Forms for member organisations."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, ValidationError

from core import limits
from core.disclosure import THRESHOLD_RANGE
from core.forms import choices
from core.limits import MaxLength
from partnership.models import OrganisationKind


class OrganisationForm(FlaskForm):
    name = StringField(
        "Organisation name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the organisation's name"), MaxLength(limits.SHORT_TEXT)],
    )
    short_name = StringField(
        "Short name (optional)",
        widget=GovTextInput(),
        description="Used in tables, for example PCC.",
        validators=[MaxLength(limits.SHORT_CODE)],
    )
    kind = RadioField(
        "Type of organisation",
        widget=GovRadioInput(),
        choices=choices((k.value, k.label) for k in OrganisationKind),
        validators=[InputRequired(message="Select the type of organisation")],
    )
    active = BooleanField("A current member of the partnership", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save organisation", widget=GovSubmitInput())


class SettingsForm(FlaskForm):
    """The partnership's settings that are not any one domain's."""

    disclosure_threshold = StringField(
        "Smallest count published about people",
        widget=GovTextInput(),
        description=(
            "Counts about people smaller than this (but not 0) are shown as [c] on the Channel figures, in the board "
            "pack and wherever referrals are counted, with other counts hidden so the small ones cannot be "
            f"worked out from totals. Official statistics commonly use 5. A whole number from {THRESHOLD_RANGE[0]} "
            f"to {THRESHOLD_RANGE[1]}."
        ),
        validators=[MaxLength(limits.REFERENCE)],
    )
    submit = SubmitField("Save settings", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.threshold: int | None = None

    def validate_disclosure_threshold(self, field) -> None:
        low, high = THRESHOLD_RANGE
        raw = str(field.data or "").strip()
        if not raw:
            raise ValidationError("Enter the smallest count published about people")
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ValidationError(f"Smallest count published must be a whole number from {low} to {high}")
        self.threshold = int(raw)
