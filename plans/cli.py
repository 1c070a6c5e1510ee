"""Command-line jobs for delivery plans: `flask plans import` and `flask plans export`."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from core.cli import command_transaction, fail, map_options
from core.extensions import db
from core.pdf import PdfError
from core.spreadsheets import SpreadsheetError, read_table
from partnership.models import BusinessArea
from plans import exports, imports
from plans.templates import FIELDS, TEMPLATES

_MAP_FIELDS = [*FIELDS, imports.SECTION]


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


def _lower_first(problem: str) -> str:
    return problem[:1].lower() + problem[1:]


@plans_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--area", required=True, help="Business area: its number, its exact name, or county.")
@click.option("--template", default="spoc", show_default=True, help=f"Format: {', '.join(TEMPLATES)}.")
@click.option("--map", "maps", multiple=True, help='"Heading=field" (repeatable); "Heading=" leaves a column out.')
@click.option("--title", default="", help="Plan title (default: from the file name).")
@click.option("--period", default="", help="Period, e.g. 2019-2021.")
@click.option("--lead-key", type=click.Path(dir_okay=False, path_type=Path), help="CSV/XLSX of initials and who.")
@with_appcontext
def import_command(
    path: Path, area: str, template: str, maps: tuple[str, ...], title: str, period: str, lead_key: Path | None
) -> None:
    """Import a plan from a CSV or XLSX file; nothing is saved if the file has any problem."""
    problems: list[str] = []
    area_id, problem = _find_area(area)
    if problem:
        problems.append(problem)
    if template not in TEMPLATES:
        problems.append(f"--template: '{template}' is not a plan format; use one of: {', '.join(TEMPLATES)}")
    title = title.strip() or _readable(path.stem)
    if len(title) > 300:
        problems.append("--title: the title must be 300 characters or fewer")
    if len(period.strip()) > 40:
        problems.append("--period: the period must be 40 characters or fewer")
    key: dict[str, str] = {}
    if lead_key is not None:
        try:
            key = imports.read_lead_key(lead_key.name, lead_key.read_bytes())
        except OSError as exc:
            problems.append(f"--lead-key: could not read {lead_key}: {exc.strerror or exc}")
        except SpreadsheetError as exc:
            problems.append(f"--lead-key: {exc}")
    data, header = None, None
    try:
        data = path.read_bytes()
        header, _ = read_table(path.name, data)
    except OSError as exc:
        problems.append(f"could not read {path}: {exc.strerror or exc}")
    except SpreadsheetError as exc:
        problems.append(str(exc))
    overrides = map_options(maps, header, fields=_MAP_FIELDS, noun="plan", problems=problems)
    if problems:
        fail(problems)
    mapping = imports.guess_mapping(header, template) | overrides
    parsed = imports.parse(path.name, data, template=template, mapping=mapping)
    if parsed.problems:
        fail([_lower_first(p) for p in parsed.problems])
    with command_transaction(f"flask plans import {path.name}"):
        plan = imports.import_plan(
            parsed=parsed,
            area_id=area_id,
            template=template,
            title=title,
            period=period,
            lead_key=key,
            filename=path.name,
        )
    sections = sum(1 for s in parsed.sections if s.title)
    click.echo(f"Imported {parsed.row_count} rows in {sections} sections into plan #{plan.id}: {plan.title}")
    if parsed.ignored:
        click.echo(f"Not imported (no matching plan field): {', '.join(parsed.ignored)}")


@plans_cli.command("export")
@click.option("--format", "fmt", required=True, help="csv, xlsx or pdf.")
@click.option("--plan", "plan_id", default="", help="Only this plan's number (default: every plan).")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@with_appcontext
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
    tmp = output.with_name(output.name + ".part")
    # Write beside the target, then rename: a failure never leaves a half-written file.
    try:
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        fail([f"-o: could not write {output}: {exc.strerror or exc}"])
    click.echo(f"Wrote {output}")
