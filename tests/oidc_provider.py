"""A real OpenID Provider for the tests of the HelseID sign-in: node-oidc-provider (OpenID
certified), set up the way HelseID behaves (tests/oidc_provider/provider.mjs), started on a
free port for the test and stopped after it.

    with running_provider([client], tmp_path) as provider:
        provider.issuer, provider.discovery  # then sign in with a UserAgent

A client is {"client_id", "jwks": {"keys": [its public JWK]}, "redirect_uris",
"post_logout_redirect_uris"}. The user is whatever the test types at the provider's login
prompt: "9144889" (a GP, assurance level high), "low-9144889" (the same GP, substantial),
"nohpr" (nobody with an HPR number); see provider.mjs.

The provider's npm packages are installed into tests/oidc_provider/node_modules from its
package-lock.json when missing (`make oidc-provider` does the same). Without Node at all the
test is skipped with the reason."""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

PACKAGE = Path(__file__).resolve().parent / "oidc_provider"
SCRIPT = PACKAGE / "provider.mjs"
# oidc-provider 9 uses crypto.hash and URL.parse, which Node 20 has from 20.18 on.
NODE_AT_LEAST = (20, 18)
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_version() -> tuple[int, ...]:
    printed = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return tuple(int(part) for part in re.findall(r"\d+", printed)[:3])


def ensure_installed() -> None:
    """Skips without Node; installs the provider's packages when they are missing."""
    if shutil.which("node") is None:
        pytest.skip("the OpenID Provider tests need Node.js (make oidc-provider installs it)")
    if node_version()[:2] < NODE_AT_LEAST:
        raise RuntimeError(
            f"oidc-provider needs Node.js {'.'.join(map(str, NODE_AT_LEAST))} or newer;"
            f" this is {'.'.join(map(str, node_version()))}"
        )
    if (PACKAGE / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    if shutil.which("npm") is None:
        raise RuntimeError("tests/oidc_provider/node_modules is missing and npm is not here")
    # One installer at a time: pytest-xdist workers, or two test runs, would otherwise both
    # run `npm ci`, which empties node_modules before it fills it.
    lock = Path(tempfile.gettempdir()) / "tilpass-oidc-provider-npm.lock"
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if (PACKAGE / "node_modules" / "oidc-provider" / "package.json").exists():
            return
        installed = subprocess.run(
            ["npm", "ci", "--prefix", str(PACKAGE), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if installed.returncode != 0:
            raise RuntimeError(
                "could not install the OpenID Provider (run `make oidc-provider`):\n"
                + installed.stderr
            )


@dataclass
class Provider:
    """One running provider: its issuer, its discovery document, and its log file."""

    issuer: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]
    discovery: dict[str, Any] = field(default_factory=dict)
    started_in: float = 0.0

    def endpoint(self, name: str) -> str:
        return str(self.discovery[name])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not gone within 5 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_provider(
    clients: list[dict[str, Any]],
    workdir: Path,
    *,
    resources: dict[str, str] | None = None,
    ttl: dict[str, int] | None = None,
) -> Provider:
    """Starts a provider with these clients and waits until its discovery answers.

    `resources` maps an API's resource indicator to its scopes (space-separated): asked for
    with `resource=` at PAR, its access tokens are JWTs with that audience. `ttl` overrides
    lifetimes in seconds (AccessToken, IdToken, Session, ...)."""
    ensure_installed()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = workdir / f"oidc-provider-{port}.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "issuer": issuer,
                "clients": clients,
                "resources": resources or {},
                "ttl": ttl or {},
            }
        ),
        encoding="utf-8",
    )
    log = workdir / f"oidc-provider-{port}.log"
    began = time.monotonic()
    # A file, not a pipe: a pipe nobody reads fills up and stalls the provider.
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            ["node", str(SCRIPT), str(config)],
            cwd=PACKAGE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    provider = Provider(issuer=issuer, port=port, log=log, process=process)
    deadline = began + START_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the OpenID Provider stopped:\n{provider.log_text()}")
            with suppress(httpx.TransportError):
                answer = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
                if answer.status_code == 200:
                    provider.discovery = answer.json()
                    provider.started_in = time.monotonic() - began
                    return provider
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the OpenID Provider did not answer within {START_TIMEOUT:.0f} s:\n"
                    + provider.log_text()
                )
            time.sleep(0.05)
    except BaseException:
        provider.stop()
        raise


@contextmanager
def running_provider(
    clients: list[dict[str, Any]],
    workdir: Path,
    *,
    resources: dict[str, str] | None = None,
    ttl: dict[str, int] | None = None,
) -> Iterator[Provider]:
    """start_provider(), stopped again when the block ends."""
    provider = start_provider(clients, workdir, resources=resources, ttl=ttl)
    try:
        yield provider
    finally:
        provider.stop()


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str]
    id: str | None = None


