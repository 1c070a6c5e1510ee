"""Importing delivery plans: the plan spec for the import pipeline (core.importing).

The pipeline reads the file, guesses and checks the column mapping, and saves whole or not
at all; this module knows plans: the fields and the headings other organisations use for
them, which rows head sections, how cells become a row's values, and how a checked file
becomes a plan with its first progress entries.
"""

import re
from dataclasses import dataclass, field
from functools import partial

from core import importing, limits
from core.importing import Cell, Checked, Field, ImportSpec, MappedRow, Requirement, Sheet
from core.spreadsheets import SpreadsheetError, read_table
from core.vocab import Rag
from plans import services
from plans.cells import split_marked, text_lines
from plans.models import EXTRA_PREFIX, Plan
from plans.templates import FIELDS, TEMPLATES

#: Names plan uploads in the import stash.
KIND = "plans"
#: Mapping value for a column that names each row's section (theme).
SECTION = "section"
#: The row id an XLSX exported by the product carries (in a hidden column): a re-import
#: matches rows on it exactly. A new plan ignores it.
ROW_ID = "row_id"
ROW_ID_HEADING = "Row id"
#: Why a row's RAG is Red or Amber (the form asks the same); recorded with the progress entry.
REASON = "reason"
#: Columns that hold something about a row but are not columns of the plan.
NOT_COLUMNS = (SECTION, ROW_ID, REASON)
#: Every field a column can be mapped to, in the order `flask plans import --map` lists them.
MAP_FIELDS = [*FIELDS, SECTION, REASON, ROW_ID]

#: Headings other organisations use for each field, matched after the template's own.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "duty": ("duty", "risk area", "area of risk", "objective"),
    "actions": (
        "actions",
        "action",
        "action taken",
        "action taken to mitigate/address risk",
        "what we will do",
        "activity",
        "action required",
        "actions required",
    ),
    "impact": ("impact", "expected outcomes", "outcome", "outcomes", "outcome(s)", "intended impact"),
    "leads": ("lead", "leads", "lead(s)", "owner", "responsible officer"),
    "responsible_agency": ("responsible agency", "agency", "organisation"),
    "timescale": ("timescale", "timeframe", "when"),
    "due_date": ("due date", "deadline", "target date", "due"),
    "progress": (
        "progress",
        "updates",
        "update",
        "progress update",
        "status update",
        "work to date",
        "progress to date",
    ),
    "evidence": ("evidence", "evidence of impact"),
    "next_steps": ("next steps", "next step"),
    "rag": ("rag", "r a g", "rag status", "status"),
    "reference": ("ref", "no", "no.", "number", "reference", "item"),
    SECTION: ("section", "theme"),
    REASON: ("reason", "rag reason", "reason for rag", "reason for status", "reason for rag status"),
    ROW_ID: ("row id", "rowid"),
}

#: Text a RAG cell may hold, normalised (lower case, single spaces) -> status.
RAG_WORDS: dict[str, Rag] = {
    **dict.fromkeys(("red", "r"), Rag.RED),
    **dict.fromkeys(("amber", "a"), Rag.AMBER),
    **dict.fromkeys(("green", "g"), Rag.GREEN),
    **dict.fromkeys(("complete", "completed", "c", "blue"), Rag.COMPLETE),
    **dict.fromkeys(("not started", "ns", "grey", "gray"), Rag.NOT_STARTED),
}

#: Longest text a cell of each field holds (core.limits; no smaller than the column sizes in
#: plans.models); any other cell of a plan, an extra column's too, holds limits.PLAN_CELL.
MAX_LENGTHS = {
    # A reference cell may head a section (its title in the first column): the row parser holds
    # a row's reference to limits.REFERENCE.
    "reference": limits.TITLE,
    "timescale": limits.SHORT_TEXT,
    "progress": limits.LONG_TEXT,
    REASON: limits.LONG_TEXT,
    SECTION: limits.TITLE,
    ROW_ID: limits.REFERENCE,
}
MAX_SECTION_TITLE = limits.TITLE
#: A row needs one of these; a file needs a column for one of them.
_ROW_FIELDS = ("duty", "actions", "reference")

