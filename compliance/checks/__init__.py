"""Automatic compliance checks for a year: each computed in SQL from the records, returning its
figures and the records it rests on. Shown beside the manual rating, never replacing it.

The year is the calendar year, 1 January to 31 December: the board's four quarters
(core.dates.Quarter). Plan rows are judged by the rules in plans.rules (overdue, stale, in this
partnership), asked as at the year's last day, or as at today while the year is still running.
Channel material appears by case reference and counts only.
"""

from datetime import date

from compliance.checks.base import CheckResult, CheckState, Evidence, Year
from compliance.checks.board import board_quarters, membership_review
from compliance.checks.channel import channel_reviews, terms_reviewed
from compliance.checks.plans import plans_checked, rows_updated
from compliance.checks.retention import retention
from compliance.checks.training import training_coverage
from core import clock

__all__ = ["CHECKS", "CheckResult", "CheckState", "Evidence", "Year", "run_checks"]


CHECKS = (
    board_quarters,
    membership_review,
    plans_checked,
    rows_updated,
    training_coverage,
    channel_reviews,
    retention,
    terms_reviewed,
)


def run_checks(partnership_id: int, year: int, *, today: date | None = None) -> list[CheckResult]:
    """Every automatic check for ``year`` (1 January to 31 December); a year still running is
    judged as at ``today`` (the clock's today unless given)."""
    span = Year(year, today or clock.today())
    return [check(partnership_id, span) for check in CHECKS]
