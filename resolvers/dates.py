"""Dates as Norwegians read them: "today" in Europe/Oslo, working days, Babel formatting, and
the rules for a period a GP registers (an absence, a scheduled text)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_date

from resolvers.errors import Problem

OSLO = ZoneInfo("Europe/Oslo")

Clock = Callable[[], datetime]

MAX_DAYS = 366
MAX_YEARS_AHEAD = 2


def system_clock() -> datetime:
    return datetime.now(UTC)


# The last day oslo_date worked out, as the UTC instants it starts and ends at: every request
# asks for today, and a comparison costs a fraction of converting to Europe/Oslo again.
_last_day: tuple[datetime, datetime, date] = (datetime.min.replace(tzinfo=UTC),) * 2 + (date.min,)


def oslo_date(moment: datetime) -> date:
    global _last_day
    start, end, day = _last_day
    if moment.tzinfo is UTC and start <= moment < end:
        return day
    day = moment.astimezone(OSLO).date()
    if moment.tzinfo is UTC:
        _last_day = (_midnight_in_utc(day), _midnight_in_utc(day + timedelta(days=1)), day)
    return day


def _midnight_in_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=OSLO).astimezone(UTC)


def seconds_to_midnight(moment: datetime) -> int:
    """Whole seconds from `moment` until the next midnight in Europe/Oslo (at least 1): when
    dated content (absences, scheduled texts, "today") next changes without a write. Counted
    in absolute time, so a day of 23 or 25 hours (summer time) is counted right."""
    midnight = _midnight_in_utc(oslo_date(moment) + timedelta(days=1))
    left = (midnight - moment.astimezone(UTC)).total_seconds()
    return max(1, int(left))


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


def long_date(day: date, pattern: str = "EEEE d. MMMM y", locale: str = "nb") -> str:
    """ "tirsdag 9. juli 2024", or as `pattern` writes it in `locale`."""
    return format_date(day, pattern, locale=locale)


def short_date(day: date) -> str:
    """ "09.07.2024", as the admin table shows dates."""
    return format_date(day, "dd.MM.y", locale="nb")


@dataclass(frozen=True)
class PeriodWords:
    """How the messages name what the period is for."""

    over: str  # "Fraværet er allerede over"
    longest: str  # the whole sentence about the longest period
    ahead: str  # "Fravær kan registreres høyst to år fram i tid"


def check_period(start: date, end: date, today: date, words: PeriodWords) -> list[Problem]:
    """`from` and `to` (both inclusive): in order, not over, at most MAX_DAYS long, and not
    starting later than MAX_YEARS_AHEAD from today."""
    if start > end:
        return [
            Problem(
                code="INVALID_DATE_RANGE",
                message="«Til og med» kan ikke være før «Fra og med».",
                field=("to",),
            )
        ]
    problems = []
    if end < today:
        problems.append(
            Problem(
                code="IN_PAST",
                message=f"{words.over}: «Til og med» er før i dag ({short_date(today)}).",
                field=("to",),
            )
        )
    if (end - start).days + 1 > MAX_DAYS:
        problems.append(Problem(code="RANGE_TOO_LONG", message=words.longest, field=("to",)))
    latest_start = add_years(today, MAX_YEARS_AHEAD)
    if start > latest_start:
        problems.append(
            Problem(
                code="RANGE_TOO_LONG",
                message=(
                    f"{words.ahead}: «Fra og med» kan ikke være senere enn "
                    f"{short_date(latest_start)}."
                ),
                field=("from",),
            )
        )
    return problems
