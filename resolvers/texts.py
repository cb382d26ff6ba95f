"""Info til pasient: the practice's additions under the standard texts, one per slot and
language, saved all or nothing; and the rules every text a GP writes for patients follows."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import texts
from models.catalog import DEFAULT_LANGUAGE, Catalog, TextSlotSpec
from models.practices import Practice
from models.texts import PracticeText
from resolvers.audit import record_change
from resolvers.errors import Problem
from resolvers.practices import require_affiliation, stale_version

# Bidi controls can make a text read differently from how it is stored (U+202A–U+202E,
# U+2066–U+2069); other control characters than newline and tab have no place in a notice.
_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ALLOWED_CONTROLS = frozenset("\n\t")

# Helsenorge's languages, in the contract's order; additions without one are bokmål.
LANGUAGES = ("NB", "NN", "SE", "EN")
LANGUAGE_NAMES = {"NB": "bokmål", "NN": "nynorsk", "SE": "davvisámegiella", "EN": "engelsk"}


@dataclass(frozen=True)
class TextView:
    slot: TextSlotSpec
    text: str | None
    offered: bool
    updated_at: datetime | None
    updated_by_hpr: int | None
    # The additions in the other languages, (language, text) in Language order.
    translations: tuple[tuple[str, str], ...] = ()


def text_key(slot: str, language: str) -> str:
    """How the audit log names an addition: the bare slot for bokmål, "SLOT/EN" otherwise."""
    return slot if language == DEFAULT_LANGUAGE else f"{slot}/{language}"


def split_key(key: str) -> tuple[str, str]:
    slot, _, language = key.partition("/")
    return slot, language or DEFAULT_LANGUAGE


def _titled(catalog: Catalog, slot: str, language: str) -> str:
    title = f"«{catalog.text_slot(slot).admin_title}»"
    return title if language == DEFAULT_LANGUAGE else f"{title} ({LANGUAGE_NAMES[language]})"


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


def check_text(
    catalog: Catalog, slot: str, language: str, raw: str | None, field: tuple[str, ...]
) -> tuple[str | None, Problem | None]:
    """The text normalised (None for none, or when it cannot be read as plain text), and
    what is wrong with it."""
    spec = catalog.text_slot(slot)
    if raw is not None and _has_forbidden_character(raw):
        return None, Problem(
            code="INVALID_TEXT",
            message=(
                f"Teksten for {_titled(catalog, slot, language)} inneholder usynlige "
                "kontrolltegn. Bruk bare vanlig tekst, linjeskift og tabulator."
            ),
            field=field,
        )
    text = normalise(raw)
    if text is not None and len(text) > spec.max_length:
        return text, Problem(
            code="TOO_LONG",
            message=(
                f"Teksten for {_titled(catalog, slot, language)} er for lang: {len(text)} tegn, "
                f"maks {spec.max_length} tegn."
            ),
            field=field,
        )
    return text, None


def check_texts(
    catalog: Catalog, entries: list[tuple[str, str, str | None]]
) -> tuple[dict[str, str | None], list[Problem]]:
    """The normalised text per audit key (slot and language), and every problem found in the
    whole input."""
    wanted: dict[str, str | None] = {}
    problems: list[Problem] = []
    for index, (slot, language, raw) in enumerate(entries):
        key = text_key(slot, language)
        if key in wanted:
            problems.append(
                Problem(
                    code="DUPLICATE_SLOT",
                    message=(
                        f"{_titled(catalog, slot, language)} står mer enn én gang i samme lagring."
                    ),
                    field=("texts", str(index), "slot"),
                )
            )
            continue
        wanted[key], problem = check_text(
            catalog, slot, language, raw, ("texts", str(index), "text")
        )
        if problem is not None:
            problems.append(problem)
    return wanted, problems


def current_texts(rows: dict[tuple[str, str], PracticeText]) -> dict[str, str | None]:
    """The practice's additions by audit key."""
    return {text_key(slot, language): row.text for (slot, language), row in rows.items()}


def write_texts(
    session: AsyncSession,
    her_id: int,
    current: dict[tuple[str, str], PracticeText],
    changed: dict[str, str | None],
    *,
    actor_hpr: int,
    now: datetime,
) -> None:
    """Sets each addition named by its audit key (None removes it, keeping who removed it and
    when)."""
    for key, text in changed.items():
        slot, language = split_key(key)
        row = current.get((slot, language))
        if row is None:
            session.add(
                PracticeText(
                    her_id=her_id,
                    slot=slot,
                    language=language,
                    text=text,
                    updated_at=now,
                    updated_by_hpr=actor_hpr,
                )
            )
        else:
            row.text, row.updated_at, row.updated_by_hpr = text, now, actor_hpr


async def save_texts(
    *,
    session: AsyncSession,
    catalog: Catalog,
    her_id: int,
    actor_hpr: int,
    expected_version: int | None,
    entries: list[tuple[str, str, str | None]],
    now: datetime,
) -> list[Problem]:
    """`entries` are (slot, language, text)."""
    practice = await require_affiliation(
        session=session, her_id=her_id, actor_hpr=actor_hpr, lock=True
    )
    wanted, problems = check_texts(catalog, entries)
    stale = stale_version(practice, expected_version)
    if stale is not None:
        problems.insert(0, stale)
    if problems:
        return problems

    rows = await texts.texts_of(session=session, her_id=her_id)
    current = current_texts(rows)
    changed = {key: text for key, text in wanted.items() if text != current.get(key)}
    if not changed:
        return []
    before = {key: current.get(key) for key in changed}
    write_texts(session, her_id, rows, changed, actor_hpr=actor_hpr, now=now)
    titles = ", ".join(
        _titled(catalog, *split_key(key)).replace("«", "").replace("»", "") for key in changed
    )
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
        row = saved.get((slot.code, DEFAULT_LANGUAGE))
        translations = tuple(
            (language, other.text)
            for language in LANGUAGES[1:]
            if (other := saved.get((slot.code, language))) is not None and other.text is not None
        )
        views.append(
            TextView(
                slot=slot,
                text=row.text if row else None,
                offered=slot.service is None or slot.service in practice.offered,
                updated_at=row.updated_at if row else None,
                updated_by_hpr=row.updated_by_hpr if row else None,
                translations=translations,
            )
        )
    return views
