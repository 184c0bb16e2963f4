"""Working days (England and Wales) in Python and in the database's calendar table."""

from __future__ import annotations

import datetime

import pytest

from workflow.models import CalendarDay, DayUnit
from workflow.turnaround.calendar import (
    CALENDAR_FIRST_DAY,
    add_days,
    add_workdays,
    days_between,
    ensure_calendar,
    holiday_name,
    is_working_day,
    latest_start_for,
    workdays_between,
)

D = datetime.date
DAY = datetime.timedelta(days=1)


def test_bank_holidays_of_england_and_wales():
    assert holiday_name(D(2026, 4, 3)) == "Good Friday"
    assert holiday_name(D(2026, 4, 6)) == "Easter Monday"  # England and Wales, not Scotland
    assert holiday_name(D(2026, 8, 31))  # the summer bank holiday is the last Monday of August
    assert not is_working_day(D(2026, 12, 28))  # Boxing Day falls on a Saturday: Monday off
    assert is_working_day(D(2026, 3, 2))
    assert not is_working_day(D(2026, 3, 7))  # a Saturday


def test_working_days_count_after_the_start_up_to_the_end():
    friday, monday = D(2026, 3, 6), D(2026, 3, 9)
    assert workdays_between(friday, friday) == 0
    assert workdays_between(friday, monday) == 1
    assert workdays_between(monday, friday) == -1
    assert workdays_between(D(2026, 4, 2), D(2026, 4, 7)) == 1  # over Easter
    assert days_between(friday, monday, DayUnit.CALENDAR) == 3
    assert days_between(friday, monday, DayUnit.WORKING) == 1


def test_adding_and_inverting_working_days():
    start = D(2026, 3, 20)
    for n in range(0, 25):
        for offset in range(0, 40):
            day = start + offset * DAY
            due = add_workdays(day, n)
            assert workdays_between(day, due) == n
            for unit in DayUnit.values:
                due = add_days(day, n, unit)
                latest = latest_start_for(due, n, unit)
                # The latest start due by then is due by then; the day after is not.
                assert add_days(latest, n, unit) <= due
                assert add_days(latest + DAY, n, unit) > due


@pytest.mark.django_db
def test_the_calendar_table_counts_as_python_does():
    ensure_calendar(D(2027, 12, 31))
    rows = {
        r.date: r for r in CalendarDay.objects.filter(date__range=(D(2025, 12, 1), D(2027, 1, 31)))
    }
    days = sorted(rows)
    for a, b in zip(days[::17], days[5::17], strict=False):
        assert rows[b].workday_index - rows[a].workday_index == workdays_between(a, b)
        assert rows[b].day_index - rows[a].day_index == (b - a).days
    assert rows[D(2026, 4, 3)].holiday == "Good Friday"
    assert CalendarDay.objects.order_by("date").first().date == CALENDAR_FIRST_DAY
    # Idempotent: a second call adds nothing and changes nothing.
    count = CalendarDay.objects.count()
    ensure_calendar(D(2027, 12, 31))
    assert CalendarDay.objects.count() == count
