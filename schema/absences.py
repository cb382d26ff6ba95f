"""The "Fravær" tab: absences that switch services off."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.absences import Absence as AbsenceRow
from models.practices import Practitioner
from schema.enums import Service
from schema.errors import UserError

if TYPE_CHECKING:
    from schema.practices import Practice


@strawberry.type(description='A practitioner affiliated with a practice (a "Behandler" choice).')
class PracticeMember:
    hpr_number: int = strawberry.field(description="HPR number (Helsepersonellregisteret).")
    name: str = strawberry.field(description="Full name, as the registry gives it.")

    @classmethod
    def of(cls, row: Practitioner) -> "PracticeMember":
        return cls(hpr_number=row.hpr_number, name=row.name)


@strawberry.type(
    description="A temporary absence that switches services off for the practitioner's patients."
)
class Absence:
    id: strawberry.ID = strawberry.field(description="Use it to delete the absence.")
    practitioner: PracticeMember = strawberry.field(
        description='The absent practitioner ("Behandler").'
    )
    from_: date = strawberry.field(
        name="from", description="First day of the absence (fra og med)."
    )
    to: date = strawberry.field(description="Last day of the absence (til og med).")
    services: list[Service] = strawberry.field(
        description="The services switched off, in Service order."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")
    created_by_hpr: int = strawberry.field(description="HPR number of who registered it.")

    @classmethod
    def of(cls, row: AbsenceRow, name: str | None) -> "Absence":
        return cls(
            id=strawberry.ID(row.id),
            practitioner=PracticeMember(
                hpr_number=row.hpr_number, name=name or f"HPR {row.hpr_number}"
            ),
            from_=row.from_date,
            to=row.to_date,
            services=[Service(s) for s in row.services],
            created_at=row.created_at,
            created_by_hpr=row.created_by_hpr,
        )


@strawberry.input(description='A new absence ("LEGG TIL FRAVÆR").')
class AddAbsenceInput:
    her_id: int = strawberry.field(description="HER-id of the practice.")
    practitioner_hpr: int = strawberry.field(
        description="HPR number of the absent practitioner; must be affiliated with the practice."
    )
    from_: date = strawberry.field(name="from", description="First day (fra og med).")
    to: date = strawberry.field(description="Last day (til og med); at most 366 days in all.")
    services: list[Service] = strawberry.field(
        description="Services to switch off; at least one, duplicates are folded."
    )


@strawberry.type(description="Result of addAbsence.")
class AddAbsencePayload:
    absence: Absence | None = strawberry.field(description="The new absence; null on user errors.")
    practice: Annotated["Practice", strawberry.lazy("schema.practices")] | None = strawberry.field(
        description="The practice as it now stands."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was registered; empty on success."
    )


@strawberry.input(description='The absence to delete ("SLETT").')
class DeleteAbsenceInput:
    her_id: int = strawberry.field(description="HER-id of the practice.")
    id: strawberry.ID = strawberry.field(description="The absence's id.")


@strawberry.type(description="Result of deleteAbsence.")
class DeleteAbsencePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        description="The id of the deleted absence; null on user errors."
    )
    practice: Annotated["Practice", strawberry.lazy("schema.practices")] | None = strawberry.field(
        description="The practice as it now stands."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was deleted; empty on success."
    )
