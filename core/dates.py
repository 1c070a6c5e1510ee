"""Calendar arithmetic the domains share: whole months, and the Quarter every domain counts in."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the month's end
    (31 August + 6 months is 28 February, or 29 February in a leap year)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


_SLUG = re.compile(r"(\d{4})-q([1-4])")
#: Years a slug may name: the product's records start in 2000 (as compliance years do), and a
#: URL naming year 0001 or 9999 is a mistake, not a quarter anyone recorded.
SLUG_YEARS = range(2000, 2101)


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: 1 January to 31 March is quarter 1 of that year.

    The board meets once a quarter, plans are checked and referrals counted per quarter, and
    training coverage is reported at quarter ends: all of them count in this one type.
    ``slug`` ("2026-q3") is how a quarter appears in a URL; ``name`` ("July to September 2026")
    is how it appears to a reader, on every page and in every document.
    """

    year: int
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise ValueError(f"A quarter is numbered 1 to 4, not {self.number}")

    @classmethod
    def from_date(cls, day: date) -> "Quarter":
        """The quarter ``day`` falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, slug: str) -> "Quarter":
        """The quarter a slug names: "2026-q3" (any case) is July to September 2026.

        Raises ValueError, saying what was expected, for anything else."""
        text = (slug or "").strip().lower()
        match = _SLUG.fullmatch(text)
        if not match:
            raise ValueError(f"{slug!r} is not a quarter: expected a year and quarter number such as 2026-q3")
        year, number = int(match.group(1)), int(match.group(2))
        if year not in SLUG_YEARS:
            raise ValueError(f"{slug!r} is not a quarter: the year must be from {SLUG_YEARS[0]} to {SLUG_YEARS[-1]}")
        return cls(year, number)

    @property
    def start(self) -> date:
        """The first day of the quarter (1 January, 1 April, 1 July or 1 October)."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The last day of the quarter (31 March, 30 June, 30 September or 31 December)."""
        return self.next().start - timedelta(days=1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def next(self) -> "Quarter":
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def back(self, count: int) -> list["Quarter"]:
        """This quarter and the ``count - 1`` before it, newest first."""
        quarters = [self]
        while len(quarters) < count:
            quarters.append(quarters[-1].previous())
        return quarters[:count]

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def slug(self) -> str:
        """How the quarter appears in a URL: "2026-q3"."""
        return f"{self.year}-q{self.number}"

    @property
    def name(self) -> str:
        """How the quarter appears to a reader: "July to September 2026". Months in full (the
        GOV.UK style guide's dates; "Jul to Sep" reads badly aloud), on every page and PDF."""
        return f"{self.start:%B} to {self.end:%B %Y}"

    def __str__(self) -> str:
        return self.name
