"""The "Info til pasient" tab's changes: additions, and scheduled texts added and deleted.

Apart from schema/texts.py, whose types schema/practices.py shows: a change answers with the
practice as it now stands, so this module needs both."""

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers import scheduled_texts, texts
from resolvers.errors import Problem
from schema.context import Context
from schema.enums import Language
from schema.errors import user_errors
from schema.practices import load_practice
from schema.texts import (
    AddScheduledTextInput,
    AddScheduledTextPayload,
    DeleteScheduledTextInput,
    DeleteScheduledTextPayload,
    SaveTextsInput,
    SaveTextsPayload,
    ScheduledText,
)


async def save_texts(input: SaveTextsInput, info: strawberry.Info[Context]) -> SaveTextsPayload:
    ctx = info.context
    actor = ctx.require_actor()
    problems = await ctx.apply(
        input.her_id,
        lambda session: texts.save_texts(
            session=session,
            catalog=ctx.catalog,
            her_id=input.her_id,
            actor_hpr=actor,
            expected_version=input.expected_version,
            entries=[
                (entry.slot.value, (entry.language or Language.NB).value, entry.text)
                for entry in input.texts
            ],
            now=ctx.now(),
        ),
    )
    return SaveTextsPayload(
        practice=await load_practice(ctx, input.her_id), user_errors=user_errors(problems)
    )


async def add_scheduled_text(
    input: AddScheduledTextInput, info: strawberry.Info[Context]
) -> AddScheduledTextPayload:
    ctx = info.context
    actor = ctx.require_actor()
    added: list[ScheduledText] = []

    async def change(session: AsyncSession) -> list[Problem]:
        row, problems = await scheduled_texts.add_scheduled_text(
            session=session,
            catalog=ctx.catalog,
            her_id=input.her_id,
            actor_hpr=actor,
            expected_version=input.expected_version,
            slot=input.slot.value,
            language=(input.language or Language.NB).value,
            text=input.text,
            start=input.from_,
            end=input.to,
            now=ctx.now(),
        )
        if row is not None:
            added.append(ScheduledText.of(row))
        return problems

    problems = await ctx.apply(input.her_id, change)
    return AddScheduledTextPayload(
        scheduled_text=None if problems else added[0],
        practice=await load_practice(ctx, input.her_id),
        user_errors=user_errors(problems),
    )


async def delete_scheduled_text(
    input: DeleteScheduledTextInput, info: strawberry.Info[Context]
) -> DeleteScheduledTextPayload:
    ctx = info.context
    actor = ctx.require_actor()
    problems = await ctx.apply(
        input.her_id,
        lambda session: scheduled_texts.delete_scheduled_text(
            session=session,
            catalog=ctx.catalog,
            her_id=input.her_id,
            actor_hpr=actor,
            expected_version=input.expected_version,
            scheduled_text_id=str(input.id),
            now=ctx.now(),
        ),
    )
    return DeleteScheduledTextPayload(
        deleted_id=None if problems else input.id,
        practice=await load_practice(ctx, input.her_id),
        user_errors=user_errors(problems),
    )
