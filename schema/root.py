"""The Schema: Query and Mutation assembled from the per-domain modules."""

from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types import ExecutionContext

from schema import (
    absence_changes,
    absences,
    audit,
    audit_changes,
    form_changes,
    patient,
    practices,
    text_changes,
    texts,
)
from schema import forms as form_schema
from schema.errors import ErrorCodes
from schema.execution import AcyclicExecutionContext
from schema.scalars import SCALAR_OVERRIDES
from schema.validation import ValidationByText

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]


@strawberry.type(
    description=(
        "Tilpass Helsenorge. Admin fields need `Authorization: Bearer <token>` of a practitioner "
        "affiliated with the practice; patient fields and `forms` are public."
    )
)
class Query:
    me: practices.Practitioner | None = strawberry.field(
        resolver=practices.me,
        description="The practitioner the bearer token belongs to; null without a valid token.",
    )
    practice: practices.Practice | None = strawberry.field(
        resolver=practices.practice,
        description=(
            "Admin view of one practice (virksomhet). Needs a token of an affiliated practitioner: "
            "UNAUTHENTICATED without one, FORBIDDEN otherwise (also for an unknown herId)."
        ),
    )
    forms: list[form_schema.Form] = strawberry.field(
        resolver=form_schema.forms_query,
        description="The form catalogue (public), optionally only the forms allowed at one entry point.",
    )
    patient_service: patient.PatientService | None = strawberry.field(
        resolver=patient.patient_service,
        description=(
            "Patient side: one service of a practice, merged. Null when the practice is unknown, "
            "or practitionerHpr is given and is not affiliated with it."
        ),
    )
    patient_panel: patient.PatientPanel | None = strawberry.field(
        resolver=patient.patient_panel,
        description="Patient side: the GP panel page of a practice. Same null rule as patientService.",
    )


@strawberry.type(
    description=(
        "Changes by a GP. Needs a bearer token of a practitioner affiliated with the practice. "
        "Expected failures come back in userErrors and change nothing."
    )
)
class Mutation:
    save_texts: texts.SaveTextsPayload = strawberry.mutation(
        resolver=text_changes.save_texts,
        description='Saves the practice\'s additions to the info texts ("LAGRE"), all or nothing.',
    )
    choose_form: form_schema.ChooseFormPayload = strawberry.mutation(
        resolver=form_changes.choose_form,
        description='Chooses the active form at an entry point; formId null means no form ("Ingen").',
    )
    add_absence: absences.AddAbsencePayload = strawberry.mutation(
        resolver=absence_changes.add_absence,
        description=(
            'Registers a temporary absence ("LEGG TIL FRAVÆR") that switches services off for the '
            "practitioner's patients."
        ),
    )
    delete_absence: absences.DeleteAbsencePayload = strawberry.mutation(
        resolver=absence_changes.delete_absence, description='Deletes an absence ("SLETT").'
    )
    add_scheduled_text: texts.AddScheduledTextPayload = strawberry.mutation(
        resolver=text_changes.add_scheduled_text,
        description=(
            "Schedules a text shown to patients instead of the slot's addition from one date to "
            'another ("LEGG TIL PLANLAGT TEKST").'
        ),
    )
    delete_scheduled_text: texts.DeleteScheduledTextPayload = strawberry.mutation(
        resolver=text_changes.delete_scheduled_text,
        description='Deletes a scheduled text ("SLETT").',
    )
    revert_change: audit.RevertChangePayload = strawberry.mutation(
        resolver=audit_changes.revert_change,
        description=(
            'Undoes one change from the practice\'s history ("ANGRE"), as a new change; a revert '
            "of a revert redoes it."
        ),
    )


class TilpassSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logs nothing: strawberry would log every error, the client's mistakes and their
        variables (practice texts) included; ErrorCodes logs the unexpected ones."""


def build_schema(extensions: Sequence[Extension] = ()) -> strawberry.Schema:
    """The schema with the extensions every instance has, and `extensions` (limits) inside."""
    return TilpassSchema(
        query=Query,
        mutation=Mutation,
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=AcyclicExecutionContext,
        extensions=[
            ErrorCodes,
            *extensions,
            lambda: ParserCache(maxsize=256),
            ValidationByText,
        ],
    )


schema = build_schema()


def export_sdl() -> str:
    return schema.as_str() + "\n"
