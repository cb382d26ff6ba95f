"""Practitioners and practices as the admin page sees them."""

from typing import Annotated

import strawberry

from models import practices as practice_rows
from models.practices import Practice as PracticeRow
from resolvers import absences, audit, forms, practices, scheduled_texts, texts
from resolvers.revert import RevertJudge
from schema.absences import Absence, PracticeMember
from schema.audit import AuditConnection
from schema.context import Context
from schema.forms import ToolSetting
from schema.texts import ScheduledText, ServiceText


@strawberry.type(description="A practice (legekontor) in short.")
class PracticeSummary:
    her_id: int = strawberry.field(description="HER-id (Adresseregisteret).")
    name: str = strawberry.field(description="The practice's name.")


@strawberry.type(description="A practitioner (fastlege) registered in HPR.")
class Practitioner:
    hpr_number: int = strawberry.field(description="HPR number (Helsepersonellregisteret).")
    name: str = strawberry.field(description="Full name.")

    @strawberry.field(
        description='Practices this practitioner may administer ("Velg virksomhet"), by name.'
    )
    async def practices(self, info: strawberry.Info[Context]) -> list[PracticeSummary]:
        async with info.context.db.read() as session:
            rows = await practices.practices_of(session=session, hpr_number=self.hpr_number)
        return [PracticeSummary(her_id=row.her_id, name=row.name) for row in rows]


@strawberry.type(
    description="Admin view of one practice (virksomhet): everything on the three tabs."
)
class Practice:
    her_id: int = strawberry.field(description="HER-id (Adresseregisteret).")
    name: str = strawberry.field(description="The practice's name.")
    org_number: str = strawberry.field(description="Organisation number (9 digits).")
    version: int = strawberry.field(
        description=(
            "Bumped by every change to the practice's settings (texts, scheduled texts, forms, "
            "absences). "
            "Send it back as expectedVersion so that a concurrent change is not overwritten."
        )
    )
    row: strawberry.Private[PracticeRow]

    @strawberry.field(
        description='Practitioners affiliated with the practice (the "Behandler" choices), by name.'
    )
    async def practitioners(self, info: strawberry.Info[Context]) -> list[PracticeMember]:
        async with info.context.db.read() as session:
            rows = await practices.members_of(session=session, her_id=self.her_id)
        return [PracticeMember.of(row) for row in rows]

    @strawberry.field(description="One entry per TextSlot, in TextSlot order.")
    async def texts(self, info: strawberry.Info[Context]) -> list[ServiceText]:
        ctx = info.context
        async with ctx.db.read() as session:
            views = await texts.texts_view(session=session, catalog=ctx.catalog, practice=self.row)
        return [ServiceText.of(view) for view in views]

    @strawberry.field(description="One entry per EntryPoint, in EntryPoint order.")
    async def tools(self, info: strawberry.Info[Context]) -> list[ToolSetting]:
        ctx = info.context
        async with ctx.db.read() as session:
            views = await forms.tools_view(session=session, catalog=ctx.catalog, her_id=self.her_id)
        return [ToolSetting.of(view) for view in views]

    @strawberry.field(
        description=(
            "Absences, ordered by `from`; by default only those that end today (Europe/Oslo) "
            "or later."
        )
    )
    async def absences(
        self,
        info: strawberry.Info[Context],
        include_past: Annotated[
            bool | None, strawberry.argument(description="Also absences that have ended.")
        ] = False,
    ) -> list[Absence]:
        ctx = info.context
        async with ctx.db.read() as session:
            rows = await absences.absences_view(
                session=session,
                her_id=self.her_id,
                today=ctx.today(),
                include_past=bool(include_past),
            )
        return [Absence.of(row, name) for row, name in rows]

    @strawberry.field(
        description=(
            "Scheduled texts, ordered by `from`, then slot, then language; by default only "
            "those that end today (Europe/Oslo) or later."
        )
    )
    async def scheduled_texts(
        self,
        info: strawberry.Info[Context],
        include_past: Annotated[
            bool | None, strawberry.argument(description="Also scheduled texts that have ended.")
        ] = False,
    ) -> list[ScheduledText]:
        ctx = info.context
        async with ctx.db.read() as session:
            rows = await scheduled_texts.scheduled_texts_view(
                session=session,
                catalog=ctx.catalog,
                her_id=self.her_id,
                today=ctx.today(),
                include_past=bool(include_past),
            )
        return [ScheduledText.of(row) for row in rows]

    @strawberry.field(description="Changes to this practice, newest first.")
    async def audit_log(
        self,
        info: strawberry.Info[Context],
        first: Annotated[int | None, strawberry.argument(description="Page size, 1 to 100.")] = 50,
        after: Annotated[
            str | None,
            strawberry.argument(description="endCursor of the previous page; omit for the newest."),
        ] = None,
    ) -> AuditConnection:
        ctx = info.context
        async with ctx.db.read() as session:
            page = await audit.audit_page(
                session=session,
                her_id=self.her_id,
                first=50 if first is None else first,
                after=after,
            )
        judge = RevertJudge(db=ctx.db, catalog=ctx.catalog, her_id=self.her_id, today=ctx.today())
        return AuditConnection.of(page, judge)

    @classmethod
    def of(cls, row: PracticeRow) -> "Practice":
        return cls(
            her_id=row.her_id,
            name=row.name,
            org_number=row.org_number,
            version=row.version,
            row=row,
        )


async def load_practice(ctx: Context, her_id: int) -> Practice | None:
    async with ctx.db.read() as session:
        row = await practice_rows.get_practice(session=session, her_id=her_id)
    return Practice.of(row) if row else None


async def me(info: strawberry.Info[Context]) -> Practitioner | None:
    actor = info.context.actor_hpr()
    if actor is None:
        return None
    async with info.context.db.read() as session:
        row = await practices.me(session=session, actor_hpr=actor)
    return Practitioner(hpr_number=row.hpr_number, name=row.name) if row else None


async def practice(
    info: strawberry.Info[Context],
    her_id: Annotated[int, strawberry.argument(description="HER-id of the practice.")],
) -> Practice | None:
    ctx = info.context
    actor = ctx.require_actor()
    async with ctx.db.read() as session:
        row = await practices.require_affiliation(session=session, her_id=her_id, actor_hpr=actor)
    return Practice.of(row)
