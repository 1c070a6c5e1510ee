"""Re-importing a spreadsheet into an existing plan: what the file changes, then the change.

The file goes through the same pipeline as a new plan (core.importing, plans.imports); its
rows are matched to the plan's on the hidden row id of an XLSX the product exported, else on
the reference or a key column the person chooses. ``preview`` lists the rows the file adds,
the cells it changes (old and new text, as the export writes them) and the plan's rows it no
longer holds; it only reads. ``apply`` writes that preview: changed progress or RAG becomes a
dated progress entry naming the file and its SHA-256, other cells are edits (the audit trail
records each), and missing rows are archived only when asked. A file that matches the plan
changes nothing, so importing the same file twice is harmless.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core import clock, importing, limits
from core.extensions import db
from core.importing import KEEP, normalise
from core.models import User
from core.spreadsheets import SpreadsheetError, Table, read_table
from core.vocab import Rag
from plans import imports, rules, services
from plans.cells import cell_text, join_marked
from plans.imports import NOT_COLUMNS, ROW_ID, ParsedPlan, ParsedRow, ParsedSection
from plans.models import EXTRA_PREFIX, Plan, PlanRow, PlanSection, ProgressUpdate
from plans.templates import FIELDS

#: The heading the preview gives a row's section, when the file moves it to another.
SECTION_HEADING = "Section"


@dataclass
class CellChange:
    heading: str
    old: str
    new: str


@dataclass
class FileRow:
    """A row of the file, in its section, where the file puts it."""

    section: ParsedSection
    parsed: ParsedRow


@dataclass
class ChangedRow:
    row: PlanRow
    file_row: FileRow
    cells: list[CellChange]


@dataclass
class Preview:
    """What importing a file into a plan would do; ``problems`` stops it."""

    plan: Plan
    parsed: ParsedPlan
    #: How rows are matched: "row id", or the heading of the key column.
    matched_on: str = ""
    added: list[FileRow] = field(default_factory=list)
    changed: list[ChangedRow] = field(default_factory=list)
    missing: list[PlanRow] = field(default_factory=list)
    #: Columns of the file the plan does not have yet: [[column, heading], ...].
    new_columns: list[list[str]] = field(default_factory=list)
    #: Every row of the file with the plan's row it matches (None for an added row), in file order.
    order: list[tuple[FileRow, PlanRow | None]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return self.parsed.filename

    @property
    def changes_nothing(self) -> bool:
        return not (self.added or self.changed or self.missing or self.new_columns)


def file_mapping(plan: Plan, header: list[str]) -> dict[str, str]:
    """heading -> column for a file re-imported into ``plan``: the plan's own headings first,
    then the guess for its format; a heading that matches neither is kept as a new column."""
    own = {normalise(heading): name for name, heading in plan.columns}
    guessed = imports.guess_mapping(header, plan.template)
    taken = set()
    mapping = {}
    for heading in header:
        if not heading:
            continue
        name = own.get(normalise(heading)) or guessed.get(heading, KEEP)
        if name in taken and name not in (KEEP, ""):
            name = KEEP
        taken.add(name)
        mapping[heading] = name
    return mapping


def preview(
    plan: Plan,
    filename: str,
    data: bytes | Table,
    *,
    mapping: dict[str, str] | None = None,
    key_heading: str = "",
    marked: frozenset[int] = frozenset(),
) -> Preview:
    """What the file would change in the plan; reads only. ``key_heading`` names the column
    rows are matched on when the file has no row ids (default: the reference). ``data`` is the
    file's bytes or the Table it was read into on upload (not read again)."""
    spec = imports.plan_spec(plan.template)
    if mapping is None:
        try:
            header = data.header if isinstance(data, Table) else read_table(filename, data)[0]
        except SpreadsheetError as exc:
            return Preview(plan, ParsedPlan(filename=filename, problems=[str(exc)]))
        mapping = file_mapping(plan, header)
    parsed = importing.check(spec, filename, data, mapping, marked=marked)
    result = Preview(plan, parsed)
    if parsed.problems:
        result.problems = list(parsed.problems)
        return result
    file_rows = [FileRow(section, row) for section in parsed.sections for row in section.rows]
    known = {name for name, _ in plan.columns}
    result.new_columns = [list(c) for c in parsed.columns if c[0] not in known]
    rows = list(
        db.session.scalars(
            select(PlanRow)
            .where(PlanRow.plan_id == plan.id, rules.live())
            .options(selectinload(PlanRow.section))
            .order_by(PlanRow.position, PlanRow.id)
        )
    )
    latest = _latest(plan)
    matches = _match(plan, rows, latest, file_rows, parsed, key_heading, mapping, result)
    if not matches:  # the file cannot be matched at all
        return result
    # A row whose id names no row of the plan is a problem already; the others are still
    # compared, so every problem in the file is listed at once.
    unknown = {i for i, (f, row) in enumerate(zip(file_rows, matches, strict=True)) if f.parsed.row_id and not row}
    headings = dict(map(tuple, plan.columns)) | dict(map(tuple, parsed.columns))
    compared = [name for name, _ in parsed.columns]
    matched_ids = set()
    for index, (file_row, row) in enumerate(zip(file_rows, matches, strict=True)):
        if index in unknown:
            continue
        result.order.append((file_row, row))
        if row is None:
            result.added.append(file_row)
            continue
        matched_ids.add(row.id)
        cells = [
            CellChange(headings[name], old, new)
            for name in compared
            if (old := cell_text(row, name, latest.get(row.id))) != (new := parsed_text(file_row.parsed, name))
        ]
        old_section = row.section.title if row.section else ""
        if old_section != (file_row.section.title or ""):
            cells.append(CellChange(SECTION_HEADING, old_section, file_row.section.title or ""))
        if cells:
            result.changed.append(ChangedRow(row, file_row, cells))
            _check_reason(row, file_row, result)
    result.missing = [row for row in rows if row.id not in matched_ids]
    for file_row in result.added:
        rag = file_row.parsed.values.get("rag")
        if rag and Rag(rag).needs_reason and not file_row.parsed.reason:
            result.problems.append(_no_reason(file_row, rag, parsed))
    return result


