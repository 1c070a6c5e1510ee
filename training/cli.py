"""Command-line jobs for training: `flask training import` and `flask training coverage`."""

import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from core import clock, tenancy
from core.cli import fail, write_output
from core.extensions import db
from core.importing import commands
from core.pdf import PdfError
from partnership.models import Organisation
from training import coverage, exports, headcount_imports, imports
from training.models import Course


@click.group("training")
def training_cli() -> None:
    """Training coverage: import registers, export coverage."""


def _find(model, value: str, option: str, problems: list[str]) -> int | None:
    """An organisation (by name or short name) or a course (by name), ignoring case."""
    value = value.strip()
    columns = [model.name] + ([model.short_name] if model is Organisation else [])
    ids = set()
    for column in columns:
        ids |= set(db.session.scalars(select(model.id).where(func.lower(column) == value.lower())))
    if len(ids) != 1:
        what = "organisation" if model is Organisation else "course"
        problems.append(
            f"{option}: there is no {what} called '{value}'"
            if not ids
            else f"{option}: more than one {what} is called '{value}'"
        )
        return None
    return ids.pop()


@training_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--map", "maps", multiple=True, help='"Heading=field" (repeatable); "Heading=" leaves a column out.')
@click.option("--course", default="", help="The course of every row, when the file has no course column.")
@click.option("--organisation", default="", help="The organisation of every row, when the file has no such column.")
@click.option("--dry-run", is_flag=True, help="Check the file and report what it would add; save nothing.")
@with_appcontext
@tenancy.partnership_option
def import_command(path: Path, maps: tuple[str, ...], course: str, organisation: str, dry_run: bool) -> None:
    """Import an attendance register or e-learning export (CSV or XLSX).

    People are matched on staff number (within the organisation) or work email. Nothing is
    saved if the file has any problem; re-importing a file adds nothing.
    """
    problems: list[str] = []
    course_id = _find(Course, course, "--course", problems) if course.strip() else None
    organisation_id = _find(Organisation, organisation, "--organisation", problems) if organisation.strip() else None
    spec = imports.register_spec(
        today=clock.today(), default_course_id=course_id, default_organisation_id=organisation_id
    )
    table, mapping = commands.read_file(path, maps, spec=spec, problems=problems)
    check = commands.check_file(spec, path, table, mapping)
    sha = table.sha256
    earlier = imports.previous_imports(sha)
    if dry_run:
        click.echo(f"Checked {check.rows} rows of {path.name}: would add {check.summary()}. Nothing was saved.")
        return
    record = commands.save_file(spec, check, actor=f"flask training import {path.name}", sha=sha)
    click.echo(f"Imported {path.name} (import #{record.id}): {check.summary()}.")
    if earlier:
        click.echo(f"This file was imported before, on {earlier[0].created_at:%-d %B %Y}.")
    if check.ignored:
        click.echo(f"Not imported (no matching field): {', '.join(check.ignored)}")


@training_cli.command("headcounts")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--map", "maps", multiple=True, help='"Heading=field" (repeatable); "Heading=" leaves a column out.')
@click.option("--dry-run", is_flag=True, help="Check the file and report what it would record; save nothing.")
@with_appcontext
@tenancy.partnership_option
def headcounts_command(path: Path, maps: tuple[str, ...], dry_run: bool) -> None:
    """Import relevant headcounts (organisation, team, relevant headcount, as-at date, source)
    from a CSV or XLSX file. Every problem is listed with its row and column, and nothing is
    saved if there is any; a headcount already recorded is corrected where the file differs."""
    problems: list[str] = []
    spec = headcount_imports.headcount_spec(today=clock.today())
    table, mapping = commands.read_file(path, maps, spec=spec, problems=problems)
    check = commands.check_file(spec, path, table, mapping)
    if dry_run:
        click.echo(
            f"Checked {len(check.parsed)} rows of {path.name}: would record {check.summary()}. Nothing was saved."
        )
        return
    commands.save_file(spec, check, actor=f"flask training headcounts {path.name}")
    click.echo(f"Imported {path.name}: {check.summary()}.")
    if check.ignored:
        click.echo(f"Not imported (no matching field): {', '.join(check.ignored)}")


@training_cli.command("coverage")
@click.option("--as-of", "as_of", default="", help="The date to measure coverage on (YYYY-MM-DD; default today).")
@click.option("--format", "fmt", default="csv", show_default=True, help="csv, xlsx or pdf.")
@click.option("-o", "output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@with_appcontext
@tenancy.partnership_option
def coverage_command(as_of: str, fmt: str, output: Path | None) -> None:
    """Coverage of each organisation and overall, as CSV to standard output or a file."""
    problems = []
    day = clock.today()
    if as_of:
        try:
            day = datetime.strptime(as_of, "%Y-%m-%d").date()
        except ValueError:
            problems.append(f"--as-of: '{as_of}' is not a date; give it as YYYY-MM-DD, like 2026-03-31")
    fmt = fmt.lower()
    if fmt not in exports.FORMATS:
        problems.append(f"--format: '{fmt}' is not an export format; use csv, xlsx or pdf")
    elif output is None and fmt != "csv":
        problems.append(f"-o: give a file to write the {fmt.upper()} to")
    elif output is not None and output.suffix.lower() != f".{fmt}":
        problems.append(f"-o: the file name must end in .{fmt}")
    if output is not None and not output.parent.exists():
        problems.append(f"-o: the folder {output.parent} does not exist")
    if problems:
        fail(problems)
    summary = coverage.coverage_summary(as_of=day)
    if output is None:
        sys.stdout.write(exports.coverage_csv(summary))
        return
    trend = coverage.coverage_trend(as_of=day) if fmt == "pdf" else []
    try:
        data = exports.export_bytes(summary, trend, fmt, current_app.config["DEFAULT_MARKING"])
    except PdfError as exc:
        fail([str(exc)])
    write_output(output, data)
    click.echo(f"Wrote {output}")
