"""Coverage exports read back: the CSV and XLSX tables, and the one-page marked PDF."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from core.extensions import db
from core.vocab import Role
from partnership.models import Partnership
from tests.factories import OrganisationFactory, PartnershipFactory
from tests.training.factories import CompletionFactory, CourseFactory, HeadcountFactory, PersonFactory
from training import coverage, exports

AS_OF = date(2026, 3, 31)


@pytest.fixture
def summary(ctx):
    partnership = PartnershipFactory(name="Export Partnership")
    wrap = CourseFactory(name="WRAP")
    for name, headcount, trained in [("Alpha Council", 10, 9), ("Beta Council", 4, 5), ("Gamma Council", None, 2)]:
        org = OrganisationFactory(partnership=partnership, name=name, short_name=name[:1])
        if headcount is not None:
            HeadcountFactory(organisation=org, relevant_headcount=headcount, as_of=date(2026, 1, 1), source="HR")
        for _ in range(trained):
            CompletionFactory(person=PersonFactory(organisation=org), course=wrap, completed_on=date(2025, 6, 1))
    db.session.flush()
    return coverage.coverage_summary(as_of=AS_OF)


def test_csv_has_a_row_per_organisation_and_the_overall_figure(summary):
    rows = list(csv.DictReader(io.StringIO(exports.coverage_csv(summary))))

    assert [r["Organisation"] for r in rows] == [
        "Alpha Council",
        "Beta Council",
        "Gamma Council",
        "All organisations with a headcount",
    ]
    alpha, beta, gamma, overall = rows
    assert (alpha["As at"], alpha["Relevant headcount"], alpha["Trained"], alpha["Coverage (%)"], alpha["RAG"]) == (
        "2026-03-31",
        "10",
        "9",
        "90.0",
        "Green",
    )
    assert (beta["Coverage (%)"], beta["RAG"], beta["Flags"]) == (
        "125.0",
        "Green",
        "More trained than the headcount: check the figures",
    )
    assert (gamma["Relevant headcount"], gamma["Coverage (%)"], gamma["RAG"], gamma["Flags"]) == (
        "",
        "",
        "No headcount",
        "No headcount",
    )
    assert (overall["Relevant headcount"], overall["Trained"], overall["Coverage (%)"], overall["RAG"]) == (
        "14",
        "13",
        "92.8",
        "Green",
    )


def test_xlsx_holds_the_same_table_with_real_dates_and_numbers(summary):
    sheet = load_workbook(io.BytesIO(exports.coverage_xlsx(summary))).active

    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(exports.HEADER)
    assert sheet.title == "Coverage 2026-03-31"
    assert rows[1][0].date() == AS_OF
    assert rows[1][1:4] == ("Alpha Council", "A", 10)
    assert rows[1][4].date() == date(2026, 1, 1)
    assert (rows[1][6], float(rows[1][7]), rows[1][8]) == (9, 90.0, "Green")
    assert rows[-1][1] == "All organisations with a headcount"
    assert float(rows[-1][7]) == pytest.approx(92.8)


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_pdf_is_one_marked_page_with_the_figures(summary):
    trend = coverage.coverage_trend(as_of=AS_OF)
    pages, text = pdf_text(exports.coverage_pdf(summary, trend, "OFFICIAL"))

    assert pages == 1
    assert text.count("OFFICIAL") >= 2  # top and bottom of the page
    assert "WRAP training coverage" in text
    assert "As at 31 March 2026" in text
    assert "92.8%" in text
    assert "Alpha Council" in text and "Gamma Council" in text
    assert "Coverage at each quarter end" in text
    assert "More trained than the headcount" in text


def test_the_pdf_stays_one_page_for_200_organisations(summary):
    partnership = db.session.scalars(select(Partnership).where(Partnership.name == "Export Partnership")).one()
    for n in range(200):
        org = OrganisationFactory(partnership=partnership, name=f"Parish {n:03d}")
        HeadcountFactory(organisation=org, relevant_headcount=10, as_of=date(2026, 1, 1))
    db.session.flush()
    big = coverage.coverage_summary(as_of=AS_OF)

    pages, text = pdf_text(exports.coverage_pdf(big, coverage.coverage_trend(as_of=AS_OF), "OFFICIAL-SENSITIVE"))

    assert pages == 1
    assert "OFFICIAL-SENSITIVE" in text
    assert "181 more organisations" in text
    assert "Gamma Council" in text  # no headcount: among those needing attention, listed first


def test_downloads_from_the_coverage_page(client, login_as, training):
    login_as(Role.BOARD_MEMBER)
    response = client.get("/training/coverage/export?format=csv&as_of=2026-03-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="training-coverage-2026-03-31.csv"'
    assert response.data.startswith("\ufeff".encode())
    assert "Council Person" not in response.get_data(as_text=True)  # figures only

    pdf = client.get("/training/coverage/export?format=pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf_text(pdf.data)[0] == 1
    xlsx = client.get("/training/coverage/export?format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.data)).active.max_row == 4  # two organisations and the overall row

    assert client.get("/training/coverage/export?format=docx").status_code == 400
    assert client.get("/training/coverage/export?format=csv&as_of=31-03-2026").status_code == 400
