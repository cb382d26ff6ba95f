"""The patient side: what the Helsenorge GP page shows, merged per service."""

from datetime import date
from typing import Annotated

import strawberry

from resolvers import patient
from resolvers.patient import AbsenceNoticeView, ChosenText, PatientServiceView
from schema.context import Context
from schema.enums import EntryPoint, Language, Service, by_value
from schema.forms import Form
from schema.practices import PracticeSummary

SERVICES, LANGUAGES, ENTRY_POINTS = by_value(Service), by_value(Language), by_value(EntryPoint)


@strawberry.type(description="Why a service is switched off today, and when it opens again.")
class AbsenceNotice:
    from_: date = strawberry.field(
        name="from", description="First day off, following back-to-back absences to their start."
    )
    to: date = strawberry.field(
        description="Last day off, following back-to-back absences to their end."
    )
    returns_on: date = strawberry.field(
        description="First Norwegian working day after `to` (no weekend, no public holiday)."
    )
    message: str = strawberry.field(
        description=(
            "Sentence for the patient, in the language of the PatientService (Norwegian bokmål "
            'by default), e.g. "Tjenesten er midlertidig utilgjengelig. Den åpner igjen tirsdag '
            '9. juli 2024."'
        )
    )

    @classmethod
    def of(cls, view: AbsenceNoticeView | None) -> "AbsenceNotice | None":
        if view is None:
            return None
        return cls(from_=view.start, to=view.end, returns_on=view.returns_on, message=view.message)


@strawberry.type(
    description="One entry point of a service with the form patients go through there."
)
class PatientEntry:
    entry_point: EntryPoint = strawberry.field(description="The entry point.")
    title: str = strawberry.field(description='What patients see, e.g. "Koronatest".')
    form: Form | None = strawberry.field(
        description="The form in force here; null means straight to the service."
    )


@strawberry.type(description="One service of a practice as the patient page shows it.")
class PatientService:
    service: Service = strawberry.field(description="The service.")
    language: Language = strawberry.field(
        description=(
            "The language of title, standardText, the entry points' titles and the absence "
            "message: the one asked for, or NB where the catalogue has no translation into it."
        )
    )
    title: str = strawberry.field(description='The patient\'s heading, e.g. "Fornye resept".')
    lead: str = strawberry.field(description="The short line under the title on the GP page.")
    offered: bool = strawberry.field(description="Whether the practice offers the service.")
    available: bool = strawberry.field(
        description=(
            "False when not offered, or when an absence of practitionerHpr switches it off on "
            "the date asked for."
        )
    )
    standard_text: str | None = strawberry.field(description="The standard text; null when none.")
    practice_text: str | None = strawberry.field(
        description=(
            'The practice\'s addition ("Informasjon fra fastlegekontoret"), or the scheduled text '
            "that covers the date asked for; null when none."
        )
    )
    practice_text_language: Language | None = strawberry.field(
        description="The language of practiceText; null when practiceText is null."
    )
    practice_text_until: date | None = strawberry.field(
        description="When practiceText is a scheduled text: its last day; null for the standing addition."
    )
    practice_text_until_in_words: str | None = strawberry.field(
        description=(
            "practiceTextUntil written out in `language`, as the absence message writes its "
            'date (Babel, the language\'s locale), e.g. "tirsdag 9. juli 2024" or "Tuesday 9 '
            'July 2024"; null when practiceTextUntil is null.'
        )
    )
    form: Form | None = strawberry.field(
        description=(
            "The active form at the service's main entry point; null means straight to the "
            "service (and always null when not offered)."
        )
    )
    entry_points: list[PatientEntry] = strawberry.field(
        description="Every entry point of the service, with its form."
    )
    absence: AbsenceNotice | None = strawberry.field(
        description="Set when an absence switches the service off on the date asked for."
    )

    @classmethod
    def of(cls, view: PatientServiceView) -> "PatientService":
        return cls(
            service=SERVICES[view.service.code],
            language=LANGUAGES[view.language],
            title=view.title,
            lead=view.lead,
            offered=view.offered,
            available=view.available,
            standard_text=view.standard_text,
            practice_text=view.practice_text.text if view.practice_text else None,
            practice_text_language=_language(view.practice_text),
            practice_text_until=view.practice_text.until if view.practice_text else None,
            practice_text_until_in_words=(
                view.practice_text.until_in_words if view.practice_text else None
            ),
            form=Form.of(view.form),
            entry_points=[
                PatientEntry(
                    entry_point=ENTRY_POINTS[e.entry_point.code],
                    title=e.title,
                    form=Form.of(e.form),
                )
                for e in view.entry_points
            ],
            absence=AbsenceNotice.of(view.absence),
        )


