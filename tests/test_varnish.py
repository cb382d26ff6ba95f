"""deploy/varnish/tilpass.vcl in real Varnish (tests/varnish.py) in front of a small origin of
the test's own that answers like Tilpass: patients' reads by GET with `s-maxage` and `xkey`
headers in the media type the Accept header asks for, everything else uncacheable.

Checked: reads are kept and served as hits; the two media types are two objects, chosen as
edge/negotiation.py chooses; third-party cookies do not stop a hit while credentials pass;
errors and answers without surrogate keys are never kept; `PURGE` with `xkey-purge` drops
exactly the reads of the practices named, only for the `purgers` ACL; `s-maxage` is the TTL.
Skipped, with the reason, where Varnish or its xkey vmod is not installed (`make varnish`)."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest

from edge.negotiation import GRAPHQL_RESPONSE, JSON, negotiate
from tests.varnish import Varnish, local_address_works, varnish_missing

pytestmark = pytest.mark.skipif(varnish_missing() is not None, reason=varnish_missing() or "")

SESSION_COOKIES = [
    "tilpass_session",
    "__Host-tilpass_session",
    "tilpass_login",
    "__Host-tilpass_login",
]
READ_QUERY = "query Read($herIds: [Int!]!) { patientService(herIds: $herIds) { title } }"
_practice_ids = itertools.count(1000)


@dataclass(frozen=True)
class Seen:
    """A request as the origin received it."""

    method: str
    path: str
    headers: dict[str, str]


class Origin:
    """Answers like Tilpass, on a free loopback port, and remembers every request but the
    health probe's.

    A read (GET with `variables={"herIds": [...]}`) is a 200 in the negotiated media type
    with `public, max-age=0, s-maxage=3600`, an ETag and `xkey`/`Surrogate-Key` naming its
    practices; the body says how many requests the origin had served, so a cached answer
    shows. With credentials (Authorization, a session cookie) it is `no-store` without keys.
    `case=` in the query string asks for something else: `bad` (400), `nokey` (200 without
    xkey), `cookie` (with Set-Cookie), `nostore` (keys but no-store), `short` (s-maxage=1),
    `novary` (no `Vary: Accept`).
    Paths in `failing` answer 500. A POST answers like a read, as if the origin erred."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.failing: set[str] = set()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Origin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def _record(self, seen: Seen) -> int:
        with self._lock:
            self.requests.append(seen)
            return len(self.requests)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/healthz":
                    self._send(200, {"Content-Type": "text/plain"}, b"ok")
                    return
                self._answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer()

            def _answer(self) -> None:
                served = origin._record(Seen(self.command, self.path, dict(self.headers)))
                params = parse_qs(urlsplit(self.path).query)
                case = params.get("case", [""])[0]
                media = negotiate(self.headers.get("Accept"))
                echo = {"X-Origin-Accept": self.headers.get("Accept", "")}
                if self.path in origin.failing:
                    self._send(500, {**echo, "Cache-Control": "no-store"}, b"{}")
                    return
                if media is None:
                    self._send(406, {**echo, "Cache-Control": "no-store"}, b"")
                    return
                if case == "bad":
                    body = json.dumps({"errors": [{"message": "bad request"}]}).encode()
                    self._send(
                        400, {**echo, "Content-Type": media, "Cache-Control": "no-store"}, body
                    )
                    return
                her_ids = json.loads(params.get("variables", ['{"herIds": []}'])[0])["herIds"]
                body = json.dumps({"data": {"herIds": her_ids, "served": served}}).encode()
                headers = {
                    **echo,
                    "Content-Type": f"{media}; charset=utf-8",
                    "ETag": f'"{hashlib.sha256(body).hexdigest()[:16]}"',
                }
                if case != "novary":
                    headers["Vary"] = "Accept"
                keys = " ".join(f"practice-{her_id}" for her_id in her_ids)
                cookie = self.headers.get("Cookie", "")
                credentials = self.headers.get("Authorization") or any(
                    f"{name}=" in cookie for name in SESSION_COOKIES
                )
                if credentials:
                    headers["Cache-Control"] = "no-store"
                else:
                    max_age = 1 if case == "short" else 3600
                    headers["Cache-Control"] = f"public, max-age=0, s-maxage={max_age}"
                    if case != "nokey":
                        headers["Surrogate-Key"] = headers["xkey"] = keys
                if case == "cookie":
                    headers["Set-Cookie"] = "tracking=1; Path=/"
                if case == "nostore":
                    headers["Cache-Control"] = "no-store"
                self._send(200, headers, body)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        return Handler


