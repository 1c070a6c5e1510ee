"""Limits on the work one request can cause: how long each text a person writes may be, how big
a list cell may grow, and how large a file an import takes. One home for every number; the
forms, the import pipeline and the commands all read them from here (README, "Limits").

The numbers are generous for what people write (the longest cell of the three source plans has
1,154 characters, the longest list 7 items) and small enough that the largest plan the limits
allow still prints and downloads within a request (bench/largest_inputs.py measures it).
"""

from collections.abc import Callable

from wtforms.validators import StopValidation

from core.uploads import size_label

# --- text a person types ---------------------------------------------------------------------

#: A reference or a code, as short as the column that holds it (a plan row's "1.4", a case's
#: CP-2026-014).
REFERENCE = 20
#: A period ("2019-2021"), a short name, a phone or staff number.
SHORT_CODE = 40
#: A column heading, a team.
HEADING = 100
#: One line: a person's or organisation's name, a place, a job title, an owner, a provider.
SHORT_TEXT = 200
#: A title: a plan's, a section's, an agenda item's, a finding's; a place; who information went to.
TITLE = 300
#: An email address (RFC 5321's longest path).
EMAIL = 254
#: A password (argon2 hashes all of it, so it is bounded too).
PASSWORD = 256
#: A web link, a file's description.
LINK = 500
#: A note of a few lines: an agenda note, an action, a support need, an address.
NOTE = 2_000
#: A paragraph or a few: a progress update, a reason, a decision, an outcome, a recommendation.
LONG_TEXT = 5_000
#: A document's worth: a plan's introduction, an item's minutes, a self-assessment narrative.
DOCUMENT_TEXT = 20_000

# --- plans ------------------------------------------------------------------------------------

#: Any one cell of a plan row, typed or imported: a text cell (duty, an extra column) or a list
#: cell in all. The longest cell of the source plans is 1,154 characters (a paragraph of the Kent
#: plan); this is two and a half times that. The progress cell is a progress update: LONG_TEXT.
PLAN_CELL = 3_000
#: Items in one list cell (actions, impact, leads, evidence, next steps, a progress update): the
#: source plans have at most 7.
LIST_ITEMS = 25
#: Characters in one item of a list cell: the Kent plan's single-paragraph item has 1,154.
LIST_ITEM = 1_500
#: Rows in one plan (added on the page or imported). A plan is one area's or the county's; the
#: source plans have 7 to 31 rows.
PLAN_ROWS = 1_000
#: Columns of one plan: its fields (12 at most) and up to 8 columns of its own.
PLAN_COLUMNS = 20

# --- documents made in a request ------------------------------------------------------------

#: Rows a plan PDF prints (across the document). Every row is in the plan's XLSX appendix.
PDF_ROWS = 100
#: Characters of one cell a plan PDF prints; the whole cell is in the XLSX appendix.
PDF_CELL = 1_500
#: Characters of one row a plan PDF prints, shared among its text cells (so a plan of many
#: columns prints less of each): the source plans' rows (5 to 8 text columns, cells of at most
#: 1,154 characters) print whole.
PDF_ROW = 6_000
#: Characters of cell text a plan PDF prints (across the document): about 7 landscape pages of
#: ordinary rows, which WeasyPrint lays out and writes in about 1.3 s of CPU here
#: (bench/largest_inputs.py), leaving room for a busy machine under the 3 s target. The demo's
#: plans print whole, each on its own (the longest, the Kent plan, has about 10,000).
PDF_TEXT = 20_000

#: Red and amber rows the board pack prints in full (their latest progress and reason), the
#: most pressing first: red before amber, overdue first. The others are listed by reference, and
#: every row is in the plans' XLSX export, which the pack names. A partnership of 60 plans with
#: 600 red or amber rows printed 25 pages of them, and the pack took 5.7 s at national size.
PACK_EXCEPTION_LINES = 200

# --- imports ----------------------------------------------------------------------------------

#: An uploaded CSV or XLSX to import. Checked from the request's length before the file is read.
IMPORT_BYTES = 5 * 1024 * 1024
#: Rows (not counting the headings) in a file imported through the web pages; the command line
#: (`flask ... import`) takes COMMAND_IMPORT_ROWS.
IMPORT_ROWS = 5_000
#: Rows in a file imported with a command: large registers go this way.
COMMAND_IMPORT_ROWS = 200_000
#: What an XLSX uploaded to import may unpack to (an XLSX is a zip: 5 MB of it can hold 200 MB
#: of repeated text, which would take minutes to read). A 5,000-row register unpacks to about 2 MB.
IMPORT_UNPACKED = 40 * 1024 * 1024
#: Columns in an imported file.
IMPORT_COLUMNS = 60
#: Any one cell of an imported file (fields have their own, smaller limits where they are shorter).
IMPORT_CELL = LONG_TEXT


# --- the messages -----------------------------------------------------------------------------


def import_words() -> dict[str, str]:
    """The import limits as pages print them."""
    return {"bytes": size_label(IMPORT_BYTES), "rows": f"{IMPORT_ROWS:,}", "plan_rows": f"{PLAN_ROWS:,}"}


def characters(limit: int) -> str:
    """ "must be 5,000 characters or fewer"."""
    return f"must be {limit:,} characters or fewer"


def too_long(text: str | None, limit: int) -> str | None:
    """What is wrong with ``text`` against ``limit`` ("must be 2,000 characters or fewer (it has
    2,345)"), or None."""
    length = len(text or "")
    if length <= limit:
        return None
    return f"{characters(limit)} (it has {length:,})"


def list_problem(items: list[str], *, items_limit: int = LIST_ITEMS, item_limit: int = LIST_ITEM) -> str | None:
    """What is wrong with a list cell's items, or None: too many items, or an item too long."""
    if len(items) > items_limit:
        return f"must have {items_limit} items or fewer, one per line (it has {len(items)})"
    for number, item in enumerate(items, start=1):
        if len(item) > item_limit:
            return f"must have items of {item_limit:,} characters or fewer (item {number} has {len(item):,})"
    return None


def field_name(field) -> str:
    """The field as a message names it: its label without "(optional)" or other asides."""
    label = str(field.label.text).strip()
    if label.endswith(")") and " (" in label:
        label = label[: label.rindex(" (")]
    return label


class MaxLength:
    """A WTForms validator: at most ``limit`` characters, with the GOV.UK message naming the field
    ("Progress update must be 5,000 characters or fewer"). No maxlength attribute is set, so a
    pasted text is not cut short without a word: the person is told, and the text kept.
    """

    def __init__(self, limit: int, name: str = "") -> None:
        self.limit = limit
        self.name = name

    def __call__(self, form, field) -> None:
        data = field.data if isinstance(field.data, str) else ""
        if len(data) > self.limit:
            raise StopValidation(f"{self.name or field_name(field)} {characters(self.limit)}")


class ListLimits:
    """A WTForms validator for a box that holds a list, one item per line: at most ``items`` items
    of at most ``item`` characters (``split`` turns the text into items, markers removed)."""

    def __init__(self, split: Callable[[str], list[str]], *, items: int = LIST_ITEMS, item: int = LIST_ITEM) -> None:
        self.split = split
        self.items = items
        self.item = item

    def __call__(self, form, field) -> None:
        problem = list_problem(self.split(field.data or ""), items_limit=self.items, item_limit=self.item)
        if problem:
            raise StopValidation(f"{field_name(field)} {problem}")
