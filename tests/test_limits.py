"""No request can take the service down: limits on depth, tokens, aliases, fragment spreads
and body size, each with a clear error and a stable code, and each checked in time linear in
the document (fragments spread in fragments are not walked again per spread); batching off;
unexpected failures masked behind a reference that is also in the log, while the client's own
mistakes and refusals stay readable."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app import Services, create_app
from auth.tokens import development_tokens
from edge.limits import schema_for, without_suggestions
from models.catalog import load_catalog
from models.database import Database
from schema.limits import (
    QUERY_TOO_COMPLEX,
    QUERY_TOO_DEEP,
    TOO_MANY_ALIASES,
    TOO_MANY_FRAGMENT_SPREADS,
)
from settings import Settings
from tests.conftest import ASTRID, JACOB, STORGATA, Api, Clock, error_codes, text_input
from tests.servers import Server

GRAPHQL_RESPONSE = "application/graphql-response+json"

# The limits of the app under test, small enough to reach with a readable document.
LIMITS = {"max_depth": 3, "max_tokens": 200, "max_aliases": 3, "max_body_bytes": 4096}

DEPTH_3 = "query { patientPanel(herId: 8142519) { services { form { id } } } }"
DEPTH_4 = "query { patientPanel(herId: 8142519) { services { entryPoints { form { id } } } } }"
# The same depth through a fragment counts the same.
DEPTH_4_IN_FRAGMENT = """
query { patientPanel(herId: 8142519) { services { ...S } } }
fragment S on PatientService { entryPoints { form { id } } }
"""
THREE_ALIASES = "query { a: forms { id } b: forms { id } c: forms { id } }"
FOUR_ALIASES = "query { a: forms { id } b: forms { id } c: forms { id } d: forms { id } }"
# Aliases hidden in a fragment are counted too.
FOUR_ALIASES_IN_FRAGMENT = "query { ...F d: forms { id } } fragment F on Query { a: forms { id } b: forms { id } c: forms { id } }"

# Depth reached only through a chain of fragments, each adding at most one level.
DEPTH_3_THROUGH_FRAGMENTS = """
query { patientPanel(herId: 8142519) { ...A } }
fragment A on PatientPanel { services { ...B } }
fragment B on PatientService { ...C }
fragment C on PatientService { entryPoints { ...D } }
fragment D on PatientEntry { title }
"""
DEPTH_4_THROUGH_FRAGMENTS = DEPTH_3_THROUGH_FRAGMENTS.replace("{ title }", "{ form { id } }")
# Introspection fields count no depth, as with strawberry's QueryDepthLimiter.
DEEP_INTROSPECTION = "{ __schema { types { fields { type { ofType { name } } } } } }"
# A fragment's aliases count once per spread: 3 × 1, then 2 × 2.
THREE_ALIASES_BY_SPREADS = (
    "query { ...One ...One ...One } fragment One on Query { a: forms { id } }"
)
FOUR_ALIASES_BY_SPREADS = (
    "query { ...Two ...Two } fragment Two on Query { a: forms { id } b: forms { id } }"
)
# Spreads as the executor expands them: 4 × (1 + 49) = 200, then one more.
FORTY_NINE_FORMS = " ".join(["...Forms"] * 49)
SPREADS_200 = f"""
query {{ ...Fifty ...Fifty ...Fifty ...Fifty }}
fragment Fifty on Query {{ {FORTY_NINE_FORMS} }}
fragment Forms on Query {{ forms {{ id }} }}
"""
SPREADS_201 = SPREADS_200.replace("...Fifty }", "...Fifty ...Forms }")
# A cycle (graphql-core refuses it) must not send the limits round it for ever.
CYCLE = "query { ...A } fragment A on Query { ...B forms { id } } fragment B on Query { ...A }"

PRACTICE = """
query Practice($herId: Int!) {
  practice(herId: $herId) { version texts { slot text } absences { id } auditLog { edges { node { id } } } }
}
"""
SAVE_TEXTS = """
mutation Save($input: SaveTextsInput!) { saveTexts(input: $input) { practice { version } } }
"""


def doubling_fragments(levels: int) -> str:
    """Each fragment spreads the one below it twice: 2^levels spreads expanded, in a document
    of 40 bytes a level."""
    fragments = ["fragment F0 on Query { forms { id } }"]
    fragments += [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"query {{ ...F{levels} }} " + " ".join(fragments)


# graphql-core compares each pair of fields with one response name at one place.
SAME_FIELD_499_TIMES = "{ " + "forms { id } " * 499 + "}"


def tokens_document(count: int) -> str:
    """A valid query that counts as `count` tokens: `{ forms { … id … } }` and the end of the
    document, which graphql-core counts too. Padded with inline fragments rather than with
    one field repeated, which graphql-core would compare pair by pair (QUERY_TOO_COMPLEX)."""
    levels = (count - 6) // 5
    ids = " ".join(["id"] * (count - 5 - 5 * levels))
    return "{ forms { " + "... on Form { " * levels + ids + " }" * levels + " } }"


@asynccontextmanager
async def app_with(
    db: Database, settings: Settings, clock: Clock, **limits: Any
) -> AsyncIterator[Api]:
    """The app with `limits` in its settings, built the way conftest builds it."""
    tokens = await development_tokens(db, settings)
    services = Services(db=db, catalog=load_catalog(), verifier=tokens, clock=clock)
    await services.start()
    app = create_app(services, settings=replace(settings, **limits))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client=client, tokens=tokens)
    finally:
        await services.stop()


@pytest.fixture
async def limited(db, settings: Settings, clock) -> AsyncIterator[Api]:
    """The app with the small limits above."""
    async with app_with(db, settings, clock, **LIMITS) as api:
        yield api


@pytest.fixture
async def roomy(db, settings: Settings, clock) -> AsyncIterator[Api]:
    """The default limits but for tokens, so that the limits behind them are reached."""
    async with app_with(db, settings, clock, max_tokens=20_000) as api:
        yield api


async def ask(api: Api, document: str) -> httpx.Response:
    return await api.client.post(
        "/graphql", json={"query": document}, headers={"Accept": GRAPHQL_RESPONSE}
    )


def assert_refused(response: httpx.Response, words: str, code: str | None = None) -> None:
    """A 400 request error with one message that says which limit, and no data."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    messages = " ".join(error["message"] for error in body["errors"])
    assert words in messages, messages
    if code is not None:
        assert code in error_codes(body), body


