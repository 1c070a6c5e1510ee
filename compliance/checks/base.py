"""What every check returns, the year it is asked about, and small helpers they share."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, case

from core.dates import Quarter
from core.vocab import Rag
from plans import rules


class CheckState(StrEnum):
    MET = "met"
    GAPS = "gaps"
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return {"met": "No gaps found", "gaps": "Gaps found", "no_data": "No data"}[self.value]

    @property
    def rag(self) -> Rag:
        return {"met": Rag.GREEN, "gaps": Rag.RED, "no_data": Rag.AMBER}[self.value]


@dataclass
class Evidence:
    """One record a check rests on: what it is, what it shows, and where to open it."""

    label: str
    detail: str = ""
    gap: bool = False
    endpoint: str = ""
    args: dict = field(default_factory=dict)


@dataclass
class CheckResult:
    key: str
    section: str
    title: str
    state: CheckState
    summary: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    records: list[Evidence] = field(default_factory=list)

    @property
    def gaps(self) -> list[Evidence]:
        return [r for r in self.records if r.gap]


@dataclass(frozen=True)
class Year:
    year: int
    #: The day the checks are run; None reads the year as at its end.
    today: date | None = None

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)

    @property
    def as_of(self) -> date:
        """The day plan rows are judged as at: 31 December, or today while the year is running."""
        return min(self.end, self.today) if self.today else self.end

    @property
    def after(self) -> datetime:
        """The first instant after the day judged: records made from then on did not exist yet,
        so a closed year's checks read the same whenever they are run."""
        return rules.start_of(self.as_of + timedelta(days=1))

    def existed(self, created_at) -> ColumnElement[bool]:
        """SQL: a record (by its created_at column) existed on the day judged."""
        return created_at < self.after

    @property
    def quarters(self) -> list[Quarter]:
        return [Quarter(self.year, n) for n in (1, 2, 3, 4)]

    def label(self) -> str:
        return f"1 January to 31 December {self.year}"


def _quarter_of(column, year: Year):
    """The quarter number (1-4) of a date column, as SQL that SQLite and PostgreSQL both run."""
    q2, q3, q4 = (q.start for q in year.quarters[1:])
    return case((column < q2, 1), (column < q3, 2), (column < q4, 3), else_=4)


def _quarter_of_instant(column, year: Year):
    q2, q3, q4 = (rules.start_of(q.start) for q in year.quarters[1:])
    return case((column < q2, 1), (column < q3, 2), (column < q4, 3), else_=4)


def _d(day: date | None) -> str:
    return day.strftime("%-d %B %Y") if day else ""


def _short(text: str, limit: int = 60) -> str:
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
