"""The response cache keys an answer on what decides it (edge/cache_key.py), and APQ keeps only
documents that run: padding a request makes no new entry, and every request the stack would
answer differently still gets its own answer."""

from __future__ import annotations

import json
import math
from datetime import time, timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import httpx
import pytest

from app import create_app
from edge.cache_key import request_key
from edge.documents import id_of
from settings import Settings
from tests.conftest import ASTRID, FJORDBYEN, STORGATA, TODAY, error_codes, samples

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_TYPE = "application/json"

READ = """
query Read($herId: Int!, $service: Service!) {
  patientService(herId: $herId, service: $service) { service title offered }
}"""
READ_ID = id_of(READ)
# Storgata offers e-konsultasjon, Fjordbyen does not.
VARIABLES = {"herId": STORGATA, "service": "E_KONSULTASJON"}

# Documents APQ must not keep: one that does not parse, one that does not validate, one
# deeper than the limit (10).
UNPARSED = "{ patientService(herId: 8142519, service: RESEPTFORNYELSE) { title "
INVALID = "{ patientService(herId: 8142519, service: RESEPTFORNYELSE) { noSuchField } }"
TOO_DEEP = (
    "{ practice(herId: 1) {" + " practitioners { practices {" * 5 + " herId" + " } }" * 5 + " } }"
)


async def post_raw(api, body: bytes, content_type: str = JSON_TYPE, **headers: str):
    return await api.client.post(
        "/graphql", content=body, headers={"content-type": content_type, **headers}
    )


async def hits(api) -> float:
    """How many patient reads the response cache has answered so far."""
    values = await samples(api.client)
    return sum(
        value
        for (name, labels), value in values.items()
        if name == "tilpass_response_cache_hits_total"
    )


def body_of(**fields) -> bytes:
    return json.dumps(fields).encode()


async def test_padding_a_field_the_service_ignores_makes_no_new_entry(api):
    # Given a read the cache holds
    first = await post_raw(api, body_of(query=READ, variables=VARIABLES))
    assert first.status_code == 200
    entries = len(api.services.cache)

    # When the same read comes with padding in extensions, 20 times, each different
    answers = [
        await post_raw(
            api,
            body_of(query=READ, variables=VARIABLES, extensions={"pad": f"{n}" + "x" * 5_000}),
        )
        for n in range(20)
    ]

    # Then each gets the same answer, and the cache holds no more than before
    assert {answer.content for answer in answers} == {first.content}
    assert len(api.services.cache) == entries


async def test_white_space_and_the_order_of_variables_make_no_new_entry(api):
    await post_raw(api, body_of(query=READ, variables=VARIABLES))
    entries = len(api.services.cache)
    before = await hits(api)

    spaced = json.dumps(
        {"variables": dict(reversed(VARIABLES.items())), "query": READ}, indent=4
    ).encode()
    answer = await post_raw(api, spaced)

    assert answer.status_code == 200
    assert len(api.services.cache) == entries
    assert await hits(api) == before + 1


async def test_other_variables_get_their_own_answer(api):
    storgata = await post_raw(api, body_of(query=READ, variables=VARIABLES))
    fjordbyen = await post_raw(
        api, body_of(query=READ, variables={**VARIABLES, "herId": FJORDBYEN})
    )

    assert storgata.json()["data"]["patientService"]["offered"] is True
    assert fjordbyen.json()["data"]["patientService"]["offered"] is False


async def test_the_two_media_types_are_kept_apart(api):
    body = body_of(query=READ, variables=VARIABLES)
    plain = await post_raw(api, body, Accept=JSON_TYPE)
    spec = await post_raw(api, body, Accept=GRAPHQL_RESPONSE)
    plain_again = await post_raw(api, body, Accept=JSON_TYPE)

    assert plain.headers["content-type"].startswith(JSON_TYPE)
    assert spec.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert plain_again.headers["content-type"].startswith(JSON_TYPE)


