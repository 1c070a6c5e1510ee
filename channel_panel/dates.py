"""Calendar arithmetic for Channel: post-closure review dates and the retention date."""

from datetime import date

from core.dates import add_months

#: Post-closure reviews, in calendar months after the closure date.
REVIEW_MONTHS = (6, 12)
#: Case material is deleted this many years after the concern was reported.
RETENTION_YEARS = 6


def review_due_on(closed_on: date, months: int) -> date:
    """When the ``months``-month post-closure review of a case closed on ``closed_on`` is due."""
    return add_months(closed_on, months)


def retention_date(concern_reported_on: date) -> date:
    """The day case material becomes due for deletion: six years after the concern was reported
    (29 February is followed by 28 February). Material is deleted on this day, not after it."""
    return add_months(concern_reported_on, 12 * RETENTION_YEARS)
