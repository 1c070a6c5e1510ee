"""The board's forms: members, reviews, meetings, agenda items, actions, decisions, papers."""

from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from board.models import ActionStatus, BoardRole, MeetingStatus
from core import limits
from core.forms import SafeDateField, choices
from core.limits import MaxLength


def _time(field) -> None:
    raw = (field.data or "").strip()
    if not raw:
        field.parsed = None
        return
    try:
        field.parsed = datetime.strptime(raw.replace(".", ":"), "%H:%M").time()
    except ValueError as exc:
        raise ValidationError(f"{field.label.text} must be a time, like 10:00 or 14:30") from exc


def _check_time(form, field) -> None:
    _time(field)


class BoardMemberForm(FlaskForm):
    organisation_id = SelectField("Organisation", widget=GovSelect(), coerce=str, validate_choice=False)
    representative = StringField(
        "Representative",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the representative's name"), MaxLength(limits.SHORT_TEXT)],
    )
    deputy = StringField("Deputy (optional)", widget=GovTextInput(), validators=[MaxLength(limits.SHORT_TEXT)])
    role = RadioField(
        "Role on the board",
        widget=GovRadioInput(),
        choices=choices((r.value, r.label) for r in BoardRole),
        default=BoardRole.MEMBER.value,
        validators=[InputRequired(message="Select the member's role")],
    )
    joined_on = SafeDateField("Joined", validators=[InputRequired(message="Enter the date they joined the board")])
    left_on = SafeDateField("Left (optional)")
    submit = SubmitField("Save member", widget=GovSubmitInput())

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = choices(
            [("", "Select an organisation")] + [(o.id, o.name) for o in organisations]
        )

    def validate_organisation_id(self, field) -> None:
        if field.data not in {c.value for c in field.choices if c.value}:
            raise ValidationError("Select the member's organisation")

    def validate_left_on(self, field) -> None:
        if field.data and self.joined_on.data and field.data < self.joined_on.data:
            raise ValidationError("The date they left must be on or after the date they joined")


class MembershipReviewForm(FlaskForm):
    reviewed_on = SafeDateField(
        "Date of the review", validators=[InputRequired(message="Enter the date of the review")]
    )
    outcome = TextAreaField(
        "Outcome",
        widget=GovTextArea(),
        description="For example, membership confirmed; Fire and Rescue invited to join.",
        validators=[InputRequired(message="Enter the outcome of the review"), MaxLength(limits.LONG_TEXT)],
    )
    submit = SubmitField("Record the review", widget=GovSubmitInput())


MARKINGS = [("OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"), ("OFFICIAL", "OFFICIAL")]


class ScheduleForm(FlaskForm):
    first_on = SafeDateField(
        "Date of the first meeting", validators=[InputRequired(message="Enter the date of the first meeting")]
    )
    count = RadioField(
        "How many meetings",
        widget=GovRadioInput(),
        choices=choices([("4", "A year of quarterly meetings (4)"), ("1", "One meeting")]),
        default="4",
        validators=[InputRequired(message="Select how many meetings to schedule")],
    )
    starts_at = StringField(
        "Start time (optional)", widget=GovTextInput(), validators=[MaxLength(limits.REFERENCE), _check_time]
    )
    ends_at = StringField(
        "End time (optional)", widget=GovTextInput(), validators=[MaxLength(limits.REFERENCE), _check_time]
    )
    place = StringField("Place (optional)", widget=GovTextInput(), validators=[MaxLength(limits.TITLE)])
    link = StringField("Video call link (optional)", widget=GovTextInput(), validators=[MaxLength(limits.LINK)])
    marking = RadioField(
        "Protective marking for agendas, minutes and packs",
        widget=GovRadioInput(),
        choices=choices(MARKINGS),
        default="OFFICIAL-SENSITIVE",
        validators=[InputRequired(message="Select a protective marking")],
    )
    submit = SubmitField("Schedule", widget=GovSubmitInput())

    def validate_link(self, field) -> None:
        if field.data and not field.data.strip().startswith(("https://", "http://")):
            raise ValidationError("Enter the link in full, starting with https://")


class MeetingForm(ScheduleForm):
    held_on = SafeDateField("Date", validators=[InputRequired(message="Enter the date of the meeting")])
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        choices=choices((s.value, s.label) for s in MeetingStatus),
        validators=[InputRequired(message="Select the meeting's status")],
    )
    submit = SubmitField("Save meeting", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.first_on
        del self.count


class AgendaItemForm(FlaskForm):
    title = StringField(
        "Item",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the item's title"), MaxLength(limits.TITLE)],
    )
    note = TextAreaField(
        "Note on the agenda (optional)",
        widget=GovTextArea(),
        description="For example, who presents it and for how long.",
        validators=[MaxLength(limits.NOTE)],
    )
    minutes = TextAreaField("Minutes (optional)", widget=GovTextArea(), validators=[MaxLength(limits.DOCUMENT_TEXT)])
    submit = SubmitField("Save item", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    description = TextAreaField(
        "Action", widget=GovTextArea(), validators=[InputRequired(message="Enter the action"), MaxLength(limits.NOTE)]
    )
    owner = StringField(
        "Owner",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter who owns the action"), MaxLength(limits.SHORT_TEXT)],
    )
    due_on = SafeDateField("Due date", validators=[InputRequired(message="Enter a due date")])
    agenda_item_id = SelectField("Agenda item (optional)", widget=GovSelect(), coerce=str)
    submit = SubmitField("Add action", widget=GovSubmitInput())

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.agenda_item_id.choices = choices([("", "None")] + [(i.id, f"{i.position}. {i.title}") for i in items])


class ActionUpdateForm(FlaskForm):
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        choices=choices((s.value, s.label) for s in ActionStatus),
        validators=[InputRequired(message="Select the action's status")],
    )
    update = TextAreaField("Update (optional)", widget=GovTextArea(), validators=[MaxLength(limits.LONG_TEXT)])
    closed_on = SafeDateField("Date closed", description="Needed when the action is done or dropped.")
    submit = SubmitField("Save action", widget=GovSubmitInput())

    def validate_closed_on(self, field) -> None:
        if self.status.data in ("done", "dropped") and not field.data:
            raise ValidationError("Enter the date the action was closed")


class DecisionForm(FlaskForm):
    text = TextAreaField(
        "Decision",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the decision"), MaxLength(limits.LONG_TEXT)],
    )
    agenda_item_id = SelectField("Agenda item (optional)", widget=GovSelect(), coerce=str)
    submit = SubmitField("Record decision", widget=GovSubmitInput())

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.agenda_item_id.choices = choices([("", "None")] + [(i.id, f"{i.position}. {i.title}") for i in items])


class PaperForm(FlaskForm):
    file = FileField("Paper", widget=GovFileInput(), description="PDF, DOCX, XLSX, PNG or JPEG.")
    title = StringField("Title (optional)", widget=GovTextInput(), validators=[MaxLength(limits.TITLE)])
    agenda_item_id = SelectField("Agenda item (optional)", widget=GovSelect(), coerce=str)
    submit = SubmitField("Attach paper", widget=GovSubmitInput())

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.agenda_item_id.choices = choices(
            [("", "The meeting as a whole")] + [(i.id, f"{i.position}. {i.title}") for i in items]
        )

    def validate_file(self, field) -> None:
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError("Select a file to attach")
