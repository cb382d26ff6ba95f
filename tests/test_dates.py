"""resolvers/dates.py: "today" in Europe/Oslo, remembered between requests, and the seconds
until it changes."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from resolvers.dates import OSLO, oslo_date, seconds_to_midnight

# Around the nights the clocks change (2026-03-29 and 2026-10-25) and an ordinary one.
STARTS = [
    datetime(2026, 3, 28, 21, 0, tzinfo=UTC),
    datetime(2026, 10, 24, 20, 0, tzinfo=UTC),
    datetime(2026, 12, 6, 21, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("start", STARTS)
def test_the_remembered_day_is_the_day_in_oslo_whichever_way_the_clock_moves(start):
    # Given moments a minute apart through two Oslo midnights, then the same moments backwards
    moments = [start + timedelta(minutes=m) for m in range(0, 26 * 60, 7)]
    # When each is asked for in turn, then the day is always the one Oslo had at that moment
    for moment in [*moments, *reversed(moments)]:
        assert oslo_date(moment) == moment.astimezone(OSLO).date(), moment


def test_the_last_second_before_midnight_is_the_old_day_and_midnight_the_new():
    # Given Oslo's midnight of 2026-12-07 (23:00 UTC the day before) and a day remembered
    midnight = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    assert oslo_date(midnight - timedelta(hours=2)).isoformat() == "2026-12-06"
    # Then the last microsecond before it is still that day, and midnight itself the next
    assert oslo_date(midnight - timedelta(microseconds=1)).isoformat() == "2026-12-06"
    assert oslo_date(midnight).isoformat() == "2026-12-07"


def test_moments_in_other_zones_are_converted_not_taken_from_the_remembered_day():
    # Given a remembered day, and the same instant written with another offset
    oslo_date(datetime(2026, 12, 6, 12, 0, tzinfo=UTC))
    late = datetime(2026, 12, 7, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    # Then the instant's Oslo day is the answer (00:30 in Oslo is already the 7th)
    assert oslo_date(late).isoformat() == "2026-12-07"


@pytest.mark.parametrize(
    ("moment", "seconds"),
    [
        # The night summer time starts has 23 hours; the one it ends, 25.
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), 23 * 3600),
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 25 * 3600),
        (datetime(2026, 12, 6, 22, 59, 59, tzinfo=UTC), 1),
    ],
)
def test_seconds_to_midnight_count_the_hours_the_day_really_has(moment, seconds):
    assert seconds_to_midnight(moment) == seconds
