"""Pages for importing plans from spreadsheets and exporting them (CSV, XLSX, PDF).

Imports go through the pipeline in core.importing with the plan spec (plans.imports); the
pages here choose the plan's area, format and title, and check the area again on confirmation.
"""

from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from markupsafe import Markup
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from core.auth import forbid_unless
from core.extensions import db
from core.forms import choices
from core.importing import pages
from core.importing.pages import MappingPage, UploadForm, UploadPage, spreadsheet_field
from core.importing.stash import Upload
from core.permissions import Permission, can_edit_plan, has_permission, requires
from partnership.models import BusinessArea
from plans import exports, imports
from plans.cells import split_items
from plans.forms import parse_lead_key
from plans.models import Plan
from plans.templates import TEMPLATES

bp = Blueprint("plans_transfer", __name__, url_prefix="/plans")

COUNTY = "county"


class ImportForm(UploadForm):
    file = spreadsheet_field("Spreadsheet")
    area_id = SelectField("Business area", widget=GovSelect(), coerce=str, validate_choice=False)
    template = RadioField(
        "Format",
        widget=GovRadioInput(),
        choices=choices((t.name, t.label) for t in TEMPLATES.values()),
        default="spoc",
        validators=[InputRequired(message="Select the plan's format")],
    )
    title = StringField(
        "Plan title",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the plan's title"), Length(max=300)],
    )
    period = StringField(
        "Period (optional)", widget=GovTextInput(), description="For example, 2019-2021.", validators=[Length(max=40)]
    )
    lead_key = TextAreaField(
        "Key to lead initials (optional)",
        widget=GovTextArea(),
        description="One per line, like: DHP - Policy Adviser and Prevent Lead.",
        validators=[Length(max=5000)],
    )
    submit = SubmitField("Upload and check columns", widget=GovSubmitInput())

    def __init__(self, *args, area_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.area_id.choices = choices(area_choices)
        self._allowed_areas = {value for value, _ in area_choices}

    def validate_area_id(self, field) -> None:
        if field.data not in self._allowed_areas:
            raise ValidationError("Select the business area the plan is for")

    def validate_lead_key(self, field) -> None:
        for number, line in enumerate(split_items(field.data), start=1):
            if " - " not in line and "\u2013" not in line and ":" not in line:
                raise ValidationError(f"Key line {number} must look like INITIALS - who they are")


def _area_choices() -> list[tuple[str, str]]:
    areas = db.session.scalars(select(BusinessArea).order_by(BusinessArea.name)).all()
    pairs = [(str(a.id), a.name) for a in areas if can_edit_plan(current_user, a.id)]
    if has_permission(current_user, Permission.MANAGE_PLANS):
        pairs.insert(0, (COUNTY, "County delivery plan"))
    return pairs


def _area_id(value: str | None) -> int | None:
    return None if value == COUNTY else int(value)


def _check_chosen_area(value: str | None) -> None:
    """403 when the user names an area (or the county plan) whose plans they may not edit."""
    if value == COUNTY:
        forbid_unless(can_edit_plan(current_user, None))
    elif value and value.isdigit() and db.session.get(BusinessArea, int(value)) is not None:
        forbid_unless(can_edit_plan(current_user, int(value)))


#: The upload page's words; the template choice says what each format holds.
UPLOAD_PAGE = UploadPage(
    title="Import a plan from a spreadsheet",
    intro=(
        "Upload the plan as it is kept today. Next you will check which column holds what; nothing is saved "
        "until you confirm, and nothing at all if the file has a problem."
    ),
    breadcrumbs=(("Delivery plans", "plans.overview"),),
    cancel="plans.overview",
    command="flask plans import",
    field_params={
        "template": {
            "fieldset": {"legend": {"text": "Format", "classes": "govuk-fieldset__legend--m"}},
            "hint": {"text": "Decides what the columns are called when the file's own headings do not say."},
            "items": [{"hint": {"text": t.description}} for t in TEMPLATES.values()],
        },
        "period": {"classes": "govuk-input--width-10"},
        "lead_key": {"rows": 3},
    },
)
MAPPING_PAGE = MappingPage(
    breadcrumbs=(("Delivery plans", "plans.overview"), ("Import a plan", "plans_transfer.import_plan")),
    command="flask plans import",
    field_heading="Plan field",
    unmatched="These columns do not match a plan field and will not be imported unless you choose one",
    submit="Import plan",
)


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def import_plan():
    area_choices = _area_choices()
    forbid_unless(bool(area_choices))
    form = ImportForm(area_choices=area_choices)
    if form.is_submitted():
        _check_chosen_area(form.area_id.data)
    if form.validate_on_submit():
        choices = {
            "area": form.area_id.data,
            "template": form.template.data,
            "title": form.title.data.strip(),
            "period": (form.period.data or "").strip(),
            "lead_key": parse_lead_key(form.lead_key.data),
        }
        token = pages.receive(form.file, kind=imports.KIND, choices=choices)
        if token:
            return redirect(url_for(".confirm_import", token=token))
    return pages.render_upload(form, UPLOAD_PAGE)


@bp.route("/import/<token>", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def confirm_import(token: str):
    upload = pages.open_upload(token, kind=imports.KIND)
    choice = upload.choices
    area_id = _area_id(choice["area"])
    area = db.session.get(BusinessArea, area_id) if area_id is not None else None
    if area_id is not None and area is None:
        abort(404)
    forbid_unless(can_edit_plan(current_user, area_id))
    saving = {key: choice[key] for key in ("title", "period", "lead_key")} | {"area_id": area_id}
    spec = imports.plan_spec(choice["template"])
    return pages.confirm(spec, upload, _mapping_page(upload, area), choices=saving, done=_imported)


def _mapping_page(upload: Upload, area: BusinessArea | None) -> MappingPage:
    """The mapping page's words for this upload: its file, area, title and format."""
    choice = upload.choices
    explanation = Markup(
        "The plan <strong>{}</strong>{} will be made in the <strong>{}</strong> format. "
        "Choose the plan field each column holds. The plan keeps the file's own headings."
    ).format(choice["title"], f" ({choice['period']})" if choice["period"] else "", TEMPLATES[choice["template"]].label)
    area_name = area.name if area else "County delivery plan"
    return replace(MAPPING_PAGE, caption=f"{upload.filename} · {area_name}", explanation=explanation)


def _imported(parsed: imports.ParsedPlan, plan: Plan) -> tuple[str, str]:
    return f"Imported {parsed.row_count} rows into {plan.title}", url_for("plans.show_plan", plan_id=plan.id)


@bp.route("/export")
@requires(Permission.VIEW_PLANS)
def export_plans():
    fmt = request.args.get("format", "")
    if fmt not in exports.FORMATS:
        abort(400)
    raw_plan = request.args.get("plan", "")
    if raw_plan and not raw_plan.isdigit():
        abort(404)
    plans = exports.find_plans(int(raw_plan) if raw_plan else None)
    if raw_plan and not plans:
        abort(404)
    data = exports.export_bytes(plans, fmt, current_app.config["DEFAULT_MARKING"])
    filename = exports.export_filename(plans, fmt, single=bool(raw_plan))
    return Response(
        data,
        mimetype=exports.CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"},
    )
