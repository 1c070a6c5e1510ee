"""The import pipeline: a CSV or XLSX file read, its columns mapped, every problem named, saved whole.

A domain supplies an ImportSpec (its fields, heading synonyms, row parser and save); the steps
are here, one of each:

- ``spec``: ImportSpec and what the row parser sees (Sheet, MappedRow) and returns (Checked)
- ``dates``: the one date parser for imported cells
- ``checks``: guessing the mapping from headings, checking the mapping and the rows, saving
- ``stash``: the upload kept in storage behind a signed token until its columns are confirmed
- ``pages``: the upload and column mapping pages (templates/imports/)
- ``commands``: the same steps for `flask <domain> import`
"""

from core.importing.checks import check, guess_mapping, match_heading, normalise, save
from core.importing.dates import NotADate, parse_date
from core.importing.spec import (
    IGNORE,
    KEEP,
    Cell,
    Checked,
    Column,
    Field,
    ImportProblems,
    ImportSpec,
    MappedRow,
    Requirement,
    Sheet,
)

__all__ = [
    "IGNORE",
    "KEEP",
    "Cell",
    "Checked",
    "Column",
    "Field",
    "ImportProblems",
    "ImportSpec",
    "MappedRow",
    "NotADate",
    "Requirement",
    "Sheet",
    "check",
    "guess_mapping",
    "match_heading",
    "normalise",
    "parse_date",
    "save",
]