def _latest(plan: Plan) -> dict[int, ProgressUpdate]:
    """Each row's latest progress entry: one query."""
    latest_ids = (
        select(func.max(ProgressUpdate.id))
        .join(PlanRow, PlanRow.id == ProgressUpdate.row_id)
        .where(PlanRow.plan_id == plan.id)
        .group_by(ProgressUpdate.row_id)
    )
    return {u.row_id: u for u in db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.id.in_(latest_ids)))}


def parsed_text(parsed_row: ParsedRow, name: str) -> str:
    """A file's cell as the export writes it, to compare with the plan's (cell_text)."""
    value = parsed_row.values.get(name)
    if value is None or value == "" or value == []:
        return ""
    if name == "rag":
        return Rag(value).label
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list):
        return join_marked(value, parsed_row.markers.get(name))
    return str(value)


def _match(
    plan: Plan,
    rows: list[PlanRow],
    latest: dict[int, ProgressUpdate],
    file_rows: list[FileRow],
    parsed: ParsedPlan,
    key_heading: str,
    mapping: dict[str, str],
    result: Preview,
) -> list[PlanRow | None]:
    """The plan's row each file row is (None: a new row): on the row id where the file has
    one, else on the key column. Problems are added to ``result``."""
    by_id = {row.id: row for row in rows}
    id_heading = next((h for h, name in mapping.items() if name == ROW_ID), None)
    key_name = "reference"
    if key_heading:
        by_lower = {h.lower(): h for h in mapping}
        heading = by_lower.get(key_heading.strip().lower())
        if heading is None or not mapping.get(heading):
            result.problems.append(f"The file has no column headed '{key_heading}' to match rows on")
            return []
        key_name = (
            imports.plan_spec(plan.template).kept_field(heading) if mapping[heading] == KEEP else mapping[heading]
        )
        if key_name in NOT_COLUMNS:
            result.problems.append(
                f"Rows cannot be matched on the column '{heading}'; choose one that identifies each row"
            )
            return []
    key_column = next((c for c in parsed.columns if c[0] == key_name), None)
    result.matched_on = "row id" if id_heading else (key_column[1] if key_column else "")
    if not id_heading and key_column is None:
        result.problems.append(
            "The file has no Row id or reference column to match its rows with the plan's: "
            "export the plan as XLSX and edit that, or choose the column that identifies each row"
        )
        return []
    out: list[PlanRow | None] = [None] * len(file_rows)
    seen: dict[int, int] = {}
    # First the rows that carry their id; then the others on their key, among the plan's rows
    # no id claimed (a row added to an exported file has no id). A file with ids but no key
    # column matches such a row only to a plan row with the same text in every column, so the
    # same file imported twice adds it once.
    for index, file_row in enumerate(file_rows):
        number = file_row.parsed.number_in_file
        if file_row.parsed.row_id is not None:
            out[index] = by_id.get(file_row.parsed.row_id)
            if out[index] is None:
                result.problems.append(
                    f"Row {number} ({id_heading} {file_row.parsed.row_id}): the plan has no such row; "
                    "clear the cell to add the row as a new one"
                )
            elif out[index].id in seen:
                result.problems.append(
                    f"Row {number}: it is the same plan row as row {seen[out[index].id]} of the file"
                )
            else:
                seen[out[index].id] = number
    for index, file_row in enumerate(file_rows):
        if file_row.parsed.row_id is not None:
            continue
        number = file_row.parsed.number_in_file
        free = [row for row in rows if row.id not in seen]
        if key_column is not None:
            key = parsed_text(file_row.parsed, key_name)
            candidates = [row for row in free if key and normalise_key(cell_text(row, key_name)) == normalise_key(key)]
            if len(candidates) > 1 and not id_heading:
                result.problems.append(
                    f"Row {number}, column {key_column[1]}: more than one row of the plan has '{key}'; "
                    "export the plan as XLSX (its rows carry their id) and edit that"
                )
        else:
            candidates = [
                row
                for row in free
                if all(
                    cell_text(row, name, latest.get(row.id)) == parsed_text(file_row.parsed, name)
                    for name, _ in parsed.columns
                )
            ]
        if candidates:
            out[index] = candidates[0]
            seen[candidates[0].id] = number
    return out


