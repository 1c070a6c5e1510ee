"""`flask partnership create` and `flask partnership list`: partnerships on one deployment."""

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from core import tenancy
from core.cli import command_transaction, create_lead, fail, lead_account_problems, read_password
from core.extensions import db
from core.models import User
from partnership.models import Partnership

partnership_cli = click.Group("partnership", help="Partnerships on this deployment.")

NAME_LIMIT = 200


@partnership_cli.command("create")
@click.argument("name")
@click.option("--lead-email", required=True, help="Email address the partnership's first Prevent Lead signs in with.")
@click.option("--lead-name", required=True, help="The Prevent Lead's full name.")
@click.option("--password-stdin", is_flag=True, help="Read the Prevent Lead's password from standard input.")
@with_appcontext
def create(name: str, lead_email: str, lead_name: str, password_stdin: bool) -> None:
    """Create a partnership and its first Prevent Lead, who sets everything else up."""
    from core import accounts

    password = read_password(password_stdin)
    name = " ".join(name.split())
    lead_email = accounts.normalise_email(lead_email)
    problems = []
    if not name:
        problems.append("NAME: enter the partnership's name")
    elif len(name) > NAME_LIMIT:
        problems.append(f"NAME: the partnership's name must be {NAME_LIMIT} characters or fewer")
    else:
        with tenancy.scoped(tenancy.ALL):
            taken = db.session.scalar(
                select(func.count()).select_from(Partnership).where(func.lower(Partnership.name) == name.lower())
            )
        if taken:
            problems.append(f"NAME: a partnership called {name} already exists")
    problems += lead_account_problems(lead_email, lead_name, password, email_option="--lead-email")
    if problems:
        fail(problems)
    with command_transaction("flask partnership create"):
        with tenancy.scoped(tenancy.ALL):
            partnership = Partnership(name=name)
            db.session.add(partnership)
            db.session.flush()
        with tenancy.scoped(partnership.id):
            create_lead(lead_email, lead_name, password)
    click.echo(f"Created partnership {partnership.id}: {name}, with Prevent Lead {lead_email}.")


@partnership_cli.command("list")
@with_appcontext
def list_partnerships() -> None:
    """Every partnership: its id, name and number of active accounts."""
    with tenancy.scoped(tenancy.ALL):
        rows = db.session.execute(
            select(Partnership.id, Partnership.name, func.count(User.id))
            .outerjoin(User, (User.partnership_id == Partnership.id) & User.active.is_(True))
            .group_by(Partnership.id, Partnership.name)
            .order_by(Partnership.id)
        ).all()
    if not rows:
        click.echo("No partnerships yet: create one with 'flask partnership create'.")
        return
    click.echo(f"{'Id':>4}  {'Active accounts':>15}  Name")
    for pid, name, accounts_count in rows:
        click.echo(f"{pid:>4}  {accounts_count:>15}  {name}")
