"""A small FHIR R4 search server for tests: the national registers as `sync-registry` reads them.

It answers one search, `GET /fhir/PractitionerRole?_include=...&_count=N`, as a real server
(HAPI and the like) does: pages of `searchset` Bundles chained by `next` links that carry an
opaque `_getpages` token the server issued, the roles as `match` entries and the
Practitioners and Organizations they reference as `include` entries (repeated on every page
that needs them). Resources no role references (a practice without GPs, a GP without a
practice, other resource types) go on the last page as `include` entries, so nothing given
to the server is lost.

    with FhirServer(resources, page_size=2, token="secret") as fhir:
        fhir.fail_page = 2           # page 2 answers 500 with an OperationOutcome
        httpx.get(fhir.search_url, headers={"Authorization": "Bearer secret"})

A search takes a snapshot of `resources` (reassign the attribute to change what the next
search sees); its pages keep serving that snapshot, as a server's cached search does.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

FHIR_JSON = "application/fhir+json; charset=utf-8"
INCLUDES = ("PractitionerRole:practitioner", "PractitionerRole:organization")


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


@dataclass
class _Search:
    """One search's pages, fixed when it was first asked for."""

    count: int
    total: int
    pages: list[list[dict[str, Any]]]  # Bundle entries per page


class FhirServer:
    """`ThreadingHTTPServer` on 127.0.0.1 (a free port) in a background thread."""

    def __init__(
        self,
        resources: list[dict],
        *,
        page_size: int = 2,
        include: bool = True,
        token: str | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.resources = resources
        self.page_size = page_size
        self.include = include
        self.token = token
        self.fail_page: int | None = None
        self.outcome_page: int | None = None
        self.requests: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        self._searches: dict[str, _Search] = {}
        # Where next links point when set: another server, to see that a client keeps its
        # token from it.
        self.next_base: str | None = None
        self._issued: set[tuple[str, int]] = set()  # (token, page) of every next link given out
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.url = ""
        self.search_url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FhirServer:
        if self._httpd is not None:
            return self
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/fhir"
        query = "&".join(f"_include={name}" for name in INCLUDES)
        self.search_url = f"{self.url}/PractitionerRole?{query}&_count={self.page_size}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fhir-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FhirServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- searching ---------------------------------------------------------------------------

    def _full_url(self, resource: dict[str, Any]) -> str:
        return f"{self.url}/{resource['resourceType']}/{resource['id']}"

    def _entry(self, resource: dict[str, Any], mode: str) -> dict[str, Any]:
        return {"fullUrl": self._full_url(resource), "resource": resource, "search": {"mode": mode}}

    def _new_search(self, count: int, includes: set[str]) -> _Search:
        """Split a snapshot of the resources into pages of `count` roles each."""
        resources = copy.deepcopy(self.resources)
        by_key = {f"{r['resourceType']}/{r['id']}": r for r in resources}
        roles = [r for r in resources if r["resourceType"] == "PractitionerRole"]
        fields = [
            field
            for field, name in (("practitioner", INCLUDES[0]), ("organization", INCLUDES[1]))
            if self.include and (name in includes or "*" in includes)
        ]

        def referenced(role: dict[str, Any]) -> list[dict[str, Any]]:
            found = []
            for field in fields:
                ref = (role.get(field) or {}).get("reference")
                if not ref:
                    continue  # a logical reference (identifier only): nothing to include
                key = "/".join(ref.rstrip("/").split("/")[-2:])  # Type/id, also of absolute ones
                if key in by_key:
                    found.append(by_key[key])
            return found

        pages: list[list[dict[str, Any]]] = []
        reached: set[str] = set()
        for start in range(0, len(roles), count):
            entries = []
            seen: set[str] = set()
            for role in roles[start : start + count]:
                entries.append(self._entry(role, "match"))
            for role in roles[start : start + count]:
                for resource in referenced(role):
                    key = f"{resource['resourceType']}/{resource['id']}"
                    if key not in seen:
                        seen.add(key)
                        reached.add(key)
                        entries.append(self._entry(resource, "include"))
            pages.append(entries)
        if not pages:
            pages.append([])
        if self.include:
            for resource in resources:
                key = f"{resource['resourceType']}/{resource['id']}"
                if resource["resourceType"] != "PractitionerRole" and key not in reached:
                    pages[-1].append(self._entry(resource, "include"))
        return _Search(count=count, total=len(roles), pages=pages)

    def _bundle(self, token: str, search: _Search, page: int, self_url: str) -> dict[str, Any]:
        links = [{"relation": "self", "url": self_url}]
        if page < len(search.pages):
            query = urlencode(
                {
                    "_getpages": token,
                    "_count": search.count,
                    "page": page + 1,
                    "_bundletype": "searchset",
                }
            )
            base = self.next_base or self.url
            links.append({"relation": "next", "url": f"{base}/PractitionerRole?{query}"})
            self._issued.add((token, page + 1))
        entries = list(search.pages[page - 1])
        if self.outcome_page == page:
            outcome = operation_outcome("exception", f"the search failed on page {page}")
            outcome["id"] = f"outcome-{page}"
            entries.append(
                {
                    "fullUrl": f"{self.url}/OperationOutcome/outcome-{page}",
                    "resource": outcome,
                    "search": {"mode": "outcome"},
                }
            )
        return {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "meta": {"lastUpdated": datetime.now(UTC).isoformat(timespec="milliseconds")},
            "type": "searchset",
            "total": search.total,
            "link": links,
            "entry": entries,
        }

    def _search(self, params: dict[str, list[str]], self_url: str) -> tuple[int, dict[str, Any]]:
        """The answer to `GET /fhir/PractitionerRole?...`: (status, body)."""
        with self._lock:
            if "_getpages" in params:
                token = params["_getpages"][0]
                try:
                    page = int(params.get("page", [""])[0])
                except ValueError:
                    page = 0
                if (token, page) not in self._issued or token not in self._searches:
                    return 410, operation_outcome(
                        "not-found", f"Search {token!r} page {page} does not exist or has expired"
                    )
                search = self._searches[token]
            else:
                if "page" in params:
                    return 400, operation_outcome(
                        "invalid", "page is only accepted on a next link the server gave out"
                    )
                try:
                    count = int(params.get("_count", [str(self.page_size)])[0])
                except ValueError:
                    count = 0
                if count < 1:
                    return 400, operation_outcome("invalid", "_count must be a positive integer")
                includes = set(params.get("_include", []))
                token = secrets.token_urlsafe(12)
                search = None
                page = 1
            if self.fail_page == page:
                return 500, operation_outcome("exception", f"internal error on page {page}")
            if search is None:
                search = self._new_search(min(count, 1000), includes)
                self._searches[token] = search
            return 200, self._bundle(token, search, page, self_url)


def _handler_for(server: FhirServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects of a real server

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", FHIR_JSON)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_GET(self) -> None:
            authorization = self.headers.get("Authorization")
            with server._lock:
                server.requests.append((self.path, authorization))
            if server.token is not None and authorization != f"Bearer {server.token}":
                self._send(
                    401,
                    operation_outcome("login", "a valid bearer token is required"),
                    {"WWW-Authenticate": 'Bearer realm="fhir"'},
                )
                return
            parts = urlsplit(self.path)
            if parts.path.rstrip("/") != "/fhir/PractitionerRole":
                self._send(404, operation_outcome("not-found", f"unknown path {parts.path}"))
                return
            params = parse_qs(parts.query, keep_blank_values=True)
            status, body = server._search(params, f"http://127.0.0.1:{server.port}{self.path}")
            self._send(status, body)

        def _not_allowed(self) -> None:
            with server._lock:
                server.requests.append((self.path, self.headers.get("Authorization")))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self._send(405, operation_outcome("not-supported", f"{self.command} is not supported"))

        do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    return Handler
