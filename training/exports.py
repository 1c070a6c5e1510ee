"""Coverage as a table (CSV, XLSX) and as a one-page summary PDF for the board pack."""

from datetime import date

from core import clock
from core.pdf import render_pdf
from core.spreadsheets import csv_text, xlsx_bytes
from core.vocab import Marking
from training.charts import trend_svg
from training.coverage import CoverageRow, CoverageSummary, TrendPoint
from training.services import list_courses

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMATS = tuple(CONTENT_TYPES)
#: Organisations listed on the one-page PDF; beyond this, those needing attention come first.
PDF_ROWS = 22
OVERALL_LABEL = "All organisations with a headcount"

HEADER = [
    "As at",
    "Organisation",
    "Short name",
    "Relevant headcount",
    "Headcount as at",
    "Headcount source",
    "Trained",
    "Coverage (%)",
    "RAG",
    "Due for refresher within 90 days",
    "Flags",
]


def _rag_label(row) -> str:
    return row.rag.label if row.rag else "No headcount"


def table_rows(summary: CoverageSummary) -> list[list]:
    """A row per organisation, then the overall figure."""
    rows = [
        [
            summary.as_of,
            r.name,
            r.short_name,
            r.headcount if r.headcount is not None else "",
            r.headcount_as_of or "",
            r.headcount_source,
            r.trained,
            r.percent if r.percent is not None else "",
            _rag_label(r),
            r.due_soon,
            "; ".join(r.flag_labels),
        ]
        for r in summary.rows
    ]
    rows.append(
        [
            summary.as_of,
            OVERALL_LABEL,
            "",
            summary.headcount,
            "",
            "",
            summary.trained,
            summary.percent if summary.percent is not None else "",
            summary.rag.label if summary.rag else "No headcount",
            sum(r.due_soon for r in summary.rows),
            "Trained counted up to each organisation's headcount",
        ]
    )
    return rows


def coverage_csv(summary: CoverageSummary) -> str:
    text_rows = [[v.isoformat() if isinstance(v, date) else v for v in row] for row in table_rows(summary)]
    return csv_text(HEADER, text_rows)


def coverage_xlsx(summary: CoverageSummary) -> bytes:
    return xlsx_bytes(HEADER, table_rows(summary), title=f"Coverage {summary.as_of:%Y-%m-%d}")


def pdf_rows(summary: CoverageSummary) -> tuple[list[CoverageRow], int]:
    """The organisations for the one page, and how many more there are. When they do not all
    fit, those furthest from the target (and those with no headcount) come first."""
    if len(summary.rows) <= PDF_ROWS:
        return summary.rows, 0

    def attention(row: CoverageRow):
        return (row.percent is not None, row.percent or 0, row.name)

    ranked = sorted(summary.rows, key=attention)
    return ranked[:PDF_ROWS], len(ranked) - PDF_ROWS


def coverage_pdf(summary: CoverageSummary, trend: list[TrendPoint], marking: Marking | str) -> bytes:
    """One A4 page: the overall figure against the target, the trend by quarter (static SVG),
    and the organisations' coverage, with the protective marking."""
    rows, more = pdf_rows(summary)
    return render_pdf(
        "pdf/training_coverage.html",
        marking=marking,
        title=f"WRAP training coverage as at {summary.as_of:%-d %B %Y}",
        summary=summary,
        rows=rows,
        more=more,
        chart=trend_svg(trend, target=summary.settings.target_percent),
        trend=trend,
        counting=[c.name for c in list_courses() if c.counts_for_coverage],
        generated=clock.today(),
    )


def export_filename(as_of: date, fmt: str) -> str:
    return f"training-coverage-{as_of:%Y-%m-%d}.{fmt}"


def export_bytes(summary: CoverageSummary, trend: list[TrendPoint], fmt: str, marking: Marking | str) -> bytes:
    if fmt == "csv":
        # With a byte-order mark, Excel reads the file as UTF-8 rather than guessing.
        return coverage_csv(summary).encode("utf-8-sig")
    if fmt == "xlsx":
        return coverage_xlsx(summary)
    if fmt == "pdf":
        return coverage_pdf(summary, trend, marking)
    raise ValueError(f"unknown export format {fmt!r}")
