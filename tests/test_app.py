"""The HTTP surface: /healthz, GraphiQL, GET queries, and bad requests that never crash."""

import pytest

from tests.conftest import ASTRID, STORGATA

VERSION = """
query Version($herId: Int!) { practice(herId: $herId) { version texts { slot text } } }
"""

SAVE_OVER_GET = (
    f"mutation {{ saveTexts(input: {{herId: {STORGATA}, "
    'texts: [{slot: RESEPTFORNYELSE, text: "Via GET"}]}) '
    "{ practice { version } userErrors { code } } }"
)


async def test_healthz(api):
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_graphiql_for_a_browser(api):
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param("this is not json", "application/json", id="not-json"),
        pytest.param('{"query": ', "application/json", id="truncated-json"),
        pytest.param("[1, 2, 3]", "application/json", id="json-array"),
        pytest.param('{"variables": {}}', "application/json", id="no-query"),
        pytest.param('{"query": 42}', "application/json", id="query-not-a-string"),
        pytest.param('{"query": "{ forms { id }"}', "application/json", id="syntax-error"),
        pytest.param('{"query": "{ noSuchField }"}', "application/json", id="unknown-field"),
        pytest.param(
            '{"query": "query($h: Int!) { practice(herId: $h) { name } }", "variables": {"h": "x"}}',
            "application/json",
            id="bad-variable",
        ),
        pytest.param('{"query": "{ forms { id } }"}', "text/plain", id="wrong-content-type"),
    ],
)
async def test_bad_requests_are_refused_without_crashing(api, content, content_type):
    response = await api.client.post(
        "/graphql", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    if response.status_code == 200:
        body = response.json()
        assert body.get("errors"), body


async def test_mutation_over_get_is_not_executed(api):
    response = await api.client.get(
        "/graphql",
        params={"query": SAVE_OVER_GET},
        headers={"Authorization": f"Bearer {api.token(ASTRID)}", "Accept": "application/json"},
    )
    assert response.status_code < 500
    if response.status_code == 200:
        assert response.json().get("errors"), response.text
    # Nothing was saved
    practice = (await api.data(VERSION, {"herId": STORGATA}, hpr=ASTRID))["practice"]
    assert practice["version"] == 0
    texts = {t["slot"]: t["text"] for t in practice["texts"]}
    assert texts["RESEPTFORNYELSE"] is None


async def test_query_over_get_works(api):
    response = await api.client.get(
        "/graphql", params={"query": "{forms{id}}"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["forms"]
    assert all(form["id"] for form in body["data"]["forms"])
