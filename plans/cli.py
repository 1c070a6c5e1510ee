"""Command-line jobs for delivery plans: `flask plans import` and `flask plans export`."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from core import limits, tenancy
from core.cli import command_transaction, fail, write_output
from core.extensions import db
from core.importing import ImportProblems, commands
from core.models import User
from core.pdf import PdfError
from core.spreadsheets import SpreadsheetError
from partnership.models import BusinessArea
from plans import exports, imports, reimport
from plans.models import Plan
from plans.templates import TEMPLATES


@click.group("plans")
def plans_cli() -> None:
    """Delivery plans: import from and export to spreadsheets."""


def _find_area(value: str) -> tuple[int | None, str | None]:
    """(area id or None for the county plan, problem or None)."""
    value = value.strip()
    if value.lower() == "county":
        return None, None
    if value.isdigit():
        if db.session.get(BusinessArea, int(value)) is None:
            return None, f"--area: there is no business area #{value}"
        return int(value), None
    ids = db.session.scalars(select(BusinessArea.id).where(func.lower(BusinessArea.name) == value.lower())).all()
    if not ids:
        return None, f"--area: there is no business area called '{value}'; give its name, its number or county"
    if len(ids) > 1:
        return None, f"--area: more than one business area is called '{value}'; give its number"
    return ids[0], None


def _readable(stem: str) -> str:
    """ "kent-prevent-duty-action-plan-2019" -> "Kent prevent duty action plan 2019"."""
    words = " ".join(stem.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:]


@plans_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--area", default="", help="Business area of a new plan: its number, its exact name, or county.")
@click.option("--into", "into", default="", help="Update this existing plan (its number) from the file instead.")
@click.option("--template", default="spoc", show_default=True, help=f"Format: {', '.join(TEMPLATES)}.")
@click.option(
    "--map", "maps", multiple=True, help='"Heading=field" (repeatable); "Heading=keep" keeps a column as its own.'
)
@click.option("--drop", "drops", multiple=True, help='"Heading" (repeatable): leave this column out.')
@click.option(
    "--section-row", "section_rows", multiple=True, type=int, help="Row number that heads a section (repeatable)."
)
@click.option(
    "--key", default="", help="With --into: the column rows are matched on (default: row id, else the reference)."
)
@click.option("--archive-missing", is_flag=True, help="With --into: archive the plan's rows the file no longer holds.")
@click.option("--dry-run", is_flag=True, help="With --into: list what would change, and change nothing.")
@click.option("--by", "by", default="", help="With --into: the email of the person importing (the entries' author).")
@click.option("--title", default="", help="Plan title (default: from the file name).")
@click.option("--period", default="", help="Period, e.g. 2019-2021.")
@click.option("--lead-key", type=click.Path(dir_okay=False, path_type=Path), help="CSV/XLSX of initials and who.")
@with_appcontext
@tenancy.partnership_option
def import_command(
    path: Path,
    area: str,
    into: str,
    template: str,
    maps: tuple[str, ...],
    drops: tuple[str, ...],
    section_rows: tuple[int, ...],
    key: str,
    archive_missing: bool,
    dry_run: bool,
    by: str,
    title: str,
    period: str,
    lead_key: Path | None,
) -> None:
    """Import a plan from a CSV or XLSX file, or update an existing plan from one (--into);
    nothing is saved if the file has any problem. Every column is kept unless --drop names it."""
    if into:
        _reimport(path, into, maps, drops, frozenset(section_rows), key, archive_missing, dry_run, by)
        return
    problems: list[str] = []
    area_id, problem = (
        _find_area(area) if area else (None, "--area: give the business area (or county), or --into PLAN")
    )
    if problem:
        problems.append(problem)
    if template not in TEMPLATES:
        problems.append(f"--template: '{template}' is not a plan format; use one of: {', '.join(TEMPLATES)}")
    title = title.strip() or _readable(path.stem)
    if problem := limits.too_long(title, limits.TITLE):
        problems.append(f"--title: the title {problem}")
    if problem := limits.too_long(period.strip(), limits.SHORT_CODE):
        problems.append(f"--period: the period {problem}")
    lead: dict[str, str] = {}
    if lead_key is not None:
        try:
            lead = imports.read_lead_key(lead_key.name, lead_key.read_bytes())
        except OSError as exc:
            problems.append(f"--lead-key: could not read {lead_key}: {exc.strerror or exc}")
        except SpreadsheetError as exc:
            problems.append(f"--lead-key: {exc}")
        if problem := limits.too_long("\n".join(f"{k} - {v}" for k, v in lead.items()), limits.LONG_TEXT):
            problems.append(f"--lead-key: the key {problem}")
    spec = imports.plan_spec(template if template in TEMPLATES else "spoc")
    table, mapping = commands.read_file(
        path, maps, spec=spec, problems=problems, fields=imports.MAP_FIELDS, drops=drops
    )
    parsed = commands.check_file(spec, path, table, mapping, marked=frozenset(section_rows))
    plan = commands.save_file(
        spec,
        parsed,
        actor=f"flask plans import {path.name}",
        area_id=area_id,
        title=title,
        period=period,
        lead_key=lead,
    )
    sections = sum(1 for s in parsed.sections if s.title)
    click.echo(f"Imported {parsed.row_count} rows in {sections} sections into plan #{plan.id}: {plan.title}")
    if parsed.kept:
        click.echo(f"Kept as columns of their own: {', '.join(parsed.kept)}")
    if parsed.ignored:
        click.echo(f"Left out: {', '.join(parsed.ignored)}")


def _reimport(
    path: Path,
    into: str,
    maps: tuple[str, ...],
    drops: tuple[str, ...],
    marked: frozenset[int],
    key: str,
    archive_missing: bool,
    dry_run: bool,
    by: str,
) -> None:
    """flask plans import PATH --into PLAN: the preview, then (without --dry-run) the change."""
    problems: list[str] = []
    plan = db.session.get(Plan, int(into)) if into.isdigit() else None
    if plan is None:
        fail([f"--into: there is no plan #{into}"])
    actor = None
    if by:
        actor = db.session.scalar(select(User).where(func.lower(User.email) == by.strip().lower()))
        if actor is None:
            problems.append(f"--by: there is no user with the email {by.strip()}")
    spec = imports.plan_spec(plan.template)
    table, mapping = commands.read_file(
        path,
        maps,
        spec=spec,
        problems=problems,
        fields=imports.MAP_FIELDS,
        drops=drops,
        guess=lambda header: reimport.file_mapping(plan, header),
    )
    found = reimport.preview(plan, path.name, table, mapping=mapping, key_heading=key, marked=marked)
    if found.problems:
        fail([problem[:1].lower() + problem[1:] for problem in found.problems])
    for line in reimport.describe(found):
        click.echo(line)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return
    if found.changes_nothing:
        click.echo(f"Plan #{plan.id} already matches {path.name}: nothing was changed.")
        return
    archive = {row.id for row in found.missing} if archive_missing else set()
    with command_transaction(f"flask plans import {path.name} --into {plan.id}"):
        try:
            reimport.apply(found, actor=actor, actor_label="" if actor else f"Import of {path.name}", archive=archive)
        except ImportProblems as refused:
            fail(refused.problems)
    kept = len(found.missing) - len(archive)
    click.echo(
        f"Updated plan #{plan.id}: {len(found.added)} added, {len(found.changed)} changed, "
        f"{len(archive)} archived" + (f", {kept} missing rows kept (--archive-missing archives them)" if kept else "")
    )


@plans_cli.command("export")
@click.option("--format", "fmt", required=True, help="csv, xlsx or pdf.")
@click.option("--plan", "plan_id", default="", help="Only this plan's number (default: every plan).")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@with_appcontext
@tenancy.partnership_option
def export_command(fmt: str, plan_id: str, output: Path) -> None:
    """Export plans as CSV (one table), XLSX (a sheet per plan) or PDF (with the protective marking)."""
    problems = []
    fmt = fmt.lower()
    if fmt not in exports.FORMATS:
        problems.append(f"--format: '{fmt}' is not an export format; use csv, xlsx or pdf")
    elif output.suffix.lower() != f".{fmt}":
        problems.append(f"-o: the file name must end in .{fmt}")
    if not output.parent.exists():
        problems.append(f"-o: the folder {output.parent} does not exist")
    plans = []
    if plan_id and not plan_id.isdigit():
        problems.append(f"--plan: '{plan_id}' is not a plan number")
    else:
        plans = exports.find_plans(int(plan_id) if plan_id else None)
        if plan_id and not plans:
            problems.append(f"--plan: there is no plan #{plan_id}")
    if problems:
        fail(problems)
    try:
        data = exports.export_bytes(plans, fmt, current_app.config["DEFAULT_MARKING"])
    except PdfError as exc:
        fail([str(exc)])
    write_output(output, data)
    click.echo(f"Wrote {output}")
