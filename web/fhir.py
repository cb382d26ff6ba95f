"""The catalogue's forms as FHIR R4 Questionnaire resources, at /fhir/Questionnaire/{id}: the
target of every form's `questionnaireRef`."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

FHIR_JSON = "application/fhir+json"


@cache
def questionnaires() -> dict[str, dict[str, Any]]:
    """Every questionnaire shipped in web/questionnaires/, by id (the catalogue's form id)."""
    folder = resources.files("web").joinpath("questionnaires")
    found: dict[str, dict[str, Any]] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            resource = json.loads(entry.read_text(encoding="utf-8"))
            found[resource["id"]] = resource
    return found


def _not_found(form_id: str) -> JSONResponse:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "not-found",
                "diagnostics": f"Fant ikke skjemaet Questionnaire/{form_id}.",
            }
        ],
    }
    return JSONResponse(outcome, status_code=404, media_type=FHIR_JSON)


async def questionnaire(request: Request) -> JSONResponse:
    form_id = request.path_params["form_id"]
    resource = questionnaires().get(form_id)
    if resource is None:
        return _not_found(form_id)
    return JSONResponse(resource, media_type=FHIR_JSON)


routes: list[BaseRoute] = [Route("/fhir/Questionnaire/{form_id}", questionnaire)]
