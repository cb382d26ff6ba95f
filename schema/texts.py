"""The "Info til pasient" tab: standard texts and the practice's additions."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import texts
from resolvers.texts import TextView
from schema.context import Context
from schema.enums import TextSlot
from schema.errors import UserError, user_errors

if TYPE_CHECKING:
    from schema.practices import Practice


@strawberry.type(description='One box on the tab "Info til pasient".')
class ServiceText:
    slot: TextSlot = strawberry.field(description="Which box.")
    title: str = strawberry.field(description='The box\'s heading, e.g. "Reseptfornyelse".')
    standard_text: str | None = strawberry.field(
        description='The non-editable standard text; null where the guide shows "Ingen".'
    )
    text: str | None = strawberry.field(
        description=(
            'The practice\'s addition ("Tilleggsinformasjon fra legekontor"), normalised as '
            "saved; null when none. Plain text: the consumer escapes it."
        )
    )
    max_length: int = strawberry.field(
        description="Most characters (Unicode code points) the addition may have."
    )
    offered: bool = strawberry.field(
        description='Whether the practice offers the service ("Du tilbyr tjenesten"); true for FASTLEGEPANEL.'
    )
    updated_at: datetime | None = strawberry.field(
        description="When the addition was last changed; null if never."
    )
    updated_by_hpr: int | None = strawberry.field(
        description="HPR number of who changed it last; null if never."
    )

    @classmethod
    def of(cls, view: TextView) -> "ServiceText":
        return cls(
            slot=TextSlot(view.slot.code),
            title=view.slot.admin_title,
            standard_text=view.slot.standard_text,
            text=view.text,
            max_length=view.slot.max_length,
            offered=view.offered,
            updated_at=view.updated_at,
            updated_by_hpr=view.updated_by_hpr,
        )


@strawberry.input(description="One box's new addition.")
class TextInput:
    slot: TextSlot = strawberry.field(description="Which box.")
    text: str | None = strawberry.field(
        default=None,
        description=(
            "The addition. Line breaks become \\n, Unicode NFC, trimmed; null or blank removes "
            "the practice's addition."
        ),
    )


@strawberry.input(description='Everything the page saves with "LAGRE".')
class SaveTextsInput:
    her_id: int = strawberry.field(description="HER-id of the practice.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="When given and not the practice's current version: STALE_VERSION, nothing saved.",
    )
    texts: list[TextInput] = strawberry.field(
        description="The boxes to save; boxes left out keep their addition."
    )


@strawberry.type(description="Result of saveTexts.")
class SaveTextsPayload:
    practice: Annotated["Practice", strawberry.lazy("schema.practices")] | None = strawberry.field(
        description="The practice as it now stands (unchanged when there are user errors)."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was saved; empty on success."
    )


async def save_texts(input: SaveTextsInput, info: strawberry.Info[Context]) -> SaveTextsPayload:
    from schema.practices import load_practice

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
            entries=[(entry.slot.value, entry.text) for entry in input.texts],
            now=ctx.now(),
        ),
    )
    return SaveTextsPayload(
        practice=await load_practice(ctx, input.her_id), user_errors=user_errors(problems)
    )
