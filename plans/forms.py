"""Forms for plans, rows, progress updates and evidence."""

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
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from core import limits
from core.forms import SafeDateField, choices
from core.limits import ListLimits, MaxLength
from core.vocab import Rag
from plans.cells import split_items, split_marked, text_lines
from plans.models import EXTRA_PREFIX, PlanStatus
from plans.templates import FIELDS, TEMPLATES

LIST_HINT = "One item per line."
#: The hint of a box that holds a list cell: what it takes.
CELL_HINT = f"One item per line, up to {limits.LIST_ITEMS} items; {limits.PLAN_CELL:,} characters in all."
#: The checks on a box that holds a list cell of a plan row.
LIST_CELL = [MaxLength(limits.PLAN_CELL), ListLimits(split_items)]


class PlanForm(FlaskForm):
    title = StringField(
        "Plan title",
        widget=GovTextInput(),
        description="For example, Peterborough Education Prevent Action Plan 2026-2027.",
        validators=[InputRequired(message="Enter the plan's title"), MaxLength(limits.TITLE)],
    )
    area_id = SelectField("Business area", widget=GovSelect(), coerce=str)
    period = StringField(
        "Period (optional)",
        widget=GovTextInput(),
        description="For example, 2026-2027.",
        validators=[MaxLength(limits.SHORT_CODE)],
    )
    template = RadioField(
        "Format",
        widget=GovRadioInput(),
        choices=choices((t.name, t.label) for t in TEMPLATES.values()),
        default="spoc",
        validators=[InputRequired(message="Select the plan's format")],
    )
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        choices=choices((s.value, s.label) for s in PlanStatus),
        default=PlanStatus.ACTIVE.value,
        validators=[InputRequired(message="Select the plan's status")],
    )
    introduction = TextAreaField(
        "Introduction (optional)", widget=GovTextArea(), validators=[MaxLength(limits.DOCUMENT_TEXT)]
    )
    principles = TextAreaField(
        "Principles or common duties (optional)",
        widget=GovTextArea(),
        description=LIST_HINT,
        validators=[MaxLength(limits.LONG_TEXT), ListLimits(split_items)],
    )
    lead_key = TextAreaField(
        "Key to lead initials (optional)",
        widget=GovTextArea(),
        description="One per line, like: DHP - Policy Adviser and Prevent Lead.",
        validators=[MaxLength(limits.LONG_TEXT)],
    )
    submit = SubmitField("Save plan", widget=GovSubmitInput())

    def __init__(self, *args, area_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.area_id.choices = choices(area_choices)

    def validate_lead_key(self, field) -> None:
        for number, line in enumerate(split_items(field.data), start=1):
            if " - " not in line and "\u2013" not in line and ":" not in line:
                raise ValidationError(f"Key line {number} must look like INITIALS - who they are")


def parse_lead_key(text: str | None) -> dict[str, str]:
    key = {}
    for line in split_items(text):
        for separator in (" - ", " \u2013 ", "\u2013", ":"):
            if separator in line:
                initials, who = line.split(separator, 1)
                key[initials.strip()] = who.strip()
                break
    return key


#: How each field is named in the column form's labels ("Heading for the RAG status column"):
#: written out, with the capitals a person would use. A field not listed uses its heading.
COLUMN_NAMES = {
    "reference": "reference number",
    "duty": "duty",
    "actions": "actions",
    "impact": "impact",
    "leads": "lead",
    "responsible_agency": "responsible agency",
    "timescale": "timescale",
    "due_date": "due date",
    "progress": "progress",
    "evidence": "evidence",
    "next_steps": "next steps",
    "rag": "RAG status",
}


def columns_form_class(plan_columns: list[list[str]]):
    """A form with one heading box per field: blank hides the column."""
    current = {f: h for f, h in plan_columns}

    class ColumnsForm(FlaskForm):
        submit = SubmitField("Save columns", widget=GovSubmitInput())

    for name, (default, _) in FIELDS.items():
        field = StringField(
            f"Heading for the {COLUMN_NAMES.get(name, default)} column",
            widget=GovTextInput(),
            default=current.get(name, ""),
            validators=[MaxLength(limits.HEADING)],
        )
        setattr(ColumnsForm, f"col_{name}", field)
    return ColumnsForm


def row_form_class(plan_columns: list[list[str]]) -> type["RowForm"]:
    """The row form for a plan: RowForm, with a text box for each of the plan's own extra columns."""
    extras = [(name, heading) for name, heading in plan_columns if name.startswith(EXTRA_PREFIX)]
    if not extras:
        return RowForm

    class PlanRowForm(RowForm):
        extra_columns = extras

    for index, (_, heading) in enumerate(extras):
        box = TextAreaField(heading, widget=GovTextArea(), validators=[MaxLength(limits.PLAN_CELL)])
        setattr(PlanRowForm, f"extra_{index}", box)
    return PlanRowForm


class RowForm(FlaskForm):
    #: (column, heading) of the plan's own extra columns; each has a text box extra_<n>.
    extra_columns: list[tuple[str, str]] = []

    section_title = StringField(
        "Section or theme (optional)",
        widget=GovTextInput(),
        description="A new name starts a new section.",
        validators=[MaxLength(limits.TITLE)],
    )
    reference = StringField("Ref", widget=GovTextInput(), validators=[MaxLength(limits.REFERENCE)])
    duty = TextAreaField("Duty", widget=GovTextArea(), validators=[MaxLength(limits.PLAN_CELL)])
    actions = TextAreaField("Actions", widget=GovTextArea(), description=CELL_HINT, validators=LIST_CELL)
    impact = TextAreaField("Impact", widget=GovTextArea(), description=CELL_HINT, validators=LIST_CELL)
    leads = TextAreaField("Lead", widget=GovTextArea(), description=CELL_HINT, validators=LIST_CELL)
    responsible_agency = TextAreaField(
        "Responsible agency", widget=GovTextArea(), description=CELL_HINT, validators=LIST_CELL
    )
    timescale = StringField("Timescale", widget=GovTextInput(), validators=[MaxLength(limits.SHORT_TEXT)])
    due_date = SafeDateField("Due date", description="For example, 31 3 2027.")
    evidence = TextAreaField("Evidence", widget=GovTextArea(), description=CELL_HINT, validators=LIST_CELL)
    next_steps = TextAreaField("Next steps", widget=GovTextArea(), description=CELL_HINT, validators=LIST_CELL)
    version = HiddenField()
    submit = SubmitField("Save row", widget=GovSubmitInput())

    def apply_headings(self, columns: list[list[str]]) -> list[str]:
        """Label fields as the plan names them; return the fields the plan shows."""
        shown = []
        for name, heading in columns:
            field = getattr(self, name, None)
            if field is not None and name not in ("version", "submit"):
                field.label.text = heading
                shown.append(name)
        return shown

    def values(self) -> dict:
        out = {}
        for name, (_, kind) in FIELDS.items():
            field = getattr(self, name, None)
            if field is None or name in ("progress", "rag"):
                continue
            out[name] = split_marked(field.data)[0] if kind == "list" else field.data
        return out

    def extra_fields(self) -> list:
        return [getattr(self, f"extra_{index}") for index in range(len(self.extra_columns))]

    def fill_extras(self, row) -> None:
        for index, (name, _) in enumerate(self.extra_columns):
            getattr(self, f"extra_{index}").data = (row.extra or {}).get(name, "")

    def extra_values(self) -> dict:
        """The extra columns' text as typed: line breaks and list markers kept."""
        return {
            name: text_lines(getattr(self, f"extra_{index}").data) for index, (name, _) in enumerate(self.extra_columns)
        }

    def markers(self) -> dict:
        """The list markers typed in each list box ("- ", "1. "), kept for the exports."""
        out = {}
        for name, (_, kind) in FIELDS.items():
            field = getattr(self, name, None)
            if field is not None and kind == "list" and name != "progress":
                out[name] = split_marked(field.data)[1]
        return out

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not any(v for k, v in self.values().items()):
            self.duty.errors.append("Enter the row's duty, risk area or actions")
            return False
        return ok


class ProgressForm(FlaskForm):
    items = TextAreaField(
        "Progress update",
        widget=GovTextArea(),
        description=(
            f"What has happened since the last update. One item per line, up to {limits.LIST_ITEMS} items; "
            f"{limits.LONG_TEXT:,} characters in all."
        ),
        validators=[
            InputRequired(message="Enter the progress update"),
            MaxLength(limits.LONG_TEXT),
            ListLimits(split_items),
        ],
    )
    rag = RadioField(
        "RAG status",
        widget=GovRadioInput(),
        choices=choices((r.value, r.label) for r in Rag),
        validators=[InputRequired(message="Select a RAG status")],
    )
    reason = TextAreaField(
        "Reason for the change (required for Red or Amber)",
        widget=GovTextArea(),
        validators=[MaxLength(limits.LONG_TEXT)],
    )
    evidence_file = FileField(
        "Evidence file (optional)",
        widget=GovFileInput(),
        description="PDF, DOCX, XLSX, PNG or JPEG, kept with this row. To replace a file already here, use its "
        "Replace link under Evidence files.",
    )
    evidence_note = StringField(
        "Description of the file (optional)", widget=GovTextInput(), validators=[MaxLength(limits.LINK)]
    )
    version = HiddenField()
    submit = SubmitField("Save progress update", widget=GovSubmitInput())

    def __init__(self, *args, current_rag: str | None, **kwargs):
        super().__init__(*args, **kwargs)
        self._current_rag = current_rag

    def validate_reason(self, field) -> None:
        rag = self.rag.data
        changing_to_red_or_amber = rag in {r.value for r in Rag} and Rag(rag).needs_reason and rag != self._current_rag
        if changing_to_red_or_amber and not (field.data or "").strip():
            raise ValidationError(f"Give a reason for changing the RAG status to {Rag(rag).label}")


class EvidenceForm(FlaskForm):
    file = FileField("Evidence file", widget=GovFileInput(), description="PDF, DOCX, XLSX, PNG or JPEG.")
    note = StringField("Description (optional)", widget=GovTextInput(), validators=[MaxLength(limits.LINK)])
    submit = SubmitField("Upload evidence", widget=GovSubmitInput())

    def validate_file(self, field) -> None:
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError("Select a file to upload")
