"""The regional pack: the regional page's measures as a PDF, a chart and its table per measure."""

from datetime import date

from flask import current_app

from core.pdf import render_pdf
from plans.rules import stale_since
from region import charts
from region.rollups import RegionalRollup
from region.tables import measure_tables


def title(today: date) -> str:
    return f"Regional Prevent roll-up, {today:%-d %B %Y}"


def render(rollup: RegionalRollup) -> bytes:
    """The pack as PDF bytes (core.pdf.PdfError when it cannot be produced)."""
    return render_pdf(
        "pdf/region_pack.html",
        marking=current_app.config["DEFAULT_MARKING"],
        title=title(rollup.today),
        rollup=rollup,
        charts=charts.pack_charts(rollup) if rollup.partnerships else {},
        tables=measure_tables(rollup),
        stale_since=stale_since(rollup.today),
    )