def read_path(*her_ids: int, case: str = "") -> str:
    """A patient read by GET, as the patient page sends it."""
    params = {"query": READ_QUERY, "variables": json.dumps({"herIds": list(her_ids)})}
    if case:
        params["case"] = case
    return "/graphql?" + urlencode(params)


def new_practice() -> int:
    return next(_practice_ids)


def get(
    base: str,
    path: str,
    *,
    accept: str | None = "application/json",
    method: str = "GET",
    client: httpx.Client | None = None,
    **headers: str,
) -> httpx.Response:
    """A request through Varnish; `accept=None` sends no Accept header at all."""
    with httpx.Client(timeout=10) if client is None else nullcontext(client) as http:
        request = http.build_request(method, base + path)
        del request.headers["Accept"]
        if accept is not None:
            request.headers["Accept"] = accept
        for name, value in headers.items():
            request.headers[name.replace("_", "-")] = value
        return http.send(request)


def purge(base: str, keys: str | None, *, client: httpx.Client | None = None) -> httpx.Response:
    with httpx.Client(timeout=10) if client is None else nullcontext(client) as http:
        return http.request("PURGE", f"{base}/", headers={"xkey-purge": keys} if keys else {})


@pytest.fixture(scope="module")
def origin() -> Iterator[Origin]:
    server = Origin().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def varnish(origin: Origin) -> Iterator[Varnish]:
    with Varnish(origin.port) as instance:
        yield instance


@pytest.fixture
def own_varnish(origin: Origin) -> Iterator[Varnish]:
    """An instance for one test, with an empty cache."""
    with Varnish(origin.port) as instance:
        yield instance


def test_a_read_is_fetched_once_then_served_from_the_cache(varnish: Varnish, origin: Origin):
    # Given a read nobody has asked for
    path = read_path(new_practice())
    hits_before = varnish.stats()["MAIN.cache_hit"]

    # When two patients ask for it
    first = get(varnish.url, path)
    second = get(varnish.url, path)

    # Then the first is fetched from the origin, the second comes from the cache, same answer
    assert (first.status_code, first.headers["X-Cache"]) == (200, "MISS")
    assert (second.status_code, second.headers["X-Cache"]) == (200, "HIT")
    assert second.json() == first.json()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert len(origin.seen(path)) == 1
    assert varnish.stats()["MAIN.cache_hit"] == hits_before + 1
    # And the surrogate keys and the shared caches' lifetime stay inside Varnish
    assert "xkey" not in second.headers
    assert "Surrogate-Key" not in second.headers
    assert second.headers["Cache-Control"] == "public, max-age=0"


def test_head_is_answered_from_the_same_object(varnish: Varnish, origin: Origin):
    # Given a read first asked for with HEAD
    path = read_path(new_practice())
    head = get(varnish.url, path, method="HEAD")

    # When it is asked for with GET, and with HEAD again
    full = get(varnish.url, path)
    again = get(varnish.url, path, method="HEAD")

    # Then Varnish fetched it once (as a GET) and served both from the cache
    assert (head.status_code, head.headers["X-Cache"], head.content) == (200, "MISS", b"")
    assert (full.headers["X-Cache"], full.json()["data"]["served"] > 0) == ("HIT", True)
    assert (again.headers["X-Cache"], again.content) == ("HIT", b"")
    assert [seen.method for seen in origin.seen(path)] == ["GET"]


