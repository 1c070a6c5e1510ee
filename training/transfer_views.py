"""Pages for importing registers (upload, confirm the columns) and downloading coverage
(CSV, XLSX, PDF), on the training blueprint.

Imports go through the pipeline in core.importing with the register spec (training.imports);
the pages here choose a course or organisation for every row and warn when a file comes again.
"""

from dataclasses import replace

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SubmitField

from core import clock
from core.audit import limit_to_reader_year
from core.extensions import db
from core.importing import pages
from core.importing.pages import MappingPage, UploadPage
from core.pagination import page_number, paginate
from core.permissions import Permission, requires
from partnership.models import Organisation
from training import coverage, exports, headcount_imports, imports, services
from training import pages as training_pages
from training.forms import ImportForm
from training.models import Course, RegisterImport

_CRUMBS = (("Training coverage", "training.show_coverage"),)
UPLOAD_PAGE = UploadPage(
    title="Import a register",
    intro=(
        "Upload an attendance register or an e-learning export as it is. Next you will check which column holds "
        "what. Nothing is saved until you confirm, and nothing at all if any row has a problem."
    ),
    points=(
        "Each row needs a name, a work email or staff number, the organisation, the course and the date it was "
        "completed.",
        "People already recorded are matched on their staff number (within their organisation) or email, so nobody "
        "is counted twice.",
        "A completion already recorded is not added again: importing the same file twice adds nothing.",
    ),
    breadcrumbs=_CRUMBS,
    cancel="training.show_coverage",
    command="flask training import",
)
MAPPING_PAGE = MappingPage(
    breadcrumbs=(*_CRUMBS, ("Import a register", "training.import_register")),
    command="flask training import",
    field_heading="Field",
    unmatched="These columns will not be imported unless you choose a field",
    submit="Import records",
)


@requires(Permission.MANAGE_TRAINING)
def import_register():
    form = ImportForm(courses=services.list_courses(), organisations=training_pages.organisations())
    if form.validate_on_submit():
        choices = {
            "course_id": int(form.course_id.data) if form.course_id.data else None,
            "organisation_id": int(form.organisation_id.data) if form.organisation_id.data else None,
        }
        token = pages.receive(form.file, kind=imports.KIND, choices=choices, command=UPLOAD_PAGE.command)
        if token:
            return redirect(url_for("training.confirm_import", token=token))
    return pages.render_upload(form, UPLOAD_PAGE)


@requires(Permission.MANAGE_TRAINING)
def confirm_import(token: str):
    upload = pages.open_upload(token, kind=imports.KIND)
    course_id, organisation_id = upload.choices["course_id"], upload.choices["organisation_id"]
    spec = imports.register_spec(
        today=clock.today(), default_course_id=course_id, default_organisation_id=organisation_id
    )
    sha = upload.sha256
    page = replace(
        MAPPING_PAGE,
        explanation=_defaults_explained(course_id, organisation_id),
        warnings=_imported_before(sha),
    )
    return pages.confirm(spec, upload, page, choices={"sha": sha}, done=_imported)


def _defaults_explained(course_id: int | None, organisation_id: int | None) -> Markup:
    explained = Markup("Choose the field each column holds.")
    if course := db.session.get(Course, course_id) if course_id else None:
        explained += Markup(" Every row is for the course <strong>{}</strong> unless the file names one.").format(
            course.name
        )
    if organisation := db.session.get(Organisation, organisation_id) if organisation_id else None:
        explained += Markup(" Every row is for <strong>{}</strong> unless the file names an organisation.").format(
            organisation.name
        )
    return explained


def _imported_before(sha: str) -> tuple[str, ...]:
    earlier = imports.previous_imports(sha)
    if not earlier:
        return ()
    return (
        f"This file was imported on {earlier[0].created_at:%-d %B %Y}. "
        "Importing it again adds only what is not already recorded.",
    )


def _imported(check: imports.RegisterCheck, record: RegisterImport) -> tuple[str, str]:
    return f"Imported {record.filename}: {check.summary()}.", url_for("training.list_imports")


@requires(Permission.VIEW_TRAINING)
def list_imports():
    training_pages.require_people_access()
    # An auditor limited to one year: the registers imported in it.
    page = paginate(
        limit_to_reader_year(
            select(RegisterImport).order_by(RegisterImport.id.desc()), RegisterImport.created_at, current_user
        ),
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
    as_of, form = training_pages.as_of_from_request()
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


# --- headcounts ------------------------------------------------------------------------------

HEADCOUNT_UPLOAD_PAGE = UploadPage(
    title="Import headcounts",
    intro=(
        "Upload the relevant headcounts from HR as a spreadsheet. Next you will check which column holds what. "
        "Nothing is saved until you confirm, and nothing at all if any row has a problem."
    ),
    points=(
        "Each row needs the organisation (its name or short name), the relevant headcount and the date it is true "
        "on; a team and the source are optional.",
        "A headcount already recorded for the same organisation, team and date is corrected if the file differs, "
        "and left alone if it agrees: importing the same file twice changes nothing.",
    ),
    breadcrumbs=(*_CRUMBS, ("Relevant headcounts", "training.list_headcounts")),
    cancel="training.list_headcounts",
    command="flask training headcounts",
)
HEADCOUNT_MAPPING_PAGE = MappingPage(
    breadcrumbs=(*_CRUMBS, ("Import headcounts", "training.import_headcounts")),
    command="flask training headcounts",
    field_heading="Field",
    unmatched="These columns will not be imported unless you choose a field",
    submit="Import headcounts",
)


class HeadcountUploadForm(pages.UploadForm):
    file = pages.spreadsheet_field("Spreadsheet")
    submit = SubmitField("Upload and check columns", widget=GovSubmitInput())


@requires(Permission.MANAGE_TRAINING)
def import_headcounts():
    form = HeadcountUploadForm()
    if form.validate_on_submit():
        token = pages.receive(form.file, kind=headcount_imports.KIND, choices={}, command=HEADCOUNT_UPLOAD_PAGE.command)
        if token:
            return redirect(url_for("training.confirm_headcounts", token=token))
    return pages.render_upload(form, HEADCOUNT_UPLOAD_PAGE)


@requires(Permission.MANAGE_TRAINING)
def confirm_headcounts(token: str):
    upload = pages.open_upload(token, kind=headcount_imports.KIND)
    spec = headcount_imports.headcount_spec(today=clock.today())
    return pages.confirm(spec, upload, HEADCOUNT_MAPPING_PAGE, choices={}, done=_headcounts_imported)


def _headcounts_imported(check: headcount_imports.HeadcountCheck, _saved) -> tuple[str, str]:
    return f"Imported {check.filename}: {check.summary()}.", url_for("training.list_headcounts")


#: (rule, view, methods), registered on the training blueprint by training.views.
ROUTES = [
    ("/headcounts/import", import_headcounts, ["GET", "POST"]),
    ("/headcounts/import/<token>", confirm_headcounts, ["GET", "POST"]),
    ("/import", import_register, ["GET", "POST"]),
    ("/import/<token>", confirm_import, ["GET", "POST"]),
    ("/imports", list_imports, ["GET"]),
    ("/coverage/export", export_coverage, ["GET"]),
]
