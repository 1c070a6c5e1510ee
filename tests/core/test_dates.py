"""The Quarter every domain counts in: its days, its neighbours, its slug and its name."""

from datetime import date

import pytest

from core.dates import Quarter


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), Quarter(2026, 1)),
        (date(2026, 3, 31), Quarter(2026, 1)),  # the last day of quarter 1
        (date(2026, 4, 1), Quarter(2026, 2)),  # the first day of quarter 2
        (date(2026, 6, 30), Quarter(2026, 2)),
        (date(2026, 7, 1), Quarter(2026, 3)),
        (date(2026, 9, 30), Quarter(2026, 3)),
        (date(2026, 10, 1), Quarter(2026, 4)),
        (date(2026, 11, 16), Quarter(2026, 4)),  # the suite's today
        (date(2026, 12, 31), Quarter(2026, 4)),
    ],
)
def test_from_date(day, expected):
    assert Quarter.from_date(day) == expected


def test_start_and_end():
    assert (Quarter(2026, 1).start, Quarter(2026, 1).end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert (Quarter(2026, 2).start, Quarter(2026, 2).end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert (Quarter(2026, 3).start, Quarter(2026, 3).end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert (Quarter(2026, 4).start, Quarter(2026, 4).end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert date(2026, 3, 31) in Quarter(2026, 1) and date(2026, 4, 1) not in Quarter(2026, 1)


def test_previous_and_next_cross_the_year():
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert Quarter(2025, 4).next() == Quarter(2026, 1)
    assert Quarter(2026, 3).previous() == Quarter(2026, 2)
    assert Quarter(2026, 2).next() == Quarter(2026, 3)
    assert Quarter(2026, 2).back(3) == [Quarter(2026, 2), Quarter(2026, 1), Quarter(2025, 4)]
    assert Quarter(2026, 2) < Quarter(2026, 3) < Quarter(2027, 1)


def test_a_quarter_is_numbered_1_to_4():
    with pytest.raises(ValueError, match="numbered 1 to 4, not 5"):
        Quarter(2026, 5)


def test_slug_round_trip():
    assert Quarter(2026, 3).slug == "2026-q3"
    assert Quarter.parse("2026-q3") == Quarter(2026, 3)
    assert Quarter.parse(" 2026-Q1 ") == Quarter(2026, 1)  # as typed or linked before
    for quarter in (Quarter(2025, 4), Quarter(2026, 1), Quarter(2100, 4)):
        assert Quarter.parse(quarter.slug) == quarter


@pytest.mark.parametrize("slug", ["2026-q5", "2026-q0", "../etc", "", "2026q3", "26-q3", "2026-q3x"])
def test_a_bad_slug_is_refused_with_a_clear_error(slug):
    with pytest.raises(ValueError, match="is not a quarter: expected a year and quarter number such as 2026-q3"):
        Quarter.parse(slug)


def test_a_slug_outside_the_product_years_is_refused():
    with pytest.raises(ValueError, match="'1999-q4' is not a quarter: the year must be from 2000 to 2100"):
        Quarter.parse("1999-q4")
    with pytest.raises(ValueError, match="from 2000 to 2100"):
        Quarter.parse("2999-q1")


def test_one_name_for_display():
    assert Quarter(2026, 1).name == "January to March 2026"
    assert Quarter(2026, 3).name == "July to September 2026"
    assert str(Quarter(2026, 4)) == "October to December 2026"