# With `Vary: Accept` and without: the cache key holds the media type either way.
@pytest.mark.parametrize("case", ["", "novary"], ids=["vary", "no-vary"])
def test_the_two_media_types_are_two_objects(varnish: Varnish, origin: Origin, case: str):
    # Given a read asked for in both media types
    path = read_path(new_practice(), case=case)
    graphql = get(varnish.url, path, accept=GRAPHQL_RESPONSE)
    plain = get(varnish.url, path, accept=JSON)

    # When each is asked for again, in other spellings that mean the same
    graphql_again = get(varnish.url, path, accept=f"{GRAPHQL_RESPONSE}, {JSON};q=0.9")
    plain_again = get(varnish.url, path, accept=None)
    wildcard = get(varnish.url, path, accept="*/*")

    # Then the origin was asked once per media type, and each hit has its own Content-Type
    assert [graphql.headers["X-Cache"], plain.headers["X-Cache"]] == ["MISS", "MISS"]
    assert len(origin.seen(path)) == 2
    assert graphql_again.headers["X-Cache"] == "HIT"
    assert graphql_again.headers["Content-Type"].startswith(GRAPHQL_RESPONSE)
    for answer in (plain_again, wildcard):
        assert answer.headers["X-Cache"] == "HIT"
        assert answer.headers["Content-Type"].startswith(JSON)
    assert graphql_again.json() == graphql.json() != plain.json() == plain_again.json()


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",
        JSON,
        GRAPHQL_RESPONSE,
        f"{GRAPHQL_RESPONSE}, {JSON};q=0.9",
        f"{JSON}, {GRAPHQL_RESPONSE}",
        f"{GRAPHQL_RESPONSE};q=0.5, {JSON}",
        f"{GRAPHQL_RESPONSE};q=0, */*",
        f"{JSON};q=0, application/*",
        f"{JSON};q=0.5, */*",
        "application/*;q=0.5, */*;q=0.9",
        f"{JSON};q=abc, {GRAPHQL_RESPONSE};q=0.1",
        f"{JSON};q=2, {GRAPHQL_RESPONSE};q=0.9",
        "Application/GraphQL-Response+JSON ; q=0.9 , application/json ; q=0.8",
        f"{GRAPHQL_RESPONSE};charset=utf-8;q=0.7, {JSON};q=0.7",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "text/html",
        f"{GRAPHQL_RESPONSE};q=0, {JSON};q=0",
        "nonsense",
    ],
)
def test_accept_is_normalised_as_the_origin_negotiates(
    varnish: Varnish, origin: Origin, accept: str | None
):
    # Given the media type the origin's own negotiation picks for this Accept header
    path = read_path(new_practice())
    expected = negotiate(accept)

    # When a patient's read with it goes through Varnish twice
    first = get(varnish.url, path, accept=accept)
    second = get(varnish.url, path, accept=accept)

    if expected is None:
        # Then one that accepts neither type reaches the origin as it was, for its 406,
        # every time
        assert [first.status_code, second.status_code] == [406, 406]
        assert [seen.headers.get("Accept") for seen in origin.seen(path)] == [accept, accept]
    else:
        # Then the origin is asked with exactly that type, once, and the answer is kept
        assert [seen.headers.get("Accept") for seen in origin.seen(path)] == [expected]
        assert first.headers["Content-Type"].startswith(expected)
        assert (second.headers["X-Cache"], second.headers["Content-Type"]) == (
            "HIT",
            first.headers["Content-Type"],
        )


def test_a_third_party_cookie_does_not_stop_a_hit(varnish: Varnish, origin: Origin):
    # Given a cached read
    path = read_path(new_practice())
    get(varnish.url, path)

    # When a patient with an analytics cookie asks for it, and another asks first
    cookie_path = read_path(new_practice())
    first = get(varnish.url, cookie_path, Cookie="_ga=1; consent=yes")
    hit = get(varnish.url, path, Cookie="_ga=1")
    second = get(varnish.url, cookie_path, Cookie="_ga=2")

    # Then the cookie reaches neither the cache key nor the origin
    assert hit.headers["X-Cache"] == "HIT"
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert [seen.headers.get("Cookie") for seen in origin.seen(cookie_path)] == [None]


