"""The one date parser for imported cells: the forms people type and the dates spreadsheets store."""

import re
from datetime import date

#: The form every refusal suggests.
EXAMPLE = "31/03/2026"

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
#: Lower-case month names and their short forms -> month number. Written out, not read from
#: the calendar module, whose names follow the server's locale.
_MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)} | {
    name[:3].lower(): number for number, name in enumerate(MONTH_NAMES, start=1)
}
_MONTHS["sept"] = 9

#: 31/12/2026, 31-12-2026, 31.12.2026 (day first, as in the UK).
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
#: 2026-12-31, and the "2026-12-31T00:00:00" an XLSX date cell is read as.
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?")
#: 31 Dec 2026, 31 December 2026.
_NAMED_MONTH = re.compile(r"(\d{1,2}) ([A-Za-z]+)\.? (\d{4})")


class NotADate(ValueError):
    """A cell that is not a date; the message says why, without the row and column."""


def parse_date(text: str) -> date:
    """The date ``text`` names, or NotADate saying why it names none.

    Accepted: 31/12/2026, 31-12-2026 and 31.12.2026 (day first); 2026-12-31 (with or without
    the time an XLSX date cell carries); 31 Dec 2026 and 31 December 2026. Years have four digits.
    """
    text = " ".join(str(text).split())
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif (match := _NAMED_MONTH.fullmatch(text)) and match.group(2).lower() in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2).lower()], int(match.group(3))
    else:
        raise NotADate(f"'{text}' is not a date; enter it like {EXAMPLE}")
    if year < 1:
        raise NotADate(f"'{text}' is not a real date: there is no year {year}")
    if not 1 <= month <= 12:
        raise NotADate(f"'{text}' is not a real date: there is no month {month}")
    if day < 1:
        raise NotADate(f"'{text}' is not a real date: there is no day {day}")
    days = _days_in(year, month)
    if day > days:
        raise NotADate(f"'{text}' is not a real date: {MONTH_NAMES[month - 1]} {year} has {days} days")
    return date(year, month, day)


def _days_in(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days
