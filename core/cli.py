"""Command-line jobs: `flask create-admin`, `flask demo-data`, `flask audit export`; and what every
command shares: one transaction committed at its end (``command_transaction``), ``fail``."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from core import accounts, clock, limits, tenancy
from core.audit import AuditEntry, acting_as, audit_query, audit_rows
from core.extensions import db
from core.models import User
from core.passwords import password_problem
from core.spreadsheets import csv_lines, xlsx_bytes
from core.vocab import Role


def fail(problems: list[str]) -> None:
    """Print every problem to stderr and exit non-zero, having changed nothing."""
    db.session.rollback()
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    sys.exit(1)


def write_output(path: Path, data: bytes) -> None:
    """Write a command's file (its -o) beside the target, then rename: a failure never leaves a
    half-written file, and ends the command with the reason."""
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        fail([f"-o: could not write {path}: {exc.strerror or exc}"])


@contextmanager
def command_transaction(label: str) -> Iterator[None]:
    """A command's writes: audited as made by ``label`` and committed once, when the block ends;
    an error (or ``fail``) inside it leaves nothing written."""
    with acting_as(label):
        try:
            yield
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()


def register(app: Flask) -> None:
    """The kernel's commands; each domain package adds its own group in its register()."""
    from core.backup import backup_command, restore_command
    from core.reminder_cli import reminders_cli
    from core.retention import retention_cli

    app.cli.add_command(create_admin)
    app.cli.add_command(demo_code)
    app.cli.add_command(two_factor_cli)
    app.cli.add_command(demo_data)
    app.cli.add_command(audit_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(retention_cli)


@click.command("create-admin")
@click.option("--email", required=True, help="Email address the Prevent Lead signs in with.")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@tenancy.partnership_option
def create_admin(email: str, full_name: str, password_stdin: bool) -> None:
    """Create a Prevent Lead account in a partnership (another administrator)."""
    password = read_password(password_stdin)
    email = accounts.normalise_email(email)
    problems = lead_account_problems(email, full_name, password)
    if problems:
        fail(problems)
    with command_transaction("flask create-admin"):
        create_lead(email, full_name, password)
    click.echo(f"Created Prevent Lead {email}.")


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def lead_account_problems(email: str, full_name: str, password: str, *, email_option: str = "--email") -> list[str]:
    """What is wrong with a new Prevent Lead's email, name and password (empty when nothing)."""
    problems = []
    if not _valid_email(email):
        problems.append(f"{email_option}: enter an email address in the correct format, like name@example.org")
    elif accounts.email_taken(email):
        problems.append(f"{email_option}: a user with the email address {email} already exists")
    lead = email_option != "--email"
    name_option, whose = ("--lead-name", "the Prevent Lead's") if lead else ("--name", "the user's")
    if not full_name.strip():
        problems.append(f"{name_option}: enter {whose} full name")
    elif problem := limits.too_long(full_name.strip(), limits.SHORT_TEXT):
        problems.append(f"{name_option}: the name {problem}")
    if problem := limits.too_long(password, limits.PASSWORD):
        problems.append(f"password: the password {problem}")
    problem = password_problem(password, email=email, min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    if problem:
        problems.append(f"password: {problem}")
    return problems


def create_lead(email: str, full_name: str, password: str):
    """A Prevent Lead in the partnership in scope (the caller commits)."""
    return accounts.create_user(
        email=email, full_name=full_name, password=password, roles=[Role.PREVENT_LEAD], must_change_password=False
    )


def _valid_email(email: str) -> bool:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return len(email) <= 254


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) when the database already has users.")
@click.option(
    "--partnerships",
    type=click.IntRange(1, 2),
    default=1,
    show_default=True,
    help="2 adds a second demo partnership (every person and place renamed) to try how partnerships are kept apart.",
)
@with_appcontext
def demo_data(if_empty: bool, partnerships: int) -> None:
    """Load the demo Cambridgeshire and Peterborough partnership and print its logins."""
    from core.demo import DEMO_PASSWORD, load_demo
    from core.registry import parts

    # Every record the domains keep is audited, so users or audit entries mean the database is in use.
    has_data = any(db.session.scalar(select(func.count()).select_from(model)) > 0 for model in (User, AuditEntry))
    if has_data:
        if if_empty:
            click.echo("The database already holds data; demo data not loaded.")
            _print_logins()
            return
        fail(["the database already holds data; demo data is only loaded into an empty database"])
    with command_transaction("flask demo-data"):
        load_demo(partnerships, second_places=parts().demo_second_places)
    click.echo("Loaded the demo partnership." if partnerships == 1 else "Loaded the two demo partnerships.")
    _print_logins(DEMO_PASSWORD)
    if partnerships == 2:
        click.echo("The second partnership's people sign in with the same addresses at second.<domain>,")
        click.echo("e.g. amira.haddad@second.cambridgeshire.example, and the same password.")


def _print_logins(password: str | None = None) -> None:
    from core.demo import DEMO_PASSWORD
    from core.registry import parts

    logins = parts().demo_logins
    emails = set(db.session.scalars(select(User.email).where(User.email.in_([e for _, e in logins]))))
    if not emails:
        return
    from core import twofactor
    from core.demo import DEMO_TOTP_SECRET

    two_factor = {u.email for u in db.session.scalars(select(User).where(User.email.in_(emails))) if u.has_two_factor}
    click.echo("")
    click.echo("Demo logins (password for each: %s)" % (password or DEMO_PASSWORD))
    for role, email in logins:
        if email in emails:
            click.echo(f"  {role.label:<32} {email}{'  (two-factor)' if email in two_factor else ''}")
    if two_factor:
        click.echo("")
        click.echo("Accounts marked (two-factor) then ask for a code. Get it with")
        click.echo("  .venv/bin/flask --app wsgi demo-code EMAIL")
        click.echo(f"or add the demo key to an authenticator app: {twofactor.group_secret(DEMO_TOTP_SECRET)}")
    click.echo("")


@click.command("demo-code")
@click.argument("email")
@with_appcontext
def demo_code(email: str) -> None:
    """Print the current two-factor code of a demo account (development and demonstrations only)."""
    from core import twofactor
    from core.demo import DEMO_TOTP_SECRET

    if not current_app.config.get("DEMO_TWO_FACTOR_CODES"):
        fail(["demo codes are switched off here (DEMO_TWO_FACTOR_CODES); they are never printed in production"])
    user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None or user.totp_secret is None:
        fail([f"{email} is not a demo account with two-factor authentication"])
    try:
        secret = twofactor.decrypt_secret(user.totp_secret)
    except twofactor.SecretUnreadable:
        secret = None
    if secret != DEMO_TOTP_SECRET:
        fail([f"{email} has its own two-factor key, not the demo one: only demo codes are printed"])
    import pyotp

    click.echo(pyotp.TOTP(secret).at(clock.now()))


@click.group("two-factor")
def two_factor_cli() -> None:
    """Two-factor authentication of accounts."""


@two_factor_cli.command("reset")
@click.argument("email")
@with_appcontext
def reset_two_factor(email: str) -> None:
    """Remove an account's two-factor set-up (a lost phone and no recovery codes left): it sets
    up a new app at its next sign-in, and its sessions end."""
    from core import twofactor

    with command_transaction("flask two-factor reset"):
        user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
        if user is None:
            fail([f"no account uses {email}"])
        twofactor.disable(user)
        accounts.log_event("two_factor_reset", user=user, detail="by flask two-factor reset")
    click.echo(f"Two-factor authentication reset for {user.email}.")


@click.group("audit")
def audit_cli() -> None:
    """The audit trail."""


@audit_cli.command("export")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False), help="File to write (.csv or .xlsx).")
@click.option("--entity", default="", help="Only this record type, e.g. organisations.")
@click.option("--entity-id", type=int, default=None, help="Only this record number.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="From this date (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="To this date (YYYY-MM-DD).")
@with_appcontext
@tenancy.partnership_option
def audit_export(output: str, entity: str, entity_id: int | None, since, until) -> None:
    """Export the audit trail, one row per changed field."""
    from core.audit import audited_tables

    problems = []
    path = Path(output)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        problems.append("-o: the file name must end in .csv or .xlsx")
    if entity and entity not in audited_tables():
        problems.append(f"--entity: unknown record type '{entity}'; one of: {', '.join(audited_tables())}")
    if since and until and until < since:
        problems.append("--until must be the same as or after --since")
    if not path.parent.exists():
        problems.append(f"-o: the folder {path.parent} does not exist")
    if problems:
        fail(problems)
    query = audit_query(
        entity=entity,
        entity_id=entity_id,
        date_from=since.date() if since else None,
        date_to=until.date() if until else None,
    )
    header, rows = audit_rows(db.session.scalars(query))
    tmp = path.with_name(path.name + ".part")
    # Write beside the target, then rename: a failure never leaves a half-written file.
    try:
        if path.suffix.lower() == ".csv":
            with tmp.open("w", encoding="utf-8", newline="") as handle:
                for line in csv_lines(header, rows):
                    handle.write(line)
        else:
            tmp.write_bytes(xlsx_bytes(header, rows, title=f"Audit trail {clock.today():%Y-%m-%d}"))
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        fail([f"-o: could not write {path}: {exc.strerror or exc}"])
    click.echo(f"Wrote {path}")