class CPUTimeExceeded(BaseException):
    """Raised in the test when it has burnt its CPU: a failure, not a hang (the old limits
    never finished a 40-level document). Not an Exception, so that nothing in the app
    catches it."""


@contextmanager
def cpu_guard(seconds: float) -> Iterator[None]:
    """Stops the test once the process has spent `seconds` of CPU inside the block."""

    def stop(*_: object) -> None:
        raise CPUTimeExceeded(f"more than {seconds} s of CPU")

    previous = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


async def cpu_of(api: Api, document: str) -> tuple[httpx.Response, float]:
    """The answer to `document`, and the CPU seconds the process spent on it."""
    with cpu_guard(5):
        started = time.process_time()
        response = await ask(api, document)
        return response, time.process_time() - started


TOO_DEEP = "Dokumentet er for dypt: 4 nivåer, høyst 3."
FOUR_ALIASES_FOUND = "Dokumentet har for mange aliaser: 4, høyst 3."


@pytest.mark.parametrize(
    ("document", "allowed", "words", "code"),
    [
        pytest.param(DEPTH_3, True, "", None, id="depth-at-limit"),
        pytest.param(DEPTH_4, False, TOO_DEEP, QUERY_TOO_DEEP, id="depth-over"),
        pytest.param(
            DEPTH_4_IN_FRAGMENT, False, TOO_DEEP, QUERY_TOO_DEEP, id="depth-over-in-fragment"
        ),
        pytest.param(DEPTH_3_THROUGH_FRAGMENTS, True, "", None, id="depth-at-limit-by-fragments"),
        pytest.param(
            DEPTH_4_THROUGH_FRAGMENTS, False, TOO_DEEP, QUERY_TOO_DEEP, id="depth-over-by-fragments"
        ),
        pytest.param(DEEP_INTROSPECTION, True, "", None, id="introspection-counts-no-depth"),
        pytest.param(tokens_document(200), True, "", None, id="tokens-at-limit"),
        pytest.param(tokens_document(201), False, "more than 200 tokens", None, id="tokens-over"),
        pytest.param(THREE_ALIASES, True, "", None, id="aliases-at-limit"),
        pytest.param(FOUR_ALIASES, False, FOUR_ALIASES_FOUND, TOO_MANY_ALIASES, id="aliases-over"),
        pytest.param(
            FOUR_ALIASES_IN_FRAGMENT,
            False,
            FOUR_ALIASES_FOUND,
            TOO_MANY_ALIASES,
            id="aliases-over-in-fragment",
        ),
        pytest.param(THREE_ALIASES_BY_SPREADS, True, "", None, id="aliases-at-limit-by-spreads"),
        pytest.param(
            FOUR_ALIASES_BY_SPREADS,
            False,
            FOUR_ALIASES_FOUND,
            TOO_MANY_ALIASES,
            id="aliases-over-by-spreads",
        ),
        pytest.param(SPREADS_200, True, "", None, id="spreads-at-limit"),
        pytest.param(
            SPREADS_201,
            False,
            "Dokumentet setter inn fragmenter for mange ganger: 201, høyst 200.",
            TOO_MANY_FRAGMENT_SPREADS,
            id="spreads-over",
        ),
        pytest.param(CYCLE, False, "Cannot spread fragment 'A' within itself", None, id="cycle"),
    ],
)
async def test_document_limits(limited, document, allowed, words, code):
    response = await ask(limited, document)
    if allowed:
        assert response.status_code == 200, response.text
        assert "errors" not in response.json()
    else:
        assert_refused(response, words, code)