def normalise_key(text: str) -> str:
    return " ".join(text.split()).lower()


def _check_reason(row: PlanRow, file_row: FileRow, result: Preview) -> None:
    rag = file_row.parsed.values.get("rag")
    if rag and rag != row.rag and Rag(rag).needs_reason and not file_row.parsed.reason:
        result.problems.append(_no_reason(file_row, rag, result.parsed))


def _no_reason(file_row: FileRow, rag: str, parsed: ParsedPlan) -> str:
    heading = next((h for name, h in parsed.columns if name == "rag"), "RAG")
    return (
        f"Row {file_row.parsed.number_in_file}, column {heading}: give a reason for changing the RAG status to "
        f"{Rag(rag).label} (in a column headed Reason for RAG)"
    )


def apply(preview: Preview, *, actor: User | None, actor_label: str = "", archive: set[int] = frozenset()) -> None:
    """Write what the preview found; adds and flushes, never commits. ``archive`` holds the ids
    of the missing rows to archive (the others are kept, after the file's rows)."""
    if preview.problems:
        raise importing.ImportProblems(preview.problems)
    kept = len(preview.order) + len([row for row in preview.missing if row.id not in archive])
    if kept > limits.PLAN_ROWS:
        raise importing.ImportProblems(
            [
                f"The plan would have {kept:,} rows; a plan may have {limits.PLAN_ROWS:,} or fewer. "
                "Archive the rows missing from the file, or split the plan"
            ]
        )
    plan, parsed = preview.plan, preview.parsed
    label = actor_label or (actor.full_name if actor else f"Import of {parsed.filename}")
    if preview.new_columns:
        plan.columns = [list(c) for c in plan.columns] + [list(c) for c in preview.new_columns]
    changed = {c.row.id: c for c in preview.changed}
    file_sections = _place_sections(plan, parsed)
    position = 0
    for file_row, row in preview.order:
        position += 1
        section = file_sections.get(file_row.section.title or "")
        if row is None:
            row = imports.add_parsed_row(
                plan, parsed, file_row.section, file_row.parsed, actor=actor, actor_label=label
            )
        elif row.id in changed:
            _update(row, file_row, parsed, actor=actor, label=label)
        section_id = section.id if section else None
        if row.position != position or row.section_id != section_id:
            row.position, row.section_id = position, section_id
    now = clock.now()
    for row in preview.missing:
        position += 1
        if row.id in archive:
            row.archived_at = now
        elif row.position != position:
            row.position = position
    db.session.flush()


