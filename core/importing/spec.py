"""What a domain gives the import pipeline (an ImportSpec) and what the pipeline gives back.

A spec names the fields a file's columns can hold, with the headings that mean each; what a
file must have a column for; the row parser, which turns the mapped rows into the domain's
result and names every problem with its row and column; and the save, which writes a result
that has no problems (adding and flushing, never committing).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from core import limits
from core.importing.dates import NotADate, parse_date

#: The mapping value of a column that is not imported.
IGNORE = ""
#: The mapping value of a column kept under its own heading (specs with ``kept_prefix`` only).
KEEP = "keep"


class ImportProblems(ValueError):
    """The file cannot be imported as it stands; ``problems`` says every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class Field:
    """Something a column can hold. ``label`` names it on the mapping page and in problems, and
    is itself a heading that means it; ``synonyms`` are the other headings people use."""

    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    #: Most characters a cell of this field may hold (core.limits): a longer cell is a problem
    #: naming its row and column, and the row parser sees the cell cut to the limit.
    limit: int = limits.IMPORT_CELL


@dataclass(frozen=True)
class Requirement:
    """A file needs a column for one of ``fields`` (or the one field); ``what`` names them in
    "Choose the column that holds ...". Required fields are requirements of one field."""

    fields: tuple[str, ...]
    what: str


@dataclass
class Checked:
    """What checking a file found. A domain's result extends it with what the rows hold."""

    filename: str = ""
    #: The file's SHA-256 (hex), naming exactly which file a record came from.
    sha256: str = ""
    problems: list[str] = field(default_factory=list)
    #: Rows in the file, not counting the heading row or blank rows.
    rows: int = 0
    #: [field, the file's heading] for each imported column, in file order.
    columns: list[list[str]] = field(default_factory=list)
    #: Headings of the columns that are not imported (left out by choice).
    ignored: list[str] = field(default_factory=list)
    #: Headings of the columns kept under their own heading (no field holds them).
    kept: list[str] = field(default_factory=list)


Result = TypeVar("Result", bound=Checked)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the file mapped to a field."""

    index: int
    letter: str
    heading: str
    field: str

    @property
    def where(self) -> str:
        return f"column {self.letter} ({self.heading})"


@dataclass(frozen=True, slots=True)
class Cell:
    column: Column
    text: str

    @property
    def field(self) -> str:
        return self.column.field


class MappedRow:
    """A row of the file as the row parser sees it: the text of each mapped cell that holds any."""

    __slots__ = ("number", "values", "_columns")

    def __init__(self, number: int, values: dict[str, str], columns: dict[str, Column]) -> None:
        #: The row number a person sees in the file (the headings are row 1).
        self.number = number
        #: field -> the cell's text, stripped; only cells that hold something, in file order.
        self.values = values
        self._columns = columns

    def __repr__(self) -> str:
        return f"<MappedRow {self.number} {self.values!r}>"

    def get(self, field: str) -> str:
        return self.values.get(field, "")

    @property
    def cells(self) -> list[Cell]:
        return [Cell(self._columns[name], text) for name, text in self.values.items()]

    def where(self, *fields: str) -> str:
        """ "Row 3", "Row 3, column D (Due date)" or "Row 3, columns B (Email) and C (Staff number)"."""
        columns = sorted(
            (self._columns[name] for name in fields if name in self._columns), key=lambda c: (len(c.letter), c.letter)
        )
        if not columns:
            return f"Row {self.number}"
        if len(columns) == 1:
            return f"Row {self.number}, {columns[0].where}"
        listed = " and ".join(f"{c.letter} ({c.heading})" for c in columns)
        return f"Row {self.number}, columns {listed}"

    def date(self, field: str, problems: list[str]) -> date | None:
        """The cell read as a date; None if it is empty, or is not a date (a problem then says so)."""
        text = self.get(field)
        if not text:
            return None
        try:
            return parse_date(text)
        except NotADate as refused:
            problems.append(f"{self.where(field)}: {refused}")
            return None


@dataclass(frozen=True)
class Sheet:
    """The file's rows with something in a mapped column, for the row parser."""

    filename: str
    #: The mapped columns, in file order.
    columns: list[Column]
    rows: list[MappedRow]
    #: Row numbers the person marked (on the mapping page, or an option), e.g. as section headings.
    marked: frozenset[int] = frozenset()

    def nothing_to_import(self) -> str:
        return f"{self.filename}: there are no rows to import"


#: Used when a spec does not say more: someone else saved the same records while this file was saved.
CHANGED_MEANWHILE = (
    "Some of these records were saved by someone else while the file was being imported. "
    "Nothing was saved: import the file again."
)


@dataclass(frozen=True)
class ImportSpec(Generic[Result]):
    """What a domain supplies to import files of one kind."""

    #: Names the uploads of this kind ("plans", "training"): a token for one opens no other.
    kind: str
    #: What a field belongs to, in "'x' is not a plan field".
    noun: str
    #: The fields, in the order the mapping page offers them.
    fields: tuple[Field, ...]
    requirements: tuple[Requirement, ...]
    #: The type check() returns (made with the file name, then filled).
    result: type[Result]
    #: The row parser: reads sheet.rows into the result, appending every problem to result.problems.
    read_rows: Callable[[Sheet, Result], None]
    #: Writes a result with no problems, given the choices made with the upload; adds and flushes.
    save: Callable[..., Any]
    #: The problem reported when a unique constraint refuses the save.
    changed_meanwhile: str = CHANGED_MEANWHILE
    #: When set, a column no field holds is kept under its own heading (the default for a
    #: heading that matches no field; leaving it out is then an explicit choice), as the field
    #: ``kept_prefix + heading``; a mapping may also name such a field directly.
    kept_prefix: str = ""
    #: When set, the mapping page asks which rows are marked, with this label.
    marks_rows: str = ""
    #: Most characters a cell of a kept column may hold.
    kept_limit: int = limits.IMPORT_CELL
    #: Most rows a file of this kind may hold, through the pages and the command alike (a kind
    #: with no limit of its own takes the pages' and the commands' defaults, core.limits).
    max_rows: int | None = None

    def kept_field(self, heading: str) -> str:
        return f"{self.kept_prefix}{heading}"

    def is_kept(self, name: str) -> bool:
        return bool(self.kept_prefix) and name.startswith(self.kept_prefix) and len(name) > len(self.kept_prefix)

    def label(self, key: str) -> str:
        return next((f.label for f in self.fields if f.key == key), key)

    def limit(self, key: str) -> int:
        """Most characters a cell of the field (or kept column) ``key`` may hold."""
        if self.is_kept(key):
            return self.kept_limit
        return next((f.limit for f in self.fields if f.key == key), limits.IMPORT_CELL)