async def test_a_get_with_extra_parameters_is_the_same_read(api):
    url = "/graphql?" + urlencode({"query": READ, "variables": json.dumps(VARIABLES)})
    first = await api.client.get(url)
    entries = len(api.services.cache)

    padded = await api.client.get(url + "&pad=" + "y" * 4_000)

    assert padded.status_code == 200
    assert padded.content == first.content
    assert len(api.services.cache) == entries


async def test_a_request_the_stack_refuses_is_refused_even_after_the_same_read_was_kept(api):
    # Given the read kept in the cache
    body = body_of(query=READ, variables=VARIABLES)
    assert (await post_raw(api, body)).status_code == 200

    # Then the same body as text/plain is still 415, and with an id that is not its hash
    # still a mismatch
    assert (await post_raw(api, body, content_type="text/plain")).status_code == 415
    mismatch = await post_raw(api, body_of(query=READ, variables=VARIABLES, documentId="0" * 64))
    assert error_codes(mismatch.json()) == ["PERSISTED_QUERY_HASH_MISMATCH"]


async def test_by_id_and_by_text_give_the_same_answer(api):
    # The read is registered through APQ, then asked by documentId and by APQ hash alone.
    registering = body_of(
        query=READ,
        variables=VARIABLES,
        extensions={"persistedQuery": {"version": 1, "sha256Hash": READ_ID}},
    )
    first = await post_raw(api, registering)
    by_id = await post_raw(api, body_of(documentId=f"sha256:{READ_ID}", variables=VARIABLES))
    by_hash = await post_raw(
        api,
        body_of(
            variables=VARIABLES,
            extensions={"persistedQuery": {"version": 1, "sha256Hash": READ_ID.upper()}},
        ),
    )

    assert first.status_code == by_id.status_code == by_hash.status_code == 200
    assert first.content == by_id.content == by_hash.content


async def test_variables_too_large_for_a_patient_read_are_answered_but_not_kept(api):
    entries = len(api.services.cache)
    padded = {**VARIABLES, "unused": "z" * 2_000}

    answer = await post_raw(api, body_of(query=READ, variables=padded))

    assert answer.status_code == 200
    assert answer.json()["data"]["patientService"]["offered"] is True
    assert len(api.services.cache) == entries


async def test_the_cache_is_bounded_by_bytes(api):
    # Given a cache that holds about three answers
    cache = api.services.cache
    cache.max_bytes = 3 * 1_500

    # When eight distinct reads come
    for day in range(1, 9):
        read = "query R($herId: Int!, $on: Date) { patientService(herId: $herId, service: RESEPTFORNYELSE, on: $on) { title } }"
        variables = {"herId": STORGATA, "on": f"2024-07-{day:02d}"}
        assert (await post_raw(api, body_of(query=read, variables=variables))).status_code == 200

    # Then it holds no more than its bound, and the newest are the ones it kept
    assert 0 < len(cache) < 8
    assert cache.bytes <= cache.max_bytes


# --- APQ registers only documents that run ---------------------------------------------------


async def register(api, document: str):
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": id_of(document)}}
    return await post_raw(api, body_of(query=document, extensions=extensions))


async def by_hash(api, document: str):
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": id_of(document)}}
    return await post_raw(api, body_of(extensions=extensions))


async def test_apq_keeps_no_document_that_does_not_parse_validate_or_keep_the_limits(api):
    for document in (UNPARSED, INVALID, TOO_DEEP):
        # When a document that cannot run is sent with its hash
        refused = await register(api, document)
        assert refused.json().get("data") is None, document

        # Then the hash alone still finds nothing
        later = await by_hash(api, document)
        assert error_codes(later.json()) == ["PERSISTED_QUERY_NOT_FOUND"], document


async def test_apq_keeps_a_document_that_runs_with_a_field_error(api):
    # A document that validates but whose field is refused (no token) is a real document.
    document = "query { practice(herId: 8142519) { version } }"
    refused = await register(api, document)
    assert error_codes(refused.json()) == ["UNAUTHENTICATED"]

    later = await by_hash(api, document)
    assert error_codes(later.json()) == ["UNAUTHENTICATED"]