_WHOLE_NUMBER = re.compile(r"^\d+(?:\.0*)?\.?$")


@dataclass
class ParsedRow:
    number_in_file: int
    #: field -> value: lists for list fields, str for text, date for due_date, a Rag value or
    #: None; an extra column's text as the file had it.
    values: dict
    #: field -> the list markers of a list cell that had any.
    markers: dict = field(default_factory=dict)
    #: The row id of a file exported by the product (None in other files).
    row_id: int | None = None
    #: The Reason for RAG cell.
    reason: str = ""


@dataclass
class ParsedSection:
    title: str | None
    number: str = ""
    rows: list[ParsedRow] = field(default_factory=list)


@dataclass
class ParsedPlan(Checked):
    """A checked plan file: its rows in sections (``columns`` leaves out the section column)."""

    sections: list[ParsedSection] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def field_labels(template: str) -> dict[str, str]:
    """field -> label, as the template names its fields (defaults for the rest)."""
    own = dict(TEMPLATES[template].columns)
    labels = {name: own[name] for name in own}
    labels.update({name: heading for name, (heading, _) in FIELDS.items() if name not in own})
    labels[SECTION] = "Section or theme"
    labels[REASON] = "Reason for RAG"
    labels[ROW_ID] = ROW_ID_HEADING
    return labels


def plan_spec(template: str) -> ImportSpec[ParsedPlan]:
    """The spec for a plan in ``template``'s format: its own headings first, then the other fields."""
    labels = field_labels(template)
    own = [name for name, _ in TEMPLATES[template].columns]
    order = [*own, *(name for name in FIELDS if name not in own), *NOT_COLUMNS]
    return ImportSpec(
        kind=KIND,
        noun="plan",
        fields=tuple(
            Field(name, labels[name], SYNONYMS.get(name, ()), MAX_LENGTHS.get(name, limits.PLAN_CELL)) for name in order
        ),
        requirements=(Requirement(_ROW_FIELDS, f"the {labels['duty']}, {labels['actions']} or {labels['reference']}"),),
        result=ParsedPlan,
        read_rows=_read_rows,
        save=partial(_save, template=template),
        kept_prefix=EXTRA_PREFIX,
        marks_rows="Rows that are section headings (optional)",
        kept_limit=limits.PLAN_CELL,
        max_rows=limits.PLAN_ROWS,
    )


def guess_mapping(headers: list[str], template: str) -> dict[str, str]:
    """heading -> field for each heading, for a plan in ``template``'s format."""
    return importing.guess_mapping(plan_spec(template), headers)


def parse(
    filename: str, data: bytes, *, template: str, mapping: dict[str, str], marked: frozenset[int] = frozenset()
) -> ParsedPlan:
    """Check a plan file with ``mapping`` (heading -> field, "" to leave out, "keep" to keep as a
    column of its own): its rows in sections, and every problem found. ``marked`` rows head sections."""
    if template not in TEMPLATES:
        problem = f"'{template}' is not a plan format; use one of: {', '.join(TEMPLATES)}"
        return ParsedPlan(filename=filename, problems=[problem])
    return importing.check(plan_spec(template), filename, data, mapping, marked=marked)


def import_plan(
    *,
    parsed: ParsedPlan,
    area_id: int | None,
    template: str,
    title: str,
    period: str = "",
    lead_key: dict[str, str] | None = None,
) -> Plan:
    """Create a plan from a checked file; flushes only.

    Raises ImportProblems, having written nothing, if the check found any problem.
    """
    return importing.save(plan_spec(template), parsed, area_id=area_id, title=title, period=period, lead_key=lead_key)


def read_lead_key(filename: str, data: bytes) -> dict[str, str]:
    """A key to lead initials from a two-column file (initials, who they are)."""
    header, rows = read_table(filename, data)
    headings = [h for h in header if h]
    if len(headings) < 2:
        raise SpreadsheetError(f"{filename}: the key needs two columns: the initials and who they are")
    initials, who = headings[0], headings[1]
    return {r.values[initials].strip(): r.values[who].strip() for r in rows if r.values[initials].strip()}


# --- the row parser ------------------------------------------------------------------------