@strawberry.type(description="The GP panel page of a practice (Fastlegetjenester).")
class PatientPanel:
    practice: PracticeSummary = strawberry.field(description="The practice.")
    panel_text: str | None = strawberry.field(
        description=(
            'The practice\'s FASTLEGEPANEL text ("Informasjon fra legekontor"), or the scheduled '
            "text that covers the date asked for; null when none."
        )
    )
    panel_text_language: Language | None = strawberry.field(
        description="The language of panelText; null when panelText is null."
    )
    panel_text_until: date | None = strawberry.field(
        description="When panelText is a scheduled text: its last day; null for the standing addition."
    )
    panel_text_until_in_words: str | None = strawberry.field(
        description=(
            "panelTextUntil written out in the language of the services' catalogue strings "
            "(PatientService.language), as practiceTextUntilInWords; null when panelTextUntil "
            "is null."
        )
    )
    services: list[PatientService] = strawberry.field(
        description='All four services in Service order ("Hva trenger du?"), offered or not.'
    )


def _language(chosen: ChosenText | None) -> Language | None:
    return LANGUAGES[chosen.language] if chosen else None


HerId = Annotated[int, strawberry.argument(description="HER-id of the practice.")]
PractitionerHpr = Annotated[
    int | None,
    strawberry.argument(
        description="HPR number of the patient's own GP; their absences switch services off."
    ),
]
AskedLanguage = Annotated[
    Language | None,
    strawberry.argument(
        description=(
            "The patient's language; catalogue strings fall back to NB where not translated, "
            "and the practice's text to its NB one. Null means NB."
        )
    ),
]
On = Annotated[
    date | None,
    strawberry.argument(description="The date to show; today in Europe/Oslo when left out."),
]


async def patient_service(
    info: strawberry.Info[Context],
    her_id: HerId,
    service: Annotated[Service, strawberry.argument(description="The service.")],
    practitioner_hpr: PractitionerHpr = None,
    on: On = None,
    language: AskedLanguage = Language.NB,
) -> PatientService | None:
    ctx = info.context
    ctx.reads_practice(her_id)
    view = await patient.patient_service(
        read_model=ctx.read_model,
        catalog=ctx.catalog,
        her_id=her_id,
        service=service.value,
        practitioner_hpr=practitioner_hpr,
        on=on or ctx.today(),
        language=(language or Language.NB).value,
    )
    return PatientService.of(view) if view else None


async def patient_panel(
    info: strawberry.Info[Context],
    her_id: HerId,
    practitioner_hpr: PractitionerHpr = None,
    on: On = None,
    language: AskedLanguage = Language.NB,
) -> PatientPanel | None:
    ctx = info.context
    ctx.reads_practice(her_id)
    view = await patient.patient_panel(
        read_model=ctx.read_model,
        catalog=ctx.catalog,
        her_id=her_id,
        practitioner_hpr=practitioner_hpr,
        on=on or ctx.today(),
        language=(language or Language.NB).value,
    )
    if view is None:
        return None
    return PatientPanel(
        practice=PracticeSummary(her_id=view.practice.her_id, name=view.practice.name),
        panel_text=view.panel_text.text if view.panel_text else None,
        panel_text_language=_language(view.panel_text),
        panel_text_until=view.panel_text.until if view.panel_text else None,
        panel_text_until_in_words=view.panel_text.until_in_words if view.panel_text else None,
        services=[PatientService.of(s) for s in view.services],
    )
