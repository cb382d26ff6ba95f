"""Integrerte verktøy: which form patients go through at each entry point."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import forms
from models.catalog import Catalog, EntryPointSpec, FormSpec
from models.forms import ToolChoice
from resolvers.audit import record_change
from resolvers.errors import Problem
from resolvers.practices import require_affiliation, stale_version

KIND_LABELS = {"SJEKKPUNKT": "Sjekkpunkt", "KONTROLLSPORSMAL": "Kontrollspørsmål"}


@dataclass(frozen=True)
class ToolView:
    entry_point: EntryPointSpec
    active_form: FormSpec | None
    is_default: bool
    available_forms: tuple[FormSpec, ...]


def display_name(form: FormSpec) -> str:
    """As the admin page lists it: "Sjekkpunkt: Forny resept (Standard)"."""
    name = f"{KIND_LABELS.get(form.kind, form.kind)}: {form.title}"
    return f"{name} (Standard)" if form.standard else name


def questionnaire_ref(form: FormSpec) -> str:
    return f"Questionnaire/{form.id}"


def forms_at(catalog: Catalog, entry_point: str | None) -> tuple[FormSpec, ...]:
    return catalog.forms if entry_point is None else catalog.forms_at(entry_point)


def form_in_force(
    catalog: Catalog, entry_point: str, chosen: dict[str, str | None]
) -> tuple[FormSpec | None, bool]:
    """The practice's choice at `entry_point` (None is "Ingen"), or, while it has made none,
    the catalogue default; and whether the default is what applies."""
    if entry_point not in chosen:
        return catalog.default_form(entry_point), True
    form_id = chosen[entry_point]
    return (catalog.form(form_id) if form_id else None), False


def tool_view(catalog: Catalog, entry_point: str, choice: ToolChoice | None) -> ToolView:
    chosen = {} if choice is None else {entry_point: choice.form_id}
    active, is_default = form_in_force(catalog, entry_point, chosen)
    return ToolView(
        entry_point=catalog.entry_point(entry_point),
        active_form=active,
        is_default=is_default,
        available_forms=catalog.forms_at(entry_point),
    )


async def tools_view(*, session: AsyncSession, catalog: Catalog, her_id: int) -> list[ToolView]:
    choices = await forms.choices_of(session=session, her_id=her_id)
    return [tool_view(catalog, ep.code, choices.get(ep.code)) for ep in catalog.entry_points]


def check_choice(
    catalog: Catalog, entry_point: str, form_id: str | None, reset_to_default: bool
) -> Problem | None:
    title = catalog.entry_point(entry_point).admin_title
    if reset_to_default:
        if form_id is not None:
            return Problem(
                code="FORM_NOT_ALLOWED",
                message="Velg enten et skjema eller tilbakestilling til standard, ikke begge.",
                field=("formId",),
            )
        return None
    if form_id is None:
        return None
    form = catalog.form(form_id)
    if form is None:
        return Problem(
            code="UNKNOWN_FORM",
            message=f"Skjemaet «{form_id}» finnes ikke i katalogen.",
            field=("formId",),
        )
    if entry_point not in form.entry_points:
        return Problem(
            code="FORM_NOT_ALLOWED",
            message=f"Skjemaet «{form.title}» kan ikke brukes for «{title}».",
            field=("formId",),
        )
    return None


def state_of(view: ToolView) -> dict[str, str | bool | None]:
    """A tool setting as the audit log holds it: {"formId": …, "isDefault": …}."""
    return {
        "formId": view.active_form.id if view.active_form else None,
        "isDefault": view.is_default,
    }


async def write_choice(
    session: AsyncSession,
    her_id: int,
    current: ToolChoice | None,
    entry_point: str,
    form_id: str | None,
    *,
    reset_to_default: bool,
    actor_hpr: int,
    now: datetime,
) -> ToolChoice | None:
    """The practice's choice at the entry point: forgotten (the default applies again), or
    set to `form_id` (None is "Ingen"). Returns the choice now in force, None for the default."""
    if reset_to_default:
        if current is not None:
            await session.delete(current)
        return None
    if current is None:
        current = ToolChoice(her_id=her_id, entry_point=entry_point)
        session.add(current)
    current.form_id, current.chosen_at, current.chosen_by_hpr = form_id, now, actor_hpr
    return current


async def choose_form(
    *,
    session: AsyncSession,
    catalog: Catalog,
    her_id: int,
    actor_hpr: int,
    entry_point: str,
    form_id: str | None,
    reset_to_default: bool,
    expected_version: int | None,
    now: datetime,
) -> list[Problem]:
    practice = await require_affiliation(
        session=session, her_id=her_id, actor_hpr=actor_hpr, lock=True
    )
    problems = [
        p
        for p in (
            stale_version(practice, expected_version),
            check_choice(catalog, entry_point, form_id, reset_to_default),
        )
        if p is not None
    ]
    if problems:
        return problems

    choices = await forms.choices_of(session=session, her_id=her_id)
    current = choices.get(entry_point)
    before = tool_view(catalog, entry_point, current)
    if reset_to_default and current is None:
        return []
    if not reset_to_default and current is not None and current.form_id == form_id:
        return []
    chosen = await write_choice(
        session,
        her_id,
        current,
        entry_point,
        None if reset_to_default else form_id,
        reset_to_default=reset_to_default,
        actor_hpr=actor_hpr,
        now=now,
    )
    after = tool_view(catalog, entry_point, chosen)

    title = before.entry_point.admin_title
    if after.is_default:
        summary = f"Tilbakestilte «{title}» til standard ({_label(after.active_form)})."
    else:
        summary = f"Valgte {_label(after.active_form)} for «{title}»."
    await record_change(
        session=session,
        practice=practice,
        actor_hpr=actor_hpr,
        action="chooseForm",
        summary=summary,
        before={entry_point: state_of(before)},
        after={entry_point: state_of(after)},
        now=now,
    )
    return []


def _label(form: FormSpec | None) -> str:
    return f"«{display_name(form)}»" if form else "«Ingen»"