def _text(raw: str) -> str:
    return " ".join(line.strip() for line in raw.splitlines() if line.strip())


def _kind(name: str) -> str:
    """How a column's cells are read: a field's kind; "raw" for extra columns, kept as written."""
    if name.startswith(EXTRA_PREFIX):
        return "raw"
    if name in (SECTION, REASON):
        return "text"
    if name == ROW_ID:
        return "id"
    return FIELDS[name][1]


#: What an export puts before text a spreadsheet would run as a formula (core.spreadsheets.safe_cell).
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")


def _unquoted(text: str) -> str:
    """A cell without the apostrophe an export put before text a spreadsheet could run, so a
    file the product exported reads back as what the plan holds."""
    return _NEUTRALISED.sub("", text)


def _rag(raw: str) -> Rag | None:
    return RAG_WORDS.get(re.sub(r"[\s_-]+", " ", raw.strip().lower()))


def _section_row(cells: list[Cell], first_index: int, marked: bool) -> tuple[str, Cell] | None:
    """(number, the cell naming it) if the row heads a section, else None.

    A row heads a section when the person marked it; when its only cell is a Section or Theme
    cell, its reference, or its first column; or when it holds a whole number and one text
    (the Kent plan's "2, Staff training and awareness"). A row carrying a row id is a row.
    """
    if any(c.field == ROW_ID for c in cells):
        return None
    refs = [c for c in cells if c.field == "reference"]
    others = [c for c in cells if c.field != "reference"]
    if (
        len(refs) == 1
        and _WHOLE_NUMBER.match(refs[0].text)
        and len(others) == 1
        and others[0].field != SECTION
        and _kind(others[0].field) in ("text", "list", "raw")
    ):
        return refs[0].text.rstrip(".").split(".")[0], others[0]
    if len(cells) == 1:
        only = cells[0]
        if only.field in (SECTION, "reference") or only.column.index == first_index:
            return "", only
    if marked:
        named = next((c for c in cells if c.field not in ("reference", ROW_ID)), cells[0])
        number = refs[0].text if refs and named is not refs[0] else ""
        return number[:20], named
    return None


def _section_title(row: MappedRow, cell: Cell, problems: list[str]) -> str:
    title = _text(cell.text)
    if len(title) > MAX_SECTION_TITLE:
        problems.append(f"{row.where(cell.field)}: a section name must be {MAX_SECTION_TITLE} characters or fewer")
    return title


def _row_values(row: MappedRow, problems: list[str]) -> tuple[ParsedRow, str | None]:
    """The row's values and its section column's text; problems are appended."""
    parsed = ParsedRow(row.number, {})
    values = parsed.values
    section = None
    for cell in row.cells:
        kind = _kind(cell.field)
        text = _unquoted(cell.text)
        if cell.field == SECTION:
            section = _section_title(row, cell, problems)
        elif cell.field == REASON:
            parsed.reason = text_lines(text)
        elif kind == "id":
            if text.isdigit() or _WHOLE_NUMBER.match(text):
                parsed.row_id = int(float(text))
            else:
                problems.append(f"{row.where(cell.field)}: '{text}' is not a row id; leave the column as exported")
        elif kind == "raw":
            values[cell.field] = text_lines(text)
        elif kind == "list":
            values[cell.field], markers = split_marked(text)
            if markers:
                parsed.markers[cell.field] = markers
            if problem := limits.list_problem(values[cell.field]):
                problems.append(f"{row.where(cell.field)}: {problem}")
        elif kind == "text":
            values[cell.field] = _text(text) if cell.field == "reference" else text_lines(text)
            if cell.field == "reference" and (problem := limits.too_long(values[cell.field], limits.REFERENCE)):
                problems.append(f"{row.where(cell.field)}: {problem}")
        elif kind == "date":
            values[cell.field] = row.date(cell.field, problems)
        elif kind == "rag":
            rag = _rag(text)
            if rag is None:
                problems.append(
                    f"{row.where(cell.field)}: '{text}' is not a RAG status; "
                    "use Red, Amber, Green, Complete or Not started"
                )
            values[cell.field] = rag.value if rag else None
    return parsed, section