@pytest.mark.parametrize(
    "credentials",
    [{"Authorization": "Bearer token"}]
    + [{"Cookie": f"_ga=1; {name}=abc"} for name in SESSION_COOKIES],
    ids=["authorization", *SESSION_COOKIES],
)
def test_credentials_pass_to_the_origin_untouched(
    varnish: Varnish, origin: Origin, credentials: dict[str, str]
):
    # Given a read that is in the cache
    path = read_path(new_practice())
    get(varnish.url, path)
    assert get(varnish.url, path).headers["X-Cache"] == "HIT"

    # When someone with credentials asks for it twice
    answers = [get(varnish.url, path, **credentials) for _ in range(2)]

    # Then each request reaches the origin with its headers, and its no-store answer is not kept
    assert [answer.headers["X-Cache"] for answer in answers] == ["MISS", "MISS"]
    assert [answer.headers["Cache-Control"] for answer in answers] == ["no-store"] * 2
    with_credentials = origin.seen(path)[1:]
    assert len(with_credentials) == 2
    for seen in with_credentials:
        for name, value in credentials.items():
            assert seen.headers.get(name) == value
    # And the cached read is still there for patients
    assert get(varnish.url, path).headers["X-Cache"] == "HIT"


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("POST", "/graphql?variables={variables}"),
        ("GET", "/graphql"),
        ("GET", "/pasient/graphql?variables={variables}"),
        ("GET", "/graphqlx?variables={variables}"),
    ],
)
def test_only_reads_of_graphql_by_get_are_cached(
    varnish: Varnish, origin: Origin, method: str, template: str
):
    # Given a request that is no GraphQL read by GET, answered (wrongly) as a cacheable read
    path = template.format(variables=quote(json.dumps({"herIds": [new_practice()]})))
    seen_before = len(origin.seen(path))

    # When it is sent twice
    answers = [get(varnish.url, path, method=method) for _ in range(2)]

    # Then both reach the origin
    assert [answer.headers["X-Cache"] for answer in answers] == ["MISS", "MISS"]
    assert len(origin.seen(path)) == seen_before + 2


@pytest.mark.parametrize("case", ["bad", "nokey", "cookie", "nostore"])
def test_answers_that_may_not_be_stored_are_never_kept(varnish: Varnish, origin: Origin, case: str):
    # Given a read the origin answers with an error, without surrogate keys, with a cookie or no-store
    path = read_path(new_practice(), case=case)

    # When it is asked for three times
    answers = [get(varnish.url, path) for _ in range(3)]

    # Then the origin answers each one
    assert [answer.headers["X-Cache"] for answer in answers] == ["MISS"] * 3
    assert len(origin.seen(path)) == 3


def test_a_server_error_is_never_kept_and_the_next_good_answer_is(varnish: Varnish, origin: Origin):
    # Given a read the origin fails (500)
    path = read_path(new_practice())
    origin.failing.add(path)

    # When patients ask for it during the failure and after
    during = [get(varnish.url, path) for _ in range(2)]
    origin.failing.discard(path)
    after = [get(varnish.url, path) for _ in range(2)]

    # Then every request during the failure reached the origin, and the first good answer is kept
    assert [answer.status_code for answer in during] == [500, 500]
    assert [answer.status_code for answer in after] == [200, 200]
    assert [answer.headers["X-Cache"] for answer in during + after] == ["MISS"] * 3 + ["HIT"]
    assert len(origin.seen(path)) == 3


