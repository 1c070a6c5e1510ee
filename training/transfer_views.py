"""Pages for importing registers (upload, confirm the columns) and downloading coverage
(CSV, XLSX, PDF), on the training blueprint.

The upload and the choices made with it stay in storage beside each other; the URL carries
only a signed token naming the upload and its uploader, as plans imports do.
"""

import json
import re
import uuid

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from itsdangerous import BadSignature, URLSafeTimedSerializer
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from wtforms import SelectField, SubmitField

from core.extensions import db
from core.forms import choices
from core.pagination import page_number, paginate
from core.permissions import Permission, requires
from core.spreadsheets import SpreadsheetError, read_table
from core.storage import StorageError, StorageKeyMissing, get_storage
from partnership.models import Organisation
from training import coverage, exports, imports, pages, services
from training.forms import ImportForm
from training.models import Course, RegisterImport

#: An upload waits this long for its columns to be confirmed.
TOKEN_MAX_AGE = 24 * 60 * 60
PREVIEW_ROWS = 5
#: Problems listed on the mapping page; the rest are counted (the command lists them all).
SHOWN_PROBLEMS = 100
_COLUMN = re.compile(r"[Cc]olumns? ([A-Z]+)\b")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="training-import")


def _load_token(token: str) -> dict:
    """The choices saved with an upload, or 404 if the token is bad, expired or someone else's."""
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
    if choice.get("user") != current_user.id or choice.get("kind") != "training":
        abort(404)
    return choice


@requires(Permission.MANAGE_TRAINING)
def import_register():
    form = ImportForm(courses=services.list_courses(), organisations=pages.organisations())
    if form.validate_on_submit():
        upload = form.file.data
        filename = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        data = upload.read(limit + 1)
        upload_id = uuid.uuid4().hex
        try:
            if len(data) > limit:
                raise SpreadsheetError(f"The file must be smaller than {limit // 1048576} MB")
            read_table(filename, data)
            key = f"imports/{upload_id}.{filename.rsplit('.', 1)[-1].lower()}"
            get_storage().put(key, data)
            choice = {
                "kind": "training",
                "id": upload_id,
                "key": key,
                "filename": filename,
                "course_id": int(form.course_id.data) if form.course_id.data else None,
                "organisation_id": int(form.organisation_id.data) if form.organisation_id.data else None,
                "user": current_user.id,
            }
            get_storage().put(f"imports/{upload_id}.json", json.dumps(choice).encode())
        except SpreadsheetError as problem:
            form.file.errors.append(str(problem))
        except StorageError as failure:
            current_app.logger.error("training upload could not be stored: %s", failure)
            form.file.errors.append("The file could not be saved. Try again later")
        else:
            token = _serializer().dumps({"id": upload_id, "user": current_user.id})
            return redirect(url_for("training.confirm_import", token=token))
    return render_template("training/import_upload.html", form=form)


def mapping_form_class(header: list[str], guessed: dict[str, str]):
    """A form with one select per heading: the training record field its column holds."""
    options = [(name, label) for name, label in imports.FIELDS.items()] + [(imports.IGNORE, "Do not import")]

    class MappingForm(FlaskForm):
        submit = SubmitField("Import records", widget=GovSubmitInput())

    for index, heading in enumerate(header):
        if heading:
            field = SelectField(
                heading, widget=GovSelect(), choices=choices(options), default=guessed.get(heading, imports.IGNORE)
            )
            setattr(MappingForm, f"col_{index}", field)
    return MappingForm


@requires(Permission.MANAGE_TRAINING)
def confirm_import(token: str):
    choice = _load_token(token)
    storage = get_storage()
    try:
        data = storage.get(choice["key"])
        header, rows = read_table(choice["filename"], data)
    except (StorageKeyMissing, SpreadsheetError):
        abort(404)  # already imported, or cleared away
    form = mapping_form_class(header, imports.guess_mapping(header))()
    columns = [
        (get_column_letter(index + 1), heading, getattr(form, f"col_{index}"))
        for index, heading in enumerate(header)
        if heading
    ]
    problems: list[str] = []
    sha = imports.sha256(data)
    if form.validate_on_submit():
        mapping = {heading: select_field.data for _, heading, select_field in columns}
        check = imports.check_register(
            choice["filename"],
            data,
            mapping=mapping,
            today=pages.today(),
            default_course_id=choice["course_id"],
            default_organisation_id=choice["organisation_id"],
        )
        problems = check.problems
        record = None
        if not problems:
            try:
                record = imports.save_register(check, sha=sha)
            except imports.ImportProblems as refused:
                problems = refused.problems
        if record is not None:
            try:
                storage.delete(choice["key"])
                storage.delete(f"imports/{choice['id']}.json")
            except StorageError as failure:  # the records are saved; a stray upload is harmless
                current_app.logger.warning("could not remove %s: %s", choice["key"], failure)
            flash(f"Imported {record.filename}: {check.summary()}.", "success")
            return redirect(url_for("training.list_imports"))
    defaults = {
        "course": db.session.get(Course, choice["course_id"]) if choice["course_id"] else None,
        "organisation": db.session.get(Organisation, choice["organisation_id"]) if choice["organisation_id"] else None,
    }
    return render_template(
        "training/import_mapping.html",
        mapping_form=form,
        error_list=_error_list(problems[:SHOWN_PROBLEMS], form, columns),
        more_problems=max(0, len(problems) - SHOWN_PROBLEMS),
        columns=columns,
        preview=rows[:PREVIEW_ROWS],
        total_rows=len(rows),
        unmatched=[heading for _, heading, select_field in columns if not select_field.data],
        choice=choice,
        defaults=defaults,
        earlier=imports.previous_imports(sha),
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


@requires(Permission.VIEW_TRAINING)
def list_imports():
    pages.require_people_access()
    page = paginate(
        select(RegisterImport).order_by(RegisterImport.id.desc()),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template("training/imports.html", page=page)


@requires(Permission.VIEW_TRAINING)
def export_coverage():
    """The coverage table (CSV, XLSX) or the one-page summary (PDF): figures only, no names."""
    fmt = request.args.get("format", "")
    if fmt not in exports.FORMATS:
        abort(400)
    as_of, form = pages.as_of_from_request()
    if form.errors:
        abort(400)
    summary = coverage.coverage_summary(as_of=as_of)
    trend = coverage.coverage_trend(as_of=as_of) if fmt == "pdf" else []
    data = exports.export_bytes(summary, trend, fmt, current_app.config["DEFAULT_MARKING"])
    return Response(
        data,
        mimetype=exports.CONTENT_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{exports.export_filename(as_of, fmt)}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


#: (rule, view, methods), registered on the training blueprint by training.views.
ROUTES = [
    ("/import", import_register, ["GET", "POST"]),
    ("/import/<token>", confirm_import, ["GET", "POST"]),
    ("/imports", list_imports, ["GET"]),
    ("/coverage/export", export_coverage, ["GET"]),
]