def _read_rows(sheet: Sheet, parsed: ParsedPlan) -> None:
    """Rows into sections: a row heads a section by what it holds or by the person's mark (see
    _section_row), or names its section in a Section or Theme column."""
    problems = parsed.problems
    parsed.columns = [c for c in parsed.columns if c[0] not in NOT_COLUMNS]
    if len(parsed.columns) > limits.PLAN_COLUMNS:
        problems.append(
            f"The file has {len(parsed.columns)} columns to import; a plan may have {limits.PLAN_COLUMNS} or fewer. "
            "Leave some out (choose Do not import)"
        )
    first_index = sheet.columns[0].index
    current: ParsedSection | None = None

    def enter(title: str | None, number: str = "") -> ParsedSection:
        if current is not None and current.title == title:
            current.number = current.number or number
            return current
        section = ParsedSection(title, number)
        parsed.sections.append(section)
        return section

    for row in sheet.rows:
        heading = _section_row(row.cells, first_index, row.number in sheet.marked)
        if heading is not None:
            number, cell = heading
            current = enter(_section_title(row, cell, problems), number)
            continue
        parsed_row, section_title = _row_values(row, problems)
        if section_title:
            current = enter(section_title)
        elif current is None:
            current = enter(None)
        if not any(parsed_row.values.get(name) for name in _ROW_FIELDS) and not any(
            value for name, value in parsed_row.values.items() if name.startswith(EXTRA_PREFIX)
        ):
            problems.append(f"{row.where()}: enter the duty, risk area or actions")
        current.rows.append(parsed_row)
    if not problems and parsed.row_count == 0:
        problems.append(sheet.nothing_to_import())


# --- saving ------------------------------------------------------------------------------


def plan_columns(parsed: ParsedPlan, template: str) -> list[list[str]]:
    """The file's own headings for what it holds, then the template's due date and RAG."""
    columns = [list(c) for c in parsed.columns]
    present = {name for name, _ in columns}
    for name, heading in TEMPLATES[template].columns:
        if name in ("due_date", "rag") and name not in present:
            columns.append([name, heading])
    return columns


def _save(
    parsed: ParsedPlan,
    *,
    template: str,
    area_id: int | None,
    title: str,
    period: str = "",
    lead_key: dict[str, str] | None = None,
) -> Plan:
    """A plan with the parsed sections, rows and first progress entries; flushes only."""
    plan = services.create_plan(
        area_id=area_id,
        title=title,
        period=period,
        template=template,
        lead_key=lead_key,
        columns=plan_columns(parsed, template),
    )
    label = f"Import of {parsed.filename}"[:254]
    for section in parsed.sections:
        if section.title:
            services.find_or_create_section(plan, section.title, section.number)
        for parsed_row in section.rows:
            add_parsed_row(plan, parsed, section, parsed_row, actor=None, actor_label=label)
    return plan


def row_values(parsed_row: ParsedRow) -> dict:
    """What add_row and update_row take: the fields and extra columns, less progress and RAG."""
    return {k: v for k, v in parsed_row.values.items() if k not in ("progress", "rag")}


def add_parsed_row(
    plan: Plan, parsed: ParsedPlan, section: ParsedSection, parsed_row: ParsedRow, *, actor, actor_label
):
    """A row of a checked file added to the plan, with its progress and RAG as its first entry."""
    row = services.add_row(
        plan,
        section_title=section.title or "",
        section_number=section.number,
        values=row_values(parsed_row),
        markers={k: v for k, v in parsed_row.markers.items() if k != "progress"},
    )
    items = parsed_row.values.get("progress", [])
    rag = parsed_row.values.get("rag")
    if items or rag:
        needs_reason = rag is not None and Rag(rag).needs_reason
        services.record_progress(
            row,
            items=items,
            markers=parsed_row.markers.get("progress", []),
            rag=rag,
            reason=(parsed_row.reason or f"Imported from {parsed.filename}") if needs_reason else "",
            actor=actor,
            actor_label=actor_label,
            source="import",
            source_file=parsed.filename,
            source_sha256=parsed.sha256,
        )
    return row
