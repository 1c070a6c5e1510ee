"""Pages for importing plans from spreadsheets and exporting them (CSV, XLSX, PDF).

Imports go through the pipeline in core.importing with the plan spec (plans.imports); the
pages here choose the plan's area, format and title, and check the area again on confirmation.
"""

from dataclasses import replace
from functools import partial

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core import limits, transactions
from core.auth import forbid_unless
from core.extensions import db
from core.forms import choices
from core.importing import ImportProblems, pages, stash
from core.importing.pages import MappingPage, UploadForm, UploadPage, spreadsheet_field
from core.importing.stash import Upload
from core.limits import MaxLength
from core.permissions import (
    Permission,
    can_delete_plan,
    can_edit_plan,
    can_update_plan_from_file,
    has_permission,
    requires,
)
from partnership.models import BusinessArea
from plans import exports, imports, reimport, services
from plans.cells import split_items
from plans.forms import parse_lead_key
from plans.models import Plan, PlanRow
from plans.templates import TEMPLATES

bp = Blueprint("plans_transfer", __name__, url_prefix="/plans")


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a list of choices (the template draws them as GOV.UK checkboxes)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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
        validators=[InputRequired(message="Enter the plan's title"), MaxLength(limits.TITLE)],
    )
    period = StringField(
        "Period (optional)",
        widget=GovTextInput(),
        description="For example, 2019-2021.",
        validators=[MaxLength(limits.SHORT_CODE)],
    )
    lead_key = TextAreaField(
        "Key to lead initials (optional)",
        widget=GovTextArea(),
        description="One per line, like: DHP - Policy Adviser and Prevent Lead.",
        validators=[MaxLength(limits.LONG_TEXT)],
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
    max_rows=limits.PLAN_ROWS,
    rows_note=" (the most a plan may have)",
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
    unmatched="These columns will not be imported",
    kept="These columns match no plan field and will be kept as columns of their own",
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
        token = pages.receive(
            form.file,
            kind=imports.KIND,
            choices=choices,
            command=UPLOAD_PAGE.command,
            max_rows=UPLOAD_PAGE.max_rows,
            more_rows_by_command=False,  # a plan holds limits.PLAN_ROWS rows, however it is imported
        )
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
    # The PDF names where its XLSX appendix is downloaded: this address, with format=xlsx.
    base_url = current_app.config["APP_BASE_URL"].rstrip("/") + url_for(".export_plans")
    data = exports.export_bytes(plans, fmt, current_app.config["DEFAULT_MARKING"], base_url=base_url)
    filename = exports.export_filename(plans, fmt, single=bool(raw_plan))
    return Response(
        data,
        mimetype=exports.CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"},
    )


# --- updating a plan from a spreadsheet ------------------------------------------------------

#: Names the uploads that update an existing plan (a token for one opens no new-plan import).
UPDATE_KIND = "plan-update"


class UpdateForm(UploadForm):
    file = spreadsheet_field("Spreadsheet")
    key = StringField(
        "Column to match rows on (optional)",
        widget=GovTextInput(),
        description=(
            "Leave empty to match on the row id of a spreadsheet exported from this plan, or else on the reference."
        ),
        validators=[MaxLength(limits.HEADING)],
    )
    submit = SubmitField("Upload and check the changes", widget=GovSubmitInput())


class ApplyForm(FlaskForm):
    archive = MultiCheckboxField("Rows missing from the file", coerce=int, validate_choice=False)
    submit = SubmitField("Update the plan", widget=GovSubmitInput())


def _plan_to_update(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    forbid_unless(can_update_plan_from_file(current_user, plan.area_id))
    return plan


@bp.route("/<int:plan_id>/update-from-file", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def update_from_file(plan_id: int):
    plan = _plan_to_update(plan_id)
    form = UpdateForm()
    if form.validate_on_submit():
        choices = {"plan": plan.id, "key": (form.key.data or "").strip()}
        token = pages.receive(
            form.file,
            kind=UPDATE_KIND,
            choices=choices,
            command=f"flask plans import PATH --into {plan.id}",
            max_rows=limits.PLAN_ROWS,
            more_rows_by_command=False,
        )
        if token:
            return redirect(url_for(".preview_update", plan_id=plan.id, token=token))
    error_list = [{"text": error, "href": f"#{name}"} for name, errors in form.errors.items() for error in errors]
    return render_template("plans/update_upload.html", form=form, plan=plan, error_list=error_list)


@bp.route("/<int:plan_id>/update-from-file/<token>", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def preview_update(plan_id: int, token: str):
    plan = _plan_to_update(plan_id)
    upload = pages.open_upload(token, kind=UPDATE_KIND)
    if upload.choices.get("plan") != plan.id:
        abort(404)
    found = reimport.preview(plan, upload.filename, upload.table, key_heading=upload.choices.get("key", ""))
    form = ApplyForm()
    form.archive.choices = [(row.id, reimport.row_label(row, columns=plan.columns)) for row in found.missing]
    if form.validate_on_submit() and not found.problems and not found.changes_nothing:
        archive = {row.id for row in found.missing} & set(form.archive.data or [])
        try:
            reimport.apply(found, actor=current_user, archive=archive)
        except ImportProblems as refused:
            db.session.rollback()  # the page answers 200 with the problems: nothing may be kept
            found.problems = refused.problems
        else:
            transactions.after_commit(lambda: stash.discard(upload))
            flash(
                f"Updated from {upload.filename}: {len(found.added)} rows added, {len(found.changed)} changed, "
                f"{len(archive)} archived.",
                "success",
            )
            return redirect(url_for("plans.show_plan", plan_id=plan.id))
    return render_template(
        "plans/update_preview.html",
        plan=plan,
        preview=found,
        form=form,
        error_list=_preview_errors(found),
        row_label=partial(reimport.row_label, columns=plan.columns),
    )


def _preview_errors(found: reimport.Preview) -> list[dict]:
    return [{"text": problem, "href": "#problems"} for problem in found.problems[: pages.SHOWN_PROBLEMS]]


# --- deleting a plan made by mistake ------------------------------------------------------------


class DeleteForm(FlaskForm):
    submit = SubmitField("Delete this plan", widget=GovSubmitInput())


@bp.route("/<int:plan_id>/delete", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLANS)
def delete_plan(plan_id: int):
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    recorded = services.recorded_since_import(plan)
    allowed = can_delete_plan(current_user, recorded_since_import=recorded)
    form = DeleteForm()
    if form.validate_on_submit():
        forbid_unless(allowed)
        title = plan.title
        services.delete_plan(plan)
        flash(f"Deleted the plan {title}.", "success")
        return redirect(url_for("plans.overview"))
    rows = db.session.scalar(select(func.count()).select_from(PlanRow).where(PlanRow.plan_id == plan.id))
    return render_template("plans/delete_plan.html", plan=plan, form=form, allowed=allowed, rows=rows)
