"""The "Info til pasient" tab: standard texts, the practice's additions and scheduled texts."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.texts import ScheduledText as ScheduledTextRow
from resolvers.texts import TextView
from schema.enums import Language, TextSlot
from schema.errors import UserError

if TYPE_CHECKING:
    from schema.practices import Practice


@strawberry.type(description="A practice's addition in a language other than bokmål.")
class TextTranslation:
    language: Language = strawberry.field(description="Its language.")
    text: str = strawberry.field(description="The addition in that language.")


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
    translations: list[TextTranslation] = strawberry.field(
        description=(
            "The addition in nynorsk, nordsamisk and English where the practice has written it, "
            "in Language order; `text` is the bokmål one."
        )
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
            translations=[
                TextTranslation(language=Language(language), text=text)
                for language, text in view.translations
            ],
        )


@strawberry.input(description="One box's new addition.")
class TextInput:
    slot: TextSlot = strawberry.field(description="Which box.")
    language: Language | None = strawberry.field(
        default=Language.NB,
        description=(
            "The language of this addition (null means NB); the same slot may be saved in "
            "several languages at once."
        ),
    )
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


@strawberry.type(
    description=(
        "A text shown to patients instead of the slot's addition from `from` to `to` "
        '(both inclusive): "Planlagt tekst".'
    )
)
class ScheduledText:
    id: strawberry.ID = strawberry.field(description="Use it to delete the scheduled text.")
    slot: TextSlot = strawberry.field(description="Which box it stands in for.")
    language: Language = strawberry.field(description="The language it is written in.")
    text: str = strawberry.field(description="The text, normalised as additions are.")
    from_: date = strawberry.field(name="from", description="First day shown (fra og med).")
    to: date = strawberry.field(description="Last day shown (til og med).")
    created_at: datetime = strawberry.field(description="When it was scheduled.")
    created_by_hpr: int = strawberry.field(description="HPR number of who scheduled it.")

    @classmethod
    def of(cls, row: ScheduledTextRow) -> "ScheduledText":
        return cls(
            id=strawberry.ID(row.id),
            slot=TextSlot(row.slot),
            language=Language(row.language),
            text=row.text,
            from_=row.from_date,
            to=row.to_date,
            created_at=row.created_at,
            created_by_hpr=row.created_by_hpr,
        )


@strawberry.input(description='A new scheduled text ("LEGG TIL PLANLAGT TEKST").')
class AddScheduledTextInput:
    her_id: int = strawberry.field(description="HER-id of the practice.")
    slot: TextSlot = strawberry.field(description="Which box it stands in for.")
    language: Language | None = strawberry.field(
        default=Language.NB, description="The language it is written in (null means NB)."
    )
    text: str = strawberry.field(
        description="The text; normalised and limited as the slot's addition, and not blank."
    )
    from_: date = strawberry.field(name="from", description="First day shown (fra og med).")
    to: date = strawberry.field(description="Last day shown (til og med); at most 366 days.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="When given and not the practice's current version: STALE_VERSION.",
    )


@strawberry.type(description="Result of addScheduledText.")
class AddScheduledTextPayload:
    scheduled_text: ScheduledText | None = strawberry.field(
        description="The new scheduled text; null on user errors."
    )
    practice: Annotated["Practice", strawberry.lazy("schema.practices")] | None = strawberry.field(
        description="The practice as it now stands."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was scheduled; empty on success."
    )


@strawberry.input(description='The scheduled text to delete ("SLETT").')
class DeleteScheduledTextInput:
    her_id: int = strawberry.field(description="HER-id of the practice.")
    id: strawberry.ID = strawberry.field(description="The scheduled text's id.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="When given and not the practice's current version: STALE_VERSION.",
    )


@strawberry.type(description="Result of deleteScheduledText.")
class DeleteScheduledTextPayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        description="The id of the deleted scheduled text; null on user errors."
    )
    practice: Annotated["Practice", strawberry.lazy("schema.practices")] | None = strawberry.field(
        description="The practice as it now stands."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was deleted; empty on success."
    )
