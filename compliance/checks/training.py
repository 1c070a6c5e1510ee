"""The training check: WRAP coverage of every organisation at year end."""

from compliance.checks.base import CheckResult, CheckState, Evidence, Year
from core.vocab import Rag

# --- 5. WRAP coverage at year end --------------------------------------------------------------


def training_coverage(partnership_id: int, year: Year) -> CheckResult:
    from training.coverage import coverage_summary, for_partnership

    result = CheckResult(
        "training_coverage",
        "training",
        "Every organisation's WRAP coverage against the target at year end",
        CheckState.MET,
        "",
    )
    summary = for_partnership(coverage_summary(as_of=year.end, made_before=year.after), partnership_id)
    target = summary.settings.target_percent
    if not any(r.has_headcount or r.trained for r in summary.rows):
        result.state = CheckState.NO_DATA
        result.summary = f"No data: no headcount or training record stands at 31 December {year.year}."
        return result
    below = 0
    for row in summary.rows:
        if not row.has_headcount:
            gap, detail = True, f"No headcount at year end ({row.trained} trained)"
        else:
            gap = row.rag is not Rag.GREEN
            detail = f"{row.percent}% ({row.trained} of {row.headcount})"
        below += gap
        result.records.append(
            Evidence(row.name, detail, gap, "training.show_organisation", {"organisation_id": row.organisation_id})
        )
    result.figures = [
        ("Target", f"{target}%"),
        ("Overall coverage", f"{summary.percent}%" if summary.percent is not None else "No headcount"),
        ("Organisations below target or without a headcount", f"{below} of {len(summary.rows)}"),
    ]
    result.state = CheckState.GAPS if below else CheckState.MET
    result.summary = (
        f"{below} organisation(s) below the {target}% target or without a headcount."
        if below
        else f"Every organisation at or above {target}%."
    )
    return result
