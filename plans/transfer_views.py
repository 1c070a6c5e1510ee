"""Pages for importing plans from spreadsheets and exporting them (CSV, XLSX, PDF)."""

import json
import re
import uuid

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
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
from itsdangerous import BadSignature, URLSafeTimedSerializer
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from core.auth import forbid_unless
from core.extensions import db
from core.forms import choices
from core.permissions import Permission, can_edit_plan, has_permission, requires
from core.spreadsheets import SpreadsheetError, read_table
from core.storage import StorageError, StorageKeyMissing, get_storage
from partnership.models import BusinessArea
from plans import exports, imports
from plans.cells import split_items
from plans.forms import parse_lead_key
from plans.templates import FIELDS, TEMPLATES

bp = Blueprint("plans_transfer", __name__, url_prefix="/plans")

#: An upload waits this long for its columns to be confirmed.
TOKEN_MAX_AGE = 24 * 60 * 60
PREVIEW_ROWS = 5
COUNTY = "county"
_COLUMN = re.compile(r"[Cc]olumns? ([A-Z]+)\b")


class ImportForm(FlaskForm):
    file = FileField("Spreadsheet", widget=GovFileInput(), description="A CSV or XLSX file; row 1 holds the headings.")
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

    def validate_file(self, field) -> None:
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError("Select a CSV or XLSX file")


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


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="plans-import")


def _load_token(token: str) -> dict:
    """The choices saved with an upload, or 404 if the token is bad, expired or someone else's.

    The token names the upload and its uploader only; the choices (title, lead key with
    people's names) stay in storage beside the file, out of URLs and server logs.
    """
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        abort(404)
    if not isinstance(payload, dict) or payload.get("user") != current_user.id:
        abort(404)
    try:
        choice = json.loads(get_storage().get(f"imports/{payload['id']}.json"))
    except (KeyError, ValueError, StorageError):
        abort(404)
    if choice.get("user") != current_user.id:
        abort(404)
    return choice


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def import_plan():
    area_choices = _area_choices()
    forbid_unless(bool(area_choices))
    form = ImportForm(area_choices=area_choices)
    if form.is_submitted():
        _check_chosen_area(form.area_id.data)
    if form.validate_on_submit():
        upload = form.file.data
        filename = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        data = upload.read(limit + 1)
        try:
            if len(data) > limit:
                raise SpreadsheetError(f"The file must be smaller than {limit // 1048576} MB")
            read_table(filename, data)
            upload_id = uuid.uuid4().hex
            key = f"imports/{upload_id}.{filename.rsplit('.', 1)[-1].lower()}"
            get_storage().put(key, data)
        except SpreadsheetError as problem:
            form.file.errors.append(str(problem))
        except StorageError as failure:
            current_app.logger.error("import upload could not be stored: %s", failure)
            form.file.errors.append("The file could not be saved. Try again later")
        else:
            choice = {
                "id": upload_id,
                "key": key,
                "filename": filename,
                "area": form.area_id.data,
                "template": form.template.data,
                "title": form.title.data.strip(),
                "period": (form.period.data or "").strip(),
                "lead_key": parse_lead_key(form.lead_key.data),
                "user": current_user.id,
            }
            try:
                get_storage().put(f"imports/{upload_id}.json", json.dumps(choice).encode())
            except StorageError as failure:
                current_app.logger.error("import choices could not be stored: %s", failure)
                form.file.errors.append("The file could not be saved. Try again later")
            else:
                token = _serializer().dumps({"id": upload_id, "user": current_user.id})
                return redirect(url_for(".confirm_import", token=token))
    return render_template("plans/import_upload.html", form=form, templates=TEMPLATES)


def mapping_form_class(header: list[str], template: str, guessed: dict[str, str]):
    """A form with one select per heading: the plan field its column holds."""
    labels = imports.field_labels(template)
    own = [name for name, _ in TEMPLATES[template].columns]
    order = [*own, *(name for name in FIELDS if name not in own), imports.SECTION]
    options = [(name, labels[name]) for name in order] + [(imports.IGNORE, "Do not import")]

    class MappingForm(FlaskForm):
        submit = SubmitField("Import plan", widget=GovSubmitInput())

    for index, heading in enumerate(header):
        if heading:
            field = SelectField(
                heading, widget=GovSelect(), choices=choices(options), default=guessed.get(heading, imports.IGNORE)
            )
            setattr(MappingForm, f"col_{index}", field)
    return MappingForm


@bp.route("/import/<token>", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def confirm_import(token: str):
    choice = _load_token(token)
    area_id = _area_id(choice["area"])
    area = db.session.get(BusinessArea, area_id) if area_id is not None else None
    if area_id is not None and area is None:
        abort(404)
    forbid_unless(can_edit_plan(current_user, area_id))
    storage = get_storage()
    try:
        data = storage.get(choice["key"])
        header, rows = read_table(choice["filename"], data)
    except (StorageKeyMissing, SpreadsheetError):
        abort(404)  # already imported, or cleared away
    template = choice["template"]
    form = mapping_form_class(header, template, imports.guess_mapping(header, template))()
    columns = [
        (get_column_letter(index + 1), heading, getattr(form, f"col_{index}"))
        for index, heading in enumerate(header)
        if heading
    ]
    problems: list[str] = []
    if form.validate_on_submit():
        mapping = {heading: select_field.data for _, heading, select_field in columns}
        parsed = imports.parse(choice["filename"], data, template=template, mapping=mapping)
        problems = parsed.problems
        if not problems:
            plan = imports.import_plan(
                parsed=parsed,
                area_id=area_id,
                template=template,
                title=choice["title"],
                period=choice["period"],
                lead_key=choice["lead_key"],
                filename=choice["filename"],
            )
            try:
                storage.delete(choice["key"])
                storage.delete(f"imports/{choice['id']}.json")
            except StorageError as failure:  # the plan is saved; a stray upload is harmless
                current_app.logger.warning("could not remove %s: %s", choice["key"], failure)
            flash(f"Imported {parsed.row_count} rows into {plan.title}", "success")
            return redirect(url_for("plans.show_plan", plan_id=plan.id))
    unmatched = [heading for _, heading, select_field in columns if not select_field.data]
    return render_template(
        "plans/import_mapping.html",
        mapping_form=form,
        error_list=_error_list(problems, form, columns),
        columns=columns,
        preview=rows[:PREVIEW_ROWS],
        total_rows=len(rows),
        problems=problems,
        unmatched=unmatched,
        choice=choice,
        template=TEMPLATES[template],
        area_name=area.name if area else "County delivery plan",
    )


def _error_list(problems: list[str], form, columns) -> list[dict]:
    """The error summary: each problem links to the select of the column it names."""
    select_ids = {letter: field.id for letter, _, field in columns}
    out = []
    for problem in problems:
        match = _COLUMN.search(problem)
        target = select_ids.get(match.group(1)) if match else None
        out.append({"text": problem, "href": f"#{target or 'columns'}"})
    for name, errors in form.errors.items():
        out.extend({"text": error, "href": f"#{name}"} for error in errors)
    return out


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
