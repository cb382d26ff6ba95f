"""The audit log of a practice, as a cursor-paginated connection (undo: schema/audit_changes.py)."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.audit import AuditEntry as AuditRow
from resolvers.audit import AuditPage
from resolvers.revert import RevertJudge
from schema.errors import UserError

if TYPE_CHECKING:
    from schema.practices import Practice


@strawberry.type(description="One change to a practice's settings.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="Stable id of the entry.")
    at: datetime = strawberry.field(description="When the change was made (UTC).")
    actor_hpr: int = strawberry.field(description="HPR number of the practitioner who made it.")
    action: str = strawberry.field(
        description=(
            'The mutation that made the change: "saveTexts", "chooseForm", "addAbsence", '
            '"deleteAbsence", "addScheduledText", "deleteScheduledText" or "revertChange".'
        )
    )
    summary: str = strawberry.field(description="What changed, as a readable Norwegian sentence.")
    before: str | None = strawberry.field(
        description='JSON object of the changed values before, e.g. {"RESEPTFORNYELSE": null}; null for a new absence.'
    )
    after: str | None = strawberry.field(
        description='JSON object of the changed values after, e.g. {"RESEPTFORNYELSE": "Husk styrke."}; null for a deleted absence.'
    )
    row: strawberry.Private[AuditRow]
    judge: strawberry.Private[RevertJudge | None]

    @strawberry.field(description="Whether revertChange of this entry, sent now, would succeed.")
    async def revertible(self) -> bool:
        return self.judge is not None and await self.judge.revertible(self.row)

    @classmethod
    def of(cls, row: AuditRow, judge: RevertJudge | None = None) -> "AuditEntry":
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.at,
            actor_hpr=row.actor_hpr,
            action=row.action,
            summary=row.summary,
            before=row.before,
            after=row.after,
            row=row,
            judge=judge,
        )


@strawberry.type(description="An audit entry with the cursor to continue after it.")
class AuditEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` to get the entries older than this."
    )
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(description="Where a page of the audit log ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether older entries follow.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge on this page; null when the page is empty."
    )


@strawberry.type(description="A page of the audit log, newest first.")
class AuditConnection:
    edges: list[AuditEdge] = strawberry.field(description="The entries on this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")

    @classmethod
    def of(cls, page: AuditPage, judge: RevertJudge) -> "AuditConnection":
        return cls(
            edges=[AuditEdge(cursor=c, node=AuditEntry.of(row, judge)) for c, row in page.entries],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.input(description='The change to undo ("ANGRE").')
class RevertChangeInput:
    her_id: int = strawberry.field(description="HER-id of the practice.")
    audit_entry_id: strawberry.ID = strawberry.field(
        description="The AuditEntry.id of the change to undo."
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description="When given and not the practice's current version: STALE_VERSION.",
    )


@strawberry.type(description="Result of revertChange.")
class RevertChangePayload:
    practice: Annotated["Practice", strawberry.lazy("schema.practices")] | None = strawberry.field(
        description="The practice as it now stands."
    )
    audit_entry: AuditEntry | None = strawberry.field(
        description="The history entry the revert wrote."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was undone; empty on success."
    )
