"""The "Integrerte verktøy" tab's change: the form chosen at an entry point.

Apart from schema/forms.py, whose types schema/practices.py shows: a change answers with the
practice as it now stands, so this module needs both."""

import strawberry

from resolvers import forms
from schema.context import Context
from schema.errors import user_errors
from schema.forms import ChooseFormInput, ChooseFormPayload, ToolSetting
from schema.practices import load_practice


async def choose_form(input: ChooseFormInput, info: strawberry.Info[Context]) -> ChooseFormPayload:
    ctx = info.context
    actor = ctx.require_actor()
    entry_point = input.entry_point.value
    problems = await ctx.apply(
        input.her_id,
        lambda session: forms.choose_form(
            session=session,
            catalog=ctx.catalog,
            her_id=input.her_id,
            actor_hpr=actor,
            entry_point=entry_point,
            form_id=None if input.form_id is None else str(input.form_id),
            reset_to_default=bool(input.reset_to_default),
            expected_version=input.expected_version,
            now=ctx.now(),
        ),
    )
    async with ctx.db.read() as session:
        tools = await forms.tools_view(session=session, catalog=ctx.catalog, her_id=input.her_id)
    tool = next(t for t in tools if t.entry_point.code == entry_point)
    return ChooseFormPayload(
        tool=ToolSetting.of(tool),
        practice=await load_practice(ctx, input.her_id),
        user_errors=user_errors(problems),
    )
