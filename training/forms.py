"""Forms for training: completions, people, headcounts, courses, facilitators, sessions,
evaluations, settings and register uploads."""

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from core import limits
from core.forms import SafeDateField, choices
from core.importing.pages import UploadForm, spreadsheet_field
from core.limits import MaxLength
from training.models import CourseKind, Delivery
from training.people import normalise_email, valid_email

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def whole_number(form_field, *, minimum: int, maximum: int, missing: str, wrong: str) -> int | None:
    """The field's text as a whole number in range, or a GOV.UK error on the field."""
    # A record's own number when the form was built from it and the field was not posted.
    raw = str(form_field.data if form_field.data is not None else "").strip().replace(",", "")
    if not raw:
        raise ValidationError(missing)
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise ValidationError(wrong)
    return int(raw)


def _not_future(form_field, today: date, message: str) -> None:
    if form_field.data and form_field.data > today:
        raise ValidationError(message)


def _in_range(form_field) -> None:
    if form_field.data and not EARLIEST <= form_field.data <= LATEST:
        raise ValidationError(f"{form_field.label.text} must be between 2000 and 2100")


class AsOfForm(FlaskForm):
    """The coverage page's date, read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    as_of = SafeDateField("Coverage on", description="For example, 31 3 2026.")

    def validate_as_of(self, field) -> None:
        _in_range(field)


class PersonFieldsMixin:
    """Who was trained: matched to a stored person on staff number or email."""

    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the person's full name"), MaxLength(limits.SHORT_TEXT)],
    )
    email = StringField(
        "Work email address (optional if you give a staff number)",
        widget=GovTextInput(),
        validators=[MaxLength(limits.EMAIL)],
    )
    staff_number = StringField(
        "Staff number (optional if you give an email address)",
        widget=GovTextInput(),
        validators=[MaxLength(limits.SHORT_CODE)],
    )
    organisation_id = SelectField("Organisation", widget=GovSelect(), coerce=str, validate_choice=False)
    role = StringField("Job role (optional)", widget=GovTextInput(), validators=[MaxLength(limits.SHORT_TEXT)])
    team = StringField(
        "Team or business area (optional)",
        widget=GovTextInput(),
        description="Only needed where the organisation records a headcount for the team.",
        validators=[MaxLength(limits.HEADING)],
    )

    def _set_organisations(self, organisations) -> None:
        self.organisation_id.choices = choices(
            [("", "Select an organisation")] + [(o.id, o.name) for o in organisations]
        )
        self._organisation_ids = {str(o.id) for o in organisations}

    def validate_organisation_id(self, field) -> None:
        if (field.data or "") not in self._organisation_ids:
            raise ValidationError("Select the person's organisation")

    def validate_email(self, field) -> None:
        email = normalise_email(field.data)
        if email and not valid_email(email):
            raise ValidationError("Enter an email address in the correct format, like name@example.org")

    def validate_staff_number(self, field) -> None:
        if not (field.data or "").strip() and not (self.email.data or "").strip():
            raise ValidationError("Enter a work email address or a staff number")


class CompletionForm(PersonFieldsMixin, FlaskForm):
    course_id = SelectField("Course", widget=GovSelect(), coerce=str, validate_choice=False)
    completed_on = SafeDateField(
        "Date completed",
        description="For example, 27 3 2026.",
        validators=[InputRequired(message="Enter the date the course was completed")],
    )
    delivery = RadioField(
        "How was it delivered?",
        widget=GovRadioInput(),
        choices=choices((d.value, d.label) for d in Delivery),
        validators=[InputRequired(message="Select how the course was delivered")],
    )
    facilitator_id = SelectField(
        "Facilitator (optional)", widget=GovSelect(), coerce=str, validate_choice=False, default=""
    )
    submit = SubmitField("Save record", widget=GovSubmitInput())

    def __init__(self, *args, organisations, courses, facilitators, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today
        self._set_organisations(organisations)
        self.course_id.choices = choices([("", "Select a course")] + [(c.id, c.name) for c in courses])
        self._course_ids = {str(c.id) for c in courses}
        self.facilitator_id.choices = choices([("", "None or not known")] + [(f.id, f.name) for f in facilitators])
        self._facilitator_ids = {str(f.id) for f in facilitators} | {""}

    def validate_course_id(self, field) -> None:
        if (field.data or "") not in self._course_ids:
            raise ValidationError("Select the course")

    def validate_facilitator_id(self, field) -> None:
        if (field.data or "") not in self._facilitator_ids:
            raise ValidationError("Select a facilitator from the list")

    def validate_completed_on(self, field) -> None:
        _not_future(field, self._today, "The date the course was completed must be today or in the past")
        _in_range(field)


class AttendeeForm(PersonFieldsMixin, FlaskForm):
    submit = SubmitField("Add attendee", widget=GovSubmitInput())

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_organisations(organisations)


class PersonForm(PersonFieldsMixin, FlaskForm):
    left_on = SafeDateField(
        "Date they left the organisation (optional)",
        description="Their training stops counting for the organisation from this date.",
    )
    submit = SubmitField("Save person", widget=GovSubmitInput())

    def __init__(self, *args, organisations, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today
        self._set_organisations(organisations)

    def validate_left_on(self, field) -> None:
        _in_range(field)


class HeadcountForm(FlaskForm):
    relevant_headcount = StringField(
        "Relevant headcount",
        widget=GovTextInput(),
        description="Staff who should be WRAP-trained, such as frontline staff: not necessarily everyone.",
        validators=[MaxLength(limits.REFERENCE)],
    )
    as_of = SafeDateField(
        "Date the headcount is true on",
        description="For example, 31 3 2026. It stands until a later headcount is recorded.",
        validators=[InputRequired(message="Enter the date the headcount is true on")],
    )
    source = StringField(
        "Source",
        widget=GovTextInput(),
        description="Where the figure comes from, for example HR establishment report, March 2026.",
        validators=[InputRequired(message="Enter where the headcount comes from"), MaxLength(limits.TITLE)],
    )
    team = StringField(
        "Team or business area (optional)",
        widget=GovTextInput(),
        description="Leave blank for the whole organisation.",
        validators=[MaxLength(limits.HEADING)],
    )
    submit = SubmitField("Save headcount", widget=GovSubmitInput())

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today
        self.count: int | None = None

    def validate_relevant_headcount(self, field) -> None:
        self.count = whole_number(
            field,
            minimum=0,
            maximum=10_000_000,
            missing="Enter the relevant headcount",
            wrong="Relevant headcount must be a whole number, like 120",
        )

    def validate_as_of(self, field) -> None:
        _not_future(field, self._today, "The date the headcount is true on must be today or in the past")
        _in_range(field)


class CourseForm(FlaskForm):
    name = StringField(
        "Course name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the course's name"), MaxLength(limits.SHORT_TEXT)],
    )
    kind = RadioField(
        "Type of course",
        widget=GovRadioInput(),
        choices=choices((k.value, k.label) for k in CourseKind),
        validators=[InputRequired(message="Select the type of course")],
    )
    validity_months = StringField(
        "Valid for (months)",
        widget=GovTextInput(),
        description="How long a completion stays current. WRAP is usually 36 months (three years).",
        default="36",
        validators=[MaxLength(limits.REFERENCE)],
    )
    counts_for_coverage = RadioField(
        "Does it count towards the WRAP coverage target?",
        widget=GovRadioInput(),
        choices=choices([("yes", "Yes"), ("no", "No")]),
        validators=[InputRequired(message="Select whether the course counts towards the target")],
    )
    active = BooleanField("Still offered", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save course", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.months: int | None = None

    def validate_validity_months(self, field) -> None:
        self.months = whole_number(
            field,
            minimum=1,
            maximum=240,
            missing="Enter how many months the course stays valid",
            wrong="Valid for must be a whole number of months from 1 to 240, like 36",
        )


class FacilitatorForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the facilitator's full name"), MaxLength(limits.SHORT_TEXT)],
    )
    organisation_id = SelectField(
        "Organisation (optional)", widget=GovSelect(), coerce=str, validate_choice=False, default=""
    )
    email = StringField("Work email address (optional)", widget=GovTextInput(), validators=[MaxLength(limits.EMAIL)])
    accredited_on = SafeDateField(
        "Date accredited as a WRAP facilitator (optional)",
        description="Leave blank if they are not accredited. For example, 14 5 2024.",
    )
    active = BooleanField("Currently facilitating", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save facilitator", widget=GovSubmitInput())

    def __init__(self, *args, organisations, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today
        self.organisation_id.choices = choices([("", "None")] + [(o.id, o.name) for o in organisations])
        self._organisation_ids = {str(o.id) for o in organisations} | {""}

    def validate_organisation_id(self, field) -> None:
        if (field.data or "") not in self._organisation_ids:
            raise ValidationError("Select an organisation from the list")

    def validate_email(self, field) -> None:
        email = normalise_email(field.data)
        if email and not valid_email(email):
            raise ValidationError("Enter an email address in the correct format, like name@example.org")

    def validate_accredited_on(self, field) -> None:
        _not_future(field, self._today, "The date accredited must be today or in the past")
        _in_range(field)


class SessionForm(FlaskForm):
    course_id = SelectField("Course", widget=GovSelect(), coerce=str, validate_choice=False)
    held_on = SafeDateField(
        "Date of the session",
        description="For example, 14 5 2026.",
        validators=[InputRequired(message="Enter the date of the session")],
    )
    place = StringField(
        "Place",
        widget=GovTextInput(),
        description="For example, Committee Room 2, Sand Martin House, or Microsoft Teams.",
        validators=[InputRequired(message="Enter where the session is held"), MaxLength(limits.SHORT_TEXT)],
    )
    facilitator_id = SelectField(
        "Facilitator (optional)", widget=GovSelect(), coerce=str, validate_choice=False, default=""
    )
    capacity = StringField(
        "Places (optional)",
        widget=GovTextInput(),
        description="How many people can attend.",
        validators=[MaxLength(limits.REFERENCE)],
    )
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(), validators=[MaxLength(limits.LONG_TEXT)])
    submit = SubmitField("Save session", widget=GovSubmitInput())

    def __init__(self, *args, courses, facilitators, **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = choices([("", "Select a course")] + [(c.id, c.name) for c in courses])
        self._course_ids = {str(c.id) for c in courses}
        self.facilitator_id.choices = choices([("", "None or not known")] + [(f.id, f.name) for f in facilitators])
        self._facilitator_ids = {str(f.id) for f in facilitators} | {""}
        self.places: int | None = None

    def validate_course_id(self, field) -> None:
        if (field.data or "") not in self._course_ids:
            raise ValidationError("Select the course")

    def validate_facilitator_id(self, field) -> None:
        if (field.data or "") not in self._facilitator_ids:
            raise ValidationError("Select a facilitator from the list")

    def validate_held_on(self, field) -> None:
        _in_range(field)

    def validate_capacity(self, field) -> None:
        if str(field.data if field.data is not None else "").strip():
            self.places = whole_number(
                field,
                minimum=1,
                maximum=10_000,
                missing="",
                wrong="Places must be a whole number, like 20",
            )


SCORES = choices((str(n), str(n)) for n in range(1, 6))


def _score(label: str, what: str) -> RadioField:
    return RadioField(
        label,
        widget=GovRadioInput(),
        choices=SCORES,
        validators=[InputRequired(message=f"Select a score for {what}")],
    )


class EvaluationForm(FlaskForm):
    person_id = SelectField("Attendee", widget=GovSelect(), coerce=str, validate_choice=False, default="")
    understanding_before = _score("Understanding of Prevent before the session", "understanding before")
    understanding_after = _score("Understanding of Prevent after the session", "understanding after")
    confidence_before = _score("Confidence to raise a concern before the session", "confidence before")
    confidence_after = _score("Confidence to raise a concern after the session", "confidence after")
    comment = TextAreaField("Comments (optional)", widget=GovTextArea(), validators=[MaxLength(limits.LONG_TEXT)])
    submit = SubmitField("Save evaluation", widget=GovSubmitInput())

    def __init__(self, *args, attendees, **kwargs):
        super().__init__(*args, **kwargs)
        self.person_id.choices = choices(
            [("", "Anonymous (not linked to an attendee)")] + [(p.id, p.name) for p in attendees]
        )
        self._person_ids = {str(p.id) for p in attendees} | {""}

    def validate_person_id(self, field) -> None:
        if (field.data or "") not in self._person_ids:
            raise ValidationError("Select an attendee from the list")


class SettingsForm(FlaskForm):
    target_percent = StringField(
        "Target (%)",
        widget=GovTextInput(),
        description="The share of relevant staff to be WRAP-trained. The county plan says at least 90%.",
        validators=[MaxLength(limits.REFERENCE)],
    )
    amber_band_points = StringField(
        "Amber band (percentage points below the target)",
        widget=GovTextInput(),
        description="Coverage this far below the target, or nearer, is Amber; further below is Red.",
        validators=[MaxLength(limits.REFERENCE)],
    )
    leaver_retention_months = StringField(
        "Keep a leaver's training records for (months after they leave)",
        widget=GovTextInput(),
        description="Then the person and their completions are deleted by the daily retention run. "
        "24 months by default: a leaver stops counting the day they leave, and two years keeps last "
        "year's figures as they were until the annual audit has checked them.",
        validators=[MaxLength(limits.REFERENCE)],
    )
    submit = SubmitField("Save settings", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.target: int | None = None
        self.band: int | None = None
        self.leaver_months: int | None = None

    def validate_target_percent(self, field) -> None:
        self.target = whole_number(
            field,
            minimum=1,
            maximum=100,
            missing="Enter the target",
            wrong="Target must be a whole number from 1 to 100",
        )

    def validate_amber_band_points(self, field) -> None:
        self.band = whole_number(
            field,
            minimum=0,
            maximum=100,
            missing="Enter the amber band",
            wrong="Amber band must be a whole number from 0 to 100",
        )

    def validate_leaver_retention_months(self, field) -> None:
        self.leaver_months = whole_number(
            field,
            minimum=1,
            maximum=240,
            missing="Enter how many months a leaver's training records are kept",
            wrong="Months must be a whole number from 1 to 240",
        )


class ImportForm(UploadForm):
    file = spreadsheet_field("Register or e-learning export")
    course_id = SelectField(
        "Course for every row (optional)",
        widget=GovSelect(),
        coerce=str,
        validate_choice=False,
        default="",
        description="For a file with no course column, such as an e-learning export.",
    )
    organisation_id = SelectField(
        "Organisation for every row (optional)",
        widget=GovSelect(),
        coerce=str,
        validate_choice=False,
        default="",
        description="For a file with no organisation column.",
    )
    submit = SubmitField("Upload and check columns", widget=GovSubmitInput())

    def __init__(self, *args, courses, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = choices([("", "From the file")] + [(c.id, c.name) for c in courses])
        self.organisation_id.choices = choices([("", "From the file")] + [(o.id, o.name) for o in organisations])
        self._course_ids = {str(c.id) for c in courses} | {""}
        self._organisation_ids = {str(o.id) for o in organisations} | {""}

    def validate_course_id(self, field) -> None:
        if (field.data or "") not in self._course_ids:
            raise ValidationError("Select a course from the list")

    def validate_organisation_id(self, field) -> None:
        if (field.data or "") not in self._organisation_ids:
            raise ValidationError("Select an organisation from the list")
