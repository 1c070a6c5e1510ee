"""Command-line jobs for the Channel Panel: `flask channel agenda` (retention runs through core.retention)."""

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from channel_panel.meetings import agenda_pdf, build_agenda, next_meeting
from channel_panel.models import PanelMeeting
from core import clock, tenancy
from core.cli import fail, write_output
from core.extensions import db
from core.pdf import PdfError


@click.group("channel")
def channel_cli() -> None:
    """The Channel Panel: printable agendas."""


def _find_meeting(value: str, use_next: bool, problems: list[str]) -> PanelMeeting | None:
    if value and use_next:
        problems.append("give a meeting (its number or date) or --next, not both")
        return None
    if use_next:
        meeting = next_meeting(clock.today())
        if meeting is None:
            problems.append("--next: no panel meeting is planned for today or later; add one first")
        return meeting
    if not value:
        problems.append("give a meeting (its number or its date, YYYY-MM-DD), or --next for the next one")
        return None
    if value.isdigit():
        meeting = db.session.get(PanelMeeting, int(value))
        if meeting is None:
            problems.append(f"MEETING: there is no panel meeting #{value}")
        return meeting
    try:
        held_on = date.fromisoformat(value)
    except ValueError:
        problems.append(f"MEETING: '{value}' is neither a meeting number nor a date like 2026-12-08")
        return None
    meeting = db.session.scalar(select(PanelMeeting).where(PanelMeeting.held_on == held_on))
    if meeting is None:
        problems.append(f"MEETING: there is no panel meeting on {held_on.isoformat()}")
    return meeting


@channel_cli.command("agenda")
@click.argument("meeting", required=False, default="")
@click.option("--next", "use_next", is_flag=True, help="The next meeting (today or later).")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="PDF file to write.")
@with_appcontext
@tenancy.partnership_option
def agenda_command(meeting: str, use_next: bool, output: Path) -> None:
    """Print a meeting's agenda to PDF (OFFICIAL-SENSITIVE; cases by reference only).

    MEETING is the meeting's number or its date (YYYY-MM-DD); or give --next.
    """
    problems: list[str] = []
    found = _find_meeting(meeting.strip(), use_next, problems)
    if output.suffix.lower() != ".pdf":
        problems.append("-o: the file name must end in .pdf")
    if not output.parent.exists():
        problems.append(f"-o: the folder {output.parent} does not exist")
    if problems:
        fail(problems)
    try:
        data = agenda_pdf(found)
    except PdfError as exc:
        fail([str(exc)])
    write_output(output, data)
    due = len(build_agenda(found).reviews_due)
    click.echo(f"Wrote {output}: the agenda for {found.held_on.isoformat()}, {due} post-closure review(s) due")
