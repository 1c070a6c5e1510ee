"""Retention: the schedules that remove or redact records past their period, and the one runner.

The kernel owns the runner, the record of each run and the `flask retention run` command; it
knows no domain. Each package hands the kernel its schedules through ``parts.retention_schedules``
(core/registry.py): a name, what it covers, its period and the reason for it, a ``find`` that
lists what is due on a day and a ``remove`` that removes or redacts it. The kernel's own
schedules (abandoned import files, deactivated accounts) are registered the same way.

The boundary is inclusive for every schedule: a record is due *on* the day its period ends
(the start date plus the period) and goes at the first run on or after that day; the day before,
it is kept.

A run takes one transaction per schedule: what a schedule removes and the audit entries saying
so are committed together with the run's row in ``retention_runs``, or not at all; a failing
schedule does not stop the others. Running twice on one day removes nothing the second time.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core import clock, tenancy
from core.db import Base, Timestamped
from core.extensions import db
from core.tenancy import Scoped

ACTOR = "flask retention run"


class RetentionRun(Scoped, Timestamped, Base):
    """One real run of one schedule (dry runs are not recorded): the day it was run as of, and
    how much went. Kept in the database so every server, and the annual compliance check, knows
    when each schedule last ran."""

    __tablename__ = "retention_runs"
    __audited__ = True
    __audit_label__ = "schedule"

    #: The schedule's name, e.g. "channel_cases".
    schedule: Mapped[str] = mapped_column(String(40), index=True)
    #: The day the run judged due dates against (today, unless an earlier --as-of was given).
    ran_on: Mapped[date] = mapped_column(index=True)
    #: Records removed or redacted, and records past their date but kept (e.g. a case still open).
    removed_count: Mapped[int] = mapped_column(default=0)
    kept_count: Mapped[int] = mapped_column(default=0)
    #: The earliest due date among what this run removed: a date before an earlier year's end
    #: shows that something was held past its period at that year end.
    oldest_due_on: Mapped[date | None]
    #: The command or user that ran it.
    run_by: Mapped[str] = mapped_column(String(254), default="")

    def __repr__(self) -> str:
        return f"<RetentionRun {self.schedule} {self.ran_on} removed={self.removed_count}>"


@dataclass
class RetentionItem:
    """One record (or group of records) due under a schedule, described without personal data."""

    #: What the command prints to identify it: a case reference, "person #12", "upload 3fa2...".
    key: str
    due_on: date
    #: What would go, e.g. "the case record, personal details, 2 post-closure reviews".
    summary: str
    #: Why it is kept although due (e.g. "still open"); empty when it can go.
    kept: str = ""


@dataclass(frozen=True)
class RetentionSchedule:
    #: Short name used in the runs table and on the command line, e.g. "import_files".
    name: str
    #: "Abandoned import files"
    title: str
    #: What goes, in a sentence.
    what: str
    #: The period in force now, in words ("7 days after upload"); a function because a
    #: partnership setting may decide it.
    period: Callable[[], str]
    #: The default and the reason for it, for the README and the compliance check.
    default: str
    reason: str
    #: Every item due on or before a day, oldest first (kept ones included, with their reason).
    find: Callable[[date], list[RetentionItem]]
    #: Remove or redact the given items (none of them kept) as of a day, writing one audit entry
    #: each without the personal data; flushes, never commits.
    remove: Callable[[date, list[RetentionItem]], None]
    #: "removed" or "redacted", for messages.
    verb: str = "removed"


def schedules() -> list:
    from core.registry import parts

    return list(parts().retention_schedules)


def record_run(
    *, schedule: str, ran_on: date, removed: int, kept: int, run_by: str, oldest_due_on: date | None = None
) -> RetentionRun:
    """Note that a schedule ran (a real run, not a dry run)."""
    run = RetentionRun(
        schedule=schedule,
        ran_on=ran_on,
        removed_count=removed,
        kept_count=kept,
        oldest_due_on=oldest_due_on,
        run_by=run_by,
    )
    db.session.add(run)
    db.session.flush()
    return run


def last_runs(up_to: date) -> dict[str, date]:
    """Each schedule's last run on or before ``up_to`` (one query)."""
    rows = db.session.execute(
        select(RetentionRun.schedule, func.max(RetentionRun.ran_on))
        .where(RetentionRun.ran_on <= up_to)
        .group_by(RetentionRun.schedule)
    ).all()
    return dict(rows)


def apply_schedule(schedule: RetentionSchedule, *, day: date, run_by: str = ACTOR) -> tuple[list, list]:
    """Remove what is due under one schedule and record the run; (removed, kept). Flushes only."""
    items = schedule.find(day)
    going = [i for i in items if not i.kept]
    kept = [i for i in items if i.kept]
    if going:
        schedule.remove(day, going)
    record_run(
        schedule=schedule.name,
        ran_on=day,
        removed=len(going),
        kept=len(kept),
        run_by=run_by,
        oldest_due_on=min((i.due_on for i in going), default=None),
    )
    return going, kept


