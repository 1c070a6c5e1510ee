"""Checking a file against a spec, and saving it whole: heading guesses, mapping checks, the rows.

Checking only reads: ``check`` lists every problem it finds (with the file's row number,
column letter and heading) and none stops it. ``save`` writes only a check with no problems,
so a bad file changes nothing.
"""

import gc
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager

from openpyxl.utils import get_column_letter
from sqlalchemy.exc import IntegrityError

from core import limits
from core.extensions import db
from core.importing.spec import IGNORE, KEEP, Column, ImportProblems, ImportSpec, MappedRow, Result, Sheet
from core.spreadsheets import SpreadsheetError, Table, load_table


def normalise(heading: str) -> str:
    """Lower case without punctuation or spaces: "R A G" -> "rag", "Staff No." -> "staffno"."""
    return re.sub(r"[\W_]+", "", heading.lower())


def match_heading(spec: ImportSpec, heading: str) -> str:
    """The field a heading names: a field's own label first, then the synonyms; "" for none."""
    key = normalise(heading)
    if not key:
        return IGNORE
    for candidate in spec.fields:
        if normalise(candidate.label) == key:
            return candidate.key
    for candidate in spec.fields:
        if any(normalise(synonym) == key for synonym in candidate.synonyms):
            return candidate.key
    return IGNORE


def guess_mapping(spec: ImportSpec, headers: list[str]) -> dict[str, str]:
    """heading -> field for each heading; a field is guessed for one column only. A heading no
    field takes is kept under its own heading where the spec keeps columns, else left out."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    unmatched = KEEP if spec.kept_prefix else IGNORE
    for heading in headers:
        if not heading:
            continue
        name = match_heading(spec, heading)
        if name in taken:
            name = IGNORE
        mapping[heading] = name or unmatched
        if name:
            taken.add(name)
    return mapping


def resolve(spec: ImportSpec, header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """The mapping with "keep" turned into each kept column's own field."""
    return {h: spec.kept_field(h) if name == KEEP and spec.kept_prefix else name for h, name in mapping.items()}


def mapping_problems(spec: ImportSpec, header: list[str], mapping: dict[str, str], filename: str) -> list[str]:
    """What is wrong with a mapping itself: unknown headings or fields, a field given two
    columns, a required field given none."""
    problems = []
    keys = {f.key for f in spec.fields}
    headings = {h for h in header if h}
    for heading in mapping:
        if heading not in headings:
            problems.append(f"{filename}: there is no column headed '{heading}'")
    by_field: dict[str, list[str]] = {}
    for index, heading in enumerate(header):
        name = mapping.get(heading, IGNORE) if heading else IGNORE
        letter = get_column_letter(index + 1)
        if name == KEEP and spec.kept_prefix:
            name = spec.kept_field(heading)
        if spec.is_kept(name):
            by_field.setdefault(name, []).append(letter)
        elif name and name not in keys:
            problems.append(f"Column {letter} ({heading}): '{name}' is not a {spec.noun} field")
        elif name:
            by_field.setdefault(name, []).append(letter)
    for name, letters in by_field.items():
        if len(letters) > 1:
            listed = ", ".join(letters[:-1]) + " and " + letters[-1]
            both = "both" if len(letters) == 2 else "all"
            label = name[len(spec.kept_prefix) :] if spec.is_kept(name) else spec.label(name)
            problems.append(f"Columns {listed} are {both} mapped to {label}")
    for requirement in spec.requirements:
        if not by_field.keys() & set(requirement.fields):
            problems.append(f"Choose the column that holds {requirement.what}")
    return problems


def check(
    spec: ImportSpec[Result],
    filename: str,
    data: bytes | Table,
    mapping: dict[str, str],
    *,
    marked: frozenset[int] = frozenset(),
) -> Result:
    """Read a CSV or XLSX file with ``mapping`` (heading -> field, "" to leave a column out,
    "keep" to keep it under its own heading) and run the spec's row parser over it. Reads only;
    every problem found is listed. ``marked`` holds the row numbers the person marked. ``data``
    is the file's bytes, or the Table it was read into already (an upload's, kept in the stash:
    the file is not read again).

    Rows are parsed only once the file can be read and the mapping is sound, so the problems
    are about the rows, not echoes of a wrong column. A cell longer than any field takes
    (core.limits.IMPORT_CELL) is a problem naming its row and column.
    """
    with _paused_gc():
        return _check(spec, filename, data, mapping, marked)


def _check(
    spec: ImportSpec[Result], filename: str, data: bytes | Table, mapping: dict[str, str], marked: frozenset[int]
) -> Result:
    if isinstance(data, Table):
        table = data
    else:
        try:
            table = load_table(filename, data)
        except SpreadsheetError as exc:
            result = spec.result(filename=filename, sha256=hashlib.sha256(data).hexdigest())
            result.problems.append(str(exc))
            return result
    result = spec.result(filename=filename, sha256=table.sha256)
    header, rows = table.header, table.rows
    keys = {f.key for f in spec.fields}
    mapping = resolve(spec, header, mapping)
    columns = [
        Column(index, get_column_letter(index + 1), heading, mapping[heading])
        for index, heading in enumerate(header)
        if heading and (mapping.get(heading) in keys or spec.is_kept(mapping.get(heading, "")))
    ]
    result.columns = [[c.field, c.heading] for c in columns]
    result.ignored = [h for h in header if h and not mapping.get(h)]
    result.kept = [h for h in header if h and mapping.get(h) == spec.kept_field(h) and spec.kept_prefix]
    result.rows = len(rows)
    result.problems.extend(mapping_problems(spec, header, mapping, filename))
    if result.problems:
        return result
    by_field = {c.field: c for c in columns}
    cell_limits = {c.field: spec.limit(c.field) for c in columns}
    mapped = []
    for row in rows:
        values = {c.field: text for c in columns if (text := row.values.get(c.heading, "").strip())}
        if values:  # a row with something only in columns left out holds nothing to import
            mapped.append(MappedRow(row.number, values, by_field))
            for name, text in values.items():
                if problem := limits.too_long(text, cell_limits[name]):
                    result.problems.append(f"{mapped[-1].where(name)}: {problem}")
                    # The row parser sees the cell cut to the limit, so the problem is told once
                    # and the row's other cells are still checked.
                    values[name] = text[: cell_limits[name]]
    sheet = Sheet(filename, columns, mapped, frozenset(marked))
    if not mapped:
        result.problems.append(sheet.nothing_to_import())
        return result
    spec.read_rows(sheet, result)
    return result


def save(spec: ImportSpec[Result], checked: Result, **choices):
    """Write a checked file through the spec's save; adds and flushes, never commits.

    Raises ImportProblems, having written nothing, if the check found any problem, or if a
    unique constraint refused the write because someone saved the same records meanwhile (the
    transaction is rolled back: nothing is half-saved).
    """
    if checked.problems:
        raise ImportProblems(checked.problems)
    try:
        with _paused_gc():
            return spec.save(checked, **choices)
    except IntegrityError as exc:
        db.session.rollback()
        raise ImportProblems([spec.changed_meanwhile]) from exc


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large file's rows are built: they hold no
    cycles (reference counting frees them), and collections triggered by hundreds of thousands
    of new objects cost about a third of the time of a 100,000-row import."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
