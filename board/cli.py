"""`flask board pack|agenda|minutes MEETING -o FILE.pdf`: the board's documents from the command line."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from board import pack
from board import services as board
from board.models import BoardMeeting
from core import clock, tenancy
from core.cli import fail, write_output
from core.extensions import db
from core.pdf import PdfError
from partnership.services import current_partnership


def _find_meeting(meeting: str | None, use_next: bool) -> tuple[BoardMeeting | None, list[str]]:
    if use_next and meeting:
        return None, ["give a meeting id or --next, not both"]
    if use_next:
        partnership = current_partnership()
        found = board.next_meeting(partnership.id, clock.today()) if partnership else None
        return found, [] if found else ["there is no scheduled meeting from today on"]
    if not meeting:
        return None, ["give a meeting id, or --next for the next scheduled meeting"]
    if not meeting.isdigit():
        return None, [f"MEETING must be a meeting's number, not '{meeting}'"]
    found = db.session.get(BoardMeeting, int(meeting))
    return found, [] if found else [f"there is no board meeting number {meeting}"]


def _document(part: str):
    @click.command(part, help=f"Write the {pack.PARTS[part].lower()} of a board meeting as PDF.")
    @click.argument("meeting", required=False)
    @click.option("--next", "use_next", is_flag=True, help="The next scheduled meeting.")
    @click.option("-o", "output", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
    @with_appcontext
    @tenancy.partnership_option
    def command(meeting: str | None, use_next: bool, output: str) -> None:
        found, problems = _find_meeting(meeting, use_next)
        path = Path(output)
        if path.suffix.lower() != ".pdf":
            problems.append("-o: the file name must end in .pdf")
        if not path.parent.exists():
            problems.append(f"-o: the folder {path.parent} does not exist")
        if problems:
            fail(problems)
        try:
            data = pack.render(found, part=part, today=clock.today())
        except PdfError as error:
            fail([str(error)])
        write_output(path, data)
        click.echo(f"Wrote {path} ({pack.PARTS[part].lower()} for {found.title})")

    return command


@click.group("board")
def board_cli() -> None:
    """The quarterly partnership board."""


for _part in pack.PARTS:
    board_cli.add_command(_document(_part))
