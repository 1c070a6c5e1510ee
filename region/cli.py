"""`flask region grant|revoke|list|pack`: who sees which partnerships' roll-ups, and the pack."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from core import clock, tenancy
from core.cli import command_transaction, fail, write_output
from core.pdf import PdfError
from partnership.services import regional_grants
from region import pack, services
from region.rollups import regional_rollup

region_cli = click.Group(
    "region", help="Regional coordinators' access to partnerships' roll-ups, and the regional pack."
)


def _partnership(given: str | None) -> int:
    try:
        return tenancy.resolve_partnership(given)
    except click.UsageError as error:
        fail([f"--partnership: {error.message}"])


@region_cli.command("grant")
@click.argument("email")
@click.option(
    "--partnership",
    "partnership_given",
    metavar="NAME|ID",
    help="The partnership to open (its name or id; the only one when there is one).",
)
@with_appcontext
def grant(email: str, partnership_given: str | None) -> None:
    """Let a regional coordinator see a partnership's roll-ups."""
    partnership_id = _partnership(partnership_given)
    try:
        user = services.coordinator_by_email(email)
        email = user.email
        with command_transaction("flask region grant"):
            services.grant(user, partnership_id)
    except services.GrantError as error:
        fail([str(error)])
    name = next(a.partnership_name for a in regional_grants(partnership_id=partnership_id))
    click.echo(f"{email} now sees the roll-ups of {name}.")


@region_cli.command("revoke")
@click.argument("email")
@click.option(
    "--partnership",
    "partnership_given",
    metavar="NAME|ID",
    help="The partnership to close (its name or id; the only one when there is one).",
)
@with_appcontext
def revoke(email: str, partnership_given: str | None) -> None:
    """Withdraw a regional coordinator's access to a partnership's roll-ups."""
    partnership_id = _partnership(partnership_given)
    try:
        user = services.account_by_email(email)
        email = user.email
        with command_transaction("flask region revoke"):
            services.revoke(user, partnership_id)
    except services.GrantError as error:
        fail([str(error)])
    click.echo(f"{email} no longer sees that partnership's roll-ups.")


@region_cli.command("list")
@with_appcontext
def list_grants() -> None:
    """Every grant: partnership, coordinator and the day it was granted."""
    grants = regional_grants()
    if not grants:
        click.echo("No regional coordinator has access to any partnership.")
        return
    for access in grants:
        state = "" if access.active else " (deactivated)"
        click.echo(
            f"{access.partnership_name} ({access.partnership_id}): {access.full_name} <{access.email}>{state}, "
            f"granted {access.granted_at:%-d %B %Y}"
        )


@region_cli.command("pack")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
@click.option(
    "--for",
    "coordinator",
    metavar="EMAIL",
    help="The partnerships granted to this regional coordinator (every partnership when not given).",
)
@with_appcontext
def write_pack(output: str, coordinator: str | None) -> None:
    """Write the regional pack as PDF."""
    path = Path(output)
    problems = []
    if path.suffix.lower() != ".pdf":
        problems.append("-o: the file name must end in .pdf")
    if not path.parent.exists():
        problems.append(f"-o: the folder {path.parent} does not exist")
    ids: list[int] = []
    if coordinator is not None:
        try:
            ids = services.partnership_ids_granted(services.coordinator_by_email(coordinator).id)
        except services.GrantError as error:
            problems.append(f"--for: {error}")
    else:
        ids = tenancy.partnership_ids()
    if problems:
        fail(problems)
    try:
        data = pack.render(regional_rollup(ids, today=clock.today()))
    except PdfError as error:
        fail([str(error)])
    write_output(path, data)
    click.echo(f"Wrote {path} (roll-ups of {len(ids)} partnership{'s' if len(ids) != 1 else ''})")
