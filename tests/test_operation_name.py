"""GraphQL over HTTP: a document of several operations needs operationName. Without it the
request is refused as a whole, with no data, under both response media types; strawberry
alone would run the first operation."""

from __future__ import annotations

import pytest

from edge.negotiation import GRAPHQL_RESPONSE, JSON

TWO = "query A { forms { id } } query B { __typename }"
ANONYMOUS_TWO = "{ __typename } { forms { id } }"

# (media type, the status it reports a request error with)
MEDIA_TYPES = [(JSON, 200), (GRAPHQL_RESPONSE, 400)]


@pytest.mark.parametrize(("accept", "status"), MEDIA_TYPES)
@pytest.mark.parametrize("document", [TWO, ANONYMOUS_TWO])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_several_operations_without_a_name_are_a_request_error(
    api, accept, status, document, method
):
    for _ in range(2):  # and the second time too (nothing learned from the first)
        if method == "POST":
            response = await api.client.post(
                "/graphql", json={"query": document}, headers={"Accept": accept}
            )
        else:
            response = await api.client.get(
                "/graphql", params={"query": document}, headers={"Accept": accept}
            )
        assert response.status_code == status
        body = response.json()
        assert "data" not in body
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "OPERATION_NAME_REQUIRED"
        assert "operationName" in error["message"]


@pytest.mark.parametrize(("accept", "status"), MEDIA_TYPES)
async def test_a_named_operation_of_several_runs(api, accept, status):
    response = await api.client.post(
        "/graphql", json={"query": TWO, "operationName": "B"}, headers={"Accept": accept}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(("accept", "status"), MEDIA_TYPES)
async def test_an_absent_operation_name_is_refused_as_before(api, accept, status):
    response = await api.client.post(
        "/graphql", json={"query": TWO, "operationName": "C"}, headers={"Accept": accept}
    )
    assert response.status_code == status
    assert "data" not in response.json()
