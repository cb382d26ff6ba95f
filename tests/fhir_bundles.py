"""The test registry (tests/registry.json) as FHIR R4 resources, and builders for variants.

Resource ids follow the numbers (`her-8142519`, `hpr-1810001`, `her-8142519-hpr-1810001`),
so a test can name a resource without looking it up."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from resolvers.registry_fhir import HER_ID, HPR_NUMBER, ORG_NUMBER
from tests.conftest import ASTRID, FJORDBYEN, JACOB, KRISTIAN, STORGATA

SERVER = "https://fhir.example.no/R4"
NAMESPACE = uuid.UUID("0b7a4c55-5d0e-4f43-9d0b-1f0a4bd1a6e1")

PRACTICES = {
    STORGATA: ("Storgata legesenter", "974600951"),
    FJORDBYEN: ("Fjordbyen fastlegekontor", "923609016"),
}
PEOPLE = {ASTRID: ("Astrid", "Info"), KRISTIAN: ("Kristian", "Larsen"), JACOB: ("Jacob", "Tore")}
ROLES = [(STORGATA, ASTRID), (STORGATA, KRISTIAN), (FJORDBYEN, KRISTIAN), (FJORDBYEN, JACOB)]


def organization(
    her_id: int | None, name: str, org_number: str | None = None, *, active: bool = True
) -> dict[str, Any]:
    identifiers = [] if her_id is None else [{"system": HER_ID, "value": str(her_id)}]
    if org_number is not None:
        identifiers.append({"system": ORG_NUMBER, "value": org_number})
    return {
        "resourceType": "Organization",
        "id": f"her-{her_id}",
        "active": active,
        "identifier": identifiers,
        "name": name,
    }


def practitioner(
    hpr: int | str | None, given: str, family: str, *, active: bool = True
) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": f"hpr-{hpr}",
        "active": active,
        "identifier": [] if hpr is None else [{"system": HPR_NUMBER, "value": str(hpr)}],
        "name": [{"use": "official", "family": family, "given": [given]}],
    }


def reference(kind: str, number: int, style: str = "type") -> dict[str, Any]:
    """A reference to `Organization/her-N` or `Practitioner/hpr-N` in one of the styles a
    registry may use."""
    local = f"{kind}/{'her' if kind == 'Organization' else 'hpr'}-{number}"
    match style:
        case "type":
            return {"reference": local}
        case "fullUrl":
            return {"reference": full_url(local)}
        case "absolute":
            return {"reference": f"{SERVER}/{local}"}
        case "identifier":
            system = HER_ID if kind == "Organization" else HPR_NUMBER
            return {"identifier": {"system": system, "value": str(number)}}
    raise ValueError(style)


def role(
    her_id: int, hpr: int, *, style: str = "type", active: bool | None = True, **period: str
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": f"her-{her_id}-hpr-{hpr}",
        "practitioner": reference("Practitioner", hpr, style),
        "organization": reference("Organization", her_id, style),
        "code": [{"text": "Fastlege"}],
    }
    if active is not None:
        resource["active"] = active
    if period:
        resource["period"] = period
    return resource


def full_url(local: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, local)}"


def registry_resources() -> list[dict[str, Any]]:
    """tests/registry.json as FHIR: both practices, three practitioners, four roles."""
    return [
        *(organization(her_id, *facts) for her_id, facts in PRACTICES.items()),
        *(practitioner(hpr, *names) for hpr, names in PEOPLE.items()),
        *(role(her_id, hpr) for her_id, hpr in ROLES),
    ]


def bundle(resources: list[dict[str, Any]], bundle_type: str = "collection") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": bundle_type,
        "entry": [
            {"fullUrl": full_url(f"{r['resourceType']}/{r['id']}"), "resource": copy.deepcopy(r)}
            for r in resources
        ],
    }


def bundle_text(resources: list[dict[str, Any]], bundle_type: str = "collection") -> str:
    return json.dumps(bundle(resources, bundle_type), ensure_ascii=False)


def find(resources: list[dict[str, Any]], local: str) -> dict[str, Any]:
    """The resource `Type/id` of the list, to change in place."""
    kind, _, id_ = local.partition("/")
    return next(r for r in resources if r["resourceType"] == kind and r["id"] == id_)
