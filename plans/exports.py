"""Exporting delivery plans as CSV, XLSX (a sheet per plan) and PDF (landscape, marked)."""

import io
import re
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import clock
from core.extensions import db
from core.pdf import render_pdf
from core.spreadsheets import csv_text, xlsx_cell
from core.vocab import Marking
from plans import services
from plans.cells import cell_text
from plans.imports import ROW_ID_HEADING
from plans.models import Plan
from plans.templates import FIELDS

COUNTY_LABEL = "County delivery plan"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMATS = tuple(CONTENT_TYPES)

LIST_MARKER = "- "
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


@dataclass
class PlanExport:
    plan: Plan
    sections: list[services.SectionView]
    #: The columns the plan's page shows, in its order: [[column, heading], ...].
    columns: list[list[str]]


def find_plans(plan_id: int | None = None) -> list[Plan]:
    """One plan (none if the id is unknown), or every plan: the county plan first, then by title."""
    query = select(Plan).options(joinedload(Plan.area)).order_by(Plan.area_id.is_not(None), Plan.title, Plan.id)
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    return list(db.session.scalars(query))


def _views(plans: list[Plan]) -> list[PlanExport]:
    today = clock.today()
    since = services.since_last_board(today)
    views = services.plan_views(plans, today=today, since=since)
    return [PlanExport(plan, views[plan.id], services.visible_columns(plan, views[plan.id])[0]) for plan in plans]


def _value(view: services.RowView, name: str):
    """A cell as a spreadsheet holds it: text (list items one per line with their markers, as
    the file they came from wrote them), or a date."""
    if name == "due_date":
        return view.row.due_date
    return cell_text(view.row, name, view.latest)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def area_label(plan: Plan) -> str:
    return plan.area.name if plan.area else COUNTY_LABEL


def _common_columns(exports: list[PlanExport]) -> list[tuple[str, str]]:
    """(column, heading) for a table of several plans: each plan's shown columns in the order
    the plans show them, a field once under the plans' own heading where they agree on one,
    else the default; extra columns by their heading."""
    out: dict[str, set[str]] = {}
    for export in exports:
        for name, heading in export.columns:
            out.setdefault(name, set()).add(heading)
    return [
        (name, next(iter(headings)) if len(headings) == 1 else FIELDS.get(name, (name,))[0])
        for name, headings in out.items()
    ]


def _table(export: PlanExport, *, row_ids: bool) -> tuple[list[str], list[list]]:
    """One plan as its page shows it: the shown columns' headings, then its rows, a section
    heading as a row of its own (its number under the reference, if the first column is it).
    With ``row_ids``, each row ends with its id (the section rows with nothing)."""
    names = [name for name, _ in export.columns]
    header = [heading for _, heading in export.columns] + ([ROW_ID_HEADING] if row_ids else [])
    rows = []
    for section in export.sections:
        if section.section:
            if section.section.number and names[:1] == ["reference"] and len(names) > 1:
                rows.append([section.section.number, section.section.title])
            else:
                rows.append([section.section.title])
        for view in section.rows:
            rows.append([_value(view, name) for name in names] + ([view.row.id] if row_ids else []))
    return header, rows


def plans_csv(plans: list[Plan]) -> str:
    """One plan: its table as its page shows it. Several: one table of every row of every
    plan, under Plan, Business area and Section, with every column any plan shows."""
    exports = _views(plans)
    if len(exports) == 1:
        header, rows = _table(exports[0], row_ids=False)
        return csv_text(header, ([_text(v) for v in row] for row in rows))
    columns = _common_columns(exports)
    header = ["Plan", "Business area", "Section", *(heading for _, heading in columns)]
    rows = []
    for export in exports:
        for section in export.sections:
            title = section.section.title if section.section else ""
            for view in section.rows:
                cells = [_text(_value(view, name)) for name, _ in columns]
                rows.append([export.plan.title, area_label(export.plan), title, *cells])
    return csv_text(header, rows)


def sheet_title(title: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts (31 characters, none of []:*?/\\), unique in ``taken``."""
    base = _SHEET_UNSAFE.sub(" ", title)
    base = re.sub(r"\s+", " ", base).strip().strip("'").strip() or "Plan"
    if base.lower() == "history":  # reserved by Excel
        base = "History plan"
    candidate, n = base[:31].rstrip(), 1
    while candidate.lower() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)].rstrip() + suffix
    taken.add(candidate.lower())
    return candidate


def plans_xlsx(plans: list[Plan]) -> bytes:
    """A sheet per plan: its columns as its page shows them, section rows, list items one per
    line with their markers, and each row's id in a last, hidden column (a re-import of the
    file matches its rows on it)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for export in _views(plans):
        sheet = workbook.create_sheet(sheet_title(export.plan.title, taken))
        header, rows = _table(export, row_ids=True)
        sheet.append([xlsx_cell(heading) for heading in header])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        width = len(header)
        for values in rows:
            section_row = len(values) < width
            sheet.append([v if isinstance(v, date | int) else _xlsx_text(_text(v)) or None for v in values])
            for cell in sheet[sheet.max_row]:
                if section_row:
                    cell.font = bold
                    continue
                cell.alignment = wrap
                if isinstance(cell.value, date):
                    cell.number_format = "DD/MM/YYYY"
        for index in range(1, width):
            sheet.column_dimensions[get_column_letter(index)].width = 40
        sheet.column_dimensions[get_column_letter(width)].hidden = True
    if not workbook.worksheets:
        workbook.create_sheet("Plans").append(["No plans"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_text(text: str):
    """A text cell of the XLSX. A list cell whose items carry "- " markers is written as it
    is: a text cell of an XLSX is never run as a formula, and the marker is what the plan's
    source file wrote. Anything else that a spreadsheet could run is neutralised."""
    if text.startswith(LIST_MARKER) and not text.startswith(("--", "-=")):
        return ILLEGAL_CHARACTERS_RE.sub("", text)
    return xlsx_cell(text)


def document_title(plans: list[Plan]) -> str:
    if len(plans) == 1:
        return plans[0].title
    return f"Delivery plans, {clock.today():%-d %B %Y}"


def plans_pdf(plans: list[Plan], marking: Marking | str) -> bytes:
    """The plans as they read on their pages, landscape A4, the marking on every page."""
    exports = []
    for export in _views(plans):
        _, hidden = services.visible_columns(export.plan, export.sections)
        exports.append((export, export.columns, hidden))
    return render_pdf(
        "pdf/plans.html",
        marking=marking,
        title=document_title(plans),
        exports=exports,
        area_label=area_label,
        generated=clock.today(),
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "plan"


def export_filename(plans: list[Plan], fmt: str, *, single: bool) -> str:
    """ "<plan title slug>.pdf" for one plan, "plans-2026-11-21.xlsx" for all."""
    if single and len(plans) == 1:
        return f"{slug(plans[0].title)}.{fmt}"
    return f"plans-{clock.today():%Y-%m-%d}.{fmt}"


def export_bytes(plans: list[Plan], fmt: str, marking: Marking | str) -> bytes:
    if fmt == "csv":
        # With a byte-order mark, Excel reads the file as UTF-8 rather than guessing.
        return plans_csv(plans).encode("utf-8-sig")
    if fmt == "xlsx":
        return plans_xlsx(plans)
    if fmt == "pdf":
        return plans_pdf(plans, marking)
    raise ValueError(f"unknown export format {fmt!r}")
