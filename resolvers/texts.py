"""Info til pasient: the practice's additions under the standard texts, saved all or nothing."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import texts
from models.catalog import Catalog, TextSlotSpec
from models.practices import Practice
from models.texts import PracticeText
from resolvers.audit import record_change
from resolvers.errors import Problem
from resolvers.practices import require_affiliation, stale_version

# Bidi controls can make a text read differently from how it is stored (U+202A–U+202E,
# U+2066–U+2069); other control characters than newline and tab have no place in a notice.
_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ALLOWED_CONTROLS = frozenset("\n\t")


@dataclass(frozen=True)
class TextView:
    slot: TextSlotSpec
    text: str | None
    offered: bool
    updated_at: datetime | None
    updated_by_hpr: int | None


def normalise(raw: str | None) -> str | None:
    """CRLF and CR to LF, NFC, trimmed; blank means no addition."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip() or None


def _has_forbidden_character(raw: str) -> bool:
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS) or ch in _BIDI_CONTROLS
        for ch in text
    )


def check_texts(
    catalog: Catalog, entries: list[tuple[str, str | None]]
) -> tuple[dict[str, str | None], list[Problem]]:
    """The normalised text per slot, and every problem found in the whole input."""
    wanted: dict[str, str | None] = {}
    problems: list[Problem] = []
    for index, (slot_code, raw) in enumerate(entries):
        slot = catalog.text_slot(slot_code)
        if slot_code in wanted:
            problems.append(
                Problem(
                    code="DUPLICATE_SLOT",
                    message=f"«{slot.admin_title}» står mer enn én gang i samme lagring.",
                    field=("texts", str(index), "slot"),
                )
            )
            continue
        if raw is not None and _has_forbidden_character(raw):
            problems.append(
                Problem(
                    code="INVALID_TEXT",
                    message=(
                        f"Teksten for «{slot.admin_title}» inneholder usynlige kontrolltegn. "
                        "Bruk bare vanlig tekst, linjeskift og tabulator."
                    ),
                    field=("texts", str(index), "text"),
                )
            )
            wanted[slot_code] = None
            continue
        text = normalise(raw)
        if text is not None and len(text) > slot.max_length:
            problems.append(
                Problem(
                    code="TOO_LONG",
                    message=(
                        f"Teksten for «{slot.admin_title}» er for lang: {len(text)} tegn, "
                        f"maks {slot.max_length} tegn."
                    ),
                    field=("texts", str(index), "text"),
                )
            )
        wanted[slot_code] = text
    return wanted, problems


async def save_texts(
    *,
    session: AsyncSession,
    catalog: Catalog,
    her_id: int,
    actor_hpr: int,
    expected_version: int | None,
    entries: list[tuple[str, str | None]],
    now: datetime,
) -> list[Problem]:
    practice = await require_affiliation(
        session=session, her_id=her_id, actor_hpr=actor_hpr, lock=True
    )
    wanted, problems = check_texts(catalog, entries)
    stale = stale_version(practice, expected_version)
    if stale is not None:
        problems.insert(0, stale)
    if problems:
        return problems

    current = await texts.texts_of(session=session, her_id=her_id)
    changed = {
        slot: text
        for slot, text in wanted.items()
        if text != (current[slot].text if slot in current else None)
    }
    if not changed:
        return []
    before = {slot: current[slot].text if slot in current else None for slot in changed}
    for slot, text in changed.items():
        row = current.get(slot)
        if row is None:
            session.add(
                PracticeText(
                    her_id=her_id, slot=slot, text=text, updated_at=now, updated_by_hpr=actor_hpr
                )
            )
        else:
            row.text, row.updated_at, row.updated_by_hpr = text, now, actor_hpr
    titles = ", ".join(catalog.text_slot(slot).admin_title for slot in changed)
    await record_change(
        session=session,
        practice=practice,
        actor_hpr=actor_hpr,
        action="saveTexts",
        summary=f"Endret tilleggsinformasjon for {titles}.",
        before=before,
        after=changed,
        now=now,
    )
    return []


async def texts_view(
    *, session: AsyncSession, catalog: Catalog, practice: Practice
) -> list[TextView]:
    saved = await texts.texts_of(session=session, her_id=practice.her_id)
    views = []
    for slot in catalog.text_slots:
        row = saved.get(slot.code)
        views.append(
            TextView(
                slot=slot,
                text=row.text if row else None,
                offered=slot.service is None or slot.service in practice.offered,
                updated_at=row.updated_at if row else None,
                updated_by_hpr=row.updated_by_hpr if row else None,
            )
        )
    return views
