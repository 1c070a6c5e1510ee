"""`flask compliance report --year YYYY -o FILE.pdf|.xlsx`: the annual compliance report."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from core import tenancy
from core.cli import fail
from partnership.services import current_partnership


@click.group("compliance")
def compliance_cli() -> None:
    """Annual compliance."""


@compliance_cli.command("report")
@click.option("--year", required=True, type=int, help="The year assessed (1 January to 31 December), e.g. 2025.")
@click.option("-o", "--output", required=True, help="File to write: .pdf or .xlsx.")
@with_appcontext
@tenancy.partnership_option
def report(year: int, output: str) -> None:
    """Write the annual compliance report for YEAR: the latest self-assessment version, every
    automatic check with its figures, the findings and the sign-off."""
    from compliance.report import report_pdf, report_xlsx

    problems = []
    suffix = Path(output).suffix.lower()
    if suffix not in (".pdf", ".xlsx"):
        problems.append(f"-o: '{output}' must end in .pdf or .xlsx")
    if not 2000 <= year <= 2100:
        problems.append(f"--year: {year} is not a year like 2025")
    partnership = current_partnership()
    if partnership is None:
        problems.append("there is no partnership in the database yet")
    if problems:
        fail(problems)
    data = (report_pdf if suffix == ".pdf" else report_xlsx)(partnership.id, year)
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        fail([f"-o: cannot write {output}: {exc.strerror}"])
    click.echo(f"Wrote the {year} compliance report to {output} ({len(data):,} bytes).")
