"""Recording changes (version bump plus one audit entry, in the change's transaction) and
reading the log back page by page."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import audit, changes, practices
from models.audit import AuditEntry
from models.practices import Practice
from resolvers.errors import BadUserInput

MAX_PAGE = 100
_CURSOR_PREFIX = "audit:"


class ConcurrentChange(Exception):
    """The version moved under a write that held the practice's lock: a bug, never a user error."""


async def record_change(
    *,
    session: AsyncSession,
    practice: Practice,
    actor_hpr: int,
    action: str,
    summary: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
    subject_id: str | None = None,
    change_kind: str | None = None,
) -> AuditEntry:
    change = await changes.next_change(session=session)
    if not await practices.bump_version(
        session=session, her_id=practice.her_id, expected=practice.version, change=change
    ):
        raise ConcurrentChange(practice.her_id)
    entry = AuditEntry(
        her_id=practice.her_id,
        at=now,
        actor_hpr=actor_hpr,
        action=action,
        summary=summary,
        before=_json(before),
        after=_json(after),
        subject_id=subject_id,
        change_kind=change_kind,
    )
    session.add(entry)
    return entry


def _json(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class AuditPage:
    entries: list[tuple[str, AuditEntry]]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.entries[-1][0] if self.entries else None


def encode_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{entry_id}".encode()).decode()


# audit_entry.id is an INTEGER column, 32 bits in PostgreSQL: a larger number in a query is a
# driver error (an internal error to the caller), not an unknown entry.
_MAX_ENTRY_ID = 2**31 - 1
_MAX_CURSOR_LENGTH = len(encode_cursor(_MAX_ENTRY_ID))


def _decode_cursor(cursor: str) -> int | None:
    """The entry id of a cursor as `encode_cursor` writes it; None for anything else. Only the
    exact text handed out is taken (it is encoded again and compared), so that a long, padded
    or oddly written number is refused before int() reads it or the database is asked."""
    if len(cursor) > _MAX_CURSOR_LENGTH or not cursor.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    digits = raw.removeprefix(_CURSOR_PREFIX)
    if digits == raw or not (digits.isascii() and digits.isdigit()):
        return None
    entry_id = int(digits)  # at most a few digits: the cursor's length is bounded above
    if not 1 <= entry_id <= _MAX_ENTRY_ID or encode_cursor(entry_id) != cursor:
        return None
    return entry_id


async def audit_page(
    *, session: AsyncSession, her_id: int, first: int, after: str | None
) -> AuditPage:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"«first» må være mellom 1 og {MAX_PAGE}, ikke {first}.")
    before_id = None
    if after is not None:
        before_id = _decode_cursor(after)
        if before_id is None or not await audit.entry_exists(
            session=session, her_id=her_id, entry_id=before_id
        ):
            raise BadUserInput("Ukjent markør i «after»: bruk en «cursor» fra en tidligere side.")
    rows = await audit.entries_of(
        session=session, her_id=her_id, limit=first + 1, before_id=before_id
    )
    return AuditPage(
        entries=[(encode_cursor(row.id), row) for row in rows[:first]],
        has_next_page=len(rows) > first,
    )
