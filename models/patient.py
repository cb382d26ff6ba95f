"""The practice's settings as the patient view reads them: one statement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Date, String, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from models.forms import ToolChoice
from models.texts import PracticeText, ScheduledText


@dataclass
class PracticeSettings:
    # (slot, language) → the standing addition; None where it was removed.
    texts: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # (slot, language) → (text, last day) of the scheduled text covering the date asked for.
    scheduled: dict[tuple[str, str], tuple[str, date]] = field(default_factory=dict)
    # entry point → the chosen form; None is an explicit "Ingen".
    forms: dict[str, str | None] = field(default_factory=dict)


async def settings_of(*, session: AsyncSession, her_id: int, on: date) -> PracticeSettings:
    """The practice's additions, the scheduled texts that cover `on` and its form choices,
    read in one statement."""
    no_language, no_date = cast(null(), String(2)), cast(null(), Date)
    texts = select(
        literal("text").label("kind"),
        PracticeText.slot,
        PracticeText.text,
        PracticeText.language,
        no_date.label("until"),
    ).where(PracticeText.her_id == her_id)
    scheduled = select(
        literal("scheduled"),
        ScheduledText.slot,
        ScheduledText.text,
        ScheduledText.language,
        ScheduledText.to_date,
    ).where(
        ScheduledText.her_id == her_id, ScheduledText.from_date <= on, ScheduledText.to_date >= on
    )
    choices = select(
        literal("form"), ToolChoice.entry_point, ToolChoice.form_id, no_language, no_date
    ).where(ToolChoice.her_id == her_id)
    settings = PracticeSettings()
    for kind, key, value, language, until in await session.execute(
        union_all(texts, scheduled, choices)
    ):
        if kind == "text":
            settings.texts[key, language] = value
        elif kind == "scheduled":
            settings.scheduled[key, language] = (value, until)
        else:
            settings.forms[key] = value
    return settings
