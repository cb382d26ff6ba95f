"""The practice's settings as the patient view reads them: one statement."""

from __future__ import annotations

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from models.forms import ToolChoice
from models.texts import PracticeText


async def settings_of(
    *, session: AsyncSession, her_id: int
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The practice's additions by text slot and its form choices by entry point, read in one
    statement; an entry point with a NULL form is an explicit "Ingen"."""
    texts = select(literal("text").label("kind"), PracticeText.slot, PracticeText.text).where(
        PracticeText.her_id == her_id
    )
    choices = select(
        literal("form").label("kind"), ToolChoice.entry_point, ToolChoice.form_id
    ).where(ToolChoice.her_id == her_id)
    saved_texts: dict[str, str | None] = {}
    chosen_forms: dict[str, str | None] = {}
    for kind, key, value in await session.execute(union_all(texts, choices)):
        (saved_texts if kind == "text" else chosen_forms)[key] = value
    return saved_texts, chosen_forms
