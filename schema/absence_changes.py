"""The "Fravær" tab's changes: adding and deleting absences.

Apart from schema/absences.py, whose types schema/practices.py shows: a change answers with the
practice as it now stands, so this module needs both."""

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from models.practices import Practitioner
from resolvers import absences
from resolvers.errors import Problem
from schema.absences import (
    Absence,
    AddAbsenceInput,
    AddAbsencePayload,
    DeleteAbsenceInput,
    DeleteAbsencePayload,
)
from schema.context import Context
from schema.errors import user_errors
from schema.practices import load_practice


async def add_absence(input: AddAbsenceInput, info: strawberry.Info[Context]) -> AddAbsencePayload:
    ctx = info.context
    actor = ctx.require_actor()
    added: list[Absence] = []

    async def change(session: AsyncSession) -> list[Problem]:
        row, problems = await absences.add_absence(
            session=session,
            catalog=ctx.catalog,
            her_id=input.her_id,
            actor_hpr=actor,
            practitioner_hpr=input.practitioner_hpr,
            start=input.from_,
            end=input.to,
            services=[s.value for s in input.services],
            now=ctx.now(),
        )
        if row is not None:
            practitioner = await session.get(Practitioner, row.hpr_number)
            added.append(Absence.of(row, practitioner.name if practitioner else None))
        return problems

    problems = await ctx.apply(input.her_id, change)
    return AddAbsencePayload(
        absence=None if problems else added[0],
        practice=await load_practice(ctx, input.her_id),
        user_errors=user_errors(problems),
    )


async def delete_absence(
    input: DeleteAbsenceInput, info: strawberry.Info[Context]
) -> DeleteAbsencePayload:
    ctx = info.context
    actor = ctx.require_actor()
    problems = await ctx.apply(
        input.her_id,
        lambda session: absences.delete_absence(
            session=session,
            catalog=ctx.catalog,
            her_id=input.her_id,
            actor_hpr=actor,
            absence_id=str(input.id),
            now=ctx.now(),
        ),
    )
    return DeleteAbsencePayload(
        deleted_id=None if problems else input.id,
        practice=await load_practice(ctx, input.her_id),
        user_errors=user_errors(problems),
    )