class PageParser(HTMLParser):
    """The forms (with their inputs, also those outside the form that name it with form=) and
    the links of one page: all that the provider's pages ask of a user."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self._open_form: Form | None = None
        self._link: str | None = None
        self._link_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open_form = Form(
                a.get("action", ""), a.get("method", "get").lower(), {}, a.get("id")
            )
            self.forms.append(self._open_form)
        elif tag == "input" and a.get("name"):
            owner = self._form_named(a.get("form")) or self._open_form
            if owner is not None:
                owner.fields[a["name"]] = a.get("value", "")
        elif tag == "a" and "href" in a:
            self._link, self._link_text = a["href"], ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open_form = None
        elif tag == "a" and self._link is not None:
            self.links.append((self._link, self._link_text.strip()))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link_text += data

    def _form_named(self, form_id: str | None) -> Form | None:
        return next((f for f in self.forms if form_id and f.id == form_id), None)


def parse_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


class UserAgent:
    """The GP's browser without a browser: httpx with a cookie jar, which follows the
    provider's redirects and fills in its pages, and stops at the first redirect that leaves
    the provider (to the client's redirect_uri or post_logout_redirect_uri) without following
    it. Keeps the provider's session cookie, so a second sign-in in the same agent is single
    sign-on, and a logout in it ends that session."""

    def __init__(self) -> None:
        self.http = httpx.Client(follow_redirects=False, timeout=10)
        self.login_pages_seen = 0

    def __enter__(self) -> UserAgent:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def sign_in(self, authorize_url: str, username: str, password: str = "any") -> str:
        """The callback URL (code, state, iss) after signing in as `username`; no login
        prompt when this agent is signed in already."""

        def answer(page: PageParser) -> Form:
            for form in page.forms:
                if form.fields.get("prompt") == "login":
                    self.login_pages_seen += 1
                    return Form(
                        form.action,
                        form.method,
                        {**form.fields, "login": username, "password": password},
                    )
                if form.fields.get("prompt") == "consent":
                    return form
            raise AssertionError("no login or consent form on the provider's page")

        return self._until_leaving(authorize_url, answer)

    def cancel(self, authorize_url: str) -> str:
        """The callback URL (error=access_denied) after pressing the login page's Cancel."""
        response = self._follow(self.http.get(authorize_url))
        page = parse_page(response.text)
        abort = next(
            (href for href, text in page.links if "Cancel" in text or href.endswith("/abort")),
            None,
        )
        assert abort is not None, f"no Cancel link on the provider's page:\n{response.text}"
        return self._until_leaving(urljoin(str(response.url), abort), self._no_form)

    def logout(self, end_session_url: str) -> str:
        """The post_logout_redirect_uri the provider sends the user to, after confirming."""

        def confirm(page: PageParser) -> Form:
            form = next((f for f in page.forms if "xsrf" in f.fields), None)
            assert form is not None, "no logout form on the provider's page"
            return Form(form.action, form.method, {"logout": "yes", **form.fields})

        return self._until_leaving(end_session_url, confirm)

    @staticmethod
    def _no_form(page: PageParser) -> Form:
        raise AssertionError("the provider showed a page where it should have redirected")

    def _follow(self, response: httpx.Response) -> httpx.Response:
        """Follows redirects within the provider; returns the page or the leaving redirect."""
        start = origin(str(response.request.url))
        for _ in range(20):
            if not response.is_redirect:
                return response
            target = urljoin(str(response.url), response.headers["location"])
            if origin(target) != start:
                return response
            response = self.http.get(target)
        raise AssertionError("the provider redirected more than 20 times")

    def _until_leaving(self, url: str, answer: Callable[[PageParser], Form]) -> str:
        """Answers the provider's pages until it redirects away; returns that redirect's URL."""
        response = self._follow(self.http.get(url))
        for _ in range(5):
            if response.is_redirect:
                return urljoin(str(response.url), response.headers["location"])
            if response.status_code != 200:
                raise AssertionError(
                    f"the provider answered {response.status_code}:\n{response.text}"
                )
            form = answer(parse_page(response.text))
            target = urljoin(str(response.url), form.action)
            if form.method == "post":
                response = self._follow(self.http.post(target, data=form.fields))
            else:
                response = self._follow(self.http.get(target, params=form.fields))
        raise AssertionError("the provider kept showing pages")


def sign_in_without_browser(
    authorize_url: str, username: str, *, agent: UserAgent | None = None
) -> str:
    """Signs `username` in at the provider's login page and returns the callback URL (with
    code, state and iss) without following it. A fresh agent unless one is given."""
    if agent is not None:
        return agent.sign_in(authorize_url, username)
    with UserAgent() as fresh:
        return fresh.sign_in(authorize_url, username)


def cancel_without_browser(authorize_url: str, *, agent: UserAgent | None = None) -> str:
    """Presses Cancel at the provider's login page; returns the callback URL
    (error=access_denied, state, iss)."""
    if agent is not None:
        return agent.cancel(authorize_url)
    with UserAgent() as fresh:
        return fresh.cancel(authorize_url)


def follow_logout(end_session_url: str, *, agent: UserAgent | None = None) -> str:
    """Confirms the provider's logout and returns where it sends the user (the client's
    post_logout_redirect_uri, with its state). Give the agent that signed in, or only the
    client's part is checked: a fresh agent has no session at the provider to end."""
    if agent is not None:
        return agent.logout(end_session_url)
    with UserAgent() as fresh:
        return fresh.logout(end_session_url)
