"""The annual report read back: PDF text (pypdf), marking on every page, no Channel names;
the XLSX with openpyxl; the evidence bundle's contents; the CLI."""

import csv
import io
import uuid
import zipfile
from datetime import UTC, date, datetime

import openpyxl
from pypdf import PdfReader

from compliance import services
from compliance.bundle import build_bundle
from compliance.report import report_pdf, report_xlsx
from core.extensions import db
from core.models import User
from core.storage import get_storage
from core.vocab import Role
from plans.models import EvidenceFile
from tests.compliance.conftest import CHANNEL_NAME, YEAR


def _signed_off_assessment(app, fixture):
    world = fixture.world
    with app.app_context():
        assessment = services.open_assessment(partnership_id=world.partnership_id, year=YEAR, today=date(2026, 2, 1))
        for e in assessment.expectations:
            services.rate_expectation(
                e, rating="partially" if e.section == "training" else "fully", narrative="In place"
            )
        auditor = db.session.get(User, world.users[Role.AUDITOR].id)
        finding = services.record_finding(
            assessment,
            section="training",
            title="Police WRAP coverage below target",
            severity="high",
            recommendation="Train the remaining police staff",
            owner_id=world.users[Role.PREVENT_LEAD].id,
            due_on=date(2026, 6, 30),
            raised_by=auditor,
        )
        lead = db.session.get(User, world.users[Role.PREVENT_LEAD].id)
        services.respond_to_finding(finding, response="Four extra WRAP sessions booked for spring", actor=lead)
        services.sign_off(assessment, auditor=auditor, statement="Reasonable assurance for 2025")
        db.session.commit()
        return assessment.id


def _text(pdf: bytes) -> tuple[str, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    pages = [p.extract_text() for p in reader.pages]
    return "\n".join(pages), pages


def test_report_pdf_names_each_gap_the_findings_and_the_sign_off(app, gappy_year):
    _signed_off_assessment(app, gappy_year)
    with app.app_context():
        pdf = report_pdf(gappy_year.world.partnership_id, YEAR)
    text, pages = _text(pdf)
    flat = " ".join(text.split())
    for expected in (
        "Annual Prevent compliance report 2025",
        "1 January to 31 December 2025",
        "Quarter 3 (July to September 2025)",
        "Test Police",
        "84.0% (42 of 50)",
        "Review 2 of 2: a 12-month review",
        "Not held by year end (112 days overdue)",
        "Health",
        "overdue at year end (due 30 June 2025)",
        "Police WRAP coverage below target",
        "Four extra WRAP sessions booked for spring",
        "Signed off by Auditor",
        "Reasonable assurance for 2025",
    ):
        assert expected in flat, expected
    # No case reference, and no review date beside a review (the anonymised log holds those dates).
    assert gappy_year.case_reference not in flat
    assert "10 September 2025" not in flat and "10 March 2025" not in flat
    assert len(pages) > 1
    for page in pages:
        assert page.count("OFFICIAL-SENSITIVE") >= 2  # top and bottom of every page
    assert CHANNEL_NAME not in text
    assert "Quentin" not in text


def test_report_for_a_year_with_no_data_says_so_per_check(app, world):
    with app.app_context():
        pdf = report_pdf(world.partnership_id, 2019)
    flat = " ".join(_text(pdf)[0].split())
    assert "No self-assessment has been started for 2019" in flat
    assert "No data: no board meeting is recorded in 2019." in flat
    assert "No data: no membership review is recorded on or before 31 December 2019." in flat
    assert "No data: no post-closure review fell due in 2019." in flat
    assert (
        "No run in 2019 of: Abandoned import files, Deactivated accounts, Leavers' training records, "
        "Channel case material." in flat
    )


def test_report_xlsx_reads_back(app, gappy_year):
    _signed_off_assessment(app, gappy_year)
    with app.app_context():
        data = report_xlsx(gappy_year.world.partnership_id, YEAR)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ("Part", "Section", "Item", "Status", "Detail")
    assert ("Marking", None, "OFFICIAL-SENSITIVE", None, None) in rows
    assert ("Record", "training", "Test Police", "Gap", "84.0% (42 of 50)") in rows
    assert ("Section", "Training programme", "Summary RAG", "Amber", None) in rows
    assert any(r[0] == "Finding" and r[2] == "Police WRAP coverage below target" for r in rows)
    assert not any(CHANNEL_NAME in str(c) for r in rows for c in r)


def _evidence(row_id, document_id, revision, uploaded_at, content):
    key = f"evidence/te/{uuid.uuid4().hex}.pdf"
    get_storage().put(key, content)
    record = EvidenceFile(
        row_id=row_id,
        document_id=document_id,
        revision=revision,
        filename="Training register (final).pdf",
        content_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
        storage_key=key,
        uploaded_at=uploaded_at,
    )
    db.session.add(record)
    db.session.flush()
    return record


def test_bundle_holds_the_report_year_end_evidence_and_the_change_log(app, gappy_year):
    world = gappy_year.world
    assessment_id = _signed_off_assessment(app, gappy_year)
    with app.app_context():
        # The world's own file is uploaded now (after 2025): not in the bundle. Revision 1 of a
        # new document stood at year end; revision 2 came in 2026 and is left out.
        first = _evidence(world.row_id, None, 1, datetime(2025, 6, 1, tzinfo=UTC), b"%PDF-1.4 revision one")
        first.document_id = first.id
        _evidence(world.row_id, first.id, 2, datetime(2026, 1, 10, tzinfo=UTC), b"%PDF-1.4 revision two")
        db.session.commit()
        assessment = db.session.get(services.ComplianceAssessment, assessment_id)
        out = build_bundle(
            world.partnership_id,
            YEAR,
            reader=db.session.get(User, world.users[Role.PREVENT_LEAD].id),
            assessment=assessment,
        )
        bundle = zipfile.ZipFile(out)
        names = bundle.namelist()
    assert "compliance-report-2025.pdf" in names
    evidence = [n for n in names if n.startswith("evidence/row-")]
    assert evidence == [f"evidence/row-{world.row_id}/doc-{first.id}-r1-Training_register_final_.pdf"]
    assert bundle.read(evidence[0]) == b"%PDF-1.4 revision one"
    log = list(csv.reader(io.StringIO(bundle.read("change-log-2025.csv").decode())))
    assert log[0][:3] == ["Entry", "When (UTC)", "Changed by"]
    text = _text(bundle.read("compliance-report-2025.pdf"))[0]
    assert "Test Police" in text
    for name in names:
        assert CHANNEL_NAME.encode() not in bundle.read(name)


def test_cli_writes_pdf_and_xlsx_and_refuses_other_suffixes(app, gappy_year, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["compliance", "report", "--year", "2025", "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code == 0, result.output
    assert "84.0% (42 of 50)" in " ".join(_text((tmp_path / "r.pdf").read_bytes())[0].split())
    result = runner.invoke(args=["compliance", "report", "--year", "2025", "-o", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").active["A1"].value == "Part"
    result = runner.invoke(args=["compliance", "report", "--year", "2025", "-o", str(tmp_path / "r.doc")])
    assert result.exit_code == 1
    assert "must end in .pdf or .xlsx" in result.output
