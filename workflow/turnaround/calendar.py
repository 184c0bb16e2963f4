"""Working days (England and Wales: weekends and bank holidays from the ``holidays``
package excluded) and the calendar table the database counts them with.

Working days between two moments are the working days *after* the first local date up to and
including the second: the same day is 0, Friday to Monday is 1. The database counts working
days through ``CalendarDay`` (two primary-key joins per visit), which ``ensure_calendar`` keeps
filled.
"""

from __future__ import annotations

import datetime
import functools

import holidays
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from workflow.turnaround.models import CalendarDay, DayUnit


@functools.lru_cache(maxsize=128)
def _bank_holidays(year: int) -> dict[datetime.date, str]:
    # England and Wales share their bank holidays (the package's "ENG" subdivision).
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


def holiday_name(day: datetime.date) -> str:
    return _bank_holidays(day.year).get(day, "")


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and not holiday_name(day)


def workdays_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when end < start)."""
    if end < start:
        return -workdays_between(end, start)
    return sum(
        1 for n in range(1, (end - start).days + 1) if is_working_day(start + datetime.timedelta(n))
    )


def add_workdays(start: datetime.date, n: int) -> datetime.date:
    """The ``n``th working day after ``start`` (``start`` itself when n is 0)."""
    day, left = start, n
    while left > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def add_days(start: datetime.date, n: int, unit: str) -> datetime.date:
    if unit == DayUnit.WORKING:
        return add_workdays(start, n)
    return start + datetime.timedelta(days=n)


def days_between(start: datetime.date, end: datetime.date, unit: str) -> int:
    if unit == DayUnit.WORKING:
        return workdays_between(start, end)
    return (end - start).days


def latest_start_for(deadline: datetime.date, n: int, unit: str) -> datetime.date:
    """The latest start date whose ``n``-day target falls due on or before ``deadline``.

    ``add_days`` is monotonic in its start, so "due on or before D" is "started on or before
    latest_start_for(D)": the sweep turns a due-date window into an indexed date filter.
    """
    if unit != DayUnit.WORKING:
        return deadline - datetime.timedelta(days=n)
    if n == 0:
        return deadline
    day, found = deadline, 0
    while True:
        if is_working_day(day):
            found += 1
            if found == n:
                return day - datetime.timedelta(days=1)
        day -= datetime.timedelta(days=1)


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


CALENDAR_FIRST_DAY = datetime.date(2000, 1, 1)


CALENDAR_AHEAD_DAYS = 2 * 366


def ensure_calendar(until: datetime.date | None = None) -> None:
    """Make ``CalendarDay`` cover every date from 2000 to ``until`` (default: two years ahead).

    Rows are a pure function of the date, so filling is idempotent and concurrent fills agree
    (conflicts are ignored). One query when the table is already long enough.
    """
    until = until or timezone.localdate() + datetime.timedelta(days=365)
    span = CalendarDay.objects.aggregate(first=Min("date"), last=Max("date"))
    if span["first"] == CALENDAR_FIRST_DAY and span["last"] and span["last"] >= until:
        return
    last = max(until, timezone.localdate()) + datetime.timedelta(days=CALENDAR_AHEAD_DAYS)
    rows, index, day = [], 0, CALENDAR_FIRST_DAY
    while day <= last:
        working = is_working_day(day)
        index += working
        rows.append(
            CalendarDay(
                date=day,
                is_working_day=working,
                workday_index=index,
                day_index=(day - CALENDAR_FIRST_DAY).days,
                holiday=holiday_name(day)[:100],
            )
        )
        day += datetime.timedelta(days=1)
    with transaction.atomic():
        CalendarDay.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
