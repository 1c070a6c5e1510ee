"""The two pages every import has: the upload, and the column mapping that confirms it.

A domain's views pass their spec, their words (UploadPage, MappingPage) and what the upload
form chose; the reading, stashing, token, mapping form, error list and saving are here.
"""

import copy
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSelect, GovSubmitInput, GovTextInput
from markupsafe import Markup
from openpyxl.utils import get_column_letter
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import ValidationError

from core import limits, transactions
from core.extensions import db
from core.forms import choices as select_options
from core.importing import stash
from core.importing.checks import check, guess_mapping, save
from core.importing.spec import IGNORE, KEEP, ImportProblems, ImportSpec, Result
from core.limits import MaxLength
from core.spreadsheets import SpreadsheetError, load_table
from core.storage import StorageError
from core.uploads import safe_filename, size_label

log = logging.getLogger(__name__)

PREVIEW_ROWS = 5
#: What an upload form's other fields and the multipart framing may add to the file's size in
#: a request: a request longer than the file limit and this is refused before it is read.
FORM_ALLOWANCE = 64 * 1024
#: Problems listed on the mapping page; the rest are counted (the command lists them all).
SHOWN_PROBLEMS = 100
_COLUMN = re.compile(r"[Cc]olumns? ([A-Z]+)\b")


def spreadsheet_field(label: str) -> FileField:
    """The file field of an upload form (the form subclasses UploadForm)."""
    return FileField(label, widget=GovFileInput(), description="A CSV or XLSX file; row 1 holds the headings.")


class UploadForm(FlaskForm):
    """The base of a domain's upload form, which adds ``file = spreadsheet_field(...)`` and its choices."""

    def validate_file(self, field) -> None:
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError("Select a CSV or XLSX file")


@dataclass(frozen=True)
class UploadPage:
    """What a domain's upload page says."""

    title: str
    intro: str
    #: (text, endpoint) of each breadcrumb above the page.
    breadcrumbs: tuple[tuple[str, str], ...]
    cancel: str
    #: The command that imports files too large to upload, e.g. "flask plans import".
    command: str
    points: tuple[str, ...] = ()
    #: field name -> extra GOV.UK macro params for that field of the upload form.
    field_params: dict = field(default_factory=dict)
    #: Most rows a file may have.
    max_rows: int = limits.IMPORT_ROWS
    #: Said after the row limit, e.g. why it is what it is.
    rows_note: str = ""

    def crumbs(self) -> list[dict]:
        return _crumbs(self.breadcrumbs)

    def params(self, name: str) -> dict:
        """A fresh copy of a field's params: the GOV.UK widgets change the params they are given."""
        return copy.deepcopy(self.field_params.get(name, {}))


@dataclass(frozen=True)
class MappingPage:
    """What a domain's column mapping page says."""

    #: (text, endpoint) of each breadcrumb; the last is the upload page.
    breadcrumbs: tuple[tuple[str, str], ...]
    command: str
    #: What the field column is headed, e.g. "Plan field".
    field_heading: str
    #: Said before the headings of columns that are not imported.
    unmatched: str
    submit: str
    #: Above the heading: the file name and anything else the upload chose.
    caption: str = ""
    #: What importing the file will do (may hold markup: build it with Markup.format).
    explanation: Markup | str = ""
    warnings: tuple[str, ...] = ()
    #: Said before the headings of columns kept under their own heading (specs that keep columns).
    kept: str = "These columns match no field and will be kept as columns of their own"

    def crumbs(self) -> list[dict]:
        return _crumbs(self.breadcrumbs)

    @property
    def upload_endpoint(self) -> str:
        return self.breadcrumbs[-1][1]


def _crumbs(pairs: tuple[tuple[str, str], ...]) -> list[dict]:
    return [{"text": text, "href": url_for(endpoint)} for text, endpoint in pairs]


def too_large(command: str) -> str:
    """The refusal of a file over core.limits.IMPORT_BYTES."""
    return (
        f"The file must be {size_label(limits.IMPORT_BYTES)} or smaller. Split it into smaller files, "
        f"or import it with `{command}`, which takes larger files"
    )


def receive(
    file_field,
    *,
    kind: str,
    choices: dict,
    command: str,
    max_rows: int | None = limits.IMPORT_ROWS,
    more_rows_by_command: bool = True,
) -> str | None:
    """Read an uploaded CSV or XLSX once, refuse what cannot be read or is over the limits, and
    stash its rows with ``choices``.

    The size is checked before the file is read (the request's length, then at most one byte
    past the limit is read), and the rows are counted as they are read, stopping at the first
    past ``max_rows``. ``command`` imports larger files (and, with ``more_rows_by_command``, more
    rows). The token for the mapping page, or None with the reason added to the field's errors.
    """
    upload = file_field.data
    filename = safe_filename(upload.filename or "")
    limit = limits.IMPORT_BYTES
    try:
        if (request.content_length or 0) > limit + FORM_ALLOWANCE:
            raise SpreadsheetError(too_large(command))
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise SpreadsheetError(too_large(command))
        # The type, zip-bomb, size and heading checks, before anything is kept.
        table = load_table(
            filename,
            data,
            max_rows=max_rows,
            max_columns=limits.IMPORT_COLUMNS,
            max_unpacked=limits.IMPORT_UNPACKED,
            command=command if more_rows_by_command else "",
        )
        return stash.put(kind=kind, user=current_user.id, filename=filename, table=table, choices=choices)
    except SpreadsheetError as problem:
        file_field.errors.append(str(problem))
    except StorageError as failure:
        log.error("import upload could not be stored: %s", failure)
        file_field.errors.append("The file could not be saved. Try again later")
    return None