def test_s_maxage_is_the_time_to_live(varnish: Varnish, origin: Origin):
    # Given a read the origin lets shared caches keep for one second
    path = read_path(new_practice(), case="short")
    first = get(varnish.url, path)
    assert get(varnish.url, path).headers["X-Cache"] == "HIT"

    # When it is asked for after it expired
    time.sleep(1.5)
    get(varnish.url, path)

    # Then the origin is asked again (in the background, the expired answer served in grace)
    deadline = time.monotonic() + 5
    while len(origin.seen(path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(origin.seen(path)) == 2
    # And patients then get the new answer
    fresh = get(varnish.url, path)
    assert fresh.json()["data"]["served"] > first.json()["data"]["served"]


def test_purge_drops_exactly_the_reads_of_the_practices_named(own_varnish: Varnish, origin: Origin):
    # Given cached reads of practice 1 (both media types, and one with practice 3 as well)
    # and of practice 2
    base = own_varnish.url
    one = read_path(1)
    two = read_path(2)
    one_and_three = read_path(1, 3)
    for path, accept in [(one, JSON), (one, GRAPHQL_RESPONSE), (two, JSON), (one_and_three, JSON)]:
        get(base, path, accept=accept)
        assert get(base, path, accept=accept).headers["X-Cache"] == "HIT"
    seen_before = {path: len(origin.seen(path)) for path in (one, two, one_and_three)}

    # When the service purges practice 1
    answer = purge(base, "practice-1")

    # Then Varnish says it dropped three objects
    assert (answer.status_code, answer.headers["X-Purged"], answer.text) == (200, "3", "Purged 3\n")
    # And the reads showing practice 1 are fetched anew, not served from grace
    for path, accept in [(one, JSON), (one, GRAPHQL_RESPONSE), (one_and_three, JSON)]:
        refetched = get(base, path, accept=accept)
        assert refetched.headers["X-Cache"] == "MISS"
    assert len(origin.seen(one)) == seen_before[one] + 2
    assert len(origin.seen(one_and_three)) == seen_before[one_and_three] + 1
    # And practice 2's read is still a hit
    assert get(base, two).headers["X-Cache"] == "HIT"
    assert len(origin.seen(two)) == seen_before[two]

    # When the service purges several practices in one request
    answer = purge(base, "practice-2 practice-3")

    # Then each read naming any of them is dropped, once
    assert (answer.status_code, answer.headers["X-Purged"]) == (200, "2")
    assert get(base, two).headers["X-Cache"] == "MISS"
    assert get(base, one_and_three).headers["X-Cache"] == "MISS"
    assert get(base, one).headers["X-Cache"] == "HIT"


def test_purge_without_keys_is_a_bad_request(varnish: Varnish):
    # Given a cached read
    path = read_path(new_practice())
    get(varnish.url, path)

    # When a purge comes without the xkey-purge header, or with one naming no key
    answers = [purge(varnish.url, None), purge(varnish.url, ",")]

    # Then it is refused and nothing is dropped
    assert [answer.status_code for answer in answers] == [400, 400]
    assert get(varnish.url, path).headers["X-Cache"] == "HIT"


@pytest.mark.skipif(
    not local_address_works("127.0.0.2"), reason="127.0.0.2 is not a local address here"
)
def test_purge_is_refused_outside_the_purgers_acl(varnish: Varnish):
    # Given a cached read of a practice
    her_id = new_practice()
    path = read_path(her_id)
    get(varnish.url, path)

    # When a purge comes from 127.0.0.2 (loopback, but not in the ACL), then from 127.0.0.1
    outsider = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10)
    refused = purge(varnish.url, f"practice-{her_id}", client=outsider)
    still = get(varnish.url, path)
    allowed = purge(varnish.url, f"practice-{her_id}")

    # Then only the one from the ACL purges
    assert refused.status_code == 403
    assert "X-Purged" not in refused.headers
    assert still.headers["X-Cache"] == "HIT"
    assert (allowed.status_code, allowed.headers["X-Purged"]) == (200, "1")
    # And the outsider's reads are served like anyone's
    assert (
        get(
            varnish.url,
            path,
            client=httpx.Client(
                transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10
            ),
        ).headers["X-Cache"]
        == "MISS"
    )


def test_two_instances_run_side_by_side(origin: Origin):
    # Given two instances in front of the same origin
    with Varnish(origin.port) as first, Varnish(origin.port) as second:
        assert first.port != second.port
        assert first.workdir != second.workdir
        path = read_path(new_practice())

        # When a read is asked for through each, twice
        answers = [get(instance.url, path) for instance in (first, second, first, second)]

        # Then each keeps its own copy, and a purge of one leaves the other's
        assert [answer.headers["X-Cache"] for answer in answers] == ["MISS", "MISS", "HIT", "HIT"]
        assert len(origin.seen(path)) == 2
        her_id = json.loads(parse_qs(urlsplit(path).query)["variables"][0])["herIds"][0]
        assert purge(first.url, f"practice-{her_id}").headers["X-Purged"] == "1"
        assert get(first.url, path).headers["X-Cache"] == "MISS"
        assert get(second.url, path).headers["X-Cache"] == "HIT"
        assert first.stats()["MAIN.cache_hit"] == 1
        assert second.stats()["MAIN.cache_hit"] == 2


def test_a_paused_instance_answers_after_it_resumes(own_varnish: Varnish):
    # Given an instance that is paused
    path = read_path(new_practice())
    own_varnish.pause()

    # When a read is asked for while it is paused
    try:
        with pytest.raises(httpx.TimeoutException):
            httpx.get(own_varnish.url + path, timeout=0.5)
    finally:
        own_varnish.resume()

    # Then it answers once resumed
    assert get(own_varnish.url, path).status_code == 200
