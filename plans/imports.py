"""Importing delivery plans from CSV and XLSX files: heading matching, checking, saving.

Reading is separate from saving: ``parse`` reads a file with a column mapping and lists
every problem (with the file's row number, column letter and heading); ``import_plan``
writes a plan only from a parse with no problems, so a bad file changes nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from openpyxl.utils import get_column_letter

from core.spreadsheets import SpreadsheetError, read_table
from core.vocab import Rag
from plans import services
from plans.cells import split_items
from plans.models import Plan
from plans.templates import FIELDS, TEMPLATES

#: Mapping value for a column that names each row's section (theme).
SECTION = "section"
#: Mapping value for a column that is not imported.
IGNORE = ""

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
    ),
    "impact": ("impact", "expected outcomes", "outcome", "outcomes", "outcome(s)", "intended impact"),
    "leads": ("lead", "leads", "lead(s)", "owner", "responsible officer"),
    "responsible_agency": ("responsible agency", "agency", "organisation"),
    "timescale": ("timescale", "timeframe", "when"),
    "due_date": ("due date", "deadline", "target date", "due"),
    "progress": ("progress", "updates", "update", "progress update", "status update"),
    "evidence": ("evidence", "evidence of impact"),
    "next_steps": ("next steps", "next step"),
    "rag": ("rag", "r a g", "rag status", "status"),
    "reference": ("ref", "no", "no.", "number", "reference", "item"),
    SECTION: ("section", "theme"),
}

#: Text a RAG cell may hold, normalised (lower case, single spaces) -> status.
RAG_WORDS: dict[str, Rag] = {
    **dict.fromkeys(("red", "r"), Rag.RED),
    **dict.fromkeys(("amber", "a"), Rag.AMBER),
    **dict.fromkeys(("green", "g"), Rag.GREEN),
    **dict.fromkeys(("complete", "completed", "c", "blue"), Rag.COMPLETE),
    **dict.fromkeys(("not started", "ns", "grey", "gray"), Rag.NOT_STARTED),
}

#: Longest text each short field holds (the column sizes in plans.models).
MAX_LENGTHS = {"reference": 20, "timescale": 200}
MAX_SECTION_TITLE = 300

_WHOLE_NUMBER = re.compile(r"^\d+(?:\.0*)?\.?$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?$")


class ImportProblems(ValueError):
    """The file cannot be imported as it stands; ``problems`` says every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ParsedRow:
    number_in_file: int
    #: field -> value: lists for list fields, str for text, date for due_date, a Rag value or None.
    values: dict


@dataclass
class ParsedSection:
    title: str | None
    number: str = ""
    rows: list[ParsedRow] = field(default_factory=list)


