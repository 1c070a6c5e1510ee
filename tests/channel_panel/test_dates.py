"""Calendar arithmetic: review dates around month ends and leap years, and the retention date."""

from datetime import date

import pytest

from channel_panel.dates import add_months, retention_date, review_due_on


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 3, 15), 6, date(2026, 9, 15)),  # an ordinary day
        (date(2025, 8, 31), 6, date(2026, 2, 28)),  # 31 August: February is short
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # ... and in a leap year, the 29th
        (date(2026, 8, 30), 6, date(2027, 2, 28)),  # 30 August also clamps
        (date(2026, 8, 28), 6, date(2027, 2, 28)),  # the 28th needs no clamping
        (date(2027, 8, 29), 6, date(2028, 2, 29)),  # 29 August into a leap February
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 6, date(2026, 9, 30)),  # 31 March + 6: September has 30 days
        (date(2026, 3, 31), 12, date(2027, 3, 31)),  # + 12 keeps the 31st
        (date(2026, 12, 31), 6, date(2027, 6, 30)),  # across the year end, clamped
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
        (date(2026, 7, 31), 6, date(2027, 1, 31)),  # July to January: both have 31 days
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # 29 February + 12: no 29th next year
        (date(2028, 2, 29), 6, date(2028, 8, 29)),
        (date(2027, 2, 28), 12, date(2028, 2, 28)),  # the 28th stays the 28th in a leap year
        (date(2026, 5, 31), -3, date(2026, 2, 28)),  # backwards too
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 6, 10), 0, date(2026, 6, 10)),
    ],
)
def test_add_months_clamps_to_the_end_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


def test_review_dates_are_calendar_months_after_closure():
    assert review_due_on(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert review_due_on(date(2025, 8, 31), 12) == date(2026, 8, 31)
    assert review_due_on(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert review_due_on(date(2028, 2, 29), 12) == date(2029, 2, 28)


def test_retention_date_is_six_years_after_the_concern_was_reported():
    assert retention_date(date(2020, 6, 3)) == date(2026, 6, 3)
    assert retention_date(date(2020, 2, 29)) == date(2026, 2, 28)  # no 29th in 2026
    assert retention_date(date(2022, 2, 28)) == date(2028, 2, 28)  # not the leap day
