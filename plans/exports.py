"""Exporting delivery plans as CSV, XLSX (a sheet per plan) and PDF (landscape, marked)."""

import io
import re
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import clock
from core.extensions import db
from core.pdf import render_pdf
from core.spreadsheets import csv_text, xlsx_cell
from core.vocab import Marking, Rag
from plans import services
from plans.models import Plan
from plans.templates import FIELDS

COUNTY_LABEL = "County delivery plan"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMATS = tuple(CONTENT_TYPES)

_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


@dataclass
class PlanExport:
    plan: Plan
    sections: list[services.SectionView]


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
    return [PlanExport(plan, views[plan.id]) for plan in plans]


def _value(view: services.RowView, name: str):
    """A cell's value: a list of items, text, a date, or None."""
    if name == "progress":
        return list(view.latest.items) if view.latest else []
    if name == "rag":
        return Rag(view.row.rag).label if view.row.rag else ""
    return getattr(view.row, name)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def area_label(plan: Plan) -> str:
    return plan.area.name if plan.area else COUNTY_LABEL


def _common_headings(plans: list[Plan]) -> list[str]:
    """Each field's heading: the plans' own where they agree on one, else the default."""
    headings = []
    for name, (default, _) in FIELDS.items():
        used = {dict(map(tuple, p.columns)).get(name) for p in plans} - {None}
        headings.append(used.pop() if len(used) == 1 else default)
    return headings


def plans_csv(plans: list[Plan]) -> str:
    """One table of every row of every plan, with every field."""
    header = ["Plan", "Business area", "Section", *_common_headings(plans)]
    rows = []
    for export in _views(plans):
        for section in export.sections:
            title = section.section.title if section.section else ""
            for view in section.rows:
                cells = [_text(_value(view, name)) for name in FIELDS]
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
    """A sheet per plan: its columns as headed, section rows, list items one per line."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for export in _views(plans):
        sheet = workbook.create_sheet(sheet_title(export.plan.title, taken))
        names = [name for name, _ in export.plan.columns]
        sheet.append([xlsx_cell(heading) for _, heading in export.plan.columns])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for section in export.sections:
            if section.section:
                sheet.append([xlsx_cell(section.section.title)])
                sheet.cell(row=sheet.max_row, column=1).font = bold
            for view in section.rows:
                values = [_value(view, name) for name in names]
                sheet.append([v if isinstance(v, date) else xlsx_cell(_text(v)) or None for v in values])
                for cell in sheet[sheet.max_row]:
                    cell.alignment = wrap
                    if isinstance(cell.value, date):
                        cell.number_format = "DD/MM/YYYY"
        for index in range(len(names)):
            sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter].width = 40
    if not workbook.worksheets:
        workbook.create_sheet("Plans").append(["No plans"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def document_title(plans: list[Plan]) -> str:
    if len(plans) == 1:
        return plans[0].title
    return f"Delivery plans, {clock.today():%-d %B %Y}"


def plans_pdf(plans: list[Plan], marking: Marking | str) -> bytes:
    """The plans as they read on their pages, landscape A4, the marking on every page."""
    exports = []
    for export in _views(plans):
        columns, hidden = services.visible_columns(export.plan, export.sections)
        exports.append((export, columns, hidden))
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
