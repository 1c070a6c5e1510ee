"""A signed-off year's report data, frozen.

At sign-off the automatic checks (with their figures and records) and the findings as they
stood are stored as canonical JSON beside their SHA-256. From then on the report, its XLSX and
the bundle of that version are printed from the stored data, never computed again, so a year
the auditor signed off reads the same whenever it is printed. The digest is printed on the
report; a stored text that no longer matches its digest is refused, not printed.
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date

from compliance.checks import CheckResult, CheckState, Evidence, run_checks
from compliance.models import ComplianceAssessment, Finding

#: Bumped when the stored shape changes; thaw() reads every version it knows.
SHAPE = 1


class SnapshotError(Exception):
    """The stored report data does not match its digest."""


@dataclass(frozen=True)
class FindingView:
    """A finding as the report prints it: live from the record, or from a snapshot."""

    section: str
    title: str
    severity_label: str
    status_label: str
    recommendation: str
    owner_name: str
    due_on: date | None
    response: str
    closing_evidence: str

    @classmethod
    def of(cls, finding: Finding) -> "FindingView":
        return cls(
            section=finding.section,
            title=finding.title,
            severity_label=finding.severity_enum.label,
            status_label=finding.status_enum.label,
            recommendation=finding.recommendation,
            owner_name=finding.owner.full_name if finding.owner else "",
            due_on=finding.due_on,
            response=finding.response or "",
            closing_evidence=finding.closing_evidence or "",
        )


def canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _finding_dict(view: FindingView) -> dict:
    out = asdict(view)
    out["due_on"] = view.due_on.isoformat() if view.due_on else None
    return out


def freeze(checks: list[CheckResult], findings: list[FindingView]) -> tuple[str, str]:
    """The canonical JSON of the report's computed data, and its SHA-256."""
    payload = {
        "shape": SHAPE,
        "checks": [{**asdict(c), "state": c.state.value} for c in checks],
        "findings": [_finding_dict(f) for f in findings],
    }
    text = canonical(payload)
    return text, digest(text)


def take(assessment: ComplianceAssessment) -> None:
    """Store the report data of ``assessment`` as it stands now (at sign-off)."""
    checks = run_checks(assessment.partnership_id, assessment.year)
    assessment.report_snapshot, assessment.report_sha256 = freeze(
        checks, [FindingView.of(f) for f in assessment.findings]
    )


def thaw(text: str, sha256: str) -> tuple[list[CheckResult], list[FindingView]]:
    """The checks and findings stored by freeze(); SnapshotError if the text was changed."""
    if digest(text) != sha256:
        raise SnapshotError("The signed-off report data no longer matches its SHA-256 digest")
    payload = json.loads(text)
    checks = [
        CheckResult(
            key=c["key"],
            section=c["section"],
            title=c["title"],
            state=CheckState(c["state"]),
            summary=c["summary"],
            figures=[tuple(f) for f in c["figures"]],
            records=[Evidence(**r) for r in c["records"]],
        )
        for c in payload["checks"]
    ]
    findings = [
        FindingView(**{**f, "due_on": date.fromisoformat(f["due_on"]) if f["due_on"] else None})
        for f in payload["findings"]
    ]
    return checks, findings


def stored(assessment: ComplianceAssessment | None) -> tuple[list[CheckResult], list[FindingView]] | None:
    """The frozen data of a signed-off (or superseded) version, or None to compute it live."""
    if assessment is None or not assessment.report_snapshot:
        return None
    return thaw(assessment.report_snapshot, assessment.report_sha256)
