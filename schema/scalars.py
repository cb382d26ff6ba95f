"""Date and DateTime as the contract describes them (ISO 8601)."""

import datetime

import strawberry


def _parse_date(value: object) -> datetime.date:
    if not isinstance(value, str):
        raise ValueError("Dato må være en tekst på formen ÅÅÅÅ-MM-DD.")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"Ugyldig dato {value!r}: bruk formen ÅÅÅÅ-MM-DD.") from exc


def _parse_datetime(value: object) -> datetime.datetime:
    if not isinstance(value, str):
        raise ValueError("Tidspunkt må være en tekst i ISO 8601.")
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("Tidspunkt må ha tidssone (UTC-forskyvning).")
    return parsed


Date = strawberry.scalar(
    name="Date",
    description="Calendar date, ISO 8601 (2024-06-12).",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_date,
)

DateTime = strawberry.scalar(
    name="DateTime",
    description="Point in time, ISO 8601 with UTC offset (2024-06-12T08:15:00+00:00).",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_datetime,
)

SCALAR_OVERRIDES = {datetime.date: Date, datetime.datetime: DateTime}
