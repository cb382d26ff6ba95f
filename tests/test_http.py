"""GraphQL over HTTP, as the GraphQL-over-HTTP specification has it: media types and Accept
negotiation, status codes under application/graphql-response+json and under application/json,
POST bodies, GET for queries only. The cases follow the specification's server audits (their
ids in the test ids), plus the negotiation and method rules around them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from edge.negotiation import negotiate
from tests.conftest import ASTRID, STORGATA

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

TYPENAME = "{ __typename }"
NAMED = "query Query { __typename }"
TYPE_BY_NAME = "query Type($name: String!) { __type(name: $name) { name } }"
PRACTICE = "query Practice($herId: Int!) { practice(herId: $herId) { name } }"
UNKNOWN_FIELD = "{ f8f31403dfe404bccbb0e835f2629c6a7 }"
SAVE_OVER_GET = (
    f"mutation {{ saveTexts(input: {{herId: {STORGATA}, "
    'texts: [{slot: RESEPTFORNYELSE, text: "Via GET"}]}) { userErrors { code } } }'
)
VERSION = "query V($herId: Int!) { practice(herId: $herId) { version } }"


@dataclass(frozen=True)
class Case:
    """One POST to /graphql and what the specification says of the answer."""

    body: Any  # JSON-encoded unless bytes
    accept: str | None
    status: int
    errors: bool | None = None  # must (True) or must not (False) have `errors`
    data: bool | None = None  # must (True) or must not (False) have a `data` entry
    content_type: str | None = "application/json"


INVALID = {"object": {"obj": "ect"}, "number": 0, "boolean": False, "array": ["array"]}
INVALID_MAPS = {"string": "string", "number": 0, "boolean": False, "array": ["array"]}

CASES: dict[str, Case] = {
    "22EB graphql-response+json accepted": Case({"query": TYPENAME}, GRAPHQL_RESPONSE, 200),
    "4655 json accepted": Case({"query": TYPENAME}, JSON, 200),
    "47DE */* gives json": Case({"query": TYPENAME}, "*/*", 200),
    "BF61 utf-8 charset": Case(
        {"query": TYPENAME}, JSON, 200, False, True, f"{JSON}; charset=utf-8"
    ),
    "78D5 no charset": Case({"query": TYPENAME}, JSON, 200, False, True),
    "9ABE no content type": Case({"query": TYPENAME}, JSON, 415, True, False, None),
    "unsupported content type": Case({"query": TYPENAME}, JSON, 415, True, False, "text/plain"),
    "other charset": Case({"query": TYPENAME}, JSON, 415, True, False, f"{JSON}; charset=latin-1"),
    "A5BF json: no body": Case(b"", JSON, 400, True, False),
    "7267 graphql-response: no body": Case(b"", GRAPHQL_RESPONSE, 400, True, False),
    "6610 graphql-response: no query": Case(
        {"notquery": TYPENAME}, GRAPHQL_RESPONSE, 400, True, False
    ),
    "3715 json: no query": Case({"notquery": TYPENAME}, JSON, 200, True, False),
    **{
        f"4F5 graphql-response: {kind} query": Case(
            {"query": value}, GRAPHQL_RESPONSE, 400, True, False
        )
        for kind, value in INVALID.items()
    },
    **{
        f"9FE json: {kind} query": Case({"query": value}, JSON, 200, True, False)
        for kind, value in INVALID.items()
    },
    "34A2 graphql-response: string query": Case(
        {"query": TYPENAME}, GRAPHQL_RESPONSE, 200, False, True
    ),
    "13EE json: string query": Case({"query": TYPENAME}, JSON, 200, False, True),
    **{
        f"E3E graphql-response: {kind} operationName": Case(
            {"query": TYPENAME, "operationName": value}, GRAPHQL_RESPONSE, 400, True, False
        )
        for kind, value in INVALID.items()
    },
    **{
        f"FB9 json: {kind} operationName": Case(
            {"query": TYPENAME, "operationName": value}, JSON, 200, True, False
        )
        for kind, value in INVALID.items()
    },
    "8161 graphql-response: operationName": Case(
        {"query": NAMED, "operationName": "Query"}, GRAPHQL_RESPONSE, 200, False, True
    ),
    "B8B3 json: operationName": Case(
        {"query": NAMED, "operationName": "Query"}, JSON, 200, False, True
    ),
    **{
        f"94B/022 {accept}: null {parameter}": Case(
            {"query": TYPENAME, parameter: None}, accept, 200, False, True
        )
        for parameter in ("variables", "operationName", "extensions")
        for accept in (GRAPHQL_RESPONSE, JSON)
    },
    **{
        f"69B graphql-response: {kind} variables": Case(
            {"query": TYPENAME, "variables": value}, GRAPHQL_RESPONSE, 400, True, False
        )
        for kind, value in INVALID_MAPS.items()
    },
    **{
        f"F05 json: {kind} variables": Case(
            {"query": TYPENAME, "variables": value}, JSON, 200, True, False
        )
        for kind, value in INVALID_MAPS.items()
    },
    "2EA1/28B9 map variables": Case(
        {"query": TYPE_BY_NAME, "variables": {"name": "Practice"}},
        GRAPHQL_RESPONSE,
        200,
        False,
        True,
    ),
    **{
        f"904 graphql-response: {kind} extensions": Case(
            {"query": TYPENAME, "extensions": value}, GRAPHQL_RESPONSE, 400, True, False
        )
        for kind, value in INVALID_MAPS.items()
    },
    **{
        f"368 json: {kind} extensions": Case(
            {"query": TYPENAME, "extensions": value}, JSON, 200, True, False
        )
        for kind, value in INVALID_MAPS.items()
    },
    "428F/1B7A map extensions": Case(
        {"query": TYPENAME, "extensions": {"some": "value"}}, GRAPHQL_RESPONSE, 200, False, True
    ),
    # BCF8: a body that is not JSON never reached GraphQL, so 400 even under application/json.
    "BCF8 json: JSON parse failure": Case(b'{ "not a JSON', JSON, 400, True, False),
    "json: not UTF-8": Case(b'{"query": "\xff\xfe"}', JSON, 400, True, False),
    "F5AF json: invalid parameters": Case({"qeury": TYPENAME}, JSON, 200, True, False),
    "572B json: document parse failure": Case({"query": "{"}, JSON, 200, True, False),
    "FDE2 json: validation failure": Case({"query": UNKNOWN_FIELD}, JSON, 200, True, False),
    "2163 graphql-response: JSON parse failure": Case(
        b'{ "not a JSON', GRAPHQL_RESPONSE, 400, True, False
    ),
    "17C5/34D6 graphql-response: invalid parameters": Case(
        {"qeury": TYPENAME}, GRAPHQL_RESPONSE, 400, True, False
    ),
    "556A/D586 graphql-response: document parse failure": Case(
        {"query": "{"}, GRAPHQL_RESPONSE, 400, True, False
    ),
    "74FF/5E5B graphql-response: validation failure": Case(
        {"query": UNKNOWN_FIELD}, GRAPHQL_RESPONSE, 400, True, False
    ),
    "graphql-response: variable coercion failure": Case(
        {"query": PRACTICE, "variables": {"herId": "x"}}, GRAPHQL_RESPONSE, 400, True, False
    ),
    "graphql-response: missing variable": Case(
        {"query": PRACTICE}, GRAPHQL_RESPONSE, 400, True, False
    ),
    "graphql-response: unknown operationName": Case(
        {"query": NAMED, "operationName": "Other"}, GRAPHQL_RESPONSE, 400, True, False
    ),
    "graphql-response: batch": Case([{"query": TYPENAME}], GRAPHQL_RESPONSE, 400, True, False),
    "json: batch": Case([{"query": TYPENAME}, {"query": TYPENAME}], JSON, 200, True, False),
    "graphql-response: not UTF-8": Case(
        b'{"query": "\xff\xfe"}', GRAPHQL_RESPONSE, 400, True, False
    ),
    "graphql-response: JSON nested past the recursion limit": Case(
        b'{"query": "{ __typename }", "variables": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        GRAPHQL_RESPONSE,
        400,
        True,
        False,
    ),
    "406: html only": Case({"query": TYPENAME}, "text/html", 406, True, False),
    "406: xml only": Case({"query": TYPENAME}, "application/xml", 406, True, False),
}


async def post(api, case: Case) -> httpx.Response:
    content = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    headers = {}
    if case.accept is not None:
        headers["Accept"] = case.accept
    request = api.client.build_request("POST", "/graphql", content=content, headers=headers)
    if case.content_type is None:
        request.headers.pop("content-type", None)
    else:
        request.headers["content-type"] = case.content_type
    return await api.client.send(request)


# strawberry's refusals of a request, as the client reads them: Norwegian, with a stable code
# under both media types (application/json reports them with 200).
REFUSALS = {
    "no query": ({"notquery": TYPENAME}, "Forespørselen har ingen GraphQL-spørring"),
    "query not a string": ({"query": 0}, "query må være en tekst eller null"),
    "variables not an object": (
        {"query": TYPENAME, "variables": "x"},
        "variables må være et JSON-objekt eller null",
    ),
    "extensions not an object": (
        {"query": TYPENAME, "extensions": 1},
        "extensions må være et JSON-objekt eller null",
    ),
    "batch": ([{"query": TYPENAME}, {"query": TYPENAME}], "bare ha én GraphQL-operasjon"),
    "unknown operationName": (
        {"query": NAMED, "operationName": "Other"},
        "Dokumentet har ingen operasjon som heter «Other».",
    ),
}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
@pytest.mark.parametrize("name", list(REFUSALS))
async def test_request_refusals_are_in_norwegian_with_a_stable_code(api, name, accept):
    body, message = REFUSALS[name]
    response = await post(api, Case(body, accept, 0))
    assert response.status_code == (400 if accept == GRAPHQL_RESPONSE else 200)
    (error,) = response.json()["errors"]
    assert message in error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("name", list(CASES))
async def test_post_as_the_specification_says(api, name):
    case = CASES[name]
    response = await post(api, case)
    assert response.status_code == case.status, response.text
    # The body is a GraphQL response in UTF-8, in the media type negotiated
    media_type = response.headers["content-type"].split(";")[0]
    if case.status == 406:
        assert media_type == JSON
    else:
        expected = GRAPHQL_RESPONSE if case.accept == GRAPHQL_RESPONSE else JSON
        assert media_type == expected
    body = json.loads(response.content.decode("utf-8"))
    assert isinstance(body, dict)
    if case.errors is not None:
        assert ("errors" in body) is case.errors, body
        if case.errors:
            assert all(isinstance(e["message"], str) and e["message"] for e in body["errors"])
    if case.data is not None:
        assert ("data" in body) is case.data, body


async def test_field_errors_keep_200_and_data_under_graphql_response(api):
    # Given an admin query without a token: a field error, not a request error
    response = await api.client.post(
        "/graphql",
        json={"query": PRACTICE, "variables": {"herId": STORGATA}},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    # Then it is a 200 with the data entry (null field) and the error
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"practice": None}
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_request_errors_under_json_have_no_data_entry(api):
    body = (await api.client.post("/graphql", json={"query": UNKNOWN_FIELD})).json()
    assert "data" not in body and body["errors"]


# --- GET ------------------------------------------------------------------------------------


async def test_get_without_accept_is_answered_in_json(api):
    # 80D8: no Accept header at all is taken to mean application/json
    request = api.client.build_request("GET", "/graphql", params={"query": TYPENAME})
    request.headers.pop("accept", None)
    response = await api.client.send(request)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == JSON
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_get_with_url_encoded_variables(api, accept):
    # D6D5 / 6A70
    params = {"query": TYPE_BY_NAME, "variables": json.dumps({"name": "Practice"})}
    response = await api.client.get("/graphql", params=params, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    assert response.json() == {"data": {"__type": {"name": "Practice"}}}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON, "*/*"])
async def test_mutation_over_get_is_405_and_changes_nothing(api, accept):
    # 9C48: GET runs queries only
    response = await api.client.get(
        "/graphql",
        params={"query": SAVE_OVER_GET},
        headers={"Accept": accept, "Authorization": f"Bearer {api.token(ASTRID)}"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    version = await api.data(VERSION, {"herId": STORGATA}, hpr=ASTRID)
    assert version["practice"]["version"] == 0


async def test_mutation_over_post_still_works(api):
    data = await api.data(SAVE_OVER_GET, hpr=ASTRID)
    assert data["saveTexts"]["userErrors"] == []


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405(api, method):
    response = await api.client.request(method, "/graphql", json={"query": TYPENAME})
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


async def test_get_query_of_the_patient_page_is_cached_under_both_media_types(api):
    url = "/graphql?" + urlencode(
        {
            "query": "query P($h: Int!) { patientPanel(herId: $h) { panelText } }",
            "variables": json.dumps({"h": STORGATA}),
        }
    )
    for accept in (GRAPHQL_RESPONSE, JSON):
        first = await api.client.get(url, headers={"Accept": accept})
        assert first.status_code == 200
        assert first.headers["content-type"].startswith(accept)
        again = await api.client.get(
            url, headers={"Accept": accept, "If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304


async def test_request_errors_are_not_cached(api):
    url = "/graphql?" + urlencode({"query": TYPENAME, "variables": "not json"})
    response = await api.client.get(url, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert "etag" not in response.headers
    assert response.headers["cache-control"] == "no-store"


# --- Accept negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
        (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{JSON}, */*", JSON),
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
        (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
        (f"{GRAPHQL_RESPONSE}, */*;q=0.1", GRAPHQL_RESPONSE),
        (f"{JSON};q=0, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        ("text/html,application/xhtml+xml,*/*;q=0.8", JSON),
        ("text/html", None),
        (f"{JSON};q=0", None),
        ("garbage", None),
        (f"{GRAPHQL_RESPONSE};q=abc", None),
    ],
)
def test_accept_negotiation(accept, chosen):
    assert negotiate(accept) == chosen
