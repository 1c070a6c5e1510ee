"""Forms for the annual compliance self-assessment and findings."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from compliance.models import EvidenceKind, Rating, Severity
from compliance.toolkit import SECTIONS
from core import limits
from core.forms import SafeDateField, choices
from core.limits import MaxLength


class StartAssessmentForm(FlaskForm):
    year = IntegerField(
        "Year to assess",
        widget=GovTextInput(),
        description="The calendar year, 1 January to 31 December, for example 2025.",
        validators=[
            InputRequired(message="Enter the year to assess"),
            NumberRange(2000, 2100, message="Enter a year like 2025"),
        ],
    )
    submit = SubmitField("Start the self-assessment", widget=GovSubmitInput())


class RatingForm(FlaskForm):
    rating = RadioField(
        "Rating",
        widget=GovRadioInput(),
        choices=choices([(r.value, r.label) for r in Rating]),
        validators=[InputRequired(message="Select a rating")],
    )
    narrative = TextAreaField(
        "Narrative",
        widget=GovTextArea(),
        description="What the partnership does to meet the expectation, and what is missing.",
        default="",
        validators=[MaxLength(limits.DOCUMENT_TEXT)],
    )
    submit = SubmitField("Save the rating", widget=GovSubmitInput())


class EvidenceLinkForm(FlaskForm):
    kind = SelectField(
        "Kind of record",
        widget=GovSelect(),
        choices=choices([(k.value, k.label) for k in EvidenceKind]),
        validators=[InputRequired(message="Select the kind of record")],
    )
    target_id = IntegerField(
        "Record number",
        widget=GovTextInput(),
        description="The number shown in the record's address, for example 12 in /plans/3/rows/12.",
        validators=[
            InputRequired(message="Enter the record number"),
            NumberRange(1, 2**31 - 1, message="Enter a record number"),
        ],
    )
    submit = SubmitField("Add the evidence link", widget=GovSubmitInput())


class ImprovementActionForm(FlaskForm):
    description = TextAreaField(
        "Improvement action",
        widget=GovTextArea(),
        description="It becomes a row of the county plan, linked back to this expectation.",
        validators=[InputRequired(message="Enter the improvement action"), MaxLength(limits.LONG_TEXT)],
    )
    lead = StringField(
        "Responsible agency (optional)", widget=GovTextInput(), default="", validators=[MaxLength(limits.SHORT_TEXT)]
    )
    due_date = SafeDateField("Due date (optional)")
    submit = SubmitField("Add to the county plan", widget=GovSubmitInput())


class FindingForm(FlaskForm):
    section = SelectField(
        "Toolkit section",
        widget=GovSelect(),
        choices=choices([(s.key, f"{s.number}. {s.title}") for s in SECTIONS]),
        validators=[InputRequired(message="Select the toolkit section")],
    )
    title = StringField(
        "Finding",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the finding"), MaxLength(limits.TITLE)],
    )
    severity = RadioField(
        "Severity",
        widget=GovRadioInput(),
        choices=choices([(s.value, s.label) for s in Severity]),
        validators=[InputRequired(message="Select the severity")],
    )
    recommendation = TextAreaField(
        "Recommendation",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the recommendation"), MaxLength(limits.LONG_TEXT)],
    )
    owner_id = SelectField(
        "Owner",
        widget=GovSelect(),
        coerce=str,
        validate_choice=False,
        validators=[InputRequired(message="Select the owner")],
    )
    due_on = SafeDateField("Due date", validators=[InputRequired(message="Enter the due date")])
    submit = SubmitField("Record the finding", widget=GovSubmitInput())


class ResponseForm(FlaskForm):
    response = TextAreaField(
        "Response",
        widget=GovTextArea(),
        description="What has been or will be done, and by when.",
        validators=[InputRequired(message="Enter the response"), MaxLength(limits.LONG_TEXT)],
    )
    submit = SubmitField("Save the response", widget=GovSubmitInput())


class CloseFindingForm(FlaskForm):
    evidence = TextAreaField(
        "Evidence that the finding was dealt with",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Enter the evidence that the finding was dealt with"),
            MaxLength(limits.LONG_TEXT),
        ],
    )
    submit = SubmitField("Close the finding", widget=GovSubmitInput())


class SignOffForm(FlaskForm):
    statement = TextAreaField(
        "Sign-off statement",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the sign-off statement"), MaxLength(limits.LONG_TEXT)],
    )
    submit = SubmitField("Sign off the year", widget=GovSubmitInput())


class NewVersionForm(FlaskForm):
    reason = TextAreaField(
        "Reason for a new version",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the reason for opening a new version"), MaxLength(limits.LONG_TEXT)],
    )
    submit = SubmitField("Open a new version", widget=GovSubmitInput())
