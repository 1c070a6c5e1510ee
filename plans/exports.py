"""Exporting delivery plans as CSV, XLSX (a sheet per plan) and PDF (landscape, marked)."""

import io
import re
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from core import clock, limits
from core.extensions import db
from core.pdf import render_pdf
from core.spreadsheets import csv_text, xlsx_cell
from core.vocab import Marking, Rag
from plans import rules, services
from plans.cells import cell_text
from plans.imports import ROW_ID_HEADING
from plans.models import Plan, PlanRow
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


#: Said where a PDF cell stops short: the rest is in the XLSX appendix.
CONTINUES = "continues in the XLSX appendix"


@dataclass
class PdfRow:
    """A row as the PDF prints it: each cell cut to limits.PDF_CELL characters."""

    view: services.RowView
    #: column -> text (str) or items (list) as printed.
    cells: dict[str, object]
    #: The columns whose cell was cut short.
    cut: set[str]
    characters: int


@dataclass
class PdfSection:
    section: object
    rows: list[PdfRow] = field(default_factory=list)


@dataclass
class PdfPlan:
    """A plan as its PDF prints it in the request: its summary always, then as many rows as the
    document's budget allows (limits.PDF_ROWS, limits.PDF_TEXT), each cell cut to limits.PDF_CELL.
    Everything is in the XLSX appendix, which ``xlsx_url`` downloads."""

    export: PlanExport
    columns: list[list[str]]
    hidden: list[str]
    sections: list[PdfSection]
    #: (label, count) for the summary table: rows, each RAG status, overdue, not updated.
    summary: list[tuple[str, int]]
    total_rows: int
    shown_rows: int
    cut_cells: int
    xlsx_url: str

    @property
    def whole(self) -> bool:
        return self.shown_rows == self.total_rows and not self.cut_cells


def find_plans(plan_id: int | None = None) -> list[Plan]:
    """One plan (none if the id is unknown), or every plan: the county plan first, then by title."""
    query = select(Plan).options(joinedload(Plan.area)).order_by(Plan.area_id.is_not(None), Plan.title, Plan.id)
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    return list(db.session.scalars(query))


def _views(plans: list[Plan], *, row_limit: int | None = None) -> list[PlanExport]:
    today = clock.today()
    since = services.since_last_board(today)
    views = services.plan_views(plans, today=today, since=since, row_limit=row_limit)
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