@pytest.fixture
async def own_app(api, settings: Settings):
    """An app of its own on the test's services, with its persisted documents at hand."""
    app = create_app(api.services, settings=settings)
    view = next(route.app for route in app.routes if getattr(route, "path", "") == "/graphql")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield SimpleNamespace(client=client, documents=view.documents)


async def test_the_apq_store_is_bounded_by_bytes(own_app):
    # Given a store that holds about two 2 KB documents
    api, registered_documents = own_app, own_app.documents
    registered_documents.max_registered_bytes = 5_000
    documents = [f"# {n}{'p' * 2_000}\n{{ forms {{ id }} }}" for n in range(5)]

    # When five are registered
    for document in documents:
        assert (await register(api, document)).status_code == 200

    # Then it holds no more than its bound, and the newest is found by its hash
    assert registered_documents.registered_bytes <= 5_000
    assert "errors" not in (await by_hash(api, documents[-1])).json()
    assert error_codes((await by_hash(api, documents[0])).json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_get_with_empty_variables_is_answered_as_the_app_answers_it(api):
    # Given the read without variables kept in the cache
    url = "/graphql?" + urlencode({"query": "{ forms { id } }"})
    assert (await api.client.get(url)).status_code == 200

    # When the same read comes with an empty `variables` parameter, which strawberry refuses
    refused = await api.client.get(url + "&variables=")

    # Then it gets the app's refusal, not the kept answer
    assert "errors" in refused.json()
    assert "data" not in refused.json() or refused.json()["data"] is None


def key_of(variables: dict) -> object:
    body = json.dumps({"query": READ, "variables": variables}).encode()
    return request_key("POST", {b"content-type": b"application/json"}, b"", body, TODAY)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (math.nan, None),  # orjson writes both as null
        (math.inf, None),
        (math.nan, "NaN"),
        (1, 1.0),
        (1, True),
        (2**64, float(2**64)),  # beyond 64 bits: only `json` writes the integer
        ("\ud800", "\ufffd"),  # a lone surrogate
        ("null", None),
        ({"a": 1, "b": None}, {"a": 1}),
    ],
)
def test_different_variables_never_share_a_key(one, other):
    assert key_of({"x": one}) is not None and key_of({"x": other}) is not None
    assert key_of({"x": one}) != key_of({"x": other})
    assert key_of({"x": one, "y": 2}) == key_of({"y": 2, "x": one})


async def test_an_answer_kept_under_a_date_is_of_that_date_when_midnight_passes_meanwhile(
    api, clock
):
    # Given a notice for tomorrow only
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    added = await api.data(
        SCHEDULE,
        {
            "input": {
                "herId": STORGATA,
                "slot": "TIMEBESTILLING",
                "text": "Stengt i morgen.",
                "from": tomorrow,
                "to": tomorrow,
            }
        },
        hpr=ASTRID,
    )
    assert added["addScheduledText"]["userErrors"] == []
    # When a patient asks a moment before midnight, and midnight passes once the cache has
    # keyed the request by today's date
    clock.set(TODAY, time(23, 59, 59, 900_000))
    clock.then(TODAY + timedelta(days=1), time(0, 0, 0, 100_000))
    first = await api.data(TODAY_TEXT, {"herId": STORGATA})
    # Then the answer is today's, as its key says
    assert first["patientService"]["practiceText"] is None
    # And so is what the cache answers the next patient of today with
    clock.set(TODAY, time(23, 59, 59, 950_000))
    assert await api.data(TODAY_TEXT, {"herId": STORGATA}) == first
    # And tomorrow has the notice
    clock.set(TODAY + timedelta(days=1))
    tomorrows = await api.data(TODAY_TEXT, {"herId": STORGATA})
    assert tomorrows["patientService"]["practiceText"] == "Stengt i morgen."


SCHEDULE = """
mutation Add($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) { userErrors { code } }
}"""
TODAY_TEXT = """
query Today($herId: Int!) {
  patientService(herId: $herId, service: TIMEBESTILLING) { practiceText }
}"""
