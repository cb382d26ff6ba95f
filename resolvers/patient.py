"""The patient side: standard text, the practice's addition, the active form and the absence
notice, merged per service as the Helsenorge page shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from models.catalog import Catalog, EntryPointSpec, FormSpec, LanguageSpec, ServiceSpec
from models.patient import AbsenceSpan, PracticeSnapshot
from resolvers.dates import long_date, next_working_day_after
from resolvers.forms import form_in_force
from resolvers.read_model import ReadModel
from resolvers.texts import DEFAULT_LANGUAGE


@dataclass(frozen=True)
class AbsenceNoticeView:
    start: date
    end: date
    returns_on: date
    message: str


@dataclass(frozen=True)
class ChosenText:
    """The practice's text for a slot as patients see it on one date, and in which language."""

    text: str
    language: str
    # The last day of a scheduled text; None for the standing addition.
    until: date | None = None
    # `until` written out in the language of the page's catalogue strings ("tirsdag 9. juli
    # 2024"), so that the page names it as it names the absence's return.
    until_in_words: str | None = None


@dataclass(frozen=True)
class PatientEntryView:
    entry_point: EntryPointSpec
    title: str
    form: FormSpec | None


@dataclass(frozen=True)
class PatientServiceView:
    service: ServiceSpec
    # The language of the catalogue's strings (title, lead, standard text, entry points,
    # absence message): the one asked for, or bokmål where it has no translation.
    language: str
    title: str
    lead: str
    offered: bool
    available: bool
    standard_text: str | None
    practice_text: ChosenText | None
    form: FormSpec | None
    entry_points: list[PatientEntryView]
    absence: AbsenceNoticeView | None


@dataclass(frozen=True)
class PatientPanelView:
    practice: PracticeSnapshot
    panel_text: ChosenText | None
    services: list[PatientServiceView]


def in_words(day: date, language: LanguageSpec) -> str:
    """`day` as `language` writes it out: Babel, in its locale and date format."""
    return long_date(day, language.date_format, language.locale)


def practice_text(
    snapshot: PracticeSnapshot, slot: str, language: str, on: date, shown: LanguageSpec
) -> ChosenText | None:
    """First found: a scheduled text in `language` covering `on`, a scheduled bokmål one, the
    standing addition in `language`, the standing bokmål one. Time beats language: a holiday
    notice in bokmål is news a standing English addition must not hide. A scheduled text's
    last day is written out in `shown`, the language of the page's catalogue strings."""
    languages = dict.fromkeys((language, DEFAULT_LANGUAGE))
    for candidate in languages:
        for scheduled in snapshot.scheduled:
            if (
                scheduled.slot == slot
                and scheduled.language == candidate
                and scheduled.from_date <= on <= scheduled.to_date
            ):
                until = scheduled.to_date
                return ChosenText(scheduled.text, candidate, until, in_words(until, shown))
    for candidate in languages:
        standing = snapshot.texts.get((slot, candidate))
        if standing is not None:
            return ChosenText(text=standing, language=candidate)
    return None


def absence_notice(
    absences_of_practitioner: tuple[AbsenceSpan, ...],
    service: str,
    on: date,
    language: LanguageSpec,
) -> AbsenceNoticeView | None:
    """The notice for `on`, if an absence listing `service` covers it. Back-to-back absences
    (the next starting the day after one ends) read as one, so patients get the real return."""
    spans = sorted(
        (a.from_date, a.to_date) for a in absences_of_practitioner if service in a.services
    )
    merged: list[list[date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        if start <= on <= end:
            returns_on = next_working_day_after(end)
            return AbsenceNoticeView(
                start=start,
                end=end,
                returns_on=returns_on,
                message=language.absence_message.format(date=in_words(returns_on, language)),
            )
    return None


def merge_service(
    *,
    catalog: Catalog,
    snapshot: PracticeSnapshot,
    service: ServiceSpec,
    language: str,
    practitioner_absences: tuple[AbsenceSpan, ...],
    on: date,
) -> PatientServiceView:
    offered = service.code in snapshot.offered
    slot = catalog.slot_for_service(service.code)
    shown = catalog.shown_language(language)
    shown_spec = catalog.languages[shown]

    def in_force(entry_point: str) -> FormSpec | None:
        return form_in_force(catalog, entry_point, snapshot.forms)[0] if offered else None

    notice = None
    if offered:
        notice = absence_notice(practitioner_absences, service.code, on, shown_spec)
    return PatientServiceView(
        service=service,
        language=shown,
        title=catalog.service_title(service.code, shown),
        lead=catalog.service_lead(service.code, shown),
        offered=offered,
        available=offered and notice is None,
        standard_text=catalog.standard_text(slot.code, shown) if slot else None,
        practice_text=(
            practice_text(snapshot, slot.code, language, on, shown_spec) if slot else None
        ),
        form=in_force(service.main_entry_point),
        entry_points=[
            PatientEntryView(
                entry_point=ep,
                title=catalog.entry_point_title(ep.code, shown),
                form=in_force(ep.code),
            )
            for ep in catalog.entry_points_of(service.code)
        ],
        absence=notice,
    )


async def _practice_for(
    read_model: ReadModel, her_id: int, practitioner_hpr: int | None
) -> tuple[PracticeSnapshot, tuple[AbsenceSpan, ...]] | None:
    """The practice's snapshot and the practitioner's absences there; None when the practice is
    unknown, or the practitioner given is not affiliated with it. No statement once the
    practice is in the read model."""
    snapshot = await read_model.snapshot(her_id)
    if snapshot is None:
        return None
    if practitioner_hpr is not None and practitioner_hpr not in snapshot.members:
        return None
    absences = snapshot.absences.get(practitioner_hpr, ()) if practitioner_hpr is not None else ()
    return snapshot, absences


async def patient_panel(
    *,
    read_model: ReadModel,
    catalog: Catalog,
    her_id: int,
    practitioner_hpr: int | None,
    on: date,
    language: str = DEFAULT_LANGUAGE,
) -> PatientPanelView | None:
    """None when the practice is unknown, or the practitioner given is not affiliated with it."""
    found = await _practice_for(read_model, her_id, practitioner_hpr)
    if found is None:
        return None
    snapshot, practitioner_absences = found
    services = [
        merge_service(
            catalog=catalog,
            snapshot=snapshot,
            service=service,
            language=language,
            practitioner_absences=practitioner_absences,
            on=on,
        )
        for service in catalog.services
    ]
    panel_slot = next((slot for slot in catalog.text_slots if slot.service is None), None)
    # The panel's words are its services' catalogue strings, so its dates follow them.
    shown = catalog.languages[catalog.shown_language(language)]
    return PatientPanelView(
        practice=snapshot,
        panel_text=(
            practice_text(snapshot, panel_slot.code, language, on, shown) if panel_slot else None
        ),
        services=services,
    )


async def patient_service(
    *,
    read_model: ReadModel,
    catalog: Catalog,
    her_id: int,
    service: str,
    practitioner_hpr: int | None,
    on: date,
    language: str = DEFAULT_LANGUAGE,
) -> PatientServiceView | None:
    """One service as patient_panel has it, without working out the rest of the panel."""
    found = await _practice_for(read_model, her_id, practitioner_hpr)
    if found is None:
        return None
    snapshot, practitioner_absences = found
    spec = catalog.find_service(service)
    if spec is None:
        return None
    return merge_service(
        catalog=catalog,
        snapshot=snapshot,
        service=spec,
        language=language,
        practitioner_absences=practitioner_absences,
        on=on,
    )
