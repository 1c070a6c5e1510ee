"""Importing relevant headcounts (the denominators of coverage) from HR spreadsheets: the
headcount spec for the import pipeline (core.importing).

Each row is an organisation (by name or short name), optionally a team, a relevant headcount,
the date it is true on and where it comes from. Every problem is named with its row and column
and nothing is saved unless the whole file is sound. A headcount already recorded for the same
organisation, team and date is left alone when the file agrees with it and corrected when it
does not, so importing the same file twice changes nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from sqlalchemy import select

from core import limits
from core.extensions import db
from core.importing import Checked, Field, ImportSpec, Requirement, Sheet
from partnership.models import Organisation
from training import services
from training.models import Headcount

#: Names headcount uploads in the import stash.
KIND = "headcounts"

#: field -> what the mapping page calls it.
FIELDS: dict[str, str] = {
    "organisation": "Organisation",
    "team": "Team or business area",
    "relevant_headcount": "Relevant headcount",
    "as_of": "As at date",
    "source": "Source",
}
SYNONYMS: dict[str, tuple[str, ...]] = {
    "organisation": ("organisation", "organization", "employer", "agency", "organisation name", "org"),
    "team": ("team", "business area", "department", "service", "directorate"),
    "relevant_headcount": (
        "headcount",
        "relevant headcount",
        "relevant staff",
        "staff to train",
        "number of staff",
        "staff count",
        "frontline staff",
    ),
    "as_of": ("as at", "as at date", "as of", "date", "census date", "snapshot date"),
    "source": ("source", "data source", "from"),
}
#: Longest text each field holds (core.limits); the pipeline names a longer cell.
MAX_LENGTHS = {"team": limits.HEADING, "source": limits.TITLE}
_NUMBER = re.compile(r"^\d{1,3}(,\d{3})*$|^\d+$")


@dataclass
class HeadcountRow:
    number_in_file: int
    organisation_id: int
    team: str
    as_of: date
    relevant_headcount: int
    source: str


@dataclass
class HeadcountCheck(Checked):
    """A checked headcount file: each row's headcount, and which are new, corrections or the same."""

    parsed: list[HeadcountRow] = field(default_factory=list)
    added: int = 0
    corrected: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        return f"{self.added} headcounts added, {self.corrected} corrected, {self.unchanged} already recorded"


def headcount_spec(*, today: date) -> ImportSpec[HeadcountCheck]:
    return ImportSpec(
        kind=KIND,
        noun="headcount",
        fields=tuple(
            Field(key, label, SYNONYMS.get(key, ()), MAX_LENGTHS.get(key, limits.IMPORT_CELL))
            for key, label in FIELDS.items()
        ),
        requirements=(
            Requirement(("organisation",), "the organisation"),
            Requirement(("relevant_headcount",), "the relevant headcount"),
            Requirement(("as_of",), "the date the headcount is true on"),
        ),
        result=HeadcountCheck,
        read_rows=partial(_read_rows, today=today),
        save=_save,
    )


def _organisations() -> dict[str, list[int]]:
    """Lower-cased name and short name -> organisation ids."""
    out: dict[str, list[int]] = {}
    for org_id, name, short in db.session.execute(select(Organisation.id, Organisation.name, Organisation.short_name)):
        for key in {name.strip().lower(), (short or "").strip().lower()} - {""}:
            out.setdefault(key, []).append(org_id)
    return out


def _read_rows(sheet: Sheet, check: HeadcountCheck, *, today: date) -> None:
    problems = check.problems
    organisations = _organisations()
    seen: dict[tuple[int, str, date], int] = {}
    for row in sheet.rows:
        before = len(problems)
        name = row.get("organisation")
        ids = organisations.get(name.lower(), []) if name else []
        if not name:
            problems.append(f"{row.where('organisation')}: enter the organisation")
        elif not ids:
            problems.append(f"{row.where('organisation')}: there is no organisation called '{name}'")
        elif len(ids) > 1:
            problems.append(f"{row.where('organisation')}: more than one organisation is called '{name}'")
        written = row.get("relevant_headcount")
        raw = written.replace(" ", "")
        if not raw:
            problems.append(f"{row.where('relevant_headcount')}: enter the relevant headcount")
        elif not _NUMBER.match(raw.removesuffix(".0")):
            problems.append(f"{row.where('relevant_headcount')}: '{written}' is not a whole number of staff, 0 or more")
        as_of = row.date("as_of", problems)
        if as_of is None and not row.get("as_of"):
            problems.append(f"{row.where('as_of')}: enter the date the headcount is true on")
        elif as_of is not None and as_of > today:
            problems.append(f"{row.where('as_of')}: the date must be today or in the past")
        if len(problems) > before:
            continue
        team = " ".join(row.get("team").split())
        key = (ids[0], team.lower(), as_of)
        if key in seen:
            problems.append(
                f"{row.where('organisation', 'as_of')}: row {seen[key]} is already a headcount for "
                f"{name}{' (' + team + ')' if team else ''} on {as_of:%-d %B %Y}"
            )
            continue
        seen[key] = row.number
        source = row.get("source") or f"Imported from {sheet.filename}"
        count = int(raw.removesuffix(".0").replace(",", ""))
        check.parsed.append(HeadcountRow(row.number, ids[0], team, as_of, count, source))
    if problems:
        return
    stored_by_key = _stored(check.parsed)
    for parsed in check.parsed:
        stored = stored_by_key.get(_key(parsed))
        if stored is None:
            check.added += 1
        elif (stored.relevant_headcount, stored.source) == (parsed.relevant_headcount, parsed.source):
            check.unchanged += 1
        else:
            check.corrected += 1


def _key(parsed: HeadcountRow) -> tuple[int, str, date]:
    return parsed.organisation_id, parsed.team.lower(), parsed.as_of


def _stored(rows: list[HeadcountRow]) -> dict[tuple[int, str, date], Headcount]:
    """The headcounts already recorded for these rows' organisations and dates: one query."""
    if not rows:
        return {}
    query = select(Headcount).where(
        Headcount.organisation_id.in_({r.organisation_id for r in rows}), Headcount.as_of.in_({r.as_of for r in rows})
    )
    return {(h.organisation_id, h.team.lower(), h.as_of): h for h in db.session.scalars(query)}


def _save(check: HeadcountCheck) -> HeadcountCheck:
    """Record each new headcount and correct each that differs; flushes only."""
    stored_by_key = _stored(check.parsed)
    for parsed in check.parsed:
        stored = stored_by_key.get(_key(parsed))
        if stored is None:
            services.record_headcount(
                organisation_id=parsed.organisation_id,
                as_of=parsed.as_of,
                relevant_headcount=parsed.relevant_headcount,
                source=parsed.source,
                team=parsed.team,
            )
        elif (stored.relevant_headcount, stored.source) != (parsed.relevant_headcount, parsed.source):
            services.update_headcount(
                stored,
                as_of=parsed.as_of,
                relevant_headcount=parsed.relevant_headcount,
                source=parsed.source,
                team=stored.team,
            )
    return check
