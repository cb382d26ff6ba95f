"""GraphiQL without the internet: the page and every file it loads come from the service itself
(the npm packages pinned in web/graphiql/package-lock.json, installed by `make run` and `make
test`), under a Content-Security-Policy that allows this origin alone. On a closed network
(Helsenettet) a browser that reaches nothing but 127.0.0.1 still runs queries in it.

The browser test is skipped, saying why, where no Chromium can be had, or where the npm
packages are not installed (no Node.js: `make run` installs them)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from edge.graphiql import GraphiQLAssets, graphiql_routes
from settings import Settings
from tests.browser import demo_server, why_no_browser
from tests.conftest import STORGATA

ROOT = Path(__file__).resolve().parents[1]
PINNED = json.loads((ROOT / "web" / "graphiql" / "package.json").read_text("utf-8"))["dependencies"]
QUERY = f"{{ patientService(herId: {STORGATA}, service: TIMEBESTILLING) {{ title }} }}"
TITLE = "Bestille time"

NOT_INSTALLED = (
    "GraphiQLs npm-pakker er ikke installert (make run og make test installerer dem)"
    if GraphiQLAssets().missing()
    else None
)
installed = pytest.mark.skipif(NOT_INSTALLED is not None, reason=f"GraphiQL: {NOT_INSTALLED}")
REASON = why_no_browser() or NOT_INSTALLED


async def graphiql_page(api):
    return await api.client.get("/graphql", headers={"Accept": "text/html"})


def assets_of(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/[^"]*)"', html)


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


# --- the page and its files, without a browser ------------------------------------------------


async def test_the_page_allows_this_origin_alone(api):
    response = await graphiql_page(api)
    assert response.status_code == 200
    assert "unpkg" not in response.text and "https://" not in response.text
    policy = directives(response.headers["content-security-policy"])
    assert "unpkg" not in response.headers["content-security-policy"]
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # No inline script: the page's own script is a file, like GraphiQL's.
    assert re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", response.text) is None


@installed
async def test_the_page_loads_the_pinned_versions_from_this_service(api):
    response = await graphiql_page(api)
    loaded = assets_of(response.text)
    for package in ("graphiql", "react", "react-dom"):
        assert any(url.startswith(f"/graphiql/{package}@{PINNED[package]}/") for url in loaded)
    for url in loaded:
        asset = await api.client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in {"text/javascript", "text/css"}
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/graphiql/graphiql@{graphiql}/package.json",
        "/graphiql/graphiql@{graphiql}/graphiql.js",
        "/graphiql/react@{react}/react.development.js",
        "/graphiql/react@{react}/%2e%2e/%2e%2e/package.json",
        "/graphiql/react@{react}/..%2F..%2Fpackage-lock.json",
        "/graphiql/graphiql@0.0.1/graphiql.min.js",
        "/graphiql/graphql/package.json",
        "/graphiql/",
    ],
)
async def test_only_the_listed_files_are_served(api, path):
    response = await api.client.get(path.format(**PINNED))
    assert response.status_code == 404


def test_production_serves_no_graphiql_files():
    assert graphiql_routes(Settings(env="production")) == []
    assert graphiql_routes(Settings()) != []


def test_without_the_npm_packages_the_page_says_how_to_install_them(tmp_path):
    assets = GraphiQLAssets(tmp_path)
    assert assets.missing()
    html = assets.page({"x-tilpass-client": "graphiql"})
    assert "GraphiQL er ikke installert her" in html
    assert "make run" in html and "npm ci --prefix web/graphiql" in html
    assert f"graphiql@{PINNED['graphiql']}" not in html  # no package.json there either
    assert "<script" not in html


def test_an_outdated_installation_is_no_installation(tmp_path):
    # Given packages installed in other versions than the pinned ones
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": PINNED}), "utf-8")
    for package in PINNED:
        folder = tmp_path / "node_modules" / package
        folder.mkdir(parents=True)
        (folder / "package.json").write_text('{"version": "0.0.1"}', "utf-8")
    assets = GraphiQLAssets(tmp_path)
    # Then the page says so, and none of their files is served
    assert {missing.package for missing in assets.missing()} == set(PINNED)
    assert "GraphiQL er ikke installert her" in assets.page({})
    assert not any(path.startswith(tuple(PINNED)) for path in assets.files())


# --- GraphiQL in a browser that reaches nothing but this machine ------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("graphiql")) as running:
        yield running


@pytest.mark.skipif(REASON is not None, reason=f"nettlesertester: {REASON}")
def test_graphiql_runs_a_query_on_a_closed_network(page, server):
    from playwright.sync_api import expect

    # Given the answer the API gives
    direct = httpx.post(f"{server.base}/graphql", json={"query": QUERY}, timeout=10)
    assert direct.json() == {"data": {"patientService": {"title": TITLE}}}
    # and a browser that reaches this machine and nothing else
    elsewhere: list[str] = []

    def only_this_machine(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("blockedbyclient")

    page.context.route("**/*", only_this_machine)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    # When GraphiQL is opened
    page.goto("/graphql", timeout=30_000)
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    expect(editor).to_be_visible(timeout=30_000)

    # and a patientService query is written and run
    editor.evaluate("(node, query) => node.CodeMirror.setValue(query)", QUERY)
    assert editor.evaluate("node => node.CodeMirror.getValue()") == QUERY
    page.get_by_role("button", name=re.compile("Execute query")).click()

    # Then the answer is shown, and nothing was asked of any other address
    answer = page.locator(".graphiql-response")
    expect(answer).to_contain_text(re.compile(f'"title":\\s*"{TITLE}"'), timeout=20_000)
    assert elsewhere == []
    assert refused == []
