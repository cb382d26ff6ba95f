"""Dates as Norwegians read them: "today" in Europe/Oslo, working days, and Babel formatting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_date

OSLO = ZoneInfo("Europe/Oslo")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def oslo_date(moment: datetime) -> date:
    return moment.astimezone(OSLO).date()


@cache
def _norwegian_holidays() -> holidays.HolidayBase:
    # Sundays are weekend days here, not holidays; the package would otherwise count them.
    return holidays.country_holidays("NO", include_sundays=False)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _norwegian_holidays()


def next_working_day_after(day: date) -> date:
    candidate = day + timedelta(days=1)
    while not is_working_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def long_date(day: date) -> str:
    """ "tirsdag 9. juli 2024"."""
    return format_date(day, "EEEE d. MMMM y", locale="nb")


def short_date(day: date) -> str:
    """ "09.07.2024", as the admin table shows dates."""
    return format_date(day, "dd.MM.y", locale="nb")
