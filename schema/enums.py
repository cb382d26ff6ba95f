"""GraphQL enums. Service, TextSlot, EntryPoint and FormKind are built from the catalogue, so
their values and descriptions follow catalog.json; the contract test keeps them honest."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

import strawberry

from models.catalog import load_catalog
from resolvers.forms import KIND_LABELS

_catalog = load_catalog()

E = TypeVar("E", bound=enum.Enum)


def by_value(kind: type[E]) -> Mapping[str, E]:
    """An enum's members by value: a lookup, for the read path, where calling the enum to find
    one cost as much as the rest of building the object that holds it."""
    return {member.value: member for member in kind}


def _enum(name: str, values: list[tuple[str, str]]) -> type[enum.Enum]:
    return enum.Enum(  # type: ignore[return-value]
        name, {code: strawberry.enum_value(code, description=text) for code, text in values}
    )


Service = strawberry.enum(
    _enum(
        "Service", [(s.code, f"«{s.patient_title}»: {s.patient_lead}") for s in _catalog.services]
    ),
    description='A DDFL service as patients see it on the GP page ("Hva trenger du?").',
)

TextSlot = strawberry.enum(
    _enum(
        "TextSlot",
        [
            (t.code, f"«{t.admin_title}», at most {t.max_length} characters.")
            for t in _catalog.text_slots
        ],
    ),
    description='A box on the admin tab "Info til pasient", in the order the page shows them.',
)

EntryPoint = strawberry.enum(
    _enum(
        "EntryPoint",
        [
            (e.code, f"«{e.admin_title}» (patients see «{e.patient_title}»), part of {e.service}.")
            for e in _catalog.entry_points
        ],
    ),
    description=(
        'A row on the admin tab "Integrerte verktøy": a place where a form can be put in front '
        "of a service."
    ),
)

FormKind = strawberry.enum(
    _enum(
        "FormKind",
        [
            (kind, f"«{KIND_LABELS.get(kind, kind)}»")
            for kind in dict.fromkeys(form.kind for form in _catalog.forms)
        ],
    ),
    description="What a form does before the service: a checkpoint or control questions.",
)


@strawberry.enum(
    description=(
        "A language Helsenorge shows its pages in: bokmål, nynorsk, nordsamisk "
        "(davvisámegiella), English."
    )
)
class Language(enum.Enum):
    NB = strawberry.enum_value("NB", description="Norsk bokmål.")
    NN = strawberry.enum_value("NN", description="Norsk nynorsk.")
    SE = strawberry.enum_value("SE", description="Davvisámegiella (nordsamisk).")
    EN = strawberry.enum_value("EN", description="English.")


@strawberry.enum(description="Stable codes for the user errors a mutation can return.")
class UserErrorCode(enum.Enum):
    TOO_LONG = strawberry.enum_value("TOO_LONG", description="A text is over its slot's limit.")
    INVALID_TEXT = strawberry.enum_value(
        "INVALID_TEXT", description="A text holds control or bidi characters."
    )
    DUPLICATE_SLOT = strawberry.enum_value(
        "DUPLICATE_SLOT", description="The same text slot twice in one save."
    )
    STALE_VERSION = strawberry.enum_value(
        "STALE_VERSION", description="expectedVersion is not the practice's current version."
    )
    UNKNOWN_FORM = strawberry.enum_value("UNKNOWN_FORM", description="No form has that id.")
    FORM_NOT_ALLOWED = strawberry.enum_value(
        "FORM_NOT_ALLOWED",
        description="The form is not allowed at that entry point, or formId came with resetToDefault.",
    )
    INVALID_DATE_RANGE = strawberry.enum_value(
        "INVALID_DATE_RANGE", description="`from` is after `to`."
    )
    IN_PAST = strawberry.enum_value("IN_PAST", description="`to` is before today.")
    RANGE_TOO_LONG = strawberry.enum_value(
        "RANGE_TOO_LONG",
        description="More than 366 days, or `from` more than two years ahead.",
    )
    NO_SERVICES = strawberry.enum_value(
        "NO_SERVICES", description="No service (that an absence can switch off) was listed."
    )
    NOT_AFFILIATED = strawberry.enum_value(
        "NOT_AFFILIATED", description="The practitioner is not affiliated with the practice."
    )
    ABSENCE_OVERLAP = strawberry.enum_value(
        "ABSENCE_OVERLAP",
        description="The practitioner already has an absence on those dates for a same service.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description=(
            "No such absence, scheduled text or history entry at this practice (any more)."
        ),
    )
    EMPTY_TEXT = strawberry.enum_value("EMPTY_TEXT", description="A scheduled text with no text.")
    SCHEDULE_OVERLAP = strawberry.enum_value(
        "SCHEDULE_OVERLAP",
        description="A scheduled text overlapping another of the same slot and language.",
    )
    REVERT_CONFLICT = strawberry.enum_value(
        "REVERT_CONFLICT",
        description=(
            "The values the change set have been changed since (or the absence or scheduled "
            "text is gone)."
        ),
    )
    NOT_REVERTIBLE = strawberry.enum_value(
        "NOT_REVERTIBLE", description="A history entry that is not a change revertChange can undo."
    )