# --- the command ---------------------------------------------------------------------------


@click.group("retention")
def retention_cli() -> None:
    """Removing and redacting records past their retention period."""


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be removed or redacted; change nothing.")
@click.option(
    "--as-of",
    default="",
    help="Judge due dates as of this day (YYYY-MM-DD): any day for a dry run, today or earlier for a real run.",
)
@click.option("--schedule", "only", default="", help="Run one schedule only (its name, e.g. import_files).")
@click.option(
    "--partnership",
    "partnership_given",
    default=None,
    metavar="NAME|ID",
    help="Run for one partnership only (default: each in turn).",
)
@with_appcontext
def retention_run(dry_run: bool, as_of: str, only: str, partnership_given: str | None) -> None:
    """Apply every retention schedule: remove or redact what is past its period.

    Each removal or redaction is in the audit trail, without the personal data it removed.
    Each schedule is one transaction; a real run is recorded for the annual compliance check.
    """
    from core.cli import fail

    problems = []
    today = clock.today()
    day = today
    if as_of:
        try:
            day = date.fromisoformat(as_of.strip())
        except ValueError:
            problems.append(f"--as-of: '{as_of}' is not a date; use YYYY-MM-DD, like 2027-03-31")
        else:
            if not dry_run and day > today:
                problems.append(
                    f"--as-of: a real run cannot be dated after today ({today.isoformat()}); "
                    "use --dry-run to see what will be due then"
                )
    chosen = schedules()
    if only:
        chosen = [s for s in chosen if s.name == only.strip()]
        if not chosen:
            names = ", ".join(s.name for s in schedules())
            problems.append(f"--schedule: there is no schedule '{only}'; one of: {names}")
    served = tenancy.partnership_ids()
    if partnership_given:
        try:
            served = [tenancy.resolve_partnership(partnership_given)]
        except click.UsageError as error:
            problems.append(f"--partnership: {error.message}")
    if problems:
        fail(problems)

    failed = []
    if dry_run:
        click.echo(f"Dry run as of {day.isoformat()}: nothing removed or redacted.")
    # Each partnership's records under its own scope, in turn (core.tenancy).
    for pid in served:
        if len(served) > 1:
            click.echo(f"Partnership {pid}:")
        with tenancy.scoped(pid):
            failed += _run_schedules(chosen, day=day, dry_run=dry_run)
    if failed:
        raise SystemExit(1)


def _run_schedules(chosen, *, day: date, dry_run: bool) -> list[str]:
    """Run (or list) ``chosen`` schedules in the partnership in scope; the titles that failed."""
    from core.cli import command_transaction

    failed = []
    for schedule in chosen:
        if dry_run:
            try:
                items = schedule.find(day)
            except Exception as exc:  # as for a real run: report it, go on with the others
                db.session.rollback()
                failed.append(schedule.title)
                click.echo(f"Error: {schedule.title}: could not be listed ({exc})", err=True)
                continue
            db.session.rollback()
            going = [i for i in items if not i.kept]
            click.echo(
                f"{schedule.title} ({schedule.name}, {schedule.period()}): {len(going)} would be {schedule.verb}"
            )
            for item in going:
                click.echo(f"  {item.key}  due {item.due_on.isoformat()}: would be {schedule.verb}: {item.summary}")
            _echo_kept(items)
            continue
        try:
            with command_transaction(ACTOR):
                going, kept = apply_schedule(schedule, day=day)
        except Exception as exc:  # one schedule's failure must not stop the others
            failed.append(schedule.title)
            click.echo(f"Error: {schedule.title}: nothing {schedule.verb} ({exc})", err=True)
            continue
        click.echo(f"{schedule.title} ({schedule.name}, {schedule.period()}): {len(going)} {schedule.verb}")
        for item in going:
            click.echo(f"  {item.key}  due {item.due_on.isoformat()}: {schedule.verb}: {item.summary}")
        _echo_kept(kept)
    return failed


def _echo_kept(items: list[RetentionItem]) -> None:
    for item in items:
        if item.kept:
            click.echo(f"Kept: {item.key} is past its date ({item.due_on.isoformat()}) but {item.kept}", err=True)


@retention_cli.command("schedules")
@with_appcontext
def list_schedules() -> None:
    """List each schedule: what goes, its period, its default and reason, and when it last ran."""
    last = last_runs(clock.today())
    for schedule in schedules():
        ran = last.get(schedule.name)
        click.echo(f"{schedule.name}: {schedule.title}")
        click.echo(f"  what:    {schedule.what}")
        click.echo(f"  period:  {schedule.period()} (default {schedule.default})")
        click.echo(f"  reason:  {schedule.reason}")
        click.echo(f"  last ran {ran.isoformat() if ran else 'never'}")