def render_upload(form: FlaskForm, page: UploadPage) -> str:
    return render_template("imports/upload.html", form=form, page=page)


def open_upload(token: str, *, kind: str) -> stash.Upload:
    """The signed-in user's upload of this kind that the token names, or 404."""
    upload = stash.get(token, kind=kind, user=current_user.id)
    if upload is None:
        abort(404)
    return upload


def confirm(
    spec: ImportSpec[Result],
    upload: stash.Upload,
    page: MappingPage,
    *,
    choices: dict,
    done: Callable[[Result, object], tuple[str, str]],
):
    """The mapping page: the columns as guessed, for the user to confirm or change. On a valid
    POST the file is checked with the chosen mapping and saved whole through the spec with
    ``choices``; ``done(checked, saved)`` gives the success message and where to go next."""
    header, rows = upload.table.header, upload.table.rows  # read on upload: never parsed again
    form = _mapping_form(spec, header, page.submit)
    columns = [
        (get_column_letter(index + 1), heading, getattr(form, f"col_{index}"))
        for index, heading in enumerate(header)
        if heading
    ]
    problems: list[str] = []
    if form.validate_on_submit():
        mapping = {heading: f.data for _, heading, f in columns}
        marked = row_numbers(form.marked_rows.data) if spec.marks_rows else frozenset()
        checked = check(spec, upload.filename, upload.table, mapping, marked=marked)
        try:
            saved = save(spec, checked, **choices)
        except ImportProblems as refused:
            db.session.rollback()  # the page answers 200 with the problems: nothing of the save may be kept
            problems = refused.problems
        else:
            # The upload is thrown away only once the records are committed (at the end of the
            # request), so a failed commit leaves the file to try again.
            transactions.after_commit(lambda: stash.discard(upload))
            message, location = done(checked, saved)
            flash(message, "success")
            return redirect(location)
    return render_template(
        "imports/mapping.html",
        page=page,
        mapping_form=form,
        error_list=_error_list(problems[:SHOWN_PROBLEMS], form, columns),
        more_problems=max(0, len(problems) - SHOWN_PROBLEMS),
        columns=columns,
        preview=rows[:PREVIEW_ROWS],
        total_rows=len(rows),
        unmatched=[heading for _, heading, select in columns if not select.data],
        kept=[heading for _, heading, select in columns if select.data == KEEP],
        filename=upload.filename,
    )


def row_numbers(text: str | None) -> frozenset[int]:
    """ "3, 7 12" -> {3, 7, 12}: the row numbers a person typed (already checked by the form)."""
    return frozenset(int(part) for part in re.split(r"[\s,;]+", text or "") if part.isdigit())


def _mapping_form(spec: ImportSpec, header: list[str], submit_label: str) -> FlaskForm:
    """A form with one select per heading: the field its column holds, guessed from the heading."""
    guessed = guess_mapping(spec, header)
    options = [(f.key, f.label) for f in spec.fields]
    if spec.kept_prefix:
        options.append((KEEP, "Keep as a column of its own"))
    options.append((IGNORE, "Do not import"))

    class MappingForm(FlaskForm):
        submit = SubmitField(submit_label, widget=GovSubmitInput())
        if spec.marks_rows:
            marked_rows = StringField(
                spec.marks_rows,
                widget=GovTextInput(),
                description="Row numbers as in the file, separated by commas, for example 3, 9. Leave empty if none.",
                validators=[MaxLength(limits.NOTE)],
            )

            def validate_marked_rows(self, field) -> None:
                if any(not part.isdigit() for part in re.split(r"[\s,;]+", field.data or "") if part):
                    raise ValidationError("Enter row numbers separated by commas, for example 3, 9")

    for index, heading in enumerate(header):
        if heading:
            select = SelectField(
                heading, widget=GovSelect(), choices=select_options(options), default=guessed.get(heading, IGNORE)
            )
            setattr(MappingForm, f"col_{index}", select)
    return MappingForm()


def _error_list(problems: list[str], form: FlaskForm, columns) -> list[dict]:
    """The error summary: each problem links to the select of the column it names."""
    select_ids = {letter: select.id for letter, _, select in columns}
    out = []
    for problem in problems:
        match = _COLUMN.search(problem)
        target = select_ids.get(match.group(1)) if match else None
        out.append({"text": problem, "href": f"#{target or 'columns'}"})
    for name, errors in form.errors.items():
        out.extend({"text": error, "href": f"#{name}"} for error in errors)
    return out
