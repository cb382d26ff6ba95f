"""The "Historikk" tab's change: undoing an earlier one.

Apart from schema/audit.py, whose types schema/practices.py shows: a change answers with the
practice as it now stands, so this module needs both."""

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditEntry as AuditRow
from resolvers import revert
from resolvers.errors import Problem
from resolvers.revert import RevertJudge
from schema.audit import AuditEntry, RevertChangeInput, RevertChangePayload
from schema.context import Context
from schema.errors import user_errors
from schema.practices import load_practice


async def revert_change(
    input: RevertChangeInput, info: strawberry.Info[Context]
) -> RevertChangePayload:
    ctx = info.context
    actor = ctx.require_actor()
    written: list[AuditRow] = []

    async def change(session: AsyncSession) -> list[Problem]:
        row, problems = await revert.revert_change(
            session=session,
            catalog=ctx.catalog,
            her_id=input.her_id,
            actor_hpr=actor,
            audit_entry_id=str(input.audit_entry_id),
            expected_version=input.expected_version,
            today=ctx.today(),
            now=ctx.now(),
        )
        written.extend([row] if row is not None else [])
        return problems

    problems = await ctx.apply(input.her_id, change)
    judge = RevertJudge(db=ctx.db, catalog=ctx.catalog, her_id=input.her_id, today=ctx.today())
    return RevertChangePayload(
        practice=await load_practice(ctx, input.her_id),
        audit_entry=None if problems else AuditEntry.of(written[0], judge),
        user_errors=user_errors(problems),
    )