@dataclass
class ParsedPlan:
    sections: list[ParsedSection] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: [field, the file's heading] for each imported column, in file order.
    columns: list[list[str]] = field(default_factory=list)
    #: Headings of columns that are not imported.
    ignored: list[str] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def normalise(heading: str) -> str:
    """Lower case without punctuation or spaces: "R A G" -> "rag"."""
    return re.sub(r"[\W_]+", "", heading.lower())


_SYNONYM_FIELD = {normalise(s): name for name, words in SYNONYMS.items() for s in words}
for _name, (_heading, _kind) in FIELDS.items():
    _SYNONYM_FIELD.setdefault(normalise(_heading), _name)


def field_labels(template: str) -> dict[str, str]:
    """field -> label, as the template names its fields (defaults for the rest)."""
    own = dict(TEMPLATES[template].columns)
    labels = {name: own[name] for name in own}
    labels.update({name: heading for name, (heading, _) in FIELDS.items() if name not in own})
    labels[SECTION] = "Section or theme"
    return labels


def match_heading(heading: str, template: str) -> str:
    """The field a heading names: the template's own headings first, then synonyms; "" if none."""
    key = normalise(heading)
    if not key:
        return IGNORE
    for name, own in TEMPLATES[template].columns:
        if normalise(own) == key:
            return name
    return _SYNONYM_FIELD.get(key, IGNORE)


def guess_mapping(headers: list[str], template: str) -> dict[str, str]:
    """heading -> field for each heading; a field is guessed for one column only."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for heading in headers:
        if not heading:
            continue
        name = match_heading(heading, template)
        if name in taken:
            name = IGNORE
        mapping[heading] = name
        if name:
            taken.add(name)
    return mapping


def read_lead_key(filename: str, data: bytes) -> dict[str, str]:
    """A key to lead initials from a two-column file (initials, who they are)."""
    header, rows = read_table(filename, data)
    headings = [h for h in header if h]
    if len(headings) < 2:
        raise SpreadsheetError(f"{filename}: the key needs two columns: the initials and who they are")
    initials, who = headings[0], headings[1]
    return {r.values[initials].strip(): r.values[who].strip() for r in rows if r.values[initials].strip()}


# --- parsing -----------------------------------------------------------------------------


def _text(raw: str) -> str:
    return " ".join(line.strip() for line in raw.splitlines() if line.strip())


def _date(raw: str) -> date | None:
    match = _UK_DATE.match(raw)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO_DATE.match(raw)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _rag(raw: str) -> Rag | None:
    return RAG_WORDS.get(re.sub(r"[\s_-]+", " ", raw.strip().lower()))


@dataclass
class _Cell:
    index: int
    heading: str
    name: str
    raw: str

    @property
    def where(self) -> str:
        return f"column {get_column_letter(self.index + 1)} ({self.heading})"


def _mapping_problems(header: list[str], mapping: dict[str, str], labels: dict[str, str], filename: str) -> list[str]:
    problems = []
    headings = {h for h in header if h}
    for heading in mapping:
        if heading not in headings:
            problems.append(f"{filename}: there is no column headed '{heading}'")
    by_field: dict[str, list[str]] = {}
    for index, heading in enumerate(header):
        name = mapping.get(heading, IGNORE) if heading else IGNORE
        if name and name not in labels:
            letter = get_column_letter(index + 1)
            problems.append(f"Column {letter} ({heading}): '{name}' is not a plan field")
        elif name:
            by_field.setdefault(name, []).append(get_column_letter(index + 1))
    for name, letters in by_field.items():
        if len(letters) > 1:
            listed = ", ".join(letters[:-1]) + " and " + letters[-1]
            both = "both" if len(letters) == 2 else "all"
            problems.append(f"Columns {listed} are {both} mapped to {labels[name]}")
    if not {"duty", "actions", "reference"} & by_field.keys():
        problems.append(
            f"Choose the column that holds the {labels['duty']}, {labels['actions']} or {labels['reference']}"
        )
    return problems


def _section_row(cells: list[_Cell], first_index: int) -> tuple[str, _Cell] | None:
    """(number, the cell naming it) if the row heads a section, else None."""
    if len(cells) == 1 and cells[0].name == SECTION:
        return "", cells[0]
    refs = [c for c in cells if c.name == "reference"]
    others = [c for c in cells if c.name != "reference"]
    if (
        len(refs) == 1
        and _WHOLE_NUMBER.match(refs[0].raw)
        and len(others) == 1
        and others[0].name != SECTION
        and FIELDS[others[0].name][1] in ("text", "list")
    ):
        return refs[0].raw.rstrip(".").split(".")[0], others[0]
    # A lone duty is a row whose actions are still to come, not a heading: duty-led formats
    # (the SPOC plans) name their sections in a Section or Theme column instead.
    only = cells[0]
    if (
        len(cells) == 1
        and only.index == first_index
        and only.name not in ("duty", "reference")
        and FIELDS[only.name][1] in ("text", "list")
    ):
        return "", only
    return None


def _section_title(cell: _Cell, number: int, problems: list[str]) -> str:
    title = _text(cell.raw)
    if len(title) > MAX_SECTION_TITLE:
        problems.append(f"Row {number}, {cell.where}: a section name must be {MAX_SECTION_TITLE} characters or fewer")
    return title


def _row_values(cells: list[_Cell], number: int, problems: list[str]) -> tuple[dict, str | None]:
    """The row's field values and its section column's text; problems are appended."""
    values: dict = {}
    section = None
    for cell in cells:
        if cell.name == SECTION:
            section = _section_title(cell, number, problems)
            continue
        kind = FIELDS[cell.name][1]
        where = f"Row {number}, {cell.where}"
        if kind == "list":
            values.setdefault(cell.name, []).extend(split_items(cell.raw))
        elif kind == "text":
            text = " ".join(filter(None, [values.get(cell.name, ""), _text(cell.raw)]))
            limit = MAX_LENGTHS.get(cell.name)
            if limit and len(text) > limit:
                problems.append(f"{where}: must be {limit} characters or fewer")
            values[cell.name] = text
        elif kind == "date":
            day = _date(cell.raw)
            if day is None:
                problems.append(f"{where}: enter a real date, like 31/03/2027")
            values.setdefault(cell.name, day)
        elif kind == "rag":
            rag = _rag(cell.raw)
            if rag is None:
                problems.append(
                    f"{where}: '{cell.raw}' is not a RAG status; use Red, Amber, Green, Complete or Not started"
                )
            values.setdefault(cell.name, rag.value if rag else None)
    return values, section


def parse(filename: str, data: bytes, *, template: str, mapping: dict[str, str]) -> ParsedPlan:
    """Read a plan from a CSV or XLSX file with ``mapping`` (heading -> field, "" to ignore).

    Rows come back in sections; every problem found is listed, none stops the reading.
    """
    if template not in TEMPLATES:
        return ParsedPlan(problems=[f"'{template}' is not a plan format; use one of: {', '.join(TEMPLATES)}"])
    try:
        header, rows = read_table(filename, data)
    except SpreadsheetError as exc:
        return ParsedPlan(problems=[str(exc)])
    labels = field_labels(template)
    problems = _mapping_problems(header, mapping, labels, filename)
    columns = [(i, h, mapping.get(h, IGNORE)) for i, h in enumerate(header) if h]
    mapped = [(i, h, name) for i, h, name in columns if name in labels]
    parsed = ParsedPlan(
        problems=problems,
        columns=[[name, h] for _, h, name in mapped if name != SECTION],
        ignored=[h for _, h, name in columns if not name],
    )
    check_required = bool({"duty", "actions", "reference"} & {name for _, _, name in mapped})
    first_index = mapped[0][0] if mapped else -1
    current: ParsedSection | None = None

    def enter(title: str | None, number: str = "") -> ParsedSection:
        if current is not None and current.title == title:
            current.number = current.number or number
            return current
        section = ParsedSection(title, number)
        parsed.sections.append(section)
        return section

    for row in rows:
        cells = [_Cell(i, h, name, row.values.get(h, "").strip()) for i, h, name in mapped]
        cells = [c for c in cells if c.raw]
        if not cells:
            continue
        heading = _section_row(cells, first_index)
        if heading is not None:
            number, cell = heading
            current = enter(_section_title(cell, row.number, problems), number)
            continue
        values, section_title = _row_values(cells, row.number, problems)
        if section_title:
            current = enter(section_title)
        elif current is None:
            current = enter(None)
        if check_required and not any(values.get(name) for name in ("duty", "actions", "reference")):
            problems.append(f"Row {row.number}: enter the duty, risk area or actions")
        current.rows.append(ParsedRow(row.number, values))
    if not problems and parsed.row_count == 0:
        problems.append(f"{filename}: there are no rows to import")
    return parsed


# --- saving ------------------------------------------------------------------------------


def plan_columns(parsed: ParsedPlan, template: str) -> list[list[str]]:
    """The file's own headings for what it holds, then the template's due date and RAG."""
    columns = [list(c) for c in parsed.columns]
    present = {name for name, _ in columns}
    for name, heading in TEMPLATES[template].columns:
        if name in ("due_date", "rag") and name not in present:
            columns.append([name, heading])
    return columns


def import_plan(
    *,
    parsed: ParsedPlan,
    area_id: int | None,
    template: str,
    title: str,
    period: str = "",
    lead_key: dict[str, str] | None = None,
    filename: str,
) -> Plan:
    """Create a plan with the parsed sections, rows and first progress entries; flushes only.

    Raises ImportProblems, having written nothing, if the parse found any problem.
    """
    if parsed.problems:
        raise ImportProblems(parsed.problems)
    plan = services.create_plan(
        area_id=area_id,
        title=title,
        period=period,
        template=template,
        lead_key=lead_key,
        columns=plan_columns(parsed, template),
    )
    label = f"Import of {filename}"[:254]
    for section in parsed.sections:
        if section.title:
            services.find_or_create_section(plan, section.title, section.number)
        for parsed_row in section.rows:
            values = {k: v for k, v in parsed_row.values.items() if k not in ("progress", "rag")}
            row = services.add_row(
                plan, section_title=section.title or "", section_number=section.number, values=values
            )
            items = parsed_row.values.get("progress", [])
            rag = parsed_row.values.get("rag")
            if items or rag:
                needs_reason = rag is not None and Rag(rag).needs_reason
                services.record_progress(
                    row,
                    items=items,
                    rag=rag,
                    reason=f"Imported from {filename}" if needs_reason else "",
                    actor=None,
                    actor_label=label,
                    source="import",
                )
    return plan
