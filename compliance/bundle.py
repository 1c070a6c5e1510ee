"""The evidence bundle: a year's report, the evidence files that stood at year end, and the
change log for the year, in one ZIP built in a temporary file."""

import re
import tempfile
import zipfile
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from compliance.models import ComplianceAssessment
from compliance.report import report_pdf
from core.audit import audit_query, audit_rows
from core.extensions import db
from core.spreadsheets import csv_lines
from core.storage import get_storage
from plans.models import EvidenceFile


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:120] or "file"


def evidence_at_year_end(year: int) -> list[EvidenceFile]:
    """Per evidence document, the latest revision uploaded on or before 31 December."""
    end = datetime.combine(datetime(year, 12, 31).date() + timedelta(days=1), time.min, UTC)
    latest = (
        select(EvidenceFile.document_id, func.max(EvidenceFile.revision).label("revision"))
        .where(EvidenceFile.uploaded_at < end)
        .group_by(EvidenceFile.document_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(EvidenceFile)
            .join(
                latest,
                (latest.c.document_id == EvidenceFile.document_id) & (latest.c.revision == EvidenceFile.revision),
            )
            .order_by(EvidenceFile.row_id, EvidenceFile.document_id)
        )
    )


def build_bundle(partnership_id: int, year: int, *, assessment: ComplianceAssessment | None = None):
    """A temporary file holding the ZIP (the caller sends and closes it)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to send_file, which closes it
    storage = get_storage()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"compliance-report-{year}.pdf", report_pdf(partnership_id, year, assessment=assessment))
        index = ["Evidence file,Plan row,Document,Revision,Uploaded (UTC)"]
        for evidence in evidence_at_year_end(year):
            doc = f"doc-{evidence.document_id}-r{evidence.revision}-{_safe(evidence.filename)}"
            name = f"evidence/row-{evidence.row_id}/{doc}"
            with bundle.open(name, "w") as target:
                target.write(storage.get(evidence.storage_key))
            uploaded = f"{evidence.uploaded_at:%Y-%m-%d %H:%M}"
            index.append(f"{name},{evidence.row_id},{evidence.document_id},{evidence.revision},{uploaded}")
        bundle.writestr("evidence/index.csv", "\n".join(index) + "\n")
        with bundle.open(f"change-log-{year}.csv", "w") as target:
            result = db.session.execute(
                audit_query(
                    date_from=datetime(year, 1, 1).date(), date_to=datetime(year, 12, 31).date()
                ).execution_options(yield_per=500)
            )
            header, rows = audit_rows(row[0] for row in result)
            for line in csv_lines(header, rows):
                target.write(line.encode("utf-8"))
    out.seek(0)
    return out
