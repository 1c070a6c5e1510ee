"""The evidence bundle: a year's report, the evidence files that stood at year end, and the
change log for the year, in one ZIP built in a temporary file.

It follows the same rules as the pages: the evidence files and the change log go only to readers
of the audit trail (the Prevent Lead and auditors), with what the reader may not see withheld and
an auditor limited to one year reading that year only; anyone else (a board member) gets the
report alone."""

import re
import tempfile
import zipfile
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from compliance.models import ComplianceAssessment
from compliance.report import report_pdf
from core.audit import audit_query, audit_rows, readable_entries, reader_date_range, withheld_tables
from core.extensions import db
from core.permissions import Permission, has_permission
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


def build_bundle(partnership_id: int, year: int, *, reader, assessment: ComplianceAssessment | None = None):
    """A temporary file holding the ZIP as ``reader`` may have it (the caller sends and closes it)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to send_file, which closes it
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"compliance-report-{year}.pdf", report_pdf(partnership_id, year, assessment=assessment))
        if has_permission(reader, Permission.VIEW_AUDIT):
            _add_evidence(bundle, year)
            _add_change_log(bundle, year, reader)
    out.seek(0)
    return out


def _add_evidence(bundle: zipfile.ZipFile, year: int) -> None:
    storage = get_storage()
    index = ["Evidence file,Plan row,Document,Revision,Uploaded (UTC)"]
    for evidence in evidence_at_year_end(year):
        doc = f"doc-{evidence.document_id}-r{evidence.revision}-{_safe(evidence.filename)}"
        name = f"evidence/row-{evidence.row_id}/{doc}"
        with bundle.open(name, "w") as target:
            target.write(storage.get(evidence.storage_key))
        uploaded = f"{evidence.uploaded_at:%Y-%m-%d %H:%M}"
        index.append(f"{name},{evidence.row_id},{evidence.document_id},{evidence.revision},{uploaded}")
    bundle.writestr("evidence/index.csv", "\n".join(index) + "\n")


def _add_change_log(bundle: zipfile.ZipFile, year: int, reader) -> None:
    """The year's audit trail as the reader sees it on the audit trail page."""
    date_from, date_to = reader_date_range(reader, date(year, 1, 1), date(year, 12, 31))
    with bundle.open(f"change-log-{year}.csv", "w") as target:
        result = db.session.execute(audit_query(date_from=date_from, date_to=date_to).execution_options(yield_per=500))
        header, rows = audit_rows(readable_entries((row[0] for row in result), withheld_tables(reader)))
        for line in csv_lines(header, rows):
            target.write(line.encode("utf-8"))
