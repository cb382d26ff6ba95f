"""The test FHIR server itself (tests/fhir_server.py): paging, includes, faults, tokens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fhir_server import FhirServer


def organization(her_id: int) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": f"org-{her_id}",
        "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.2", "value": str(her_id)}],
        "name": f"Legekontor {her_id}",
    }


def practitioner(hpr: int) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": f"pr-{hpr}",
        "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.4", "value": str(hpr)}],
        "name": [{"use": "official", "family": "Lege", "given": [str(hpr)]}],
    }


def role(hpr: int, her_id: int) -> dict[str, Any]:
    return {
        "resourceType": "PractitionerRole",
        "id": f"role-{hpr}-{her_id}",
        "practitioner": {"reference": f"Practitioner/pr-{hpr}"},
        "organization": {"reference": f"Organization/org-{her_id}"},
    }


# Two practices with five roles between them, a practice without roles and a GP without one.
RESOURCES = [
    organization(1),
    organization(2),
    organization(3),
    *(practitioner(n) for n in (1000001, 1000002, 1000003, 1000004, 1000005)),
    role(1000001, 1),
    role(1000002, 1),
    role(1000003, 2),
    role(1000004, 2),
    role(1000001, 2),
]


def follow(start: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every page of a search, through its next links."""
    bundles, url = [], start
    while url:
        answer = httpx.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/fhir+json")
        bundle = answer.json()
        bundles.append(bundle)
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        assert len(bundles) < 20
    return bundles


def keys(bundle: dict[str, Any], mode: str) -> list[str]:
    return [
        f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        for entry in bundle["entry"]
        if entry["search"]["mode"] == mode
    ]


def test_pages_chain_through_next_links_and_carry_their_includes():
    with FhirServer(RESOURCES, page_size=2) as fhir:
        bundles = follow(fhir.search_url)
        assert len(bundles) == 3
        for bundle in bundles:
            assert bundle["resourceType"] == "Bundle"
            assert bundle["type"] == "searchset"
            assert bundle["total"] == 5
            for entry in bundle["entry"]:
                resource = entry["resource"]
                assert entry["fullUrl"] == f"{fhir.url}/{resource['resourceType']}/{resource['id']}"
        assert [keys(b, "match") for b in bundles] == [
            ["PractitionerRole/role-1000001-1", "PractitionerRole/role-1000002-1"],
            ["PractitionerRole/role-1000003-2", "PractitionerRole/role-1000004-2"],
            ["PractitionerRole/role-1000001-2"],
        ]
        # Each page includes what its roles reference; Organization/org-2 appears twice.
        assert set(keys(bundles[0], "include")) == {
            "Practitioner/pr-1000001",
            "Practitioner/pr-1000002",
            "Organization/org-1",
        }
        assert set(keys(bundles[1], "include")) == {
            "Practitioner/pr-1000003",
            "Practitioner/pr-1000004",
            "Organization/org-2",
        }
        # The last page also holds what no role references.
        assert set(keys(bundles[2], "include")) == {
            "Practitioner/pr-1000001",
            "Organization/org-2",
            "Organization/org-3",
            "Practitioner/pr-1000005",
        }
        # The next links are opaque ones the server issued, on its own base.
        next_url = next(link["url"] for link in bundles[0]["link"] if link["relation"] == "next")
        assert next_url.startswith(f"{fhir.url}/PractitionerRole?")
        assert "_getpages=" in next_url and "page=2" in next_url
        assert fhir.requests[0][0] == fhir.search_url.removeprefix(f"http://127.0.0.1:{fhir.port}")
        assert len(fhir.requests) == 3


def test_without_includes_only_the_roles_come():
    with FhirServer(RESOURCES, page_size=10, include=False) as fhir:
        (bundle,) = follow(fhir.search_url)
        assert len(keys(bundle, "match")) == 5
        assert keys(bundle, "include") == []


def test_a_search_without_roles_is_one_page_of_includes():
    with FhirServer([organization(1), practitioner(1000001)]) as fhir:
        (bundle,) = follow(fhir.search_url)
        assert bundle["total"] == 0
        assert keys(bundle, "include") == ["Organization/org-1", "Practitioner/pr-1000001"]


def test_only_issued_next_links_are_accepted():
    with FhirServer(RESOURCES, page_size=2) as fhir:
        first = httpx.get(fhir.search_url).json()
        next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
        assert httpx.get(next_url.replace("page=2", "page=3")).status_code == 410
        assert httpx.get(f"{fhir.url}/PractitionerRole?_getpages=forged&page=2").status_code == 410
        assert httpx.get(f"{fhir.search_url}&page=2").status_code == 400
        assert httpx.get(next_url).status_code == 200
        assert httpx.get(f"{fhir.url}/Patient").status_code == 404


@pytest.mark.parametrize("page", [1, 2])
def test_fail_page_answers_500_with_an_operation_outcome(page):
    with FhirServer(RESOURCES, page_size=2) as fhir:
        fhir.fail_page = page
        url = fhir.search_url
        if page == 2:
            first = httpx.get(url).json()
            url = next(link["url"] for link in first["link"] if link["relation"] == "next")
        answer = httpx.get(url)
        assert answer.status_code == 500
        assert answer.json()["resourceType"] == "OperationOutcome"
        assert answer.json()["issue"][0]["severity"] == "error"
        fhir.fail_page = None
        assert httpx.get(url).status_code == 200


def test_outcome_page_holds_an_error_outcome_entry():
    with FhirServer(RESOURCES, page_size=2) as fhir:
        fhir.outcome_page = 2
        bundles = follow(fhir.search_url)
        assert len(bundles) == 3
        assert keys(bundles[0], "outcome") == []
        (outcome,) = [
            e["resource"] for e in bundles[1]["entry"] if e["search"]["mode"] == "outcome"
        ]
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["severity"] == "error"


def test_the_token_is_enforced_on_every_page():
    with FhirServer(RESOURCES, page_size=2, token="s3cret") as fhir:
        refused = httpx.get(fhir.search_url)
        assert refused.status_code == 401
        assert refused.json()["resourceType"] == "OperationOutcome"
        assert (
            httpx.get(fhir.search_url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        )
        good = {"Authorization": "Bearer s3cret"}
        assert len(follow(fhir.search_url, good)) == 3
        first = httpx.get(fhir.search_url, headers=good).json()
        next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
        assert httpx.get(next_url).status_code == 401
        assert fhir.requests[0][1] is None
        assert fhir.requests[-2][1] == "Bearer s3cret"


def test_a_search_keeps_its_snapshot():
    resources = list(RESOURCES)
    with FhirServer(resources, page_size=3) as fhir:
        first = httpx.get(fhir.search_url).json()
        fhir.resources = [organization(9)]
        next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
        assert len(keys(httpx.get(next_url).json(), "match")) == 2
        (fresh,) = follow(fhir.search_url)
        assert keys(fresh, "include") == ["Organization/org-9"]