def _cut(value, limit: int) -> tuple[object, bool, int]:
    """(the value cut to ``limit`` characters, whether it was cut, characters kept). Text is cut
    at the limit; a list keeps whole items while they fit, then the start of the next."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value, False, len(value)
        return value[:limit].rstrip() + "…", True, limit
    items, used = [], 0
    for item in value or []:
        if used + len(item) > limit:
            items.append(item[: max(0, limit - used)].rstrip() + "…")
            return items, True, limit
        items.append(item)
        used += len(item)
    return items, False, used


def _pdf_row(view: services.RowView, columns: list[list[str]]) -> PdfRow:
    """The row's cells cut to limits.PDF_CELL, or to an equal share of limits.PDF_ROW when the
    plan has so many columns that whole cells would make a row longer than that."""
    cells: dict[str, object] = {}
    cut: set[str] = set()
    characters = 0
    names = [name for name, _ in columns if name not in ("rag", "due_date")]
    share = min(limits.PDF_CELL, limits.PDF_ROW // max(1, len(names)))
    for name in names:
        value = (view.latest.items if view.latest else []) if name == "progress" else view.row.value(name)
        cells[name], was_cut, kept = _cut(value, share)
        characters += kept
        if was_cut:
            cut.add(name)
    return PdfRow(view, cells, cut, characters)


def _summaries(plans: list[Plan]) -> dict[int, list[tuple[str, int]]]:
    """Each plan's rows, rows per RAG status, overdue and not updated this quarter: counted in SQL
    over every row (the PDF prints only some), two queries whatever the number of plans."""
    today = clock.today()
    ids = [plan.id for plan in plans]
    live = (PlanRow.plan_id.in_(ids), rules.live())
    by_rag: dict[int, dict[str | None, int]] = {plan_id: {} for plan_id in ids}
    for plan_id, rag, count in db.session.execute(
        select(PlanRow.plan_id, PlanRow.rag, func.count()).where(*live).group_by(PlanRow.plan_id, PlanRow.rag)
    ):
        by_rag[plan_id][rag] = count
    flags = {
        plan_id: (overdue or 0, stale or 0)
        for plan_id, overdue, stale in db.session.execute(
            select(
                PlanRow.plan_id,
                func.sum(case((rules.overdue(today), 1), else_=0)),
                func.sum(case((rules.stale(today), 1), else_=0)),
            )
            .where(*live)
            .group_by(PlanRow.plan_id)
        )
    }
    return {
        plan_id: [
            ("Rows", sum(counts.values())),
            *((rag.label, counts.get(rag.value, 0)) for rag in Rag),
            ("No status yet", counts.get(None, 0)),
            ("Overdue", flags.get(plan_id, (0, 0))[0]),
            ("Not updated this quarter", flags.get(plan_id, (0, 0))[1]),
        ]
        for plan_id, counts in by_rag.items()
    }


def pdf_plans(plans: list[Plan], *, base_url: str = "") -> list[PdfPlan]:
    """Each plan as the PDF prints it: the summary, then rows in order while the document's
    budget lasts (limits.PDF_ROWS rows, limits.PDF_TEXT characters), each cell cut to
    limits.PDF_CELL. A plan's later rows, and every later plan's rows, are left to the appendix."""
    rows_left, text_left = limits.PDF_ROWS, limits.PDF_TEXT
    summaries = _summaries(plans)
    out = []
    # No plan prints more than the document's rows: none is loaded beyond them.
    for export in _views(plans, row_limit=limits.PDF_ROWS):
        _, hidden = services.visible_columns(export.plan, export.sections)
        sections, shown, cut = [], 0, 0
        full = False
        for section in export.sections:
            if full:
                break
            printed = PdfSection(section.section)
            sections.append(printed)
            for view in section.rows:
                row = _pdf_row(view, export.columns)
                if rows_left <= 0 or row.characters > text_left:
                    full = True
                    break
                printed.rows.append(row)
                rows_left -= 1
                text_left -= row.characters
                shown += 1
                cut += len(row.cut)
        if full:
            rows_left = 0  # later plans print their summary only: the document keeps plan order
            if sections and not sections[-1].rows:
                sections.pop()
        summary = summaries[export.plan.id]
        total = summary[0][1]
        query = f"?format=xlsx&plan={export.plan.id}" if base_url else ""
        out.append(
            PdfPlan(
                export=export,
                columns=export.columns,
                hidden=hidden,
                sections=sections,
                summary=summary,
                total_rows=total,
                shown_rows=shown,
                cut_cells=cut,
                xlsx_url=f"{base_url}{query}",
            )
        )
    return out


def plans_pdf(plans: list[Plan], marking: Marking | str, *, base_url: str = "") -> bytes:
    """The plans as they read on their pages, landscape A4, the marking on every page: each
    plan's summary, then its rows within the document's budget (pdf_plans). Where anything is
    left out, the pages say so and where the XLSX appendix (every row, every word) is:
    ``base_url`` is the address of the plans' export (the XLSX's link is built on it)."""
    printed = pdf_plans(plans, base_url=base_url)
    return render_pdf(
        "pdf/plans.html",
        marking=marking,
        title=document_title(plans),
        plans=printed,
        whole=all(p.whole for p in printed),
        limits=limits,
        area_label=area_label,
        generated=clock.today(),
        continues=CONTINUES,
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "plan"


def export_filename(plans: list[Plan], fmt: str, *, single: bool) -> str:
    """ "<plan title slug>.pdf" for one plan, "plans-2026-11-21.xlsx" for all."""
    if single and len(plans) == 1:
        return f"{slug(plans[0].title)}.{fmt}"
    return f"plans-{clock.today():%Y-%m-%d}.{fmt}"


def export_bytes(plans: list[Plan], fmt: str, marking: Marking | str, *, base_url: str = "") -> bytes:
    if fmt == "csv":
        # With a byte-order mark, Excel reads the file as UTF-8 rather than guessing.
        return plans_csv(plans).encode("utf-8-sig")
    if fmt == "xlsx":
        return plans_xlsx(plans)
    if fmt == "pdf":
        return plans_pdf(plans, marking, base_url=base_url)
    raise ValueError(f"unknown export format {fmt!r}")
