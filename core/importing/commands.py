"""The import pipeline for `flask <domain> import`: the same reading, mapping and checks as the
pages, with --map options in place of the mapping page and every problem printed."""

from pathlib import Path

from core import limits
from core.cli import command_transaction, fail
from core.importing.checks import check, guess_mapping, save
from core.importing.spec import IGNORE, KEEP, ImportProblems, ImportSpec, Result
from core.spreadsheets import SpreadsheetError, Table, load_table


def map_options(
    maps: tuple[str, ...], header: list[str] | None, *, fields: list[str], noun: str, problems: list[str]
) -> dict[str, str]:
    """Repeated --map "Heading=field" options as heading -> field (the file's own spelling of
    the heading); "Heading=" leaves a column out ("Heading=keep" keeps it under its own heading,
    where the fields offer "keep"). Problems are appended, not raised, so a command can report
    every one at once."""
    by_lower = {h.lower(): h for h in header or [] if h}
    out = {}
    for option in maps:
        heading, sep, name = option.partition("=")
        heading, name = heading.strip(), name.strip()
        if not sep or not heading:
            problems.append(f"--map: '{option}' must look like Heading=field, or Heading= to leave a column out")
            continue
        if name and name not in fields:
            problems.append(f"--map: '{name}' is not a {noun} field; use one of: {', '.join(fields)}")
        if header is not None and heading.lower() not in by_lower:
            problems.append(f"--map: the file has no column headed '{heading}'")
            continue
        out[by_lower.get(heading.lower(), heading)] = name
    return out


def read_file(
    path: Path,
    maps: tuple[str, ...],
    *,
    spec: ImportSpec,
    problems: list[str],
    fields: list[str] | None = None,
    drops: tuple[str, ...] = (),
    guess=None,
) -> tuple[Table, dict[str, str]]:
    """The file, read once (with the spec's row limit, else core.limits.COMMAND_IMPORT_ROWS), and
    its mapping: guessed from the headings (by ``guess(header)`` when given), then the --map
    options, then the --drop options.

    Where the spec keeps columns no field holds, leaving one out takes a --drop "Heading": a
    column left unmapped without one is named as a problem. Exits, having changed nothing, if
    ``problems`` (the command's own, then the file's and the options') holds any. ``fields``
    orders the field names a bad --map lists (default: the spec's).
    """
    table, header = None, None
    try:
        data = path.read_bytes()
        table = load_table(
            path.name,
            data,
            max_rows=spec.max_rows or limits.COMMAND_IMPORT_ROWS,
            max_columns=limits.IMPORT_COLUMNS,
        )
        header = table.header
    except OSError as exc:
        problems.append(f"could not read {path}: {exc.strerror or exc}")
    except SpreadsheetError as exc:
        problems.append(str(exc))
    keys = list(fields or [f.key for f in spec.fields])
    if spec.kept_prefix:
        keys.append(KEEP)
    overrides = map_options(maps, header, fields=keys, noun=spec.noun, problems=problems)
    by_lower = {h.lower(): h for h in header or [] if h}
    dropped = set()
    for heading in drops:
        if header is not None and heading.strip().lower() not in by_lower:
            problems.append(f"--drop: the file has no column headed '{heading.strip()}'")
        else:
            dropped.add(by_lower.get(heading.strip().lower(), heading.strip()))
    mapping = (guess(header) if guess else guess_mapping(spec, header or [])) | overrides
    mapping |= dict.fromkeys(dropped, IGNORE)
    if spec.kept_prefix:
        unmapped = [h for h in header or [] if h and mapping.get(h, IGNORE) == IGNORE and h not in dropped]
        if unmapped:
            listed = ", ".join(f"'{h}'" for h in unmapped)
            problems.append(
                f"these columns would not be imported: {listed}. Map each to a field or keep it "
                f'(--map "Heading=keep"), or leave it out with --drop "Heading"'
            )
    if problems:
        fail(problems)
    return table, mapping


def check_file(
    spec: ImportSpec[Result],
    path: Path,
    data: bytes | Table,
    mapping: dict[str, str],
    *,
    marked: frozenset[int] = frozenset(),
) -> Result:
    """The checked file; exits, having changed nothing, printing every problem if it has any."""
    checked = check(spec, path.name, data, mapping, marked=marked)
    if checked.problems:
        fail([problem[:1].lower() + problem[1:] for problem in checked.problems])
    return checked


def save_file(spec: ImportSpec[Result], checked: Result, *, actor: str, **choices):
    """Save a checked file through the spec, as ``actor`` in the audit trail, and commit (the
    command's one commit). Exits, having saved nothing, if the save is refused."""
    with command_transaction(actor):
        try:
            saved = save(spec, checked, **choices)
        except ImportProblems as refused:
            fail(refused.problems)
    return saved