def _place_sections(plan: Plan, parsed: ParsedPlan) -> dict[str, PlanSection]:
    """The plan's section for each of the file's, made where new, in the file's order."""
    out = {}
    sections = list(db.session.scalars(select(PlanSection).where(PlanSection.plan_id == plan.id)))
    by_title = {s.title: s for s in sections}
    order = [s for s in parsed.sections if s.title]
    for index, parsed_section in enumerate(order, start=1):
        section = by_title.get(parsed_section.title) or services.find_or_create_section(
            plan, parsed_section.title, parsed_section.number
        )
        if parsed_section.number and section.number != parsed_section.number:
            section.number = parsed_section.number
        if section.position != index:
            section.position = index
        out[parsed_section.title] = section
    rest = [s for s in sorted(sections, key=lambda s: s.position) if s.title not in out]
    for index, section in enumerate(rest, start=len(order) + 1):
        if section.position != index:
            section.position = index
    return out


def _update(row: PlanRow, file_row: FileRow, parsed: ParsedPlan, *, actor: User | None, label: str) -> None:
    """The row's changed cells: progress and RAG as a dated entry naming the file, the rest as edits."""
    values = file_row.parsed.values
    names = [name for name, _ in parsed.columns]
    edits = {
        name: values.get(name, _empty(name))
        for name in names
        if name not in ("progress", "rag") and (name.startswith(EXTRA_PREFIX) or name in FIELDS)
    }
    latest = db.session.scalar(
        select(ProgressUpdate).where(ProgressUpdate.row_id == row.id).order_by(ProgressUpdate.id.desc()).limit(1)
    )
    progress_changed = "progress" in names and cell_text(row, "progress", latest) != parsed_text(
        file_row.parsed, "progress"
    )
    rag_changed = "rag" in names and (values.get("rag") or None) != row.rag
    if edits and any(cell_text(row, n) != parsed_text(file_row.parsed, n) for n in edits):
        markers = {n: file_row.parsed.markers.get(n, []) for n in edits if n in FIELDS and FIELDS[n][1] == "list"}
        services.edit_row(row, values=edits, markers=markers)
    if progress_changed or rag_changed:
        if "progress" in names:
            items, markers = values.get("progress", []), file_row.parsed.markers.get("progress", [])
        else:
            items, markers = (list(latest.items), list(latest.markers)) if latest else ([], [])
        rag = values.get("rag") if "rag" in names else row.rag
        services.record_progress(
            row,
            items=items,
            markers=markers,
            rag=rag,
            reason=file_row.parsed.reason,
            actor=actor,
            actor_label=label,
            source="import",
            source_file=parsed.filename,
            source_sha256=parsed.sha256,
        )


def _empty(name: str):
    if name.startswith(EXTRA_PREFIX):
        return ""
    kind = FIELDS[name][1]
    return [] if kind == "list" else None if kind == "date" else ""


def row_label(row: PlanRow | None = None, file_row: FileRow | None = None, *, columns: list | None = None) -> str:
    """How the preview names a row: its reference and the text of its first column that has
    any (in the plan's ``columns`` order where given)."""
    names = [name for name, _ in columns or []] or ["duty", "actions"]
    names = [name for name in names if name not in ("reference", "progress", "rag", "due_date")]
    if row is not None:
        ref = row.reference
        texts = [cell_text(row, name) for name in names]
    else:
        ref = file_row.parsed.values.get("reference", "")
        texts = [parsed_text(file_row.parsed, name) for name in names]
    text = next((t for t in texts if t), "")
    text = " ".join(line.removeprefix("- ").strip() for line in text.split("\n")[:1])
    text = text if len(text) <= 80 else text[:79] + "\u2026"
    return " ".join(part for part in (ref, text) if part) or "(no text)"


def describe(preview: Preview) -> list[str]:
    """The preview as lines of text, for the command line."""
    lines = []
    if preview.new_columns:
        lines.append("New columns: " + ", ".join(h for _, h in preview.new_columns))
    lines.append(f"Rows added: {len(preview.added)}")
    columns = preview.plan.columns
    lines.extend(f"  + row {f.parsed.number_in_file}: {row_label(file_row=f, columns=columns)}" for f in preview.added)
    lines.append(f"Rows changed: {len(preview.changed)}")
    for change in preview.changed:
        lines.append(f"  ~ row {change.file_row.parsed.number_in_file}: {row_label(change.row, columns=columns)}")
        for cell in change.cells:
            lines.append(f"      {cell.heading}: {_quoted(cell.old)} -> {_quoted(cell.new)}")
    lines.append(f"Rows missing from the file: {len(preview.missing)}")
    lines.extend(f"  - #{row.id}: {row_label(row, columns=columns)}" for row in preview.missing)
    return lines


def _quoted(text: str) -> str:
    return repr(text) if text else "(empty)"
