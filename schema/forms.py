"""Forms (FHIR questionnaires) and the "Integrerte verktøy" tab."""

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated

import strawberry

from models.catalog import FormSpec
from resolvers import forms
from resolvers.forms import ToolView
from schema.context import Context
from schema.enums import EntryPoint, FormKind
from schema.errors import UserError

if TYPE_CHECKING:
    from schema.practices import Practice


@strawberry.type(
    description="A form (FHIR questionnaire) a patient can be sent through before a service."
)
class Form:
    id: strawberry.ID = strawberry.field(description="Stable id from the catalogue.")
    title: str = strawberry.field(description="The form's name.")
    kind: FormKind = strawberry.field(description="Checkpoint (Sjekkpunkt) or control questions.")
    standard: bool = strawberry.field(
        description='Marked "(Standard)": the default at its entry points.'
    )
    display_name: str = strawberry.field(
        description='As the admin page lists it, e.g. "Sjekkpunkt: Forny resept (Standard)".'
    )
    questionnaire_ref: str = strawberry.field(
        description='FHIR reference of the questionnaire, e.g. "Questionnaire/forny-resept-standard".'
    )
    entry_points: list[EntryPoint] = strawberry.field(
        description="The entry points where this form may be chosen."
    )

    @classmethod
    def of(cls, spec: FormSpec | None) -> "Form | None":
        return None if spec is None else _form_of(spec)


# The catalogue's forms are few and fixed, and a Form is never changed once made: each is made
# once, not on every read that shows it (a patient read shows up to four).
@lru_cache(maxsize=256)
def _form_of(spec: FormSpec) -> Form:
    return Form(
        id=strawberry.ID(spec.id),
        title=spec.title,
        kind=FormKind(spec.kind),
        standard=spec.standard,
        display_name=forms.display_name(spec),
        questionnaire_ref=forms.questionnaire_ref(spec),
        entry_points=[EntryPoint(ep) for ep in spec.entry_points],
    )


def form_list(specs: tuple[FormSpec, ...]) -> list[Form]:
    return [Form.of(spec) for spec in specs]  # type: ignore[misc]


@strawberry.type(
    description='A row on the tab "Integrerte verktøy": the form in force at one entry point.'
)
class ToolSetting:
    entry_point: EntryPoint = strawberry.field(description="The entry point of this row.")
    title: str = strawberry.field(description='The row\'s title, e.g. "Timebestilling labtime".')
    active_form: Form | None = strawberry.field(
        description='The form patients go through first; null means none ("Ingen").'
    )
    is_default: bool = strawberry.field(
        description="True while the practice has made no choice here and the catalogue default applies."
    )
    available_forms: list[Form] = strawberry.field(
        description='The forms that may be chosen here (besides "Ingen").'
    )

    @classmethod
    def of(cls, view: ToolView) -> "ToolSetting":
        return cls(
            entry_point=EntryPoint(view.entry_point.code),
            title=view.entry_point.admin_title,
            active_form=Form.of(view.active_form),
            is_default=view.is_default,
            available_forms=form_list(view.available_forms),
        )


@strawberry.input(description="Choose the form at one entry point (ENDRE → Lagre).")
class ChooseFormInput:
    her_id: int = strawberry.field(description="HER-id of the practice.")
    entry_point: EntryPoint = strawberry.field(description="The row to change.")
    form_id: strawberry.ID | None = strawberry.field(
        default=None, description='The form to use; null means none ("Ingen").'
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description="When given and not the practice's current version: STALE_VERSION, nothing saved.",
    )
    reset_to_default: bool | None = strawberry.field(
        default=False,
        description=(
            "Forget the practice's choice so the catalogue default applies again "
            "(formId must be absent)."
        ),
    )


@strawberry.type(description="Result of chooseForm.")
class ChooseFormPayload:
    tool: ToolSetting | None = strawberry.field(
        description="The entry point's setting as it now stands."
    )
    practice: Annotated["Practice", strawberry.lazy("schema.practices")] | None = strawberry.field(
        description="The practice as it now stands (unchanged when there are user errors)."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was changed; empty on success."
    )


def forms_query(
    info: strawberry.Info[Context],
    entry_point: Annotated[
        EntryPoint | None,
        strawberry.argument(description="Only the forms allowed at this entry point."),
    ] = None,
) -> list[Form]:
    return form_list(
        forms.forms_at(info.context.catalog, entry_point.value if entry_point else None)
    )