# --- work linear in the document ------------------------------------------------------------


@pytest.mark.parametrize("levels", [18, 22, 40, 60, 200])
async def test_fragments_spread_twice_per_level_are_refused_in_milliseconds(roomy, levels):
    # Given fragments each spreading the one below twice: 2^levels spreads once expanded,
    # which the old limits walked one by one (18 levels: seconds; 40: never done)
    document = doubling_fragments(levels)
    # When it is sent
    response, cpu = await cpu_of(roomy, document)
    # Then it is refused before anything runs, naming the limit, for a few milliseconds of CPU
    assert_refused(response, "høyst 200", TOO_MANY_FRAGMENT_SPREADS)
    assert cpu < 0.5, f"{cpu:.3f} s of CPU for {levels} levels"


async def test_many_fields_with_one_name_are_refused_quickly(api):
    # Given 499 copies of one field, each pair of which graphql-core's
    # OverlappingFieldsCanBeMergedRule compares (a second of CPU on its own budget)
    response, cpu = await cpu_of(api, SAME_FIELD_499_TIMES)
    # Then it is refused on ours, in our words
    assert_refused(response, "for sammensatt", QUERY_TOO_COMPLEX)
    assert cpu < 0.5, f"{cpu:.3f} s of CPU"


async def test_suggestions_are_hidden_in_linear_time():
    # Given production, and an error message quoting a string literal of 60,000 spaces
    # (a regular expression took 8 s of CPU over it)
    production = schema_for(Settings(env="production"))
    document = '{ forms(entryPoint: "' + " " * 60_000 + '") { id } }'
    with cpu_guard(5):
        started = time.process_time()
        result = await production.execute(document)
        cpu = time.process_time() - started
    assert result.errors and "cannot represent" in result.errors[0].message
    assert cpu < 0.5, f"{cpu:.3f} s of CPU"
    # And suggestions still go wherever they are, whatever the message quotes
    for message, hidden in [
        (
            "Value 'X' does not exist in 'EntryPoint' enum. Did you mean 'E_KONTAKT'?",
            "Value 'X' does not exist in 'EntryPoint' enum.",
        ),
        (
            "Field 'slott' is not defined. Did you mean 'slot'? Found: {'slott': 'x'}.",
            "Field 'slott' is not defined. Found: {'slott': 'x'}.",
        ),
        (
            "Expected a value, found \"Did you mean\"? Did you mean 'a', or 'b'?",
            'Expected a value, found "Did you mean"?',
        ),
        ('Found "Did you mean that".', 'Found "Did you mean that".'),
    ]:
        assert without_suggestions(message) == hidden


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`tilpass serve` with the default limits, on a database of its own."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TILPASS_", "OTEL_"))}
    environ["TILPASS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tilpass.db'}"
    served = Server(cwd=tmp_path, env=environ).start()
    try:
        yield served
    finally:
        served.stop()


async def test_healthz_answers_while_doubling_fragments_are_refused(server):
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
        # Given clients sending fragments doubled 40 levels deep, which held the event loop
        # for ever
        attacks = [
            asyncio.create_task(
                client.post(
                    "/graphql",
                    json={"query": doubling_fragments(40)},
                    headers={"Accept": GRAPHQL_RESPONSE},
                )
            )
            for _ in range(3)
        ]
        try:
            await asyncio.sleep(0.05)
            # When the load balancer asks meanwhile, then it is answered at once
            started = time.monotonic()
            health = await client.get("/healthz", timeout=2)
            assert health.status_code == 200
            assert time.monotonic() - started < 1
            # And each attack got its refusal
            for response in await asyncio.gather(*attacks):
                assert_refused(response, "høyst 200", TOO_MANY_FRAGMENT_SPREADS)
        finally:
            for attack in attacks:
                attack.cancel()


async def test_default_limits_let_the_admin_page_through(api):
    # The admin page's biggest document (a mutation returning the whole practice) is well
    # within the defaults.
    document = """
    mutation SaveTexts($input: SaveTextsInput!) {
      saveTexts(input: $input) { practice { ...P } userErrors { field code message } }
    }
    fragment P on Practice {
      herId name version practitioners { hprNumber name }
      texts { slot title standardText text maxLength offered }
      tools { entryPoint title isDefault activeForm { id displayName } availableForms { id displayName } }
      absences { id practitioner { hprNumber name } from to services }
    }
    """
    variables = text_input(STORGATA, "FASTLEGEPANEL", "Hei")
    data = await api.data(document, variables, hpr=ASTRID)
    assert data["saveTexts"]["userErrors"] == []


async def test_deep_nesting_within_the_token_limit_is_no_server_error(api):
    # Lists nested as deep as the token limit allows: the parser must not fall over
    document = "{ forms(entryPoint: " + "[" * 990 + "]" * 990 + ") { id } }"
    response = await ask(api, document)
    assert response.status_code == 400, response.text
    assert response.json()["errors"]


# --- request body ---------------------------------------------------------------------------


def body_of(size: int) -> bytes:
    """A valid GraphQL request of exactly `size` bytes (padded with JSON white space)."""
    core = b'{"query": "{ __typename }"}'
    return core[:-1] + b" " * (size - len(core)) + b"}"


async def test_body_at_the_limit_is_served(limited):
    response = await limited.client.post(
        "/graphql", content=body_of(4096), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_body_over_the_limit_is_413(limited):
    response = await limited.client.post(
        "/graphql", content=body_of(4097), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
    assert "4096" in error["message"] and "for stor" in error["message"]


async def test_chunked_body_over_the_limit_is_413(limited):
    # Given a body sent in chunks, without Content-Length
    async def chunks():
        yield b'{"query": "{ __typename }", "pad": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = await limited.client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_huge_declared_body_is_refused_unread(limited):
    # Content-Length says 1 GB: refused on the header alone
    request = limited.client.build_request(
        "POST", "/graphql", content=b"{}", headers={"Content-Type": "application/json"}
    )
    request.headers["content-length"] = str(10**9)
    response = await limited.client.send(request)
    assert response.status_code == 413


async def test_batching_is_off_with_a_clear_error(api):
    response = await api.client.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}],
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert "batching er slått av" in response.json()["errors"][0]["message"]


# --- errors: masked when unexpected, readable otherwise -------------------------------------


async def test_unexpected_error_is_masked_with_a_reference_that_is_in_the_log(api, db, caplog):
    # Given a database that has lost a table the admin view reads
    async with db.write() as session:
        await session.execute(text("DROP TABLE absence"))
    # When Astrid opens her practice
    with caplog.at_level(logging.ERROR):
        body = await api.post(PRACTICE, {"herId": STORGATA}, hpr=ASTRID)
    # Then she gets a Norwegian message and a reference, and nothing of the internals
    [error] = body["errors"]
    reference = error["extensions"]["reference"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "reference": reference}
    assert reference in error["message"] and "uventet feil" in error["message"]
    for leak in ("no such table", "does not exist", "SELECT", "sqlite", "asyncpg", "Traceback"):
        assert leak not in str(body)
    # And the log has the reference, with what went wrong
    [record] = [r for r in caplog.records if getattr(r, "reference", None) == reference]
    assert record.exc_info is not None


async def test_text_in_a_failed_write_is_not_in_the_log(api, db, caplog):
    # Given a database without its audit table: saving a text fails half-way
    async with db.write() as session:
        await session.execute(text("DROP TABLE audit_entry"))
    secret = "Pasientens hemmelige tekst 4711"
    with caplog.at_level(logging.INFO):
        body = await api.post(
            SAVE_TEXTS,
            text_input(STORGATA, "RESEPTFORNYELSE", secret),
            hpr=ASTRID,
        )
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    # Then neither the log nor the answer holds the text
    assert secret not in caplog.text
    assert secret not in str(body)
    assert any(r.exc_info for r in caplog.records)


async def test_validation_errors_stay_readable(api):
    body = await api.post("{ forms { nope } }")
    [error] = body["errors"]
    assert error["message"].startswith("Cannot query field 'nope' on type 'Form'")
    assert "reference" not in error.get("extensions", {})


async def test_variable_errors_stay_readable(api):
    body = await api.post(PRACTICE, {"herId": "not a number"}, hpr=ASTRID)
    [error] = body["errors"]
    assert "$herId" in error["message"] and "Int" in error["message"]


async def test_refusals_stay_readable(api):
    unauthenticated = await api.post(PRACTICE, {"herId": STORGATA})
    forbidden = await api.post(PRACTICE, {"herId": STORGATA}, hpr=JACOB)
    assert unauthenticated["errors"][0]["message"] == "Du må være innlogget med et gyldig token."
    assert forbidden["errors"][0]["message"] == "Du har ikke tilgang til dette legekontoret."
