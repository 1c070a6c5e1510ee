"""`flask reminders send`: the daily reminder run (safe to repeat, safe on two hosts)."""

import click
from flask.cli import with_appcontext

from core import clock, reminders, tenancy
from core.extensions import db


@click.group("reminders")
def reminders_cli() -> None:
    """Email reminders."""


@reminders_cli.command("send")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Run as if on this date.")
@click.option("--dry-run", is_flag=True, help="List what is due; send and record nothing.")
@with_appcontext
def send_command(today, dry_run: bool) -> None:
    """Send the reminders due today that have not been sent; retry failed ones."""
    day = today.date() if today else clock.today()
    # Each partnership's reminders under its own scope, in turn (core.tenancy).
    failed = 0
    for pid in tenancy.partnership_ids():
        with tenancy.scoped(pid):
            failed += _send(day, dry_run)
    if failed:
        raise SystemExit(1)


def _send(day, dry_run: bool) -> int:
    if dry_run:
        due = reminders.due_reminders(day)
        done = reminders.done_keys([r.dedupe_key for r in due])
        for reminder in due:
            state = "already recorded" if reminder.dedupe_key in done else "due"
            click.echo(f"{state}: {reminder.kind.value} to {reminder.user.email}: {reminder.subject}")
        click.echo(f"{len(due)} reminder(s) found on {day.isoformat()}; {len(due) - len(done)} not yet sent.")
        db.session.rollback()
        return 0
    result = reminders.send_due(day)
    click.echo(
        f"Reminders on {day.isoformat()}: {result.sent} sent, {result.failed} failed, "
        f"{result.opted_out} switched off by the recipient, {result.already_done} sent before or in hand elsewhere."
    )
    return result.failed
